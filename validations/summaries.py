"""A validation as the API, outbound webhooks and the CLI see it: plain dicts from summary columns.

The list endpoint is a hot path, so rows come from `.values(*SUMMARY_COLUMNS)` with no model
instance and no serializer per row; `validations.api.ValidationOutput` documents the shape. On
PostgreSQL the list goes one step further: the database keeps each summary as JSON text
(`SUMMARY_JSON_SQL`, the same shape as `summary_from_row`, kept equal by a test), written by a
trigger whenever the row changes, and the renderer splices it in, so no timestamp, JSON column or
row is turned into Python objects and back.
"""

import datetime

import orjson
from django.db import connection
from django.db.models import QuerySet

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


def _sql_timestamp(column: str, zone: str = "Z") -> str:
    # synthos.timestamps.API_DATETIME_FORMAT, written by PostgreSQL.
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"{zone}"')"""


def _summary_json_sql(row: str) -> str:
    def column(name: str) -> str:
        return f'{row}."{name}"'

    fields = {
        "id": column("id"),
        "dataset_id": column("dataset_id"),
        "dataset_name": column("dataset_name"),
        "reference_dataset_id": column("reference_dataset_id"),
        "tier": column("tier"),
        "target_column": f"NULLIF({column('target_column')}, '')",
        "text_column": f"NULLIF({column('text_column')}, '')",
        "status": column("status"),
        "progress": column("progress"),
        "stage": column("stage"),
        "error": f"NULLIF({column('error')}, '')",
        "credits_charged": column("credits_charged"),
        "credits_refunded": column("credits_refunded"),
        "quality_score": column("quality_score"),
        "collapse_risk": f"CASE WHEN {column('collapse_score')} IS NULL THEN NULL ELSE json_build_object("
        f"'score', {column('collapse_score')}, 'level', {column('collapse_level')}) END",
        "prediction": column("prediction"),
        "gate": column("gate"),
        "created_at": _sql_timestamp(column("created_at")),
        "started_at": _sql_timestamp(column("started_at")),
        "finished_at": _sql_timestamp(column("finished_at")),
        "canceled_at": _sql_timestamp(column("canceled_at")),
    }
    return "json_build_object(" + ", ".join(f"'{key}', {sql}" for key, sql in fields.items()) + ")::text"


# A validation's summary as JSON text, written by PostgreSQL.
SUMMARY_JSON_SQL = _summary_json_sql(f'"{Validation._meta.db_table}"')
# Its created_at as ISO-8601 text, the cursor position synthos.api.pagination reads.
CURSOR_POSITION_SQL = _sql_timestamp(f'"{Validation._meta.db_table}"."created_at"', zone="+00:00")


# On PostgreSQL each row keeps its summary as JSON text in a column the ORM does not know,
# `summary_json`, written by a trigger on every INSERT and UPDATE (whatever makes it: save(),
# update(), a dataset's ON DELETE SET NULL), so the hot list reads text instead of building 50
# JSON objects per request. The trigger's function is made from _summary_json_sql; a change to the
# summary's shape needs a new migration with the new summary_trigger_statements() (a test compares
# the stored text with SUMMARY_JSON_SQL on every row, so a forgotten migration fails CI).
SUMMARY_JSON_COLUMN = "summary_json"


def summary_trigger_statements() -> list[str]:
    """SQL that adds (if missing) the summary column, (re)creates its trigger and rewrites every
    row's summary. A migration keeps a frozen copy of this output (0004_summary_json)."""
    table = Validation._meta.db_table
    return [
        f'ALTER TABLE "{table}" ADD COLUMN IF NOT EXISTS "{SUMMARY_JSON_COLUMN}" text',
        f'CREATE OR REPLACE FUNCTION "{table}_summary_json"() RETURNS trigger AS $$ BEGIN '
        f'NEW."{SUMMARY_JSON_COLUMN}" := {_summary_json_sql("NEW")}; RETURN NEW; END $$ LANGUAGE plpgsql',
        f'DROP TRIGGER IF EXISTS "{table}_summary_json" ON "{table}"',
        f'CREATE TRIGGER "{table}_summary_json" BEFORE INSERT OR UPDATE ON "{table}" '
        f'FOR EACH ROW EXECUTE FUNCTION "{table}_summary_json"()',
        f'UPDATE "{table}" SET "{SUMMARY_JSON_COLUMN}" = NULL',
    ]


def summary_values(validations: QuerySet[Validation]) -> QuerySet:
    """These validations as `.values()` rows for `summary_from_values` and the cursor paginator
    (the summary columns, with `created_at`, the position): the list off PostgreSQL."""
    return validations.values(*SUMMARY_COLUMNS)


class SummaryRows:
    """A user's validation summaries on PostgreSQL, as synthos.api.pagination pages a queryset:
    `order_by` the cursor ordering, `beyond` the cursor's (created_at, id), slice, iterate.

    The list is the API's hottest read, and building and compiling its queryset cost more CPU than
    running it; here the SQL is written once and only the values change. Rows are
    `{"summary_json", "cursor_position", "cursor_id"}`: the summary as JSON text (kept by the
    trigger above), its created_at as text and its id. Anything else a paginator might ask of a
    queryset raises, so a change there shows up in the tests, not as a wrong page.
    """

    _ORDER = {("-created_at", "-pk"): "DESC", ("created_at", "pk"): "ASC"}

    def __init__(self, *, owner_id: str, dataset_id=None, status=None, tier=None):
        self._where = {"owner_id": owner_id, "dataset_id": dataset_id, "status": status, "tier": tier}
        self._direction, self._beyond, self._stop = "DESC", None, None

    def _copy(self, **changes) -> "SummaryRows":
        rows = object.__new__(SummaryRows)
        rows.__dict__.update(self.__dict__, **changes)
        return rows

    def order_by(self, *ordering: str) -> "SummaryRows":
        return self._copy(_direction=self._ORDER[ordering])

    def beyond(self, moment: datetime.datetime, pk: str | None, *, newer: bool) -> "SummaryRows":
        """Rows after (created_at, id) in the list's order: older ones, or with `newer` newer ones."""
        return self._copy(_beyond=(">" if newer else "<", moment, pk))

    def __getitem__(self, window: slice) -> "SummaryRows":
        if window.start or window.step is not None or window.stop is None:
            raise NotImplementedError("SummaryRows takes [:stop] slices")
        return self._copy(_stop=window.stop)

    def __iter__(self):
        table = Validation._meta.db_table
        conditions, params = [], []
        for column, value in self._where.items():
            if value is not None:
                conditions.append(f'"{column}" = %s')
                params.append(value)
        if self._beyond:
            operator, moment, pk = self._beyond
            if pk is None:  # an older cursor: a time alone
                conditions.append(f'"created_at" {operator} %s')
                params.append(moment)
            else:
                conditions.append(f'("created_at", "id") {operator} (%s, %s)')
                params += [moment, pk]
        sql = (
            f'SELECT "{SUMMARY_JSON_COLUMN}", {CURSOR_POSITION_SQL}, "id" FROM "{table}" '
            f"WHERE {' AND '.join(conditions)} "
            f'ORDER BY "created_at" {self._direction}, "id" {self._direction} LIMIT %s'
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, self._stop])
            rows = cursor.fetchall()
        return iter([{"summary_json": text, "cursor_position": at, "cursor_id": pk} for text, at, pk in rows])


def summary_from_values(row: dict) -> dict | orjson.Fragment:
    """A `summary_values` row as the API shows it: the database's JSON as an orjson Fragment
    (synthos.api.renderers writes it as is), or the dict of `summary_from_row`."""
    if "summary_json" in row:
        return orjson.Fragment(row["summary_json"])
    return summary_from_row(row)
