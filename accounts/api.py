"""Auth endpoints of API.md: register, verify, login, refresh, profile, API keys."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts import selectors, services
from accounts.models import User
from billing.selectors import credit_account_get
from synthos.api.inputs import validated_input
from synthos.api.throttles import AuthEndpointThrottle


class UserOutput(serializers.Serializer):
    id = serializers.CharField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    company = serializers.CharField()
    email_verified = serializers.BooleanField(source="is_email_verified")
    tier = serializers.SerializerMethodField()
    credit_balance = serializers.SerializerMethodField()
    is_staff = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    def get_tier(self, user) -> str:
        return credit_account_get(user=user).tier

    def get_credit_balance(self, user) -> int:
        return credit_account_get(user=user).balance


class RegisterInput(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, trim_whitespace=False)
    full_name = serializers.CharField(required=False, allow_blank=True, max_length=150, default="")


class VerifyEmailInput(serializers.Serializer):
    email = serializers.EmailField()
    code = serializers.RegexField(r"^\s*\d{6}\s*$", error_messages={"invalid": "Enter the 6-digit code."})


class EmailInput(serializers.Serializer):
    email = serializers.EmailField()


class LoginInput(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False)


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")


class RefreshInput(serializers.Serializer):
    refresh = serializers.CharField()


class AccessOutput(serializers.Serializer):
    access = serializers.CharField()
    expires_in = serializers.IntegerField()


class MeUpdateInput(serializers.Serializer):
    full_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    company = serializers.CharField(required=False, allow_blank=True, max_length=150)
    new_password = serializers.CharField(required=False, trim_whitespace=False)
    current_password = serializers.CharField(required=False, trim_whitespace=False)


class MeDeleteInput(serializers.Serializer):
    password = serializers.CharField(trim_whitespace=False)


class ApiKeyOutput(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class ApiKeyCreatedOutput(ApiKeyOutput):
    key = serializers.CharField(help_text="The full key. Shown once; store it now.")


class ApiKeyCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)


DetailOutput = inline_serializer("Detail", {"detail": serializers.CharField()})


def token_pair_for(user: User) -> dict:
    refresh = RefreshToken.for_user(user)
    return {
        "access": str(refresh.access_token),
        "refresh": str(refresh),
        "token_type": "Bearer",
        "expires_in": int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
    }


class PublicAuthView(APIView):
    """Anonymous auth endpoints: no credentials read, limited per client IP."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthEndpointThrottle]


class RegisterView(PublicAuthView):
    @extend_schema(request=RegisterInput, responses={201: UserOutput}, tags=["auth"], auth=[])
    def post(self, request):
        data = validated_input(RegisterInput, request)
        user = services.user_register(**data)
        return Response(UserOutput(user).data, status=status.HTTP_201_CREATED)


class VerifyEmailView(PublicAuthView):
    @extend_schema(request=VerifyEmailInput, responses={200: UserOutput}, tags=["auth"], auth=[])
    def post(self, request):
        data = validated_input(VerifyEmailInput, request)
        user = services.email_verify(email=data["email"], code=data["code"])
        return Response(UserOutput(user).data)


class ResendVerificationView(PublicAuthView):
    @extend_schema(request=EmailInput, responses={202: DetailOutput}, tags=["auth"], auth=[])
    def post(self, request):
        data = validated_input(EmailInput, request)
        services.verification_resend(email=data["email"])
        return Response(
            {"detail": "If this email belongs to an unverified account, a new code is on its way."},
            status=status.HTTP_202_ACCEPTED,
        )


class LoginView(PublicAuthView):
    @extend_schema(request=LoginInput, responses={200: TokenPairOutput}, tags=["auth"], auth=[])
    def post(self, request):
        data = validated_input(LoginInput, request)
        user = services.user_authenticate(email=data["email"], password=data["password"])
        return Response(token_pair_for(user))


class TokenRefreshView(PublicAuthView):
    @extend_schema(request=RefreshInput, responses={200: AccessOutput}, tags=["auth"], auth=[])
    def post(self, request):
        data = validated_input(RefreshInput, request)
        try:
            refresh = RefreshToken(data["refresh"])
        except TokenError:
            raise services.AuthenticationError("The refresh token is invalid or has expired.") from None
        user = User.objects.filter(pk=refresh.get("user_id"), is_active=True).first()
        if user is None or refresh.get("hash_password") != get_md5_hash_password(user.password):
            raise services.AuthenticationError("The refresh token is no longer valid. Log in again.")
        return Response(
            {"access": str(refresh.access_token), "expires_in": int(settings.ACCESS_TOKEN_LIFETIME.total_seconds())}
        )


class MeView(APIView):
    @extend_schema(responses={200: UserOutput}, tags=["auth"])
    def get(self, request):
        # Read afresh: the authentication may have remembered the user for a few seconds, and a
        # profile must show a change made a moment ago through another web process.
        return Response(UserOutput(User.objects.get(pk=request.user.pk)).data)

    @extend_schema(request=MeUpdateInput, responses={200: UserOutput}, tags=["auth"])
    def patch(self, request):
        data = validated_input(MeUpdateInput, request)
        user = services.user_update(user=request.user, **data)
        return Response(UserOutput(user).data)

    @extend_schema(request=MeDeleteInput, responses={204: None}, tags=["auth"])
    def delete(self, request):
        data = validated_input(MeDeleteInput, request)
        services.user_close(user=request.user, password=data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiKeyListView(APIView):
    @extend_schema(responses={200: ApiKeyOutput(many=True)}, tags=["auth"])
    def get(self, request):
        keys = selectors.api_key_list_for_user(user=request.user)
        return Response({"data": ApiKeyOutput(keys, many=True).data, "next": None, "previous": None})

    @extend_schema(request=ApiKeyCreateInput, responses={201: ApiKeyCreatedOutput}, tags=["auth"])
    def post(self, request):
        data = validated_input(ApiKeyCreateInput, request)
        api_key, raw_key = services.api_key_create(user=request.user, name=data["name"])
        api_key.key = raw_key
        return Response(ApiKeyCreatedOutput(api_key).data, status=status.HTTP_201_CREATED)


class ApiKeyDetailView(APIView):
    @extend_schema(responses={204: None}, tags=["auth"])
    def delete(self, request, key_id: str):
        api_key = selectors.api_key_get_for_user(user=request.user, key_id=key_id)
        services.api_key_revoke(api_key=api_key)
        return Response(status=status.HTTP_204_NO_CONTENT)
