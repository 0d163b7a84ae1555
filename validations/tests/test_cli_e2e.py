"""The `synthos` CLI end to end: installed alone in a fresh virtualenv (`pip install ./client`), run
as a subprocess against a live Synthos server (pytest-django's live_server: one process, tasks run
inline). upload → validate → exit 0 on a clean file, 1 when the gate fails, a retried step pays once.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.services import api_key_create
from billing.models import CreditTransaction
from validations.models import Validation
from validations.tests.helpers import sample_csv

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def cli_venv(tmp_path_factory) -> Path:
    """A fresh virtualenv holding nothing but the client package: proof it needs no Synthos code."""
    root = tmp_path_factory.mktemp("cli")
    source = root / "client"
    # A copy: building in place would leave build/ and *.egg-info in the repository.
    shutil.copytree(ROOT / "client", source, ignore=shutil.ignore_patterns("tests", "build", "*.egg-info"))
    venv = root / "venv"
    base_python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base_python, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(source)],
        check=True,
        timeout=300,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    return venv


@pytest.fixture
def synthos(cli_venv, live_server, owner, tmp_path):
    _, api_key = api_key_create(user=owner, name="ci")
    env = {
        "PATH": f"{cli_venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "SYNTHOS_BASE_URL": live_server.url,
        "SYNTHOS_API_KEY": api_key,
        "SYNTHOS_POLL_SECONDS": "0.2",
    }

    def run(*args: str, extra_env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(cli_venv / "bin" / "synthos"), *args],
            env={**env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )

    return run


def dirty_csv() -> bytes:
    rows = ["id,text,label"] + ["1,,yes"] * 40 + [f"{i},x,no" for i in range(10)]
    return ("\n".join(rows) + "\n").encode()


def test_the_cli_needs_only_its_own_package(cli_venv):
    probe = subprocess.run(
        [
            str(cli_venv / "bin" / "python"),
            "-c",
            "import synthos_client, importlib.util as u; print(u.find_spec('django'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "None"


def test_a_clean_file_passes_the_gate_and_a_retried_step_pays_once(synthos, owner, tmp_path):
    data = tmp_path / "clean.csv"
    data.write_bytes(sample_csv())
    args = ("validate", str(data), "--tier", "quick", "--wait", "--fail-if", "quality_score_lt=80")
    first = synthos(*args, extra_env={"GITHUB_RUN_ID": "4242"})
    assert first.returncode == 0, first.stderr
    assert "Gate: PASSED" in first.stdout and "quality score" in first.stdout
    assert "uploading clean.csv [" in first.stderr and "validating val_" in first.stderr

    retried = synthos(*args, extra_env={"GITHUB_RUN_ID": "4242"})
    assert retried.returncode == 0, retried.stderr
    assert "reusing dataset" in retried.stderr
    validation = Validation.objects.get()
    assert validation.status == "succeeded" and validation.tier == "quick"
    charges = CreditTransaction.objects.filter(account__user=owner, kind="validation_charge")
    assert charges.count() == 1

    report = synthos("report", validation.pk, "--format", "json")
    assert report.returncode == 0 and '"quality_score"' in report.stdout


def test_a_failing_gate_exits_non_zero(synthos, tmp_path):
    data = tmp_path / "dirty.csv"
    data.write_bytes(dirty_csv())
    result = synthos("validate", str(data), "--tier", "quick", "--wait", "--fail-if", "quality_score_lt=80")
    assert result.returncode == 1, result.stderr
    assert "Gate: FAILED" in result.stdout and "quality_score_lt" in result.stdout


def test_a_bad_api_key_exits_3(synthos, tmp_path):
    result = synthos("report", "val_nope", extra_env={"SYNTHOS_API_KEY": "sk_live_wrong"})
    assert result.returncode == 3
    assert result.stderr.startswith("error: Invalid or revoked API key. (request_id req_")
