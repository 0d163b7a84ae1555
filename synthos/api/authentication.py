"""API authentication: `Authorization: Bearer <JWT>` first, then `X-API-Key: sk_live_...`.

Both look the identity up in the database: the user (is it active, has its password changed since
the token was issued) with its credit account's tier for the throttle, or the API key (is it
revoked) with its user. That lookup is remembered in the process for API_AUTH_CACHE_SECONDS
(default 3 s; 0 turns it off), so a busy client costs one lookup per process every few seconds
instead of one query per request. The bound this puts on revocation: a revoked API key, a closed
account or a password change (which revokes every token) is refused at once by the process that
made the change, and by every other web process at most API_AUTH_CACHE_SECONDS later. A tier
change reaches the throttle within the same bound. Each request still gets its own User instance,
rebuilt from the remembered column values. A JWT's verified claims are remembered the same way
(never past the token's own expiry); revocation is still decided by the user's password hash.
"""

import threading
import time

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.utils import get_md5_hash_password

# More entries than this and the whole map is dropped (bounded memory whatever the traffic).
MAX_REMEMBERED = 10_000
_clock = time.monotonic  # tests move it forward


class RecentIdentities:
    """Column values of recently authenticated users and API keys, for API_AUTH_CACHE_SECONDS."""

    def __init__(self) -> None:
        self._entries: dict[tuple, tuple[float, str, tuple]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= _clock():
            return None
        return entry[2]

    def put(self, key: tuple, *, user_id: str, values: tuple) -> None:
        seconds = settings.API_AUTH_CACHE_SECONDS
        if seconds <= 0:
            return
        with self._lock:
            if len(self._entries) >= MAX_REMEMBERED:
                self._entries.clear()
            self._entries[key] = (_clock() + seconds, user_id, values)

    def forget_user(self, user_id: str) -> None:
        """Drop everything remembered for this user (its JWT identity and all its API keys)."""
        with self._lock:
            for key in [key for key, entry in self._entries.items() if entry[1] == user_id]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


recent_identities = RecentIdentities()


def _user_values(user) -> tuple:
    """What rebuilds the user: its columns, and its tier (None: no credit account)."""
    from billing.models import CreditAccount

    try:
        tier = user.credit_account.tier
    except CreditAccount.DoesNotExist:
        tier = None
    return tuple(getattr(user, field.attname) for field in user._meta.concrete_fields), tier


def _user_from_values(values: tuple):
    """A fresh User for this request, with its credit account's tier attached as select_related would."""
    from accounts.models import User
    from billing.models import CreditAccount

    columns, tier = values
    user = User.from_db("default", None, columns)
    account = None if tier is None else CreditAccount.from_db("default", ["user_id", "tier"], [user.pk, tier])
    User.credit_account.related.set_cached_value(user, account)
    return user


class BearerJWTAuthentication(JWTAuthentication):
    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'

    def get_validated_token(self, raw_token: bytes):
        # The same bytes verify the same way: a token seen a moment ago skips the signature check
        # and claim parsing, but never outlives its expiry.
        remembered = recent_identities.get(("token", raw_token))
        if remembered is not None and remembered[0] > time.time():
            return remembered[1]
        token = super().get_validated_token(raw_token)
        recent_identities.put(("token", raw_token), user_id=token.get("user_id"), values=(token["exp"], token))
        return token

    def get_user(self, validated_token):
        from accounts.models import User

        user_id = validated_token.get("user_id")
        remembered = recent_identities.get(("user", user_id))
        if remembered is not None:
            user = _user_from_values(remembered)
        else:
            # The credit account comes along: the throttle reads the tier on every request.
            user = User.objects.select_related("credit_account").filter(pk=user_id).first()
            if user is not None:
                recent_identities.put(("user", user_id), user_id=user.pk, values=_user_values(user))
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed("This account does not exist or is closed.")
        if validated_token.get("hash_password") != get_md5_hash_password(user.password):
            raise exceptions.AuthenticationFailed("The password has changed since this token was issued. Log in again.")
        return user


class ApiKeyAuthentication(authentication.BaseAuthentication):
    header = "X-API-Key"

    def authenticate(self, request):
        raw_key = request.headers.get(self.header)
        if not raw_key:
            return None
        from accounts.models import ApiKey
        from accounts.services import api_key_authenticate, api_key_digest

        cache_key = ("key", api_key_digest(raw_key))
        remembered = recent_identities.get(cache_key)
        if remembered is not None:
            key_columns, user_values = remembered
            api_key = ApiKey.from_db("default", None, key_columns)
            api_key.user = _user_from_values(user_values)
        else:
            api_key = api_key_authenticate(raw_key=raw_key)
            if api_key is None:
                raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
            key_columns = tuple(getattr(api_key, field.attname) for field in ApiKey._meta.concrete_fields)
            recent_identities.put(cache_key, user_id=api_key.user_id, values=(key_columns, _user_values(api_key.user)))
        if not api_key.user.is_active:
            raise exceptions.AuthenticationFailed("This account is closed.")
        return api_key.user, api_key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "synthos.api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-API-Key"}
