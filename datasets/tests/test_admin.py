import pytest

from datasets.tests.factories import DatasetFactory

pytestmark = pytest.mark.django_db


def test_staff_see_datasets_with_owner_status_size_and_error(client, staff, owner):
    DatasetFactory(owner=owner, name="broken", status="failed", error="Line 3: the row has 1 fields.", row_count=None)
    client.force_login(staff)
    page = client.get("/admin/datasets/dataset/").content.decode()
    assert "broken" in page and owner.email in page and "Failed" in page and "Line 3" in page and "42" in page


def test_file_facts_are_read_only_in_the_admin(client, staff, owner):
    dataset = DatasetFactory(owner=owner)
    client.force_login(staff)
    page = client.get(f"/admin/datasets/dataset/{dataset.pk}/change/").content.decode()
    assert 'name="name"' in page
    for fact in ("size_bytes", "sha256", "storage_key", "row_count", "status"):
        assert f'name="{fact}"' not in page
    assert client.get("/admin/datasets/dataset/add/").status_code == 403
