"""API authentication: `Authorization: Bearer <JWT>` first, then `X-API-Key: sk_live_...`."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.utils import get_md5_hash_password


class BearerJWTAuthentication(JWTAuthentication):
    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'

    def get_user(self, validated_token):
        # The credit account comes along: the throttle reads the tier on every request.
        from accounts.models import User

        user = User.objects.select_related("credit_account").filter(pk=validated_token.get("user_id")).first()
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
        from accounts.services import api_key_authenticate

        api_key = api_key_authenticate(raw_key=raw_key)
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
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
