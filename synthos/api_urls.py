"""The one API router: every /api/v1/ path. Paths have no trailing slash; one is tolerated."""

from django.urls import re_path
from drf_spectacular.views import SpectacularAPIView

from accounts import api as accounts_api
from billing import api as billing_api
from synthos.api.health import HealthView


def route(pattern: str, view, name: str):
    return re_path(rf"^{pattern}/?$", view, name=name)


urlpatterns = [
    route("health", HealthView.as_view(), "health"),
    route("schema", SpectacularAPIView.as_view(), "schema"),
    # Auth
    route("auth/register", accounts_api.RegisterView.as_view(), "auth-register"),
    route("auth/verify-email", accounts_api.VerifyEmailView.as_view(), "auth-verify-email"),
    route("auth/resend-verification", accounts_api.ResendVerificationView.as_view(), "auth-resend"),
    route("auth/login", accounts_api.LoginView.as_view(), "auth-login"),
    route("auth/token/refresh", accounts_api.TokenRefreshView.as_view(), "auth-token-refresh"),
    route("auth/me", accounts_api.MeView.as_view(), "auth-me"),
    route("auth/api-keys", accounts_api.ApiKeyListView.as_view(), "api-key-list"),
    route(r"auth/api-keys/(?P<key_id>[A-Za-z0-9_]+)", accounts_api.ApiKeyDetailView.as_view(), "api-key-detail"),
    # Credits
    route("credits/balance", billing_api.BalanceView.as_view(), "credits-balance"),
    route("credits/packages", billing_api.PackageListView.as_view(), "credits-packages"),
    route("credits/transactions", billing_api.TransactionListView.as_view(), "credits-transactions"),
]
