"""Rate limits hold across processes: a real gunicorn with several workers sharing Redis."""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from accounts.services import api_key_create
from conftest import free_port, redis_url

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "postgres") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def get(url: str, headers: dict) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except urllib.error.URLError:
        return 0


@pytest.fixture
def gunicorn_server(settings):

    port = free_port()
    base_redis = redis_url().rsplit("/", 1)[0]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "synthos.settings.base",
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "CACHE_URL": f"{base_redis}/14",
        "CACHE_KEY_PREFIX": f"live-{uuid.uuid4().hex}",
        "RATE_LIMIT_FREE": "40/1000",
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "synthos.wsgi",
            "--workers",
            "3",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if get(f"{base}/api/v1/health", {}) == 200:
            break
        time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("gunicorn did not come up within 30 s")
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_across_gunicorn_workers_let_exactly_the_limit_through(owner, gunicorn_server):
    _, raw_key = api_key_create(user=owner, name="load")
    # Stay inside one fixed minute window: start early in a minute.
    if time.time() % 60 > 40:
        time.sleep(61 - time.time() % 60)
    with ThreadPoolExecutor(max_workers=32) as pool:
        statuses = list(
            pool.map(lambda _: get(f"{gunicorn_server}/api/v1/credits/balance", {"X-API-Key": raw_key}), range(55))
        )
    assert statuses.count(200) == 40 and statuses.count(429) == 15, statuses
