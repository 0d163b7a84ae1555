"""The claim-measuring job: retrain the baseline on the validated file, measure it on the holdout."""

import subprocess
import sys

import pytest

from datasets.storage import LocalStorage
from validations.tests.helpers import ready_dataset
from warranties import jobs, services
from warranties.models import Claim
from warranties.tests.factories import COLUMNS, labelled_dataset

pytestmark = pytest.mark.django_db


def submit(warranty, holdout) -> Claim:
    return services.claim_submit(warranty=warranty, holdout_dataset_id=holdout.pk, evidence="")


def test_it_measures_the_baseline_on_the_holdout(approved, holdout, queued):
    claim = submit(approved, holdout)
    queued.run_all()
    claim.refresh_from_db()
    assert claim.status == "measured" and claim.attempts == 1 and claim.measured_at
    # The label follows x1 + x2 > 1 with 10% noise: a sound baseline scores well above chance.
    assert 0.6 <= claim.observed_value <= 1.0
    assert claim.measurement["metric"] == "accuracy"
    assert claim.measurement["n_train"] >= 150 and claim.measurement["n_holdout"] == 200
    assert claim.measurement["model"] and claim.measurement["protocol"]


def test_noisier_holdout_labels_measure_lower(owner, approved, queued):
    clean = submit(approved, labelled_dataset(owner, name="clean", rows=200, seed=3, flip=0.0))
    queued.run_all()
    clean.refresh_from_db()
    services.claim_reject(claim=clean, staff_user=approved.reviewed_by, reason="Meets the guarantee.")
    noisy = submit(approved, labelled_dataset(owner, name="noisy", rows=200, seed=3, flip=0.45))
    queued.run_all()
    noisy.refresh_from_db()
    assert noisy.observed_value < clean.observed_value - 0.2


def test_a_redelivered_job_changes_nothing(approved, holdout, queued):
    claim = submit(approved, holdout)
    claim_id = queued[0]
    queued.run_all()
    first = Claim.objects.get(pk=claim_id)
    jobs.claim_measure(claim_id=claim.pk)
    again = Claim.objects.get(pk=claim_id)
    assert (again.status, again.attempts, again.observed_value) == ("measured", 1, first.observed_value)


def test_a_missing_training_file_fails_with_a_plain_error(approved, holdout, queued):
    submit(approved, holdout)
    LocalStorage().path_for(approved.validation.dataset.storage_key).unlink()
    queued.run_all()
    claim = Claim.objects.get()
    assert claim.status == "failed" and "missing from storage" in claim.error
    assert claim.observed_value is None


def test_a_holdout_that_cannot_be_measured_fails_and_frees_the_warranty_for_another_claim(owner, approved, queued):
    # Its stored facts pass the submit checks (200 rows, the target column); the file itself has
    # no target, so only the measuring job finds out.
    broken = ready_dataset(owner, b"x1,x2,other\n0.1,0.2,a\n", row_count=200, columns=COLUMNS, name="broken")
    submit(approved, broken)
    queued.run_all()
    claim = Claim.objects.get()
    assert claim.status == "failed" and claim.error
    assert "Traceback" not in claim.error
    assert submit(approved, labelled_dataset(owner, rows=200, seed=5)).status == "submitted"


def test_web_code_does_not_load_the_engine():
    code = (
        "import django, sys; django.setup();"
        "import warranties.api, warranties.views, warranties.admin, warranties.services, synthos.urls;"
        "loaded = [m for m in sys.modules if m.startswith('validations.engine.prediction')];"
        "assert not loaded, loaded"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "synthos.settings.test", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr


def regression_csv(rows: int, seed: int) -> bytes:
    import random

    rng = random.Random(seed)
    lines = ["x1,x2,y"]
    for _ in range(rows):
        x1, x2 = rng.random(), rng.random()
        lines.append(f"{x1:.4f},{x2:.4f},{3 * x1 - x2 + rng.gauss(0, 0.1):.4f}")
    return ("\n".join(lines) + "\n").encode()


def test_a_regression_warranty_is_measured_in_r2(owner, staff, queued):
    from warranties.tests.factories import eligible_validation

    columns = [{"name": name, "dtype": "float", "null_fraction": 0.0, "distinct": 200} for name in ("x1", "x2", "y")]
    train = ready_dataset(owner, regression_csv(300, 1), row_count=300, columns=columns, name="prices")
    prediction = {
        "metric": "r2",
        "model": "ridge regression",
        "expected": 0.93,
        "interval": [0.9, 0.95],
        "confidence": 0.9,
        "learning_curve": [{"n": 50, "score": 0.85}, {"n": 150, "score": 0.91}],
    }
    validation = eligible_validation(owner, dataset=train, target_column="y", prediction=prediction)
    warranty = services.warranty_request(owner=owner, validation_id=validation.pk)
    assert (warranty.metric, warranty.guaranteed_value) == ("r2", 0.9)
    services.warranty_approve(warranty=warranty, staff_user=staff)
    holdout = ready_dataset(owner, regression_csv(200, 2), row_count=200, columns=columns, name="fresh prices")
    submit(warranty, holdout)
    queued.run_all()
    claim = Claim.objects.get()
    assert claim.status == "measured" and claim.measurement["metric"] == "r2" and claim.observed_value > 0.8
