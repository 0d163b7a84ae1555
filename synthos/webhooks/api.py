"""Webhook endpoints of the API: CRUD, the delivery log, resend, and a test event.

Thin: input serializer → selector → one service → output serializer.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from synthos.api.inputs import validated_input
from synthos.webhooks import selectors, services
from synthos.webhooks.models import EventType, WebhookDelivery

TAGS = ["webhooks"]
EVENTS_HELP = f"Event types to receive: {', '.join(EventType.values)}."


class WebhookEndpointOutput(serializers.Serializer):
    id = serializers.CharField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField(), help_text=EVENTS_HELP)
    description = serializers.CharField()
    is_active = serializers.BooleanField()
    secret_hint = serializers.CharField(help_text="The start of the signing secret (the full one is shown once).")
    failing_since = serializers.DateTimeField(allow_null=True, help_text="Start of the current run of failures.")
    disabled_at = serializers.DateTimeField(allow_null=True)
    disabled_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class WebhookEndpointCreatedOutput(WebhookEndpointOutput):
    secret = serializers.CharField(help_text="whsec_…: verify Synthos-Signature with it. Shown once; store it now.")


class WebhookEndpointCreateInput(serializers.Serializer):
    url = serializers.CharField(max_length=2000, help_text="An https:// URL on a public address.")
    events = serializers.ListField(child=serializers.CharField(max_length=40), help_text=EVENTS_HELP)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class WebhookEndpointUpdateInput(serializers.Serializer):
    url = serializers.CharField(required=False, max_length=2000)
    events = serializers.ListField(child=serializers.CharField(max_length=40), required=False, help_text=EVENTS_HELP)
    description = serializers.CharField(required=False, allow_blank=True, max_length=255)
    is_active = serializers.BooleanField(required=False, help_text="true re-enables a disabled endpoint.")


class WebhookAttemptOutput(serializers.Serializer):
    number = serializers.IntegerField()
    succeeded = serializers.BooleanField(source="is_success")
    status_code = serializers.IntegerField(allow_null=True, help_text="Null when no answer came (timeout, refused).")
    duration_ms = serializers.IntegerField()
    response_excerpt = serializers.CharField(help_text="The first 1 KB of the receiver's answer.")
    error = serializers.CharField()
    created_at = serializers.DateTimeField()


class WebhookDeliveryOutput(serializers.Serializer):
    id = serializers.CharField()
    event_id = serializers.CharField()
    event_type = serializers.CharField(source="event.type")
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices)
    attempt_count = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True, help_text="When the next retry is due, if any.")
    last_status_code = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    attempts = WebhookAttemptOutput(many=True, help_text="Newest first.")


class WebhookListView(ListAPIView):
    serializer_class = WebhookEndpointOutput

    def get_queryset(self):
        return selectors.endpoint_list_for_user(user=self.request.user)

    @extend_schema(responses={200: WebhookEndpointOutput(many=True)}, tags=TAGS, operation_id="webhooks_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=WebhookEndpointCreateInput,
        responses={201: WebhookEndpointCreatedOutput},
        tags=TAGS,
        operation_id="webhooks_create",
        description="Register a receiver. The signing secret is in this response only.",
    )
    def post(self, request):
        data = validated_input(WebhookEndpointCreateInput, request)
        endpoint = services.endpoint_create(owner=request.user, **data)
        return Response(WebhookEndpointCreatedOutput(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    @extend_schema(responses={200: WebhookEndpointOutput}, tags=TAGS, operation_id="webhooks_retrieve")
    def get(self, request, endpoint_id: str):
        endpoint = selectors.endpoint_get_for_user(user=request.user, endpoint_id=endpoint_id)
        return Response(WebhookEndpointOutput(endpoint).data)

    @extend_schema(
        request=WebhookEndpointUpdateInput,
        responses={200: WebhookEndpointOutput},
        tags=TAGS,
        operation_id="webhooks_update",
    )
    def patch(self, request, endpoint_id: str):
        data = validated_input(WebhookEndpointUpdateInput, request)
        endpoint = selectors.endpoint_get_for_user(user=request.user, endpoint_id=endpoint_id)
        endpoint = services.endpoint_update(endpoint=endpoint, **data)
        return Response(WebhookEndpointOutput(endpoint).data)

    @extend_schema(responses={204: None}, tags=TAGS, operation_id="webhooks_destroy")
    def delete(self, request, endpoint_id: str):
        endpoint = selectors.endpoint_get_for_user(user=request.user, endpoint_id=endpoint_id)
        services.endpoint_delete(endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveryListView(ListAPIView):
    serializer_class = WebhookDeliveryOutput

    def get_queryset(self):
        endpoint = selectors.endpoint_get_for_user(user=self.request.user, endpoint_id=self.kwargs["endpoint_id"])
        return selectors.delivery_list_for_endpoint(endpoint=endpoint)

    @extend_schema(
        responses={200: WebhookDeliveryOutput(many=True)},
        tags=TAGS,
        operation_id="webhooks_deliveries_list",
        description="Deliveries to this endpoint, newest first, each with its attempt log.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class WebhookDeliveryResendView(APIView):
    @extend_schema(
        request=None,
        responses={202: WebhookDeliveryOutput},
        tags=TAGS,
        operation_id="webhooks_deliveries_resend",
        description="Deliver the same event again as a new delivery (same event id); 409 if the endpoint is disabled.",
    )
    def post(self, request, endpoint_id: str, delivery_id: str):
        delivery = selectors.delivery_get_for_user(user=request.user, endpoint_id=endpoint_id, delivery_id=delivery_id)
        resent = services.delivery_resend(delivery=delivery)
        resent = selectors.delivery_list_for_endpoint(endpoint=resent.endpoint).get(pk=resent.pk)
        return Response(WebhookDeliveryOutput(resent).data, status=status.HTTP_202_ACCEPTED)


class WebhookTestView(APIView):
    @extend_schema(
        request=None,
        responses={202: WebhookDeliveryOutput},
        tags=TAGS,
        operation_id="webhooks_test",
        description="Send a `ping` event to this endpoint now.",
    )
    def post(self, request, endpoint_id: str):
        endpoint = selectors.endpoint_get_for_user(user=request.user, endpoint_id=endpoint_id)
        delivery = services.endpoint_send_test(endpoint=endpoint)
        delivery = selectors.delivery_list_for_endpoint(endpoint=endpoint).get(pk=delivery.pk)
        return Response(WebhookDeliveryOutput(delivery).data, status=status.HTTP_202_ACCEPTED)
