"""Dashboard pages: the request panel on a validation, the request page, the list and the detail."""

import pytest

from validations.tests.helpers import balance
from warranties.models import Claim, Warranty
from warranties.tests.factories import eligible_validation

pytestmark = pytest.mark.django_db


def test_pages_need_a_login(client, approved):
    for url in ("/warranties/", f"/warranties/{approved.pk}/", f"/warranties/request/{approved.validation_id}/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_eligible_validation_page_offers_a_warranty_with_its_price(browser_client, validation):
    page = browser_client.get(f"/validations/{validation.pk}/").content.decode()
    assert 'data-testid="request-warranty"' in page and "100 credits" in page and "accuracy ≥ 0.790" in page


def test_an_ineligible_validation_page_offers_none(owner, browser_client):
    standard = eligible_validation(owner, tier="standard", prediction=None)
    assert 'data-testid="warranty-panel"' not in browser_client.get(f"/validations/{standard.pk}/").content.decode()


def test_a_warranted_validation_links_to_its_warranty(browser_client, pending):
    page = browser_client.get(f"/validations/{pending.validation_id}/").content.decode()
    assert 'data-testid="request-warranty"' not in page and f"/warranties/{pending.pk}/" in page


def test_the_request_page_shows_price_and_terms_before_charging(owner, browser_client, validation):
    page = browser_client.get(f"/warranties/request/{validation.pk}/").content.decode()
    assert "Proposed terms" in page and "0.790" in page and 'data-testid="coverage-credits"' in page
    assert "Confirm and pay 100 credits" in page
    assert Warranty.objects.count() == 0 and balance(owner) == 100


def test_confirming_requests_the_warranty(owner, browser_client, validation):
    response = browser_client.post(f"/warranties/request/{validation.pk}/confirm/", follow=True)
    warranty = Warranty.objects.get()
    assert response.redirect_chain[-1][0] == f"/warranties/{warranty.pk}/"
    page = response.content.decode()
    assert "100 credits charged" in page and "Pending review" in page and balance(owner) == 0


def test_confirming_without_credits_says_so(owner, browser_client, validation):
    from billing.services import credits_charge

    credits_charge(user=owner, amount=100, kind="adjustment", reference="spent")
    response = browser_client.post(f"/warranties/request/{validation.pk}/confirm/", follow=True)
    assert "Not enough credits" in response.content.decode() and Warranty.objects.count() == 0


def test_an_outsider_gets_404_on_every_page(outsider, client, approved):
    client.force_login(outsider)
    assert client.get(f"/warranties/{approved.pk}/").status_code == 404
    assert client.get(f"/warranties/request/{approved.validation_id}/").status_code == 404
    assert client.post(f"/warranties/request/{approved.validation_id}/confirm/").status_code == 404
    assert "war_" not in client.get("/warranties/").content.decode()


def test_the_list_shows_my_warranties(browser_client, approved):
    page = browser_client.get("/warranties/").content.decode()
    assert approved.pk in page and "Approved" in page and 'data-testid="warranty-row"' in page


def test_the_detail_shows_terms_timeline_and_files_a_claim(browser_client, approved, holdout, queued):
    page = browser_client.get(f"/warranties/{approved.pk}/").content.decode()
    assert 'data-testid="warranty-terms"' in page and "Pending review" in page and "Approved" in page
    assert holdout.name in page and approved.validation.dataset_id not in page.split('data-testid="claim-form"')[1]
    response = browser_client.post(
        f"/warranties/{approved.pk}/", {"holdout_dataset_id": holdout.pk, "evidence": "Dropped to 0.7"}, follow=True
    )
    claim = Claim.objects.get()
    assert claim.evidence == "Dropped to 0.7" and f"Claim {claim.pk} filed" in response.content.decode()
    assert "A claim is open" in response.content.decode()


def test_a_rejected_warranty_shows_the_reason(browser_client, pending, staff):
    from warranties import services

    services.warranty_reject(warranty=pending, staff_user=staff, reason="Too few rows.")
    page = browser_client.get(f"/warranties/{pending.pk}/").content.decode()
    assert "Declined: Too few rows." in page and 'data-testid="claim-form"' not in page
