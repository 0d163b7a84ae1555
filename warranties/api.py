"""Warranty endpoints of API.md: request, list, read, file a claim, list claims.

Thin: input serializer → selector → one service → output serializer.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from synthos.api.inputs import validated_input
from warranties import selectors, services
from warranties.models import Claim, Warranty

TAGS = ["warranties"]


class WarrantyCreateInput(serializers.Serializer):
    validation_id = serializers.CharField(max_length=32, help_text="A succeeded comprehensive validation of yours.")


class ClaimCreateInput(serializers.Serializer):
    holdout_dataset_id = serializers.CharField(
        max_length=32, help_text="A ready dataset of yours: fresh labelled rows from the same source."
    )
    evidence = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)


class MeasurementOutput(serializers.Serializer):
    metric = serializers.CharField()
    model = serializers.CharField(allow_null=True)
    n_train = serializers.IntegerField(allow_null=True)
    n_holdout = serializers.IntegerField(allow_null=True)
    protocol = serializers.CharField(allow_null=True, help_text="How the baseline was trained and measured.")


class ClaimOutput(serializers.Serializer):
    id = serializers.CharField()
    warranty_id = serializers.CharField()
    holdout_dataset_id = serializers.CharField(allow_null=True, help_text="Null once the dataset is deleted.")
    holdout_dataset_name = serializers.CharField()
    evidence = serializers.CharField()
    status = serializers.ChoiceField(choices=Claim.Status.choices)
    observed_value = serializers.FloatField(allow_null=True, help_text="The metric measured on the holdout.")
    measurement = MeasurementOutput(allow_null=True)
    error = serializers.SerializerMethodField(help_text="Why measuring failed, in plain English.")
    decision_note = serializers.SerializerMethodField()
    payout_credits = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    measured_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)

    def get_error(self, claim) -> str | None:
        return claim.error or None

    def get_decision_note(self, claim) -> str | None:
        return claim.decision_note or None


class TimelineStepOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=Warranty.Status.choices)
    at = serializers.DateTimeField()


class WarrantyOutput(serializers.Serializer):
    id = serializers.CharField()
    validation_id = serializers.CharField()
    status = serializers.ChoiceField(choices=Warranty.Status.choices)
    metric = serializers.CharField(help_text="accuracy or r2, as in the validation's prediction.")
    guaranteed_value = serializers.FloatField(help_text="The prediction interval's lower bound, or as approved.")
    coverage_credits = serializers.IntegerField(help_text="Paid once, as credits, on an approved claim.")
    expires_at = serializers.DateTimeField()
    conditions = serializers.CharField(help_text="The baseline learner and evaluation protocol in plain words.")
    credits_charged = serializers.IntegerField()
    credits_refunded = serializers.IntegerField()
    review_note = serializers.SerializerMethodField(help_text="Staff's note or reason for a rejection.")
    created_at = serializers.DateTimeField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    claimed_at = serializers.DateTimeField(allow_null=True)
    expired_at = serializers.DateTimeField(allow_null=True)
    timeline = TimelineStepOutput(many=True)

    def get_review_note(self, warranty) -> str | None:
        return warranty.review_note or None


class WarrantyDetailOutput(WarrantyOutput):
    claims = ClaimOutput(many=True, source="claims.all")


class WarrantyListView(GenericAPIView):
    serializer_class = WarrantyOutput

    def get_queryset(self):
        return selectors.warranty_list_for_user(user=self.request.user)

    @extend_schema(responses={200: WarrantyOutput(many=True)}, tags=TAGS, summary="List your warranties")
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(WarrantyOutput(page, many=True).data)

    @extend_schema(
        request=WarrantyCreateInput,
        responses={
            201: WarrantyDetailOutput,
            402: OpenApiResponse(description="Not enough credits (a request costs 100)"),
            404: OpenApiResponse(description="validation_id is not yours"),
            409: OpenApiResponse(description="The validation already has a warranty"),
            422: OpenApiResponse(description="The validation is not eligible (with the reason)"),
        },
        tags=TAGS,
        summary="Request a warranty (charges 100 credits)",
    )
    def post(self, request):
        data = validated_input(WarrantyCreateInput, request)
        warranty = services.warranty_request(owner=request.user, validation_id=data["validation_id"])
        warranty = selectors.warranty_get_for_user(user=request.user, warranty_id=warranty.pk)
        return Response(WarrantyDetailOutput(warranty).data, status=status.HTTP_201_CREATED)


class WarrantyDetailView(GenericAPIView):
    serializer_class = WarrantyDetailOutput
    pagination_class = None

    @extend_schema(responses={200: WarrantyDetailOutput}, tags=TAGS, summary="A warranty with its terms and claims")
    def get(self, request, warranty_id: str):
        warranty = selectors.warranty_get_for_user(user=request.user, warranty_id=warranty_id)
        return Response(WarrantyDetailOutput(warranty).data)


class WarrantyClaimListView(GenericAPIView):
    serializer_class = ClaimOutput

    def get_queryset(self):
        warranty = selectors.warranty_get_for_user(user=self.request.user, warranty_id=self.kwargs["warranty_id"])
        return selectors.claim_list_for_warranty(warranty=warranty)

    @extend_schema(responses={200: ClaimOutput(many=True)}, tags=TAGS, summary="A warranty's claims")
    def get(self, request, warranty_id: str):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ClaimOutput(page, many=True).data)

    @extend_schema(
        request=ClaimCreateInput,
        responses={
            201: ClaimOutput,
            404: OpenApiResponse(description="The warranty or holdout_dataset_id is not yours"),
            409: OpenApiResponse(description="Not claimable, dataset not ready, or a claim is already open"),
            422: OpenApiResponse(description="The holdout cannot measure the warranty's target"),
        },
        tags=TAGS,
        summary="File a claim: Synthos measures the baseline on your holdout",
    )
    def post(self, request, warranty_id: str):
        warranty = selectors.warranty_get_for_user(user=request.user, warranty_id=warranty_id)
        data = validated_input(ClaimCreateInput, request)
        claim = services.claim_submit(warranty=warranty, **data)
        claim.refresh_from_db()
        return Response(ClaimOutput(claim).data, status=status.HTTP_201_CREATED)
