"""One declaration per REST endpoint: what it reads (path, query, body: pydantic models),
what it answers (a typed shape), who may call it (an API key's scope), and its handler.

``edge/http/rest.py`` turns the declarations into aiohttp routes (caller, scope, parsing,
errors, rate-limit headers) and ``edge/http/openapi.py`` into the OpenAPI document, so
what the handler validates and what the document says cannot drift apart. A family of
endpoints is one module with a class whose ``endpoints()`` lists its declarations
(``edge/http/parties.py`` is the model to copy); app.py hands it to ``RestApi``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, get_args, get_origin, get_type_hints

from aiohttp import web
from pydantic import BaseModel, ConfigDict
from typing_extensions import TypedDict, TypeVar

from socialsync.domain.access import Caller, Scope


class Nothing(BaseModel):
    """No path parameters, no query, or no body: the endpoint reads none."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class PathParams(BaseModel):
    """Base of path-parameter models: values come as strings (lax), unknown ones are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class QueryParams(BaseModel):
    """Base of query-string models: values come as strings (lax, so ``?limit=5`` is 5);
    parameters the endpoint does not know are ignored, as in bodies."""

    model_config = ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False)


class Body(BaseModel):
    """Base of REST-only body models (the socket's payloads are in protocol/inbound.py):
    JSON types as they are (strict), unknown fields refused."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", allow_inf_nan=False)


class Ok(TypedDict):
    """An answer that says only that it worked."""

    ok: Literal[True]


P = TypeVar("P", bound=BaseModel, default=Nothing)
Q = TypeVar("Q", bound=BaseModel, default=Nothing)
B = TypeVar("B", bound=BaseModel, default=Nothing)

# The 2xx JSON body (an object); or a response built by hand (an attachment).
Reply = Mapping[str, Any] | web.Response


@dataclass(frozen=True, slots=True)
class Call(Generic[P, Q, B]):
    """What a handler is called with: who calls, and its request parsed by the declaration."""

    caller: Caller
    path: P
    query: Q
    body: B
    request: web.Request


Handler = Callable[[Call[P, Q, B]], Awaitable[Reply]]


@dataclass(frozen=True, kw_only=True)
class Endpoint(Generic[P, Q, B]):
    """One REST endpoint. ``path`` is aiohttp's (``/api/v1/parties/{party}``); each of its
    parameters is a field of ``path_params``. ``response`` is the type (a TypedDict or a
    pydantic model) of the answer with ``status``; ``errors``: the statuses besides 400,
    401, 403, 429 and 503 (which every endpoint may answer) that it answers by design
    (404 is implied by path parameters, 413 by a body)."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str
    handler: Handler[P, Q, B]
    summary: str
    tag: str
    scope: Scope
    path_params: type[P] = Nothing  # type: ignore[assignment]  # a TypeVar's default
    query: type[Q] = Nothing  # type: ignore[assignment]
    body: type[B] = Nothing  # type: ignore[assignment]
    response: Any = Ok
    status: int = 200
    errors: tuple[int, ...] = ()
    description: str = ""
    # A body that works, shown in the document (and sent by its property-based test).
    example: Mapping[str, Any] | None = None
    # Content type of the 2xx answer when it is not the JSON envelope (an attachment).
    content_type: str = "application/json"
    # Another content type the 2xx answer may have, as text (``?format=csv``: "text/csv").
    alternative: str | None = None
    # Other content types its 2xx answer may have, chosen by its query (described as text).
    alternatives: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        declared = (self.path_params, self.query, self.body)
        annotated = _call_args(self.handler)
        if annotated is not None and annotated != declared:
            raise TypeError(
                f"{self.method} {self.path}: the handler takes Call[{_names(annotated)}] "
                f"but the declaration reads [{_names(declared)}]"
            )
        params = set(re.findall(r"{(\w+)}", self.path))
        if params != set(self.path_params.model_fields):
            raise TypeError(f"{self.method} {self.path}: path_params must have exactly {sorted(params)}")

    @property
    def operation_id(self) -> str:
        handler = getattr(self.handler, "__name__", "call")
        return f"{self.tag}_{handler}"

    def statuses(self) -> list[int]:
        """Every status the endpoint may answer, in order."""
        found = {self.status, 400, 401, 403, 429, 503, *self.errors}
        if "{" in self.path:
            found.add(404)
        if self.body is not Nothing:
            found.add(413)
        return sorted(found)


@dataclass(frozen=True, kw_only=True)
class Plain:
    """A route the adapter does not wrap (a file, the document itself), described by
    hand for the document: ``operation`` is its OpenAPI operation object."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    operation: dict[str, Any] = field(default_factory=dict)


AnyEndpoint = Endpoint[Any, Any, Any]


def _names(types: tuple[type[BaseModel], ...]) -> str:
    return ", ".join(t.__name__ for t in types)


def body_required(model: type[BaseModel]) -> bool:
    """Whether a request must carry a body: one of its fields is required."""
    return any(f.is_required() for f in model.model_fields.values())


def _call_args(handler: Callable[..., Any]) -> tuple[type[BaseModel], ...] | None:
    """The models a handler's ``Call[...]`` annotation names (None: not annotated)."""
    try:
        hints = get_type_hints(handler)
    except (NameError, TypeError):
        return None
    hints.pop("return", None)
    for hint in hints.values():
        if get_origin(hint) is Call:
            return tuple(get_args(hint))
    return None


class Family(Protocol):
    """A module's endpoints (parties, members, privacy...)."""

    def endpoints(self) -> list[AnyEndpoint]: ...
