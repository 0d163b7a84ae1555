"""Credits endpoints of API.md: balance, packages, the ledger."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import purchases, selectors
from synthos.api.errors import error_json_response
from synthos.api.inputs import validated_input
from synthos.errors import ApplicationError


class BalanceOutput(serializers.Serializer):
    balance = serializers.IntegerField()
    tier = serializers.CharField()
    owed = serializers.IntegerField()


class PackageOutput(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    credits = serializers.IntegerField()
    price_cents = serializers.IntegerField()
    price = serializers.SerializerMethodField()
    currency = serializers.CharField()

    def get_price(self, package) -> str:
        return f"{package.price_cents // 100}.{package.price_cents % 100:02d}"


class TransactionOutput(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.CharField()
    amount = serializers.IntegerField()
    balance_after = serializers.IntegerField()
    reference = serializers.CharField()
    description = serializers.CharField()
    created = serializers.DateTimeField(source="created_at")


class BalanceView(APIView):
    @extend_schema(responses={200: BalanceOutput}, tags=["credits"])
    def get(self, request):
        account = selectors.credit_account_get(user=request.user)
        return Response(BalanceOutput(account).data)


class PackageListView(APIView):
    @extend_schema(responses={200: PackageOutput(many=True)}, tags=["credits"])
    def get(self, request):
        packages = selectors.package_list_active()
        return Response({"data": PackageOutput(packages, many=True).data, "next": None, "previous": None})


class TransactionListView(ListAPIView):
    serializer_class = TransactionOutput

    def get_queryset(self):
        return selectors.transaction_list_for_user(user=self.request.user)

    @extend_schema(tags=["credits"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PurchaseInput(serializers.Serializer):
    package_id = serializers.CharField()


class CheckoutOutput(serializers.Serializer):
    checkout_url = serializers.URLField()
    session_id = serializers.CharField(source="stripe_session_id")
    purchase_id = serializers.CharField(source="id")


class PurchaseOutput(serializers.Serializer):
    id = serializers.CharField()
    package = serializers.CharField(source="package.name")
    credits = serializers.IntegerField()
    price_cents = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.CharField()
    stripe_session_id = serializers.CharField(allow_null=True)
    stripe_payment_intent_id = serializers.CharField()
    refunded_cents = serializers.IntegerField()
    created = serializers.DateTimeField(source="created_at")
    paid_at = serializers.DateTimeField(allow_null=True)


class PurchaseView(APIView):
    @extend_schema(
        request=PurchaseInput,
        responses={201: CheckoutOutput},
        tags=["credits"],
        description="Start a Stripe Checkout Session for a package. Credits arrive when Stripe "
        "confirms the payment (webhook), never on the redirect. 503 when payments are not configured.",
    )
    def post(self, request):
        data = validated_input(PurchaseInput, request)
        purchase = purchases.purchase_start(user=request.user, package_id=data["package_id"])
        return Response(CheckoutOutput(purchase).data, status=status.HTTP_201_CREATED)


class PurchaseListView(ListAPIView):
    serializer_class = PurchaseOutput

    def get_queryset(self):
        return selectors.purchase_list_for_user(user=self.request.user)

    @extend_schema(tags=["credits"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe calls this (no auth; the Stripe-Signature header is the proof). The body must be
    read raw: the signature covers the exact bytes."""
    try:
        outcome = purchases.stripe_webhook_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
    except ApplicationError as error:
        return error_json_response(request, error.status_code, error.message)
    return JsonResponse({"received": True, "outcome": outcome})
