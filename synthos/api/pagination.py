import datetime

from django.db.models import Q
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor
from rest_framework.utils.urls import remove_query_param


class CursorPagination(pagination.CursorPagination):
    """`?limit=&cursor=`; newest first; opaque cursors never reveal row counts.

    Keyset pagination on (created_at, id): a cursor holds the created_at and id of the row it
    continues from, so rows that share a created_at (one transaction, one bulk insert) page
    forwards and backwards without loss or repeat. DRF's own CursorPagination pages by created_at
    plus an offset among equal times, which loses rows going back across such ties. Cursors of
    that older form (a time only) still read: they continue from every row of that time.
    """

    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100
    ordering = ("-created_at", "-pk")

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.cursor = self.decode_cursor(request)
        backwards = bool(self.cursor and self.cursor.reverse)
        ordering = ("created_at", "pk") if backwards else self.ordering
        queryset = queryset.order_by(*ordering)
        if self.cursor is not None and self.cursor.position is not None:
            try:
                moment, pk = _split_position(self.cursor.position)
            except ValueError:
                # A cursor edited into anything but a position is invalid (404, as DRF answers a
                # cursor it cannot decode), never a database error.
                raise NotFound(self.invalid_cursor_message) from None
            queryset = _beyond(queryset, moment, pk, newer=backwards)
        rows = list(queryset[: self.page_size + 1])
        more = len(rows) > self.page_size
        self.page = rows[: self.page_size]
        if backwards:
            self.page.reverse()
            self.has_previous, self.has_next = more, True
        else:
            self.has_next, self.has_previous = more, bool(self.cursor and self.cursor.position)
        return self.page

    def get_next_link(self):
        if not self.has_next:
            return None
        if not self.page:  # went back past the newest row: next is the first page again
            return remove_query_param(self.base_url, self.cursor_query_param)
        return self.encode_cursor(Cursor(offset=0, reverse=False, position=self._position(self.page[-1])))

    def get_previous_link(self):
        if not self.has_previous:
            return None
        if not self.page:
            return self.encode_cursor(Cursor(offset=0, reverse=True, position=self.cursor.position))
        return self.encode_cursor(Cursor(offset=0, reverse=True, position=self._position(self.page[0])))

    @staticmethod
    def _position(row) -> str:
        # A hot list brings each row's position already written as text (validations.summaries),
        # so no timestamp is parsed per row just to find the last one's.
        if isinstance(row, dict):
            moment = row.get("cursor_position") or row["created_at"].isoformat()
            return f"{moment}|{row.get('cursor_id', row.get('id'))}"
        return f"{row.created_at.isoformat()}|{row.pk}"

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


def _split_position(position: str) -> tuple[datetime.datetime, str | None]:
    """`created_at|id` (or a time alone, as older cursors hold) → (aware time, id or None)."""
    moment_text, _, pk = position.partition("|")
    moment = datetime.datetime.fromisoformat(moment_text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment, (pk or None)


def _beyond(queryset, moment: datetime.datetime, pk: str | None, *, newer: bool):
    """The rows after (created_at, id) in the list's order: older ones, or with `newer` newer ones."""
    if hasattr(queryset, "beyond"):  # validations.summaries.SummaryRows: the same condition in its SQL
        return queryset.beyond(moment, pk, newer=newer)
    later, same = ("created_at__gt", "pk__gt") if newer else ("created_at__lt", "pk__lt")
    condition = Q(**{later: moment})
    if pk is not None:
        condition |= Q(created_at=moment, **{same: pk})
    return queryset.filter(condition)
