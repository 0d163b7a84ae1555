"""PostgreSQL only: each validation keeps its API summary as JSON text in `summary_json`, a column
the ORM does not know, written by a trigger on every INSERT and UPDATE (validations.summaries), for
the list endpoint to read as is. The SQL is validations.summaries.summary_trigger_statements() as it
was when this migration was written (frozen: migrations must not change with the code)."""

from django.db import migrations

TABLE = "validations_validation"

INSTALL = [
    'ALTER TABLE "validations_validation" ADD COLUMN IF NOT EXISTS "summary_json" text',
    'CREATE OR REPLACE FUNCTION "validations_validation_summary_json"() RETURNS trigger AS $$ BEGIN NEW."summary_json" := json_build_object(\'id\', NEW."id", \'dataset_id\', NEW."dataset_id", \'dataset_name\', NEW."dataset_name", \'reference_dataset_id\', NEW."reference_dataset_id", \'tier\', NEW."tier", \'target_column\', NULLIF(NEW."target_column", \'\'), \'text_column\', NULLIF(NEW."text_column", \'\'), \'status\', NEW."status", \'progress\', NEW."progress", \'stage\', NEW."stage", \'error\', NULLIF(NEW."error", \'\'), \'credits_charged\', NEW."credits_charged", \'credits_refunded\', NEW."credits_refunded", \'quality_score\', NEW."quality_score", \'collapse_risk\', CASE WHEN NEW."collapse_score" IS NULL THEN NULL ELSE json_build_object(\'score\', NEW."collapse_score", \'level\', NEW."collapse_level") END, \'prediction\', NEW."prediction", \'gate\', NEW."gate", \'created_at\', to_char(NEW."created_at" AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\'), \'started_at\', to_char(NEW."started_at" AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\'), \'finished_at\', to_char(NEW."finished_at" AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\'), \'canceled_at\', to_char(NEW."canceled_at" AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\'))::text; RETURN NEW; END $$ LANGUAGE plpgsql',
    'DROP TRIGGER IF EXISTS "validations_validation_summary_json" ON "validations_validation"',
    'CREATE TRIGGER "validations_validation_summary_json" BEFORE INSERT OR UPDATE ON "validations_validation" FOR EACH ROW EXECUTE FUNCTION "validations_validation_summary_json"()',
    'UPDATE "validations_validation" SET "summary_json" = NULL',
]

REMOVE = [
    f'DROP TRIGGER IF EXISTS "{TABLE}_summary_json" ON "{TABLE}"',
    f'DROP FUNCTION IF EXISTS "{TABLE}_summary_json"()',
    f'ALTER TABLE "{TABLE}" DROP COLUMN IF EXISTS "summary_json"',
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("validations", "0003_gate")]

    operations = [migrations.RunPython(_run(INSTALL), _run(REMOVE))]
