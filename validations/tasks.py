"""django-q2 tasks: thin wrappers that call one job function."""

from validations import jobs


def validation_run_task(validation_id: str) -> None:
    jobs.validation_run(validation_id=validation_id)


def validation_sweep_task() -> int:
    return jobs.validation_sweep()
