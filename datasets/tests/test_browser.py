"""End to end in Debian's chromium: log in, upload a CSV straight to the signed URL, watch it turn ready."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_uploads_a_csv_and_sees_its_columns(live_server, page, owner, password):
    rows = "".join(f"{i},sample text {i},{i % 7 / 10}\n" for i in range(20_000))
    content = ("id,text,score\n" + rows).encode()

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=email]", owner.email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Datasets", exact=True).click()
    page.get_by_role("link", name="Upload a dataset").click()

    page.set_input_files("#upload-file", files=[{"name": "reviews.csv", "mimeType": "text/csv", "buffer": content}])
    expect(page.locator("input[name=name]")).to_have_value("reviews")
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_test_id("upload-percent")).to_contain_text("100%")
    expect(page.get_by_test_id("upload-progress")).to_have_js_property("value", 100)
    expect(page).to_have_url(re.compile(r"/datasets/ds_\w+/$"))
    expect(page.get_by_test_id("dataset-status")).to_have_text("Ready")
    expect(page.get_by_test_id("dataset-rows")).to_have_text("20000")
    columns = page.get_by_test_id("columns-table")
    for name in ("id", "text", "score"):
        expect(columns.get_by_role("cell", name=name, exact=True)).to_be_visible()
    expect(page.get_by_test_id("preview-table").get_by_role("cell", name="sample text 0", exact=True)).to_be_visible()
