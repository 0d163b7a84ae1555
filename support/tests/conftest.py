import pytest
from django.apps import apps

from support import services


@pytest.fixture
def make_ticket():
    def make(*, owner, subject="My validation failed", body="It stopped at stage 3.", priority="normal", **links):
        return services.ticket_create(owner=owner, subject=subject, body=body, priority=priority, **links)

    return make


@pytest.fixture
def ticket(owner, make_ticket):
    return make_ticket(owner=owner)


@pytest.fixture
def make_dataset(db):
    """A dataset row of `owner`, or a skip while the datasets app has no Dataset model yet."""
    try:
        dataset_model = apps.get_model("datasets", "Dataset")
    except LookupError:
        pytest.skip("datasets.Dataset does not exist yet")

    def make(*, owner):
        return dataset_model.objects.create(
            owner=owner, name="train", filename="train.csv", format="csv", size_bytes=10, storage_key="k/train.csv"
        )

    return make
