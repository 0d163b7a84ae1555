import datetime

from rest_framework import pagination
from rest_framework.exceptions import NotFound


class CursorPagination(pagination.CursorPagination):
    """`?limit=&cursor=`; newest first; opaque cursors never reveal row counts."""

    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100
    ordering = ("-created_at", "-pk")

    def decode_cursor(self, request):
        # Positions are created_at times; a cursor edited into anything else is invalid (404, as DRF
        # answers a cursor it cannot decode), not a database error.
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            try:
                datetime.datetime.fromisoformat(cursor.position)
            except ValueError:
                raise NotFound(self.invalid_cursor_message) from None
        return cursor

    def _get_position_from_instance(self, instance, ordering):
        # A hot list can bring each row's position already written as text (validations.summaries),
        # so no timestamp is parsed per row just to find the last one's.
        if isinstance(instance, dict) and "cursor_position" in instance:
            return instance["cursor_position"]
        return super()._get_position_from_instance(instance, ordering)

    def get_paginated_response(self, data):
        from rest_framework.response import Response

        return Response({"data": data, "next": self.get_next_link(), "previous": self.get_previous_link()})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["data"],
            "properties": {
                "data": schema,
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
            },
        }
