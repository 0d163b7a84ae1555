"""The warranties' recurring jobs, as django-q2 Schedule rows (created on `migrate`, idempotently)."""

from django.db import migrations

SCHEDULES = [
    # (name, func, schedule type, minutes)
    ("warranties: expire approved warranties past expires_at", "warranties.tasks.warranties_expire_task", "I", 15),
    ("warranties: fail claims whose measuring worker died", "warranties.tasks.claims_sweep_task", "I", 30),
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
        ("warranties", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedules, delete_schedules)]
