"""Each API method is written once, as a builder of a request description; the sync and
the async client run the same description with their own transport.

A resource (``Parties``, ``Members``...) is a class of builders, each decorated with
its route: ``@call("GET", "/api/v1/parties/{party}")`` over a method that returns a
``Spec`` (path parameters, query, body, and how to read the answer). Read through a
``Parties[Sync]`` the method runs the request and returns its result; through a
``Parties[Async]`` it returns an awaitable of it; ``pages(list)`` iterates every item of
a cursor-paged list (``for`` or ``async for``). The decorators' ``__get__`` overloads are
what let mypy and editors see each method's own signature and result in both clients.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Concatenate, Generic, Literal, ParamSpec, Protocol, TypeVar, overload
from urllib.parse import quote

from socialsync.platform._models import Page

P = ParamSpec("P")
T = TypeVar("T")
M = TypeVar("M", bound="Mode")

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
QueryValue = str | int | bool | None


class Mode:
    """How a client runs requests: ``Sync`` (returns results) or ``Async`` (awaitables)."""


class Sync(Mode):
    pass


class Async(Mode):
    pass


class Unset:
    """The value of an argument left out (where ``None`` means something: "clear it")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset()


def compact(**fields: Any) -> dict[str, Any]:
    """The fields given: None and UNSET are left out."""
    return {k: v for k, v in fields.items() if v is not None and not isinstance(v, Unset)}


def given(**fields: Any) -> dict[str, Any]:
    """The fields given: UNSET is left out, None is sent (as null)."""
    return {k: v for k, v in fields.items() if not isinstance(v, Unset)}


def ok(data: Any) -> None:
    """The reader of an answer that only says it worked."""


@dataclass(frozen=True, slots=True)
class Spec(Generic[T]):
    """What one call adds to its route: path parameters, the query, the JSON body, and
    ``read``, which turns the answer's JSON into the result."""

    read: Callable[[Any], T]
    path: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, QueryValue] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Request(Generic[T]):
    """A request to send: ``idempotent`` ones are retried after a 503 or a lost answer."""

    method: Method
    route: str
    spec: Spec[T]
    idempotent: bool

    @property
    def path(self) -> str:
        values = {k: quote(v, safe="") for k, v in self.spec.path.items()}
        return self.route.format_map(values)

    def params(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in self.spec.query.items():
            if value is None:
                continue
            out[name] = str(value).lower() if isinstance(value, bool) else str(value)
        return out

    def after(self, cursor: str) -> Request[T]:
        """The same request for the page after ``cursor``."""
        spec = dataclasses.replace(self.spec, query={**self.spec.query, "cursor": cursor})
        return dataclasses.replace(self, spec=spec)


class Runner(Protocol):
    """A client's transport: ``send`` returns the result (sync) or an awaitable of it;
    ``items`` an iterator (sync) or an async iterator of every item of a paged list."""

    def send(self, request: Request[Any]) -> Any: ...

    def items(self, request: Request[Page[Any]]) -> Any: ...


class Resource(Generic[M]):
    """A family of endpoints, bound to a client's runner."""

    def __init__(self, runner: Runner) -> None:
        self._runner = runner


Builder = Callable[Concatenate[Any, P], Spec[T]]


class Operation(Generic[P, T]):
    """One endpoint of a resource: its route, and the builder of its requests."""

    def __init__(self, method: Method, route: str, build: Builder[P, T], idempotent: bool) -> None:
        self.method = method
        self.route = route
        self.build = build
        self.idempotent = idempotent
        self.__doc__ = build.__doc__

    def request(self, resource: Resource[Any], *args: P.args, **kwargs: P.kwargs) -> Request[T]:
        return Request(self.method, self.route, self.build(resource, *args, **kwargs), self.idempotent)

    @overload
    def __get__(self, resource: None, owner: type[Any]) -> Operation[P, T]: ...
    @overload
    def __get__(self, resource: Resource[Sync], owner: type[Any]) -> Callable[P, T]: ...
    @overload
    def __get__(self, resource: Resource[Async], owner: type[Any]) -> Callable[P, Awaitable[T]]: ...
    def __get__(self, resource: Resource[Any] | None, owner: type[Any]) -> Any:
        if resource is None:
            return self

        @functools.wraps(self.build)
        def bound(*args: P.args, **kwargs: P.kwargs) -> Any:
            return resource._runner.send(self.request(resource, *args, **kwargs))

        return bound


def call(
    method: Method, route: str, *, idempotent: bool | None = None
) -> Callable[[Builder[P, T]], Operation[P, T]]:
    """Declares a builder as the endpoint ``method route``. GET, PUT and DELETE are
    idempotent unless said otherwise; POST and PATCH only when said."""
    safe = method in ("GET", "PUT", "DELETE") if idempotent is None else idempotent

    def declare(build: Builder[P, T]) -> Operation[P, T]:
        return Operation(method, route, build, safe)

    return declare


class Paged(Generic[P, T]):
    """Every item of a paged list, page after page: the list's own arguments (``limit``
    is the page size, ``cursor`` where to start)."""

    def __init__(self, listing: Operation[P, Page[T]]) -> None:
        self.listing = listing
        self.__doc__ = f"Every item of: {listing.__doc__ or listing.route}"

    @overload
    def __get__(self, resource: None, owner: type[Any]) -> Paged[P, T]: ...
    @overload
    def __get__(self, resource: Resource[Sync], owner: type[Any]) -> Callable[P, Iterator[T]]: ...
    @overload
    def __get__(self, resource: Resource[Async], owner: type[Any]) -> Callable[P, AsyncIterator[T]]: ...
    def __get__(self, resource: Resource[Any] | None, owner: type[Any]) -> Any:
        if resource is None:
            return self

        @functools.wraps(self.listing.build)
        def bound(*args: P.args, **kwargs: P.kwargs) -> Any:
            return resource._runner.items(self.listing.request(resource, *args, **kwargs))

        return bound


def pages(listing: Operation[P, Page[T]]) -> Paged[P, T]:
    return Paged(listing)
