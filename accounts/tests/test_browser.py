"""End to end in Debian's chromium: sign up, verify with the emailed code, create an API key, see credits."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_customer_signs_up_verifies_creates_a_key_and_sees_the_welcome_credits(live_server, page, mailoutbox):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("input[name=full_name]", "Ada Lovelace")
    page.fill("input[name=email]", "ada@example.com")
    page.fill("input[name=password]", "a-sound-passphrase-9")
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(re.compile(r"/accounts/verify/$"))
    expect(page.locator("input[name=email]")).to_have_value("ada@example.com")
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    page.fill("input[name=code]", code)
    page.get_by_role("button", name="Verify email").click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_test_id("balance")).to_have_text("100")
    expect(page.get_by_test_id("nav-balance")).to_have_text("100")

    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("link", name="API keys", exact=True).click()
    page.fill("input[name=name]", "CI pipeline")
    page.get_by_role("button", name="Create key").click()

    full_key = page.locator("#new-api-key")
    expect(full_key).to_have_text(re.compile(r"^sk_live_[\w-]{40,}$"))
    raw_key = full_key.inner_text()
    page.reload()
    expect(page.get_by_role("cell", name="CI pipeline")).to_be_visible()
    expect(page.locator("#new-api-key")).to_have_count(0)
    assert raw_key not in page.content()

    page.get_by_role("link", name="Credits", exact=True).click()
    expect(page.get_by_test_id("credits-balance")).to_have_text("100")
    expect(page.get_by_text("Welcome credits")).to_be_visible()
