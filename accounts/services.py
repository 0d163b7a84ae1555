"""Accounts: registration, email verification, login, profile, erasure, API keys."""

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import emails
from accounts.models import ApiKey, EmailVerificationCode, User
from billing.services import credit_account_open, welcome_grant
from synthos.api.authentication import recent_identities
from synthos.errors import ApplicationError, Conflict, InvalidInput, PermissionDeniedError, RateLimited

API_KEY_PREFIX = "sk_live_"

# Apps that own a user's data register an eraser here (in AppConfig.ready) so that closing an
# account erases their objects without accounts importing them.
ACCOUNT_ERASERS: list[Callable[[User], None]] = []


class AuthenticationError(ApplicationError):
    status_code = 401
    default_message = "Invalid email or password."


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _password_problems(password: str, user: User | None = None) -> list[str]:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as error:
        return list(error.messages)
    return []


# --- Registration and verification -----------------------------------------------------------


def user_register(*, email: str, password: str, full_name: str = "") -> User:
    """Create an unverified user with a credit account and email a verification code.

    Raises Conflict (409) for an email already registered, InvalidInput (422) for a weak password.
    """
    email = normalize_email(email)
    problems = _password_problems(password, User(email=email, full_name=full_name))
    if problems:
        raise InvalidInput(f"Validation failed: {problems[0]}", details={"password": problems})
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=email).exists():
                raise IntegrityError
            user = User.objects.create_user(email=email, password=password, full_name=full_name)
            credit_account_open(user=user)
            verification_code_issue(user=user)
    except IntegrityError:
        raise Conflict("An account with this email already exists.") from None
    return user


def _code_digest(code: str) -> str:
    # Keyed with SECRET_KEY: a 6-digit code has only a million values, so a plain hash of it
    # would be reversed at once by anyone who could read the table.
    return hmac.new(settings.SECRET_KEY.encode(), f"otp:{code}".encode(), hashlib.sha256).hexdigest()


def verification_code_issue(*, user: User) -> None:
    """Make a fresh 6-digit code (the newest one is the only one that counts) and email it on commit."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    EmailVerificationCode.objects.create(
        user=user,
        code_hash=_code_digest(code),
        created_at=now,
        expires_at=now + timedelta(minutes=settings.OTP_TTL_MINUTES),
    )
    transaction.on_commit(lambda: emails.send_verification_code(user=user, code=code))


def verification_resend(*, email: str) -> None:
    """Mail a fresh code if the email belongs to an unverified account; answers the same either way.

    Raises RateLimited after OTP_RESENDS_PER_HOUR calls for one email in an hour, whether or not
    the email exists, so the limit reveals nothing either.
    """
    email = normalize_email(email)
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    hour = int(timezone.now().timestamp()) // 3600
    key = f"otp-resend:{digest}:{hour}"
    cache.add(key, 0, timeout=3700)
    if cache.incr(key) > settings.OTP_RESENDS_PER_HOUR:
        raise RateLimited(
            "Too many verification emails for this address in the last hour. Try again later.",
            retry_after=3600 - int(timezone.now().timestamp()) % 3600,
        )
    user = User.objects.filter(email__iexact=email, is_active=True, email_verified_at__isnull=True).first()
    if user is not None:
        with transaction.atomic():
            verification_code_issue(user=user)


def email_verify(*, email: str, code: str) -> User:
    """Check a code, mark the email verified and grant the welcome credits.

    Raises InvalidInput (422) for a wrong or expired code (a wrong code counts as a try),
    Conflict (409) when the code is locked after OTP_MAX_ATTEMPTS wrong tries or the email is
    already verified.
    """
    email = normalize_email(email)
    outcome = "invalid"
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email__iexact=email, is_active=True).first()
        latest = (
            EmailVerificationCode.objects.select_for_update().filter(user=user).order_by("-created_at").first()
            if user
            else None
        )
        if user is not None and user.is_email_verified:
            outcome = "already_verified"
        elif latest is None or latest.used_at is not None:
            outcome = "invalid"
        elif latest.failed_attempts >= settings.OTP_MAX_ATTEMPTS:
            outcome = "locked"
        elif latest.expires_at <= timezone.now():
            outcome = "expired"
        elif hmac.compare_digest(latest.code_hash, _code_digest(code.strip())):
            latest.used_at = timezone.now()
            latest.save(update_fields=["used_at"])
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
            welcome_grant(user=user)
            return user
        else:
            # Committed before the error is raised, so wrong tries add up.
            latest.failed_attempts += 1
            latest.save(update_fields=["failed_attempts"])
            outcome = "wrong"
            tries_left = settings.OTP_MAX_ATTEMPTS - latest.failed_attempts
    if outcome == "already_verified":
        raise Conflict("This email is already verified. Log in instead.")
    if outcome == "locked":
        raise Conflict(
            f"This code is locked after {settings.OTP_MAX_ATTEMPTS} wrong tries. Request a new code "
            "(POST /api/v1/auth/resend-verification)."
        )
    if outcome == "expired":
        raise InvalidInput(
            "Validation failed: the code has expired. Request a new one.",
            details={"code": ["The code has expired."]},
        )
    if outcome == "wrong":
        message = "The code is incorrect." + (f" {tries_left} tries left." if tries_left else " Request a new code.")
        raise InvalidInput(f"Validation failed: {message}", details={"code": [message]})
    raise InvalidInput(
        "Validation failed: no valid code for this email. Request a new code.",
        details={"code": ["No valid code for this email."]},
    )


# --- Login -----------------------------------------------------------------------------------


def _failure_key(email: str) -> str:
    return "login-fail:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def user_authenticate(*, email: str, password: str) -> User:
    """Check credentials for login, with a lockout after repeated failures for one email.

    Raises RateLimited (429) while locked, AuthenticationError (401) for bad credentials,
    PermissionDeniedError (403) for an unverified email.
    """
    email = normalize_email(email)
    key = _failure_key(email)
    failures = cache.get(key, 0)
    if failures >= settings.LOGIN_FAILURES_BEFORE_LOCK:
        raise RateLimited(
            "Too many failed logins for this account. Try again in a few minutes or reset your password.",
            retry_after=settings.LOGIN_LOCK_SECONDS,
        )
    user = authenticate(email=email, password=password)
    if user is None:
        cache.add(key, 0, timeout=settings.LOGIN_LOCK_SECONDS)
        cache.incr(key)
        raise AuthenticationError()
    if not user.is_email_verified:
        raise PermissionDeniedError(
            "Email not verified. Enter the code we emailed you (POST /api/v1/auth/verify-email) "
            "or request a new one (POST /api/v1/auth/resend-verification)."
        )
    cache.delete(key)
    return user


# --- Profile and erasure ---------------------------------------------------------------------


@transaction.atomic
def user_update(
    *,
    user: User,
    full_name: str | None = None,
    company: str | None = None,
    new_password: str | None = None,
    current_password: str | None = None,
) -> User:
    """Update profile fields; a password change needs the current password and revokes tokens.

    Raises InvalidInput (422) for a wrong current password or a weak new one.
    """
    fields = []
    if full_name is not None:
        user.full_name, fields = full_name, [*fields, "full_name"]
    if company is not None:
        user.company, fields = company, [*fields, "company"]
    if new_password is not None:
        if not current_password or not user.check_password(current_password):
            raise InvalidInput(
                "Validation failed: current_password is incorrect.",
                details={"current_password": ["The current password is incorrect."]},
            )
        problems = _password_problems(new_password, user)
        if problems:
            raise InvalidInput(f"Validation failed: {problems[0]}", details={"new_password": problems})
        # The JWTs carry a digest of the password hash, so a new hash revokes every token.
        user.set_password(new_password)
        fields.append("password")
    if fields:
        user.save(update_fields=fields)
    if "password" in fields:
        recent_identities.forget_user(user.pk)
    return user


def user_close(*, user: User, password: str) -> None:
    """Close the account: erase its data (datasets and stored files), revoke keys, anonymise.

    The ledger stays (it is the accounting record) but no longer names the person.
    Raises InvalidInput (422) for a wrong password.
    """
    if not user.check_password(password):
        raise InvalidInput(
            "Validation failed: password is incorrect.", details={"password": ["The password is incorrect."]}
        )
    for erase in ACCOUNT_ERASERS:
        erase(user)
    with transaction.atomic():
        ApiKey.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        user.email = f"deleted+{user.pk.lower()}@closed.invalid"
        user.full_name = ""
        user.company = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
    recent_identities.forget_user(user.pk)


# --- API keys --------------------------------------------------------------------------------


def api_key_digest(raw_key: str) -> str:
    """What is stored of a key (and what identifies it in the authentication's short memory)."""
    # API keys carry 190+ bits of randomness, so a fast unkeyed hash cannot be reversed.
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_create(*, user: User, name: str) -> tuple[ApiKey, str]:
    """Create a key; returns it with the full secret, which is never stored and never shown again."""
    name = name.strip()
    if not name:
        raise InvalidInput("Validation failed: name is required.", details={"name": ["This field is required."]})
    raw_key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(user=user, name=name, prefix=raw_key[:12], key_hash=api_key_digest(raw_key))
    return api_key, raw_key


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    # Refused at once here; other web processes stop honouring it within API_AUTH_CACHE_SECONDS.
    recent_identities.forget_user(api_key.user_id)
    return api_key


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The active key for a raw secret, with its user and credit account joined in, or None."""
    if not raw_key.startswith(API_KEY_PREFIX):
        return None
    api_key = (
        ApiKey.objects.select_related("user", "user__credit_account")
        .filter(key_hash=api_key_digest(raw_key), revoked_at__isnull=True)
        .first()
    )
    if api_key is None:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > timedelta(minutes=1):
        # At most one write a minute per key, not one per request.
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
