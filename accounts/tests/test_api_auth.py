import re
from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import ApiKey, EmailVerificationCode, User
from billing.models import CreditAccount, CreditTransaction

pytestmark = pytest.mark.django_db

STRONG = "a-sturdy-passphrase-42"


def register(client, email="new@example.com", password=STRONG):
    return client.post("/api/v1/auth/register", {"email": email, "password": password}, format="json")


def code_from(mail) -> str:
    return re.search(r"\b(\d{6})\b", mail.body).group(1)


def assert_envelope(response, code: int):
    assert response.status_code == code, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert body["error"]["request_id"] == response["X-Request-ID"]
    return body["error"]


# --- register -------------------------------------------------------------------------------


def test_register_creates_an_unverified_user_and_emails_a_code(anon_client, mailoutbox):
    response = register(anon_client)
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "new@example.com" and body["email_verified"] is False
    assert body["id"].startswith("usr_") and body["tier"] == "free" and body["credit_balance"] == 0
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["new@example.com"]
    code = code_from(mailoutbox[0])
    assert mailoutbox[0].alternatives and code in mailoutbox[0].alternatives[0][0]
    stored = EmailVerificationCode.objects.get(user__email="new@example.com")
    assert code not in stored.code_hash and len(stored.code_hash) == 64


def test_register_refuses_a_duplicate_email_with_409(anon_client, owner):
    error = assert_envelope(register(anon_client, email="OWNER@example.com"), 409)
    assert "already exists" in error["message"]


def test_register_refuses_a_weak_password_with_django_validator_messages(anon_client):
    error = assert_envelope(register(anon_client, password="password"), 422)
    assert error["message"].startswith("Validation failed:")
    assert any("too common" in message for message in error["details"]["password"])
    assert not User.objects.filter(email="new@example.com").exists()


def test_register_names_a_missing_field(anon_client):
    error = assert_envelope(anon_client.post("/api/v1/auth/register", {"password": STRONG}, format="json"), 422)
    assert error["message"] == "Validation failed: email is required."
    assert error["details"] == {"email": ["This field is required."]}


def test_a_body_that_is_not_json_is_a_400(anon_client):
    response = anon_client.post("/api/v1/auth/register", "{nope", content_type="application/json")
    assert_envelope(response, 400)


def test_a_json_body_that_is_not_an_object_is_a_400(anon_client):
    response = anon_client.post("/api/v1/auth/register", "[1, 2]", content_type="application/json")
    assert "JSON object" in assert_envelope(response, 400)["message"]


# --- verify ---------------------------------------------------------------------------------


def test_verify_marks_the_email_verified_and_grants_welcome_credits(anon_client, mailoutbox, settings):
    settings.WELCOME_CREDITS = 100
    register(anon_client)
    response = anon_client.post(
        "/api/v1/auth/verify-email", {"email": "new@example.com", "code": code_from(mailoutbox[0])}, format="json"
    )
    assert response.status_code == 200 and response.json()["email_verified"] is True
    assert response.json()["credit_balance"] == 100
    entry = CreditTransaction.objects.get(account__user__email="new@example.com")
    assert (entry.kind, entry.amount, entry.balance_after) == ("grant", 100, 100)


def test_a_code_works_only_once(anon_client, mailoutbox):
    register(anon_client)
    payload = {"email": "new@example.com", "code": code_from(mailoutbox[0])}
    assert anon_client.post("/api/v1/auth/verify-email", payload, format="json").status_code == 200
    assert_envelope(anon_client.post("/api/v1/auth/verify-email", payload, format="json"), 409)
    assert CreditTransaction.objects.filter(account__user__email="new@example.com").count() == 1


def test_it_rejects_a_wrong_code_and_counts_the_try(anon_client, mailoutbox):
    register(anon_client)
    wrong = f"{(int(code_from(mailoutbox[0])) + 1) % 1_000_000:06d}"
    error = assert_envelope(
        anon_client.post("/api/v1/auth/verify-email", {"email": "new@example.com", "code": wrong}, format="json"), 422
    )
    assert "4 tries left" in error["message"]
    assert EmailVerificationCode.objects.get().failed_attempts == 1


def test_the_code_locks_after_five_wrong_tries_even_for_the_right_code(anon_client, mailoutbox):
    register(anon_client)
    right = code_from(mailoutbox[0])
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        anon_client.post("/api/v1/auth/verify-email", {"email": "new@example.com", "code": wrong}, format="json")
    error = assert_envelope(
        anon_client.post("/api/v1/auth/verify-email", {"email": "new@example.com", "code": right}, format="json"), 409
    )
    assert "locked" in error["message"] and "new code" in error["message"]
    assert User.objects.get(email="new@example.com").email_verified_at is None


def test_it_rejects_an_expired_code(anon_client, mailoutbox):
    register(anon_client)
    code = code_from(mailoutbox[0])
    with freeze_time(timezone.now() + timedelta(minutes=11)):
        error = assert_envelope(
            anon_client.post("/api/v1/auth/verify-email", {"email": "new@example.com", "code": code}, format="json"),
            422,
        )
    assert "expired" in error["message"]


def test_a_malformed_code_is_a_field_error(anon_client):
    error = assert_envelope(
        anon_client.post("/api/v1/auth/verify-email", {"email": "a@example.com", "code": "12ab"}, format="json"), 422
    )
    assert "code" in error["details"]


# --- resend ---------------------------------------------------------------------------------


def test_resend_mails_a_fresh_code_and_the_old_one_stops_working(anon_client, mailoutbox):
    register(anon_client)
    old = code_from(mailoutbox[0])
    response = anon_client.post("/api/v1/auth/resend-verification", {"email": "new@example.com"}, format="json")
    assert response.status_code == 202 and len(mailoutbox) == 2
    new = code_from(mailoutbox[1])
    if old != new:
        assert_envelope(
            anon_client.post("/api/v1/auth/verify-email", {"email": "new@example.com", "code": old}, format="json"), 422
        )
    ok = anon_client.post("/api/v1/auth/verify-email", {"email": "new@example.com", "code": new}, format="json")
    assert ok.status_code == 200


def test_resend_answers_the_same_for_an_unknown_email(anon_client, mailoutbox):
    response = anon_client.post("/api/v1/auth/resend-verification", {"email": "ghost@example.com"}, format="json")
    assert response.status_code == 202 and mailoutbox == []
    assert "If this email" in response.json()["detail"]


def test_resend_is_limited_to_five_an_hour_per_email_known_or_not(anon_client, mailoutbox):
    register(anon_client)
    for email in ("new@example.com", "ghost@example.com"):
        statuses = [
            anon_client.post("/api/v1/auth/resend-verification", {"email": email}, format="json").status_code
            for _ in range(6)
        ]
        assert statuses == [202] * 5 + [429]
    limited = anon_client.post("/api/v1/auth/resend-verification", {"email": "ghost@example.com"}, format="json")
    assert_envelope(limited, 429)
    assert int(limited["Retry-After"]) > 0
    assert len(mailoutbox) == 1 + 5


# --- login and tokens -----------------------------------------------------------------------


def login(client, email="owner@example.com", password="correct-horse-battery-staple"):
    return client.post("/api/v1/auth/login", {"email": email, "password": password}, format="json")


def test_login_returns_a_bearer_token_pair_valid_for_24_hours(anon_client, owner):
    response = login(anon_client)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 86400
    anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert anon_client.get("/api/v1/auth/me").json()["email"] == "owner@example.com"


def test_login_is_refused_until_the_email_is_verified(anon_client, mailoutbox):
    register(anon_client)
    error = assert_envelope(login(anon_client, email="new@example.com", password=STRONG), 403)
    assert "not verified" in error["message"]


def test_login_with_a_wrong_password_is_a_401(anon_client, owner):
    assert_envelope(login(anon_client, password="wrong-password-123"), 401)


def test_repeated_login_failures_lock_the_account_for_a_while(anon_client, owner, settings):
    settings.LOGIN_FAILURES_BEFORE_LOCK = 3
    for _ in range(3):
        assert login(anon_client, password="wrong-password-123").status_code == 401
    locked = login(anon_client)
    assert_envelope(locked, 429)
    assert int(locked["Retry-After"]) == settings.LOGIN_LOCK_SECONDS


def test_auth_endpoints_are_limited_per_ip_but_generously(anon_client, settings):
    settings.AUTH_RATE_LIMIT_PER_IP_PER_MINUTE = 30
    with freeze_time((timezone.now() + timedelta(minutes=2)).replace(second=0)):
        statuses = [login(anon_client, email=f"x{i}@example.com").status_code for i in range(31)]
    assert statuses[:30] == [401] * 30 and statuses[30] == 429


def test_a_token_older_than_24_hours_is_refused(anon_client, owner):
    access = login(anon_client).json()["access"]
    anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    with freeze_time(timezone.now() + timedelta(hours=24, minutes=1)):
        assert_envelope(anon_client.get("/api/v1/auth/me"), 401)


def test_refresh_returns_a_new_access_token(anon_client, owner):
    refresh = login(anon_client).json()["refresh"]
    response = anon_client.post("/api/v1/auth/token/refresh", {"refresh": refresh}, format="json")
    assert response.status_code == 200 and response.json()["expires_in"] == 86400
    anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert anon_client.get("/api/v1/auth/me").status_code == 200


def test_a_garbage_refresh_token_is_a_401(anon_client):
    assert_envelope(anon_client.post("/api/v1/auth/token/refresh", {"refresh": "x.y.z"}, format="json"), 401)


def test_a_password_change_revokes_existing_access_and_refresh_tokens(anon_client, owner, password):
    tokens = login(anon_client).json()
    anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    changed = anon_client.patch(
        "/api/v1/auth/me", {"current_password": password, "new_password": "another-long-passphrase-7"}, format="json"
    )
    assert changed.status_code == 200
    assert_envelope(anon_client.get("/api/v1/auth/me"), 401)
    refreshed = anon_client.post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert_envelope(refreshed, 401)
    anon_client.credentials()
    assert login(anon_client, password="another-long-passphrase-7").status_code == 200


# --- /auth/me -------------------------------------------------------------------------------


def test_me_shows_profile_tier_and_balance(owner_client):
    body = owner_client.get("/api/v1/auth/me").json()
    assert body["email"] == "owner@example.com" and body["tier"] == "free"
    assert body["credit_balance"] == 100 and body["email_verified"] is True and body["is_staff"] is False


def test_me_update_changes_the_profile_but_never_tier_balance_or_staff(owner_client, owner):
    response = owner_client.patch(
        "/api/v1/auth/me",
        {"full_name": "Ada", "company": "Lab", "tier": "enterprise", "credit_balance": 10**6, "is_staff": True},
        format="json",
    )
    assert response.status_code == 200
    owner.refresh_from_db()
    assert (owner.full_name, owner.company, owner.is_staff) == ("Ada", "Lab", False)
    account = CreditAccount.objects.get(user=owner)
    assert (account.tier, account.balance) == ("free", 100)


def test_a_password_change_needs_the_current_password(owner_client):
    error = assert_envelope(
        owner_client.patch(
            "/api/v1/auth/me", {"current_password": "nope", "new_password": "another-long-passphrase-7"}, format="json"
        ),
        422,
    )
    assert "current_password" in error["details"]


def test_closing_the_account_needs_the_password(owner_client, owner):
    assert_envelope(owner_client.delete("/api/v1/auth/me", {"password": "nope"}, format="json"), 422)
    owner.refresh_from_db()
    assert owner.is_active


def test_closing_the_account_erases_the_person_and_revokes_keys(owner_client, owner, password, anon_client):
    from accounts.services import api_key_create

    _, raw_key = api_key_create(user=owner, name="ci")
    response = owner_client.delete("/api/v1/auth/me", {"password": password}, format="json")
    assert response.status_code == 204
    owner.refresh_from_db()
    assert not owner.is_active and owner.email.endswith("@closed.invalid") and not owner.has_usable_password()
    assert not User.objects.filter(email="owner@example.com").exists()
    assert_envelope(login(anon_client), 401)
    anon_client.credentials(HTTP_X_API_KEY=raw_key)
    assert_envelope(anon_client.get("/api/v1/auth/me"), 401)


def test_anonymous_me_is_a_401_with_a_bearer_challenge(anon_client):
    response = anon_client.get("/api/v1/auth/me")
    assert_envelope(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


# --- API keys -------------------------------------------------------------------------------


def test_an_api_key_is_shown_once_and_stored_only_as_a_hash(owner_client):
    created = owner_client.post("/api/v1/auth/api-keys", {"name": "training pipeline"}, format="json")
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("sk_live_") and len(key) > 40 and created.json()["prefix"] == key[:12]
    stored = ApiKey.objects.get(pk=created.json()["id"])
    assert key not in stored.key_hash and stored.key_hash != key
    listed = owner_client.get("/api/v1/auth/api-keys").json()["data"]
    assert [item["name"] for item in listed] == ["training pipeline"]
    assert "key" not in listed[0] and key not in str(listed)


def test_an_api_key_authenticates_and_records_its_last_use(owner_client, anon_client):
    created = owner_client.post("/api/v1/auth/api-keys", {"name": "ci"}, format="json").json()
    anon_client.credentials(HTTP_X_API_KEY=created["key"])
    assert anon_client.get("/api/v1/auth/me").json()["email"] == "owner@example.com"
    assert ApiKey.objects.get(pk=created["id"]).last_used_at is not None


def test_a_revoked_api_key_is_a_401(owner_client, anon_client):
    created = owner_client.post("/api/v1/auth/api-keys", {"name": "ci"}, format="json").json()
    assert owner_client.delete(f"/api/v1/auth/api-keys/{created['id']}").status_code == 204
    anon_client.credentials(HTTP_X_API_KEY=created["key"])
    assert_envelope(anon_client.get("/api/v1/auth/me"), 401)


def test_a_made_up_api_key_is_a_401(anon_client):
    anon_client.credentials(HTTP_X_API_KEY="sk_live_not-a-real-key")
    assert_envelope(anon_client.get("/api/v1/credits/balance"), 401)


def test_another_accounts_api_key_id_is_a_404(owner_client, outsider_client):
    created = owner_client.post("/api/v1/auth/api-keys", {"name": "ci"}, format="json").json()
    assert_envelope(outsider_client.delete(f"/api/v1/auth/api-keys/{created['id']}"), 404)
    assert ApiKey.objects.get(pk=created["id"]).revoked_at is None


def test_an_api_key_needs_a_name(owner_client):
    error = assert_envelope(owner_client.post("/api/v1/auth/api-keys", {}, format="json"), 422)
    assert error["message"] == "Validation failed: name is required."


def test_paths_accept_an_optional_trailing_slash_without_redirecting(owner_client):
    assert owner_client.get("/api/v1/auth/me/").status_code == 200
