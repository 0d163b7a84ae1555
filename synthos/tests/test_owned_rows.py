"""synthos.owned_rows gives the instance the ORM would give, and only the owner's."""

import datetime

import pytest
from django.db.models import Model
from django.utils import timezone

from datasets.models import Dataset
from datasets.tests.factories import DatasetFactory
from synthos.owned_rows import OwnedRowQuery
from validations.models import Validation

pytestmark = pytest.mark.django_db


def _field_values(instance: Model) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_a_dataset_reads_as_the_orm_reads_it(owner):
    dataset = DatasetFactory(
        owner=owner,
        name='Ünïcode "q" 😀',
        expected_rows=None,
        warnings=["BOM removed", "2 blank lines"],
        preview=[{"a": 1.5, "b": None, "c": "x"}],
    )
    found = OwnedRowQuery(Dataset).get(owner_id=owner.pk, pk=dataset.pk)
    expected = Dataset.objects.get(pk=dataset.pk)
    assert type(found) is Dataset and found.pk == dataset.pk
    assert _field_values(found) == _field_values(expected)
    assert isinstance(found.columns, list) and found.preview == [{"a": 1.5, "b": None, "c": "x"}]
    assert found.created_at.tzinfo is not None
    assert found._state.adding is False and found._state.db == "default"


def test_a_validation_reads_as_the_orm_reads_it(owner):
    dataset = DatasetFactory(owner=owner)
    moment = timezone.now()
    validation = Validation.objects.create(
        owner=owner,
        dataset=dataset,
        dataset_name=dataset.name,
        tier="comprehensive",
        status="succeeded",
        collapse_score=0.3,
        collapse_level="medium",
        prediction={"metric": "accuracy", "interval": [0.7, 0.9]},
        report={"schema_version": 1, "checks": {"missing": {"rows": [1, 2]}}},
        started_at=moment,
        finished_at=moment + datetime.timedelta(seconds=3),
    )
    found = OwnedRowQuery(Validation).get(owner_id=owner.pk, pk=validation.pk)
    assert _field_values(found) == _field_values(Validation.objects.get(pk=validation.pk))
    assert found.report["checks"]["missing"]["rows"] == [1, 2]
    assert found.canceled_at is None


def test_another_owners_row_and_a_missing_row_are_none(owner, outsider):
    dataset = DatasetFactory(owner=owner)
    query = OwnedRowQuery(Dataset)
    assert query.get(owner_id=outsider.pk, pk=dataset.pk) is None
    assert query.get(owner_id=owner.pk, pk="ds_missing") is None
    assert query.get(owner_id=owner.pk, pk=dataset.pk).pk == dataset.pk


def test_a_read_instance_saves_like_an_orm_instance(owner):
    dataset = DatasetFactory(owner=owner, name="before")
    found = OwnedRowQuery(Dataset).get(owner_id=owner.pk, pk=dataset.pk)
    found.name = "after"
    found.save(update_fields=["name"])
    assert Dataset.objects.get(pk=dataset.pk).name == "after"
    assert Dataset.objects.count() == 1
