"""Support endpoints of API.md: open, list, read, answer and close tickets."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from support import selectors, services
from support.models import Ticket
from synthos.api.inputs import validated_input


# Documented without "enum": drf-spectacular would name it StatusEnum, colliding with the datasets'
# status and warning (which fails the deploy check) until settings gain an ENUM_NAME_OVERRIDES entry.
@extend_schema_field(
    {"type": "string", "description": f"One of: {', '.join(Ticket.Status.values)}.", "example": Ticket.Status.OPEN}
)
class TicketStatusField(serializers.CharField):
    pass


class TicketCreateInput(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=20000)
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices)
    dataset_id = serializers.CharField(required=False, max_length=32, help_text="A dataset of yours this is about.")
    validation_id = serializers.CharField(required=False, max_length=32, help_text="A validation of yours.")


class TicketMessageCreateInput(serializers.Serializer):
    body = serializers.CharField(max_length=20000)


class TicketMessageOutput(serializers.Serializer):
    id = serializers.CharField()
    author = serializers.ChoiceField(source="author_role", choices=["customer", "staff"])
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class TicketSummaryOutput(serializers.Serializer):
    id = serializers.CharField()
    subject = serializers.CharField()
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices)
    status = TicketStatusField()
    dataset_id = serializers.CharField(source="related_dataset_id", allow_null=True)
    validation_id = serializers.CharField(source="related_validation_id", allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, ticket):
        data = super().to_representation(ticket)
        # No link reads as null, not as an empty string.
        data["dataset_id"] = data["dataset_id"] or None
        data["validation_id"] = data["validation_id"] or None
        return data


class TicketOutput(TicketSummaryOutput):
    messages = TicketMessageOutput(many=True)


class TicketListView(GenericAPIView):
    serializer_class = TicketSummaryOutput

    def get_queryset(self):
        return selectors.ticket_list_for_user(user=self.request.user)

    @extend_schema(responses={200: TicketSummaryOutput(many=True)}, tags=["support"], summary="List your tickets")
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TicketSummaryOutput(page, many=True).data)

    @extend_schema(
        request=TicketCreateInput,
        responses={201: TicketOutput, 404: OpenApiResponse(description="dataset_id or validation_id not yours")},
        tags=["support"],
        summary="Open a ticket",
    )
    def post(self, request):
        data = validated_input(TicketCreateInput, request)
        ticket = services.ticket_create(owner=request.user, **data)
        ticket = selectors.ticket_get_for_user(user=request.user, ticket_id=ticket.id)
        return Response(TicketOutput(ticket).data, status=status.HTTP_201_CREATED)


class TicketDetailView(APIView):
    @extend_schema(responses={200: TicketOutput}, tags=["support"], summary="A ticket with its messages")
    def get(self, request, ticket_id: str):
        ticket = selectors.ticket_get_for_user(user=request.user, ticket_id=ticket_id)
        return Response(TicketOutput(ticket).data)


class TicketMessageCreateView(APIView):
    @extend_schema(
        request=TicketMessageCreateInput,
        responses={201: TicketMessageOutput, 409: OpenApiResponse(description="The ticket is closed")},
        tags=["support"],
        summary="Add your message to a ticket",
    )
    def post(self, request, ticket_id: str):
        ticket = selectors.ticket_get_for_user(user=request.user, ticket_id=ticket_id)
        data = validated_input(TicketMessageCreateInput, request)
        message = services.ticket_reply_by_customer(ticket=ticket, body=data["body"])
        return Response(TicketMessageOutput(message).data, status=status.HTTP_201_CREATED)


class TicketCloseView(APIView):
    @extend_schema(
        request=None,
        responses={200: TicketOutput, 409: OpenApiResponse(description="Already closed")},
        tags=["support"],
        summary="Close a ticket",
    )
    def post(self, request, ticket_id: str):
        ticket = selectors.ticket_get_for_user(user=request.user, ticket_id=ticket_id)
        services.ticket_close(ticket=ticket)
        ticket = selectors.ticket_get_for_user(user=request.user, ticket_id=ticket_id)
        return Response(TicketOutput(ticket).data)
