"""Shared steps for the warranties tests: labelled CSVs, eligible validations, warranties in each state."""

import random

from django.utils import timezone

from validations.models import Validation
from validations.tests.helpers import ready_dataset

PREDICTION = {
    "metric": "accuracy",
    "model": "logistic regression",
    "expected": 0.84,
    "interval": [0.79, 0.88],
    "confidence": 0.9,
    "learning_curve": [{"n": 25, "score": 0.66}, {"n": 60, "score": 0.75}, {"n": 150, "score": 0.81}],
}

COLUMNS = [
    {"name": "x1", "dtype": "float", "null_fraction": 0.0, "distinct": 200},
    {"name": "x2", "dtype": "float", "null_fraction": 0.0, "distinct": 200},
    {"name": "label", "dtype": "string", "null_fraction": 0.0, "distinct": 2},
]


def labelled_csv(rows: int = 200, *, seed: int = 1, flip: float = 0.1) -> bytes:
    """Two numeric features and a label that mostly follows x1 + x2 > 1 (a `flip` share is noise)."""
    rng = random.Random(seed)
    lines = ["x1,x2,label"]
    for _ in range(rows):
        x1, x2 = rng.random(), rng.random()
        label = "yes" if x1 + x2 > 1 else "no"
        if rng.random() < flip:
            label = "no" if label == "yes" else "yes"
        lines.append(f"{x1:.4f},{x2:.4f},{label}")
    return ("\n".join(lines) + "\n").encode()


def labelled_dataset(owner, *, rows: int = 200, seed: int = 1, flip: float = 0.1, **fields):
    fields = {"row_count": rows, "columns": COLUMNS, **fields}
    return ready_dataset(owner, labelled_csv(rows, seed=seed, flip=flip), **fields)


def eligible_validation(owner, *, dataset=None, prediction=PREDICTION, **fields) -> Validation:
    """A succeeded comprehensive validation of a real labelled file, with a prediction."""
    dataset = dataset or labelled_dataset(owner, name="Churn training set")
    report = {
        "schema_version": 1,
        "tier": "comprehensive",
        "quality_score": 82,
        "collapse_risk": {"score": 0.12, "level": "low", "indicators": {}},
        "issues": [],
        "checks": {},
        "dataset": {"rows": dataset.row_count, "columns": COLUMNS, "format": "csv"},
        "prediction": prediction,
    }
    defaults = {
        "owner": owner,
        "dataset": dataset,
        "dataset_name": dataset.name,
        "tier": Validation.Tier.COMPREHENSIVE,
        "target_column": "label",
        "status": Validation.Status.SUCCEEDED,
        "stage": "done",
        "progress": 100,
        "credits_charged": 50,
        "quality_score": 82,
        "collapse_score": 0.12,
        "collapse_level": "low",
        "prediction": prediction,
        "report": report,
        "started_at": timezone.now(),
        "finished_at": timezone.now(),
    }
    return Validation.objects.create(**{**defaults, **fields})
