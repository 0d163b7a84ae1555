"""A validation as the API, outbound webhooks and the CLI see it: plain dicts from summary columns.

The list endpoint is a hot path, so rows come from `.values(*SUMMARY_COLUMNS)` with no model
instance and no serializer per row; `validations.api.ValidationOutput` documents the shape.
"""

from synthos.timestamps import api_datetime
from validations.models import Validation

# The columns a summary is made of (database names), for `.values()` in the list.
SUMMARY_COLUMNS = (
    "id",
    "dataset_id",
    "dataset_name",
    "reference_dataset_id",
    "tier",
    "target_column",
    "text_column",
    "status",
    "progress",
    "stage",
    "error",
    "credits_charged",
    "credits_refunded",
    "quality_score",
    "collapse_score",
    "collapse_level",
    "prediction",
    "gate",
    "created_at",
    "started_at",
    "finished_at",
    "canceled_at",
)


def summary_from_row(row: dict) -> dict:
    """A validation as the API shows it, from its summary columns (plain dicts: the list is a hot
    path, so no model instance and no serializer per row; ValidationOutput documents the shape)."""
    score, level = row.pop("collapse_score"), row.pop("collapse_level")
    return {
        **row,
        "target_column": row["target_column"] or None,
        "text_column": row["text_column"] or None,
        "error": row["error"] or None,
        "collapse_risk": {"score": score, "level": level} if score is not None else None,
        "created_at": api_datetime(row["created_at"]),
        "started_at": api_datetime(row["started_at"]),
        "finished_at": api_datetime(row["finished_at"]),
        "canceled_at": api_datetime(row["canceled_at"]),
    }


def validation_summary(validation: Validation) -> dict:
    return summary_from_row({column: getattr(validation, column) for column in SUMMARY_COLUMNS})


def validation_detail(validation: Validation) -> dict:
    report = validation.report if validation.status == Validation.Status.SUCCEEDED else None
    return {**validation_summary(validation), "report": report}
