"""django-q2 tasks: thin wrappers that call one job or service function."""

from warranties import jobs, services


def claim_measure_task(claim_id: str) -> None:
    jobs.claim_measure(claim_id=claim_id)


def warranties_expire_task() -> int:
    return services.warranties_expire()


def claims_sweep_task() -> int:
    return jobs.claims_sweep()
