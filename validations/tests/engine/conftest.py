"""Engine tests are plain pytest: they need no database, settings or cache."""

import pytest


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Overrides the root conftest's cache reset: the engine has no Django and no cache."""
    yield
