"""Test settings: the base settings with fast hashing, a local mailbox and synchronous tasks.

DATABASE_URL and CACHE_URL still come from the environment, so CI runs the suite on
PostgreSQL and Redis while a laptop runs it on SQLite and local memory.
"""

import os

from synthos.settings.base import *  # noqa: F403
from synthos.settings.base import CACHES, Q_CLUSTER

DEBUG = False
ALLOWED_HOSTS = ["*"]
# Argon2 is deliberately slow; the tests check that base settings use it.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Each xdist worker gets its own Redis database, so one worker's cache.clear() (FLUSHDB)
# never wipes another's rate-limit windows mid-test.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw-1")
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    _base = (
        CACHES["default"]["LOCATION"].rsplit("/", 1)[0]
        if CACHES["default"]["LOCATION"].count("/") > 2
        else CACHES["default"]["LOCATION"]
    )
    CACHES["default"]["LOCATION"] = f"{_base.rstrip('/')}/{int(_worker.removeprefix('gw')) + 2}"
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
# Tests change users and keys behind the services' backs: every request asks the database
# (synthos/tests/test_api_fast_paths.py turns the memory on where it is under test).
API_AUTH_CACHE_SECONDS = 0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
