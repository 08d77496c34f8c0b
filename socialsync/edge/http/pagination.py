"""Cursor pagination, the same on every list endpoint (docs/api.md#pagination).

``?limit=`` (1..200, default 50) and ``?cursor=`` (opaque: the URL-safe base64 of the
last item's sort key, as the previous page's ``next_cursor`` gave it). The answer is
``{ok: true, items: [...], next_cursor: str | null}``; null: there is no more.

A list kept in memory is paged with ``paginate``; a store that pages itself takes the
decoded key (``decode_cursor``) and gives back the items after it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import Field
from typing_extensions import TypedDict

from socialsync.domain.errors import bad_request
from socialsync.edge.http.endpoint import QueryParams

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_CHARS = 512
MAX_KEY_PARTS = 4

T = TypeVar("T")
Key = tuple[int | str, ...]


Cursor = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_CURSOR_CHARS,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The previous page's `next_cursor`; absent: the first page.",
    ),
]


class PageQuery(QueryParams):
    """The query of a list endpoint: subclass it to add the endpoint's filters."""

    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT
    cursor: Cursor | None = None


class Page(TypedDict, Generic[T]):
    """A page of a list: its items in order, and the cursor of the next page (null: the last)."""

    ok: Literal[True]
    items: list[T]
    next_cursor: str | None


def encode_cursor(key: Key) -> str:
    raw = json.dumps(list(key), separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> Key:
    """The sort key a cursor carries; bad_request for anything this server did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError):
        raise bad_request("cursor: malformed (send a next_cursor as it was given)") from None
    ok = (
        isinstance(key, list)
        and 1 <= len(key) <= MAX_KEY_PARTS
        and all(isinstance(part, int | str) and not isinstance(part, bool) for part in key)
    )
    if not ok:
        raise bad_request("cursor: malformed (send a next_cursor as it was given)")
    return tuple(key)


def paginate(items: Sequence[T], key: Callable[[T], Key], query: PageQuery) -> tuple[list[T], str | None]:
    """The page ``query`` asks for of ``items`` ordered by ``key`` (unique per item),
    and the next page's cursor (None: this is the last)."""
    ordered = sorted(items, key=key)
    if query.cursor is not None:
        after = decode_cursor(query.cursor)
        try:
            ordered = [item for item in ordered if key(item) > after]
        except TypeError:  # a key of another list's shape
            raise bad_request("cursor: not a cursor of this list") from None
    page = ordered[: query.limit]
    more = len(ordered) > query.limit
    return page, encode_cursor(key(page[-1])) if more and page else None


def page_answer(items: list[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"ok": True, "items": items, "next_cursor": next_cursor}
