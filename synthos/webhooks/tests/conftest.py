import pytest

from synthos.webhooks.tests.receiver import start_receiver


@pytest.fixture
def receiver():
    receiver = start_receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def dev_targets(settings):
    """Development settings: loopback receivers (the test's own) are allowed."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    return settings


@pytest.fixture
def production_targets(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    return settings
