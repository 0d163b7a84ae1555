"""End to end in Debian's chromium: a customer requests a warranty from an eligible validation page
and opens a ticket about it; a staff user logs into the admin, approves the warranty and answers the
ticket; the customer sees both."""

import pytest
from playwright.sync_api import expect

from warranties.tests.factories import eligible_validation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, url, email, password, *, field="email", button="Log in"):
    page.goto(url)
    page.fill(f"input[name={field}]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name=button).click()


def test_a_warranty_is_requested_approved_in_the_admin_and_seen_approved(
    live_server, page, browser, owner, staff, password
):
    validation = eligible_validation(owner)

    log_in(page, f"{live_server.url}/accounts/login/", owner.email, password)
    expect(page.get_by_test_id("nav-balance")).to_have_text("100")
    page.goto(f"{live_server.url}/validations/{validation.pk}/")
    expect(page.get_by_test_id("warranty-panel")).to_contain_text("100 credits")
    page.get_by_test_id("request-warranty").click()
    expect(page.get_by_test_id("warranty-terms")).to_contain_text("0.790")
    expect(page.get_by_test_id("warranty-price")).to_have_text("100 credits")
    page.get_by_test_id("confirm-warranty").click()
    expect(page.get_by_test_id("warranty-status")).to_have_text("Pending review")
    expect(page.get_by_test_id("nav-balance")).to_have_text("0")
    warranty_url = page.url

    page.goto(f"{live_server.url}/help/new/?validation={validation.pk}")
    page.fill("input[name=subject]", "Warranty question")
    page.fill("textarea[name=body]", "How long does the review take?")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.get_by_test_id("ticket-message")).to_have_count(1)
    ticket_url = page.url

    staff_context = browser.new_context()
    admin = staff_context.new_page()
    log_in(admin, f"{live_server.url}/admin/login/", staff.email, password, field="username", button="Log in")
    admin.locator("#warranties-warranty").get_by_role("link", name="Warranties").click()
    admin.get_by_role("link", name=warranty_url.rstrip("/").rsplit("/", 1)[-1]).click()
    expect(admin.locator("#warranty-review")).to_contain_text("0.790 – 0.880")
    admin.fill("#id_coverage_credits", "600")
    admin.get_by_role("button", name="Approve warranty and email the customer").click()
    expect(admin.locator(".messagelist")).to_contain_text("Warranty approved")

    admin.goto(f"{live_server.url}/admin/support/ticket/")
    admin.get_by_role("link", name="Warranty question").click()
    admin.fill("#staff-reply-form textarea[name=body]", "Usually within a day. Yours is approved.")
    admin.get_by_role("button", name="Send reply and email the customer").click()
    expect(admin.locator(".messagelist")).to_contain_text("Reply sent")
    staff_context.close()

    page.goto(warranty_url)
    expect(page.get_by_test_id("warranty-status")).to_have_text("Approved")
    expect(page.get_by_test_id("coverage-credits")).to_have_text("600")
    expect(page.get_by_test_id("claim-form").or_(page.get_by_text("Upload fresh labelled rows"))).to_be_visible()
    page.goto(ticket_url)
    expect(page.get_by_test_id("ticket-message")).to_have_count(2)
    expect(page.get_by_test_id("ticket-message").nth(1)).to_contain_text("Yours is approved.")
