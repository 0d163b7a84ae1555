"""End to end in Debian's chromium: run a standard validation from the dataset page, watch its
progress bar move, read the report and see the balance drop by 25."""

import re
import threading

import pytest
from django.db import connection
from playwright.sync_api import expect

from validations import jobs
from validations.tests.helpers import ready_dataset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def background_worker(monkeypatch):
    """Run each queued validation in a thread, as a worker would, slowed at every stage boundary
    (the test-only SYNTHOS_TEST_VALIDATION_STAGE_SLEEP) so the page has a run to watch."""
    monkeypatch.setenv(jobs.TEST_STAGE_SLEEP_ENV, "0.4")
    threads: list[threading.Thread] = []

    def run(validation_id: str) -> None:
        try:
            jobs.validation_run(validation_id=validation_id)
        finally:
            connection.close()

    def enqueue(func, validation_id, **options):
        thread = threading.Thread(target=run, args=(validation_id,), daemon=True)
        threads.append(thread)
        thread.start()

    monkeypatch.setattr("validations.services.async_task", enqueue)
    yield
    for thread in threads:
        thread.join(timeout=60)


def test_a_customer_runs_a_standard_validation_and_reads_the_report(
    live_server, page, owner, password, background_worker
):
    dataset = ready_dataset(owner, name="Support tickets")

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=email]", owner.email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("nav-balance")).to_have_text("100")
    page.goto(f"{live_server.url}/datasets/{dataset.pk}/")

    form = page.get_by_test_id("run-validation")
    expect(form).to_contain_text("25 credits")
    expect(page.get_by_test_id("run-balance")).to_have_text("100")
    page.get_by_test_id("tier-card-standard").click()
    expect(page.get_by_test_id("tier-standard")).to_be_checked()
    page.select_option("#id_target_column", "label")
    page.get_by_test_id("run-validation-submit").click()

    expect(page).to_have_url(re.compile(r"/validations/val_\w+/$"))
    expect(page.get_by_test_id("nav-balance")).to_have_text("75")
    bar = page.get_by_test_id("validation-progress")
    seen = set()
    for _ in range(60):
        if page.get_by_test_id("validation-report").count():
            break
        if bar.count():
            seen.add(int(bar.get_attribute("aria-valuenow") or 0))
        page.wait_for_timeout(250)
    assert any(0 < value < 100 for value in seen), f"the bar never moved: {sorted(seen)}"

    report = page.get_by_test_id("validation-report")
    expect(report).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("validation-status")).to_have_text("Succeeded")
    expect(page.get_by_test_id("validation-progress")).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_test_id("quality-score")).to_be_visible()
    expect(page.get_by_test_id("collapse-risk")).to_be_visible()
    expect(page.get_by_test_id("issues").locator("li").first).to_be_visible()
    expect(page.get_by_test_id("report-columns").get_by_role("cell", name="label")).to_be_visible()
    expect(page.get_by_test_id("collapse-chart")).to_be_visible()
    expect(page.get_by_test_id("nav-balance")).to_have_text("75")
    expect(page.get_by_role("link", name="Download JSON")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Validations").click()
    expect(page.get_by_test_id("validations-table")).to_contain_text("Support tickets")
    expect(page.get_by_test_id("validations-table").get_by_test_id("validation-status")).to_have_text("Succeeded")
