"""The datasets' recurring jobs, as django-q2 Schedule rows (created on `migrate`, so `make run` has them)."""

from django.db import migrations

SCHEDULES = [
    # (name, func, schedule type, minutes)
    ("datasets: delete uploads abandoned for a day", "datasets.tasks.dataset_cleanup_stale_uploads_task", "I", 60),
    ("datasets: retention (DATASET_RETENTION_DAYS)", "datasets.tasks.dataset_retention_task", "D", None),
]


def create_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, schedule_type, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": schedule_type, "minutes": minutes, "repeats": -1}
        )


def delete_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(name__in=[name for name, *_ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("datasets", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedules, delete_schedules)]
