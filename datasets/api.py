"""Datasets endpoints of API.md: create + upload instructions, complete, list, detail, preview,
download, delete. Thin: input serializer → selector → one service → output serializer."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from datasets import selectors, services
from datasets.models import Dataset
from datasets.storage import get_storage
from synthos.api.inputs import validated_input
from synthos.errors import Conflict
from synthos.timestamps import api_datetime

PREVIEW_DEFAULT_LIMIT = 20


class ColumnOutput(serializers.Serializer):
    name = serializers.CharField()
    dtype = serializers.CharField()
    null_fraction = serializers.FloatField()
    distinct = serializers.IntegerField(allow_null=True, help_text="Approximate distinct non-null values.")


class DatasetListOutput(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    filename = serializers.CharField()
    format = serializers.CharField()
    compression = serializers.CharField(allow_null=True, help_text="Null until sniffed when not declared.")
    size_bytes = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Dataset.Status.choices)
    error = serializers.CharField(help_text="Why the dataset failed, in plain English; empty otherwise.")
    declared_sha256 = serializers.CharField()
    sha256 = serializers.CharField()
    expected_rows = serializers.IntegerField(allow_null=True)
    row_count = serializers.IntegerField(allow_null=True)
    columns = ColumnOutput(many=True)
    warnings = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    uploaded_at = serializers.DateTimeField(allow_null=True)
    inspected_at = serializers.DateTimeField(allow_null=True)


class DatasetOutput(DatasetListOutput):
    preview = serializers.ListField(
        child=serializers.DictField(), help_text="The first rows (up to 100), stored at inspection."
    )


class SignedRequestOutput(serializers.Serializer):
    url = serializers.URLField()
    method = serializers.CharField()
    headers = serializers.DictField(child=serializers.CharField())
    expires_at = serializers.DateTimeField()


class DownloadOutput(serializers.Serializer):
    url = serializers.URLField()
    method = serializers.CharField()
    expires_at = serializers.DateTimeField()


class DatasetCreatedOutput(serializers.Serializer):
    dataset = DatasetOutput()
    upload = SignedRequestOutput()


class DatasetCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    filename = serializers.CharField(max_length=255)
    format = serializers.ChoiceField(choices=Dataset.Format.choices)
    size_bytes = serializers.IntegerField(min_value=1)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    compression = serializers.ChoiceField(
        choices=Dataset.Compression.choices, required=False, allow_null=True, help_text="Sniffed when absent."
    )
    expected_rows = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$",
        required=False,
        allow_null=True,
        error_messages={"invalid": "Enter the SHA-256 as 64 hexadecimal characters."},
    )


class DatasetListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Dataset.Status.choices, required=False)
    search = serializers.CharField(required=False, allow_blank=True, max_length=200)


class PreviewQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=100, default=PREVIEW_DEFAULT_LIMIT)


class PreviewOutput(serializers.Serializer):
    columns = serializers.ListField(child=serializers.CharField())
    data = serializers.ListField(child=serializers.DictField())


def _optional(value, convert):
    return None if value is None else convert(value)


def _column_output(column: dict) -> dict:
    return {
        "name": _optional(column["name"], str),
        "dtype": _optional(column["dtype"], str),
        "null_fraction": _optional(column["null_fraction"], float),
        "distinct": _optional(column["distinct"], int),
    }


def dataset_output(dataset: Dataset, *, with_preview: bool = True) -> dict:
    """What DatasetOutput (without the preview: DatasetListOutput) makes of a dataset, written out
    by hand: this is a hot read path, and the DRF serializer costs about a millisecond a dataset.
    The serializers stay as the documented schema; a test keeps the two equal."""
    body = {
        "id": dataset.id,
        "name": dataset.name,
        "description": dataset.description,
        "filename": dataset.filename,
        "format": dataset.format,
        "compression": dataset.compression,
        "size_bytes": dataset.size_bytes,
        "status": dataset.status,
        "error": dataset.error,
        "declared_sha256": dataset.declared_sha256,
        "sha256": dataset.sha256,
        "expected_rows": dataset.expected_rows,
        "row_count": dataset.row_count,
        "columns": [_column_output(column) for column in dataset.columns],
        "warnings": [_optional(warning, str) for warning in dataset.warnings],
        "created_at": api_datetime(dataset.created_at),
        "updated_at": api_datetime(dataset.updated_at),
        "uploaded_at": api_datetime(dataset.uploaded_at),
        "inspected_at": api_datetime(dataset.inspected_at),
    }
    if with_preview:
        body["preview"] = dataset.preview  # JSON objects: string keys, values as stored
    return body


def _signed(request, signed) -> dict:
    # The local backend signs a path on this server; S3 URLs are already absolute.
    return {
        "url": request.build_absolute_uri(signed.url),
        "method": signed.method,
        "headers": signed.headers,
        "expires_at": signed.expires_at,
    }


def _query(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class DatasetListView(ListAPIView):
    serializer_class = DatasetListOutput

    def get_queryset(self):
        query = _query(DatasetListQuery, self.request)
        return selectors.dataset_list_for_user(
            user=self.request.user, status=query.get("status"), search=query.get("search")
        ).defer("preview")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([dataset_output(dataset, with_preview=False) for dataset in page])

    @extend_schema(
        parameters=[DatasetListQuery],
        responses={200: DatasetListOutput(many=True)},
        tags=["datasets"],
        operation_id="datasets_list",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=DatasetCreateInput,
        responses={201: DatasetCreatedOutput},
        tags=["datasets"],
        operation_id="datasets_create",
        description="Create a dataset awaiting its upload; PUT the file to `upload.url`, then call complete.",
    )
    def post(self, request):
        data = validated_input(DatasetCreateInput, request)
        dataset, upload = services.dataset_create(owner=request.user, **data)
        body = {"dataset": dataset_output(dataset), "upload": _signed(request, upload)}
        return Response(DatasetCreatedOutput(body).data, status=status.HTTP_201_CREATED)


class DatasetDetailView(APIView):
    @extend_schema(responses={200: DatasetOutput}, tags=["datasets"], operation_id="datasets_retrieve")
    def get(self, request, dataset_id: str):
        dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
        return Response(dataset_output(dataset))

    @extend_schema(responses={204: None}, tags=["datasets"], operation_id="datasets_destroy")
    def delete(self, request, dataset_id: str):
        dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
        services.dataset_delete(dataset=dataset)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DatasetCompleteView(APIView):
    @extend_schema(
        request=None,
        responses={202: DatasetOutput},
        tags=["datasets"],
        operation_id="datasets_complete",
        description="Check the uploaded file (exists, declared size) and queue its inspection.",
    )
    def post(self, request, dataset_id: str):
        dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
        dataset = services.dataset_complete(dataset=dataset)
        return Response(dataset_output(dataset), status=status.HTTP_202_ACCEPTED)


class DatasetPreviewView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("limit", OpenApiTypes.INT, description="Rows, 1–100 (default 20).")],
        responses={200: PreviewOutput},
        tags=["datasets"],
        operation_id="datasets_preview",
    )
    def get(self, request, dataset_id: str):
        query = _query(PreviewQuery, request)
        dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
        if dataset.status != Dataset.Status.READY:
            raise Conflict(f"The dataset is {dataset.status}; a preview exists once it is ready.")
        names = [column["name"] for column in dataset.columns]
        # jsonb does not keep key order: give each row back in the column order.
        rows = [{name: row.get(name) for name in names} for row in dataset.preview[: query["limit"]]]
        return Response({"columns": names, "data": rows})


class DatasetDownloadView(APIView):
    @extend_schema(
        responses={200: DownloadOutput},
        tags=["datasets"],
        operation_id="datasets_download",
        description="A signed, expiring URL to GET the stored file from (never a redirect).",
    )
    def get(self, request, dataset_id: str):
        dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
        if dataset.status == Dataset.Status.AWAITING_UPLOAD:
            raise Conflict("The dataset has no file yet: it is still awaiting its upload.")
        signed = _signed(request, get_storage().download_instructions(dataset=dataset))
        return Response(DownloadOutput(signed).data)
