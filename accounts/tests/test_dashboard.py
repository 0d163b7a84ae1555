"""The server-rendered dashboard: sign up, verify, log in/out, password reset, overview, settings, credits."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from accounts import services
from accounts.models import ApiKey, User
from billing.models import CreditPackage, CreditTransaction, TransactionKind
from billing.services import credits_grant

NEW_PASSWORD = "another-long-passphrase-42"


@pytest.fixture
def signed_up(client, django_capture_on_commit_callbacks, mailoutbox):
    """Sign up through the page; returns the emailed code."""

    def sign_up(email: str = "new@example.com") -> str:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("accounts:signup"),
                {"full_name": "Ada Lovelace", "email": email, "password": "a-sound-passphrase-9"},
            )
        assert response.status_code == 302
        return _code_in(mailoutbox[-1].body)

    return sign_up


def _code_in(body: str) -> str:
    return re.search(r"\b(\d{6})\b", body).group(1)


@pytest.fixture
def owner_session(client, owner):
    client.force_login(owner)
    return client


# --- Anonymous visitors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/accounts/settings/",
        "/accounts/settings/api-keys/",
        "/accounts/settings/api-keys/key_x/revoke/",
        "/credits/",
    ],
)
def test_it_sends_anonymous_visitors_to_the_login_page(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


# --- Sign up and verification -------------------------------------------------------------------


def test_it_signs_up_an_unverified_user_and_emails_a_code(client, db, signed_up, mailoutbox):
    code = signed_up("New@Example.com")

    user = User.objects.get(email="new@example.com")
    assert user.full_name == "Ada Lovelace"
    assert not user.is_email_verified
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["new@example.com"]
    assert re.fullmatch(r"\d{6}", code)
    assert client.session["verify_email"] == "new@example.com"
    assert SESSION_KEY not in client.session


def test_signup_redirects_to_the_verify_page_with_the_email_filled_in(client, db, signed_up):
    signed_up()

    response = client.get(reverse("accounts:verify"))

    assert response.status_code == 200
    assert 'value="new@example.com"' in response.text
    assert "We emailed a 6-digit code to new@example.com" in response.text


def test_it_rejects_a_weak_password_inline(client, db):
    response = client.post(reverse("accounts:signup"), {"email": "new@example.com", "password": "12345"})

    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert "field__error" in response.text
    assert not User.objects.filter(email="new@example.com").exists()


def test_it_rejects_a_duplicate_email_inline(client, owner, mailoutbox):
    response = client.post(
        reverse("accounts:signup"), {"email": "OWNER@example.com", "password": "a-sound-passphrase-9"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == ["An account with this email already exists."]
    assert User.objects.filter(email__iexact="owner@example.com").count() == 1
    assert mailoutbox == []


def test_it_verifies_the_code_logs_in_and_grants_the_welcome_credits(client, db, signed_up):
    code = signed_up()

    response = client.post(reverse("accounts:verify"), {"email": "new@example.com", "code": code})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:overview")
    user = User.objects.get(email="new@example.com")
    assert user.is_email_verified
    assert client.session[SESSION_KEY] == user.pk
    welcome = CreditTransaction.objects.get(account__user=user)
    assert (welcome.kind, welcome.amount, welcome.reference) == (TransactionKind.GRANT, 100, "welcome")
    overview = client.get(response["Location"])
    assert overview.context["account"].balance == 100
    assert "Welcome credits" in overview.text


def test_it_rejects_a_wrong_code(client, db, signed_up):
    code = signed_up()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    response = client.post(reverse("accounts:verify"), {"email": "new@example.com", "code": wrong})

    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["The code is incorrect. 4 tries left."]
    assert not User.objects.get(email="new@example.com").is_email_verified
    assert SESSION_KEY not in client.session


def test_it_rejects_a_code_that_is_not_six_digits(client, db, signed_up):
    signed_up()

    response = client.post(reverse("accounts:verify"), {"email": "new@example.com", "code": "12ab"})

    assert response.context["form"].errors["code"] == ["Enter the 6-digit code from the email."]


def test_it_resends_a_fresh_code_that_works(client, db, signed_up, mailoutbox, django_capture_on_commit_callbacks):
    signed_up()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:verify_resend"), {"email": "new@example.com", "code": ""})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:verify")
    assert len(mailoutbox) == 2
    fresh = _code_in(mailoutbox[-1].body)
    verified = client.post(reverse("accounts:verify"), {"email": "new@example.com", "code": fresh})
    assert verified["Location"] == reverse("accounts:overview")


def test_it_says_when_too_many_codes_were_requested(client, db, signed_up, settings):
    signed_up()
    for _ in range(settings.OTP_RESENDS_PER_HOUR):
        client.post(reverse("accounts:verify_resend"), {"email": "new@example.com"})

    response = client.post(reverse("accounts:verify_resend"), {"email": "new@example.com"}, follow=True)

    assert "Too many verification emails" in response.text


def test_it_tells_an_already_verified_user_to_log_in(client, owner):
    response = client.post(reverse("accounts:verify"), {"email": owner.email, "code": "123456"})

    assert response.context["form"].non_field_errors() == ["This email is already verified. Log in instead."]


# --- Log in and out -----------------------------------------------------------------------------


def test_it_logs_in_a_verified_user(client, owner, password):
    response = client.post(reverse("accounts:login"), {"email": "Owner@Example.com", "password": password})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:overview")
    assert client.session[SESSION_KEY] == owner.pk


def test_it_returns_to_the_page_asked_for_after_login(client, owner, password):
    response = client.post(
        reverse("accounts:login") + "?next=/credits/", {"email": owner.email, "password": password, "next": "/credits/"}
    )

    assert response["Location"] == "/credits/"


def test_it_ignores_a_next_url_on_another_site(client, owner, password):
    response = client.post(
        reverse("accounts:login"), {"email": owner.email, "password": password, "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("accounts:overview")


def test_it_rejects_a_wrong_password_inline(client, owner):
    response = client.post(reverse("accounts:login"), {"email": owner.email, "password": "not-the-password"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Invalid email or password."]
    assert SESSION_KEY not in client.session


def test_it_tells_an_unverified_user_to_verify_with_a_link(client, db, signed_up):
    signed_up("pending@example.com")
    client.session.flush()

    response = client.post(
        reverse("accounts:login"), {"email": "pending@example.com", "password": "a-sound-passphrase-9"}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Your email is not verified yet."]
    assert f'href="{reverse("accounts:verify")}"' in response.text
    assert client.session["verify_email"] == "pending@example.com"
    assert SESSION_KEY not in client.session


def test_it_locks_login_after_too_many_failures(client, owner, password, settings):
    settings.LOGIN_FAILURES_BEFORE_LOCK = 2
    for _ in range(2):
        client.post(reverse("accounts:login"), {"email": owner.email, "password": "wrong-password"})

    response = client.post(reverse("accounts:login"), {"email": owner.email, "password": password})

    assert "Too many failed logins" in response.context["form"].non_field_errors()[0]
    assert SESSION_KEY not in client.session


def test_logout_ends_the_session_on_post_only(owner_session):
    assert owner_session.get(reverse("accounts:logout")).status_code == 405

    response = owner_session.post(reverse("accounts:logout"))

    assert response["Location"] == reverse("accounts:login")
    assert SESSION_KEY not in owner_session.session
    assert owner_session.get(reverse("accounts:overview")).status_code == 302


# --- Password reset ------------------------------------------------------------------------------


def test_it_emails_a_password_reset_link_that_sets_a_new_password(client, owner, mailoutbox):
    response = client.post(reverse("accounts:password_reset"), {"email": owner.email})

    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.subject == "Reset your Synthos password"
    assert email.alternatives[0][1] == "text/html"
    link = re.search(r"https?://[^/\s]+(/accounts/password-reset/[^\s]+/)", email.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("accounts:password_reset_complete")
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)


def test_password_reset_answers_the_same_for_an_unknown_email_and_sends_nothing(client, db, mailoutbox):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})

    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mailoutbox == []


# --- Overview ------------------------------------------------------------------------------------


def test_overview_shows_balance_tier_and_the_last_ten_ledger_entries(owner_session, owner):
    for number in range(12):
        credits_grant(user=owner, amount=1, reference=f"bonus-{number}")

    response = owner_session.get(reverse("accounts:overview"))

    assert response.status_code == 200
    recent = list(response.context["recent_transactions"])
    assert [txn.reference for txn in recent] == [f"bonus-{number}" for number in range(11, 1, -1)]
    assert response.context["account"].balance == 112
    assert 'data-testid="nav-balance">112<' in response.text
    assert "Free" in response.text


# --- Settings ------------------------------------------------------------------------------------


def test_it_saves_the_profile(owner_session, owner):
    response = owner_session.post(reverse("accounts:settings"), {"full_name": "Olive Owner", "company": "Acme"})

    assert response["Location"] == reverse("accounts:settings")
    owner.refresh_from_db()
    assert (owner.full_name, owner.company) == ("Olive Owner", "Acme")


def test_it_changes_the_password_and_keeps_the_session(owner_session, owner, password):
    response = owner_session.post(
        reverse("accounts:settings_password"),
        {"current_password": password, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    )

    assert response["Location"] == reverse("accounts:settings")
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert owner_session.get(reverse("accounts:settings")).status_code == 200


def test_it_rejects_a_wrong_current_password_inline(owner_session, owner, password):
    response = owner_session.post(
        reverse("accounts:settings_password"),
        {"current_password": "not-it", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert response.context["password_form"].errors["current_password"] == ["The current password is incorrect."]
    owner.refresh_from_db()
    assert owner.check_password(password)


def test_it_rejects_a_weak_new_password_inline(owner_session, password):
    response = owner_session.post(
        reverse("accounts:settings_password"),
        {"current_password": password, "new_password": "short", "new_password_again": "short"},
    )

    assert response.context["password_form"].errors["new_password"]


def test_it_rejects_new_passwords_that_differ(owner_session, password):
    response = owner_session.post(
        reverse("accounts:settings_password"),
        {"current_password": password, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD + "x"},
    )

    assert response.context["password_form"].errors["new_password_again"] == ["The two new passwords differ."]


# --- API keys ------------------------------------------------------------------------------------


def test_it_creates_an_api_key_and_shows_the_full_key_only_once(owner_session, owner):
    response = owner_session.post(reverse("accounts:api_keys"), {"name": "CI pipeline"}, follow=True)

    assert response.redirect_chain == [(reverse("accounts:api_keys"), 302)]
    raw_key = re.search(r'id="new-api-key">(sk_live_[\w-]+)<', response.text).group(1)
    api_key = ApiKey.objects.get(user=owner)
    assert api_key.name == "CI pipeline"
    assert services.api_key_authenticate(raw_key=raw_key) == api_key
    again = owner_session.get(reverse("accounts:api_keys"))
    assert raw_key not in again.text
    assert "new_api_key" not in owner_session.session
    assert api_key.prefix in again.text
    assert "CI pipeline" in again.text


def test_it_rejects_an_api_key_without_a_name(owner_session, owner):
    response = owner_session.post(reverse("accounts:api_keys"), {"name": "   "})

    assert response.context["form"].errors["name"]
    assert not ApiKey.objects.filter(user=owner).exists()


def test_it_lists_only_the_users_own_keys(owner_session, owner, outsider):
    services.api_key_create(user=owner, name="Owner key")
    services.api_key_create(user=outsider, name="Outsider key")

    response = owner_session.get(reverse("accounts:api_keys"))

    assert "Owner key" in response.text
    assert "Outsider key" not in response.text


def test_revoking_asks_for_confirmation_first(owner_session, owner):
    api_key, _ = services.api_key_create(user=owner, name="CI pipeline")

    response = owner_session.get(reverse("accounts:api_key_revoke", args=[api_key.pk]))

    assert response.status_code == 200
    assert "Revoke “CI pipeline”?" in response.text
    api_key.refresh_from_db()
    assert api_key.is_active


def test_it_revokes_a_key(owner_session, owner):
    api_key, raw_key = services.api_key_create(user=owner, name="CI pipeline")

    response = owner_session.post(reverse("accounts:api_key_revoke", args=[api_key.pk]))

    assert response["Location"] == reverse("accounts:api_keys")
    api_key.refresh_from_db()
    assert not api_key.is_active
    assert services.api_key_authenticate(raw_key=raw_key) is None


def test_an_outsider_revoking_the_owners_key_gets_404(client, owner, outsider):
    api_key, _ = services.api_key_create(user=owner, name="CI pipeline")
    client.force_login(outsider)

    assert client.get(reverse("accounts:api_key_revoke", args=[api_key.pk])).status_code == 404
    assert client.post(reverse("accounts:api_key_revoke", args=[api_key.pk])).status_code == 404
    api_key.refresh_from_db()
    assert api_key.is_active


# --- Credits -------------------------------------------------------------------------------------


def test_credits_page_lists_balance_packages_and_ledger(owner_session, owner, settings):
    settings.STRIPE_SECRET_KEY = ""
    CreditPackage.objects.create(name="Starter", credits=500, price_cents=4900, currency="usd")
    CreditPackage.objects.create(name="Retired", credits=100, price_cents=900, is_active=False)

    response = owner_session.get(reverse("billing:credits"))

    assert response.status_code == 200
    assert 'data-testid="credits-balance">100<' in response.text
    assert "Starter" in response.text
    assert "$49.00" in response.text
    assert "Payments are not configured" in response.text
    assert "Retired" not in response.text
    assert [txn.reference for txn in response.context["ledger_page"]] == ["welcome"]
    assert "Welcome credits" in response.text


def test_credits_ledger_shows_25_entries_a_page_newest_first(owner_session, owner, outsider):
    for number in range(30):
        credits_grant(user=owner, amount=1, reference=f"bonus-{number}")
    credits_grant(user=outsider, amount=5, reference="not-yours")

    first = owner_session.get(reverse("billing:credits"))
    second = owner_session.get(reverse("billing:credits"), {"page": 2})

    assert len(first.context["ledger_page"]) == 25
    assert first.context["ledger_page"][0].reference == "bonus-29"
    assert [txn.reference for txn in second.context["ledger_page"]][-2:] == ["bonus-0", "welcome"]
    assert len(second.context["ledger_page"]) == 6
    assert "not-yours" not in first.text + second.text
    assert "Page 2 of 2" in second.text
