"""Settings for bench/api_load.py's gunicorn: the real settings plus two comparison routes.

The routes (a stock DRF list and a bare Django view) live in `api_load` (bench/api_load.py),
which wraps synthos.urls; nothing here is used outside the benchmark.
"""

from synthos.settings.base import *  # noqa: F403

ROOT_URLCONF = "api_load"
