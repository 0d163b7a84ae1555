"""Credits endpoints of API.md: balance, packages, the ledger."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import selectors


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
