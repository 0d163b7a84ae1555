"""The one API router: every /api/v1/ path. Paths have no trailing slash; one is tolerated."""

from django.urls import re_path
from drf_spectacular.views import SpectacularAPIView

from accounts import api as accounts_api
from billing import api as billing_api
from datasets import api as datasets_api
from support import api as support_api
from synthos.api.health import HealthView
from synthos.webhooks import api as webhooks_api
from validations import api as validations_api
from warranties import api as warranties_api


def route(pattern: str, view, name: str):
    return re_path(rf"^{pattern}/?$", view, name=name)


DATASET = r"datasets/(?P<dataset_id>[A-Za-z0-9_]+)"
VALIDATION = r"validations/(?P<validation_id>[A-Za-z0-9_]+)"
WARRANTY = r"warranties/(?P<warranty_id>[A-Za-z0-9_]+)"
WEBHOOK = r"webhooks/(?P<endpoint_id>[A-Za-z0-9_]+)"

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
    # Datasets
    route("datasets", datasets_api.DatasetListView.as_view(), "dataset-list"),
    route(rf"{DATASET}", datasets_api.DatasetDetailView.as_view(), "dataset-detail"),
    route(rf"{DATASET}/complete", datasets_api.DatasetCompleteView.as_view(), "dataset-complete"),
    route(rf"{DATASET}/preview", datasets_api.DatasetPreviewView.as_view(), "dataset-preview"),
    route(rf"{DATASET}/download", datasets_api.DatasetDownloadView.as_view(), "dataset-download"),
    # Validations
    route("validations", validations_api.ValidationListView.as_view(), "validation-list"),
    route(rf"{VALIDATION}", validations_api.ValidationDetailView.as_view(), "validation-detail"),
    route(rf"{VALIDATION}/report", validations_api.ValidationReportView.as_view(), "validation-report"),
    route(rf"{VALIDATION}/cancel", validations_api.ValidationCancelView.as_view(), "validation-cancel"),
    # Warranties
    route("warranties", warranties_api.WarrantyListView.as_view(), "warranty-list"),
    route(rf"{WARRANTY}", warranties_api.WarrantyDetailView.as_view(), "warranty-detail"),
    route(rf"{WARRANTY}/claims", warranties_api.WarrantyClaimListView.as_view(), "warranty-claims"),
    # Credits
    route("credits/balance", billing_api.BalanceView.as_view(), "credits-balance"),
    route("credits/packages", billing_api.PackageListView.as_view(), "credits-packages"),
    route("credits/transactions", billing_api.TransactionListView.as_view(), "credits-transactions"),
    route("credits/purchase", billing_api.PurchaseView.as_view(), "credits-purchase"),
    route("credits/purchases", billing_api.PurchaseListView.as_view(), "credits-purchases"),
    route("billing/stripe/webhook", billing_api.stripe_webhook, "stripe-webhook"),
    # Outbound webhooks
    route("webhooks", webhooks_api.WebhookListView.as_view(), "webhook-list"),
    route(rf"{WEBHOOK}", webhooks_api.WebhookDetailView.as_view(), "webhook-detail"),
    route(rf"{WEBHOOK}/test", webhooks_api.WebhookTestView.as_view(), "webhook-test"),
    route(rf"{WEBHOOK}/deliveries", webhooks_api.WebhookDeliveryListView.as_view(), "webhook-deliveries"),
    route(
        rf"{WEBHOOK}/deliveries/(?P<delivery_id>[A-Za-z0-9_]+)/resend",
        webhooks_api.WebhookDeliveryResendView.as_view(),
        "webhook-delivery-resend",
    ),
    # Support
    route("support/tickets", support_api.TicketListView.as_view(), "ticket-list"),
    route(r"support/tickets/(?P<ticket_id>[A-Za-z0-9_]+)", support_api.TicketDetailView.as_view(), "ticket-detail"),
    route(
        r"support/tickets/(?P<ticket_id>[A-Za-z0-9_]+)/messages",
        support_api.TicketMessageCreateView.as_view(),
        "ticket-messages",
    ),
    route(r"support/tickets/(?P<ticket_id>[A-Za-z0-9_]+)/close", support_api.TicketCloseView.as_view(), "ticket-close"),
]
