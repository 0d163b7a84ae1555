import factory
from django.utils import timezone

from datasets.models import Dataset
from datasets.storage import storage_key_for


class DatasetFactory(factory.django.DjangoModelFactory):
    """A ready dataset with inspection results (no file in storage unless a test writes one)."""

    class Meta:
        model = Dataset

    name = factory.Sequence(lambda n: f"dataset {n}")
    filename = "data.csv"
    format = Dataset.Format.CSV
    size_bytes = 42
    status = Dataset.Status.READY
    storage_key = factory.LazyAttribute(
        lambda d: storage_key_for(owner_id=d.owner.pk, dataset_id=d.id, filename=d.filename)
    )
    id = factory.Sequence(lambda n: f"ds_test{n:016d}")
    sha256 = "0" * 64
    row_count = 3
    columns = factory.LazyFunction(
        lambda: [
            {"name": "id", "dtype": "integer", "null_fraction": 0.0, "distinct": 3},
            {"name": "label", "dtype": "string", "null_fraction": 0.0, "distinct": 2},
        ]
    )
    preview = factory.LazyFunction(lambda: [{"id": i, "label": "ab"[i % 2]} for i in range(30)])
    uploaded_at = factory.LazyFunction(timezone.now)
    inspected_at = factory.LazyFunction(timezone.now)
