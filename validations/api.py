"""Validations endpoints of API.md: start (idempotent), list, detail, report, cancel.

Thin: input serializer → selector → one service → output serializer.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from synthos.api.inputs import validated_input
from synthos.errors import Conflict
from validations import selectors, services
from validations.models import Validation
from validations.summaries import summary_from_values, validation_detail, validation_summary

TAGS = ["validations"]


class CollapseRiskOutput(serializers.Serializer):
    score = serializers.FloatField(help_text="0 (healthy) to 1 (collapsed).")
    level = serializers.CharField(help_text="low, medium or high.")


class ValidationOutput(serializers.Serializer):
    """A validation without its report (lists and the 202 of a start)."""

    id = serializers.CharField()
    dataset_id = serializers.CharField(allow_null=True, help_text="Null once the dataset is deleted.")
    dataset_name = serializers.CharField()
    reference_dataset_id = serializers.CharField(allow_null=True)
    tier = serializers.ChoiceField(choices=Validation.Tier.choices)
    target_column = serializers.CharField(allow_null=True)
    text_column = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=Validation.Status.choices)
    progress = serializers.IntegerField(min_value=0, max_value=100)
    stage = serializers.CharField(help_text="Never empty: `queued`, `starting`, the engine's stages, `done`.")
    error = serializers.CharField(allow_null=True, help_text="Why the run failed, in plain English.")
    credits_charged = serializers.IntegerField()
    credits_refunded = serializers.IntegerField()
    quality_score = serializers.IntegerField(allow_null=True, help_text="0–100, when succeeded.")
    collapse_risk = CollapseRiskOutput(allow_null=True, help_text="Standard tier and up, when succeeded.")
    prediction = serializers.JSONField(
        allow_null=True, help_text="Comprehensive tier: {metric, model, expected, interval, confidence, ...}."
    )
    gate = serializers.JSONField(
        allow_null=True,
        help_text="With `fail_if` rules, once succeeded: {passed, failed_rules: [{rule, threshold, actual, message}]}.",
    )
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    canceled_at = serializers.DateTimeField(allow_null=True)


class ValidationDetailOutput(ValidationOutput):
    report = serializers.JSONField(allow_null=True, help_text="The full report (ARCHITECTURE.md), when succeeded.")


class ValidationStartInput(serializers.Serializer):
    dataset_id = serializers.CharField(max_length=32)
    tier = serializers.ChoiceField(choices=Validation.Tier.choices)
    target_column = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=255, help_text="Required for comprehensive."
    )
    text_column = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    reference_dataset_id = serializers.CharField(
        required=False, allow_null=True, default=None, max_length=32, help_text="A ready dataset of healthy data."
    )
    fail_if = serializers.DictField(
        required=False,
        default=dict,
        help_text='Gate rules, e.g. {"quality_score_lt": 80, "collapse_level_gte": "medium"}; the result is `gate`.',
    )


class ValidationListQuery(serializers.Serializer):
    dataset = serializers.CharField(required=False, max_length=32, help_text="A dataset id.")
    status = serializers.ChoiceField(choices=Validation.Status.choices, required=False)
    tier = serializers.ChoiceField(choices=Validation.Tier.choices, required=False)


LIST_FILTERS = tuple(ValidationListQuery().fields)


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Same key and body within 24 h returns the first response (and charges once); "
    "the same key with another body → 409.",
)


class ValidationListView(ListAPIView):
    serializer_class = ValidationOutput

    def get_queryset(self):
        query = {}
        if any(name in self.request.query_params for name in LIST_FILTERS):
            # Only a filtered list pays for the query serializer (the plain list is the hot path).
            serializer = ValidationListQuery(data=self.request.query_params)
            serializer.is_valid(raise_exception=True)
            query = serializer.validated_data
        return selectors.validation_summaries_for_user(
            user=self.request.user, dataset_id=query.get("dataset"), status=query.get("status"), tier=query.get("tier")
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([summary_from_values(row) for row in page])

    @extend_schema(
        parameters=[ValidationListQuery],
        responses={200: ValidationOutput(many=True)},
        tags=TAGS,
        operation_id="validations_list",
        description="Summaries, newest first (never the full reports).",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ValidationStartInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={202: ValidationOutput},
        tags=TAGS,
        operation_id="validations_create",
        description="Charge the tier's price (10 / 25 / 50 credits) and queue the validation.",
    )
    def post(self, request):
        data = validated_input(ValidationStartInput, request)

        def start() -> tuple[int, dict]:
            validation = services.validation_start(owner=request.user, **data)
            return status.HTTP_202_ACCEPTED, validation_summary(validation)

        key = request.headers.get("Idempotency-Key")
        if key is None:
            code, body = start()
            return Response(body, status=code)
        code, body, replayed = services.idempotent_call(owner=request.user, key=key, body=request.data, call=start)
        response = Response(body, status=code)
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class ValidationDetailView(APIView):
    @extend_schema(responses={200: ValidationDetailOutput}, tags=TAGS, operation_id="validations_retrieve")
    def get(self, request, validation_id: str):
        validation = selectors.validation_get_for_user(user=request.user, validation_id=validation_id)
        return Response(validation_detail(validation))


class ValidationReportView(APIView):
    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        tags=TAGS,
        operation_id="validations_report",
        description="The report JSON (schema_version 1); 409 until the validation has succeeded.",
    )
    def get(self, request, validation_id: str):
        validation = selectors.validation_get_for_user(user=request.user, validation_id=validation_id)
        if validation.status != Validation.Status.SUCCEEDED:
            raise Conflict(f"The validation is {validation.status}; its report exists once it has succeeded.")
        return Response(validation.report)


class ValidationCancelView(APIView):
    @extend_schema(
        request=None,
        responses={200: ValidationOutput},
        tags=TAGS,
        operation_id="validations_cancel",
        description="Cancel at once; full refund if it had not started, none once running; 409 if finished.",
    )
    def post(self, request, validation_id: str):
        validation = selectors.validation_get_for_user(user=request.user, validation_id=validation_id)
        validation = services.validation_cancel(validation=validation)
        return Response(validation_summary(validation))
