import pytest

from support import services
from support.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_browser(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def outsider_browser(client, outsider):
    client.force_login(outsider)
    return client


def test_the_help_page_lists_my_tickets_with_their_status(owner_browser, owner, outsider, make_ticket, staff):
    answered = make_ticket(owner=owner, subject="Answered one")
    services.ticket_reply_by_staff(ticket=answered, staff_user=staff, body="Here you go")
    make_ticket(owner=owner, subject="Waiting one")
    make_ticket(owner=outsider, subject="Someone else's")
    page = owner_browser.get("/help/").content.decode()
    assert "Answered one" in page and "Waiting one" in page and "Someone else" not in page
    assert "badge--ticket-awaiting_customer" in page and "badge--ticket-open" in page
    assert f"/help/tickets/{answered.id}/" in page


def test_the_new_ticket_page_is_prefilled_from_a_dataset_or_validation(owner_browser):
    page = owner_browser.get("/help/new/", {"dataset": "ds_abc123", "validation": "val_xyz789"}).content.decode()
    assert 'value="ds_abc123"' in page and 'value="val_xyz789"' in page


def test_opening_a_ticket_from_the_dashboard_goes_to_its_thread(owner_browser, owner):
    response = owner_browser.post(
        "/help/new/", {"subject": "Slow scan", "priority": "high", "body": "It takes an hour.", "dataset_id": ""}
    )
    ticket = Ticket.objects.get(owner=owner)
    assert response.status_code == 302 and response["Location"] == f"/help/tickets/{ticket.id}/"
    assert (
        ticket.subject == "Slow scan"
        and ticket.priority == "high"
        and ticket.messages.get().body == "It takes an hour."
    )


def test_a_missing_subject_is_shown_on_the_form(owner_browser):
    response = owner_browser.post("/help/new/", {"subject": "", "priority": "normal", "body": "x"})
    assert response.status_code == 200 and "field--invalid" in response.content.decode()
    assert not Ticket.objects.exists()


def test_another_accounts_dataset_is_refused_on_its_field(owner_browser, outsider, make_dataset):
    dataset = make_dataset(owner=outsider)
    response = owner_browser.post(
        "/help/new/", {"subject": "Hm", "priority": "normal", "body": "x", "dataset_id": dataset.id}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Dataset not found." in page
    assert not Ticket.objects.exists()


def test_the_thread_shows_every_message_and_a_reply_box(owner_browser, ticket, staff):
    services.ticket_reply_by_staff(ticket=ticket, staff_user=staff, body="Which stage exactly?")
    page = owner_browser.get(f"/help/tickets/{ticket.id}/").content.decode()
    assert page.index("It stopped at stage 3.") < page.index("Which stage exactly?")
    assert "Synthos support" in page and 'data-testid="reply-form"' in page
    assert staff.email not in page


def test_replying_from_the_dashboard_adds_my_message(owner_browser, ticket):
    response = owner_browser.post(f"/help/tickets/{ticket.id}/", {"body": "Stage 3 of 5"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.AWAITING_STAFF and ticket.messages.count() == 2


def test_closing_from_the_dashboard_hides_the_reply_box(owner_browser, ticket):
    response = owner_browser.post(f"/help/tickets/{ticket.id}/close/", follow=True)
    page = response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    assert "Ticket closed." in page and 'data-testid="reply-form"' not in page


def test_closing_a_closed_ticket_says_why(owner_browser, ticket):
    services.ticket_close(ticket=ticket)
    page = owner_browser.post(f"/help/tickets/{ticket.id}/close/", follow=True).content.decode()
    assert "This ticket is closed." in page


def test_a_blank_reply_is_shown_on_the_form(owner_browser, ticket):
    response = owner_browser.post(f"/help/tickets/{ticket.id}/", {"body": ""})
    assert response.status_code == 200 and "field--invalid" in response.content.decode()
    assert ticket.messages.count() == 1


def test_a_reply_to_a_closed_ticket_is_refused(owner_browser, ticket):
    services.ticket_close(ticket=ticket)
    response = owner_browser.post(f"/help/tickets/{ticket.id}/", {"body": "Wait"}, follow=True)
    assert response.redirect_chain == [(f"/help/tickets/{ticket.id}/", 302)]
    assert "This ticket is closed." in response.content.decode()
    assert ticket.messages.count() == 1


@pytest.mark.parametrize(
    ("method", "suffix", "data"),
    [("get", "", None), ("post", "", {"body": "hi"}), ("post", "close/", None)],
)
def test_another_accounts_thread_is_404(outsider_browser, ticket, method, suffix, data):
    response = getattr(outsider_browser, method)(f"/help/tickets/{ticket.id}/{suffix}", data)
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and ticket.messages.count() == 1


@pytest.mark.parametrize("path", ["/help/", "/help/new/", "/help/tickets/tkt_any/"])
def test_anonymous_visitors_are_sent_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
