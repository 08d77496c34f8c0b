"""The OpenAPI document as made from endpoint declarations (edge/http/openapi.py), and
the declarations' own checks (edge/http/endpoint.py). The served document against the
server's router: tests/integration/test_rest_api.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

import pytest
from pydantic import Field
from typing_extensions import TypedDict

from socialsync.domain.access import Scope
from socialsync.edge.http.endpoint import Body, Call, Endpoint, Nothing, Ok, PathParams, Reply
from socialsync.edge.http.openapi import ERROR_REF, document
from socialsync.edge.http.pagination import Page, PageQuery
from socialsync.edge.http.params import PartyPath


class Thing(TypedDict):
    id: str
    size: int


class ThingQuery(PageQuery):
    colour: Literal["red", "blue"] | None = None


class ThingCreate(Body):
    name: Annotated[str, Field(min_length=1, max_length=20)]
    size: Annotated[int, Field(ge=0)] = 1


class ThingPatch(Body):
    size: int | None = None


class ThingPath(PathParams):
    party: str
    thing: str


async def create(call: Call[Nothing, Nothing, ThingCreate]) -> Reply:
    return {"ok": True}


async def listing(call: Call[PartyPath, ThingQuery]) -> Reply:
    return {"ok": True, "items": [], "next_cursor": None}


async def patch(call: Call[ThingPath, Nothing, ThingPatch]) -> Reply:
    return {"ok": True}


ENDPOINTS = [
    Endpoint(
        method="POST",
        path="/api/v1/things",
        handler=create,
        summary="Make a thing",
        tag="things",
        scope=Scope.PARTIES_WRITE,
        body=ThingCreate,
        example={"name": "one"},
        status=201,
    ),
    Endpoint(
        method="GET",
        path="/api/v1/parties/{party}/things",
        handler=listing,
        summary="A party's things",
        tag="things",
        scope=Scope.MODERATION_WRITE,
        path_params=PartyPath,
        query=ThingQuery,
        response=Page[Thing],
        errors=(409,),
    ),
    Endpoint(
        method="PATCH",
        path="/api/v1/parties/{party}/things/{thing}",
        handler=patch,
        summary="Change a thing",
        tag="things",
        scope=Scope.PARTIES_WRITE,
        path_params=ThingPath,
        body=ThingPatch,
        response=Ok,
    ),
]


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return document(ENDPOINTS)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def test_an_operation_per_declaration_and_every_reference_resolves(doc: dict[str, Any]) -> None:
    assert doc["openapi"] == "3.1.0"
    operations = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert operations == {(e.method, e.path) for e in ENDPOINTS}
    for ref in set(_refs(doc)):
        assert _resolve(doc, ref) is not None, ref
    assert len({op["operationId"] for ops in doc["paths"].values() for op in ops.values()}) == 3


def test_path_and_query_models_become_parameters_without_null(doc: dict[str, Any]) -> None:
    op = doc["paths"]["/api/v1/parties/{party}/things"]["get"]
    params = {(p["name"], p["in"]): p for p in op["parameters"]}
    assert set(params) == {("party", "path"), ("limit", "query"), ("cursor", "query"), ("colour", "query")}
    assert params["party", "path"]["required"] is True
    assert params["party", "path"]["schema"]["pattern"] == "^[A-Za-z0-9_-]+$"
    assert params["limit", "query"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 200,
        "default": 50,
    }
    assert params["colour", "query"] == {
        "name": "colour",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["red", "blue"]},
    }
    assert params["cursor", "query"]["schema"]["type"] == "string"
    # The containers are not schemas of their own.
    assert not {"ThingQuery", "PartyPath", "ThingPath"} & set(doc["components"]["schemas"])


def test_bodies_answers_and_errors(doc: dict[str, Any]) -> None:
    post = doc["paths"]["/api/v1/things"]["post"]
    body = post["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["example"] == {"name": "one"}
    created = _resolve(doc, body["content"]["application/json"]["schema"]["$ref"])
    assert created["required"] == ["name"] and created["additionalProperties"] is False
    assert set(post["responses"]) == {"201", "400", "401", "403", "413", "429", "503"}
    patch = doc["paths"]["/api/v1/parties/{party}/things/{thing}"]["patch"]
    assert patch["requestBody"]["required"] is False  # every field optional: the body may be left out
    assert set(patch["responses"]) == {"200", "400", "401", "403", "404", "413", "429", "503"}
    listing = doc["paths"]["/api/v1/parties/{party}/things"]["get"]
    assert "409" in listing["responses"] and "413" not in listing["responses"]
    page = _resolve(doc, listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"])
    assert page["required"] == ["ok", "items", "next_cursor"]
    assert _resolve(doc, page["properties"]["items"]["items"]["$ref"])["required"] == ["id", "size"]
    for status in ("401", "403", "429"):
        response = _resolve(doc, listing["responses"][status]["$ref"])
        assert response["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}
    assert "Retry-After" in _resolve(doc, listing["responses"]["429"]["$ref"])["headers"]
    error = _resolve(doc, ERROR_REF)
    assert error["properties"]["ok"] == {"const": False, "type": "boolean"}


def test_security_names_the_scope(doc: dict[str, Any]) -> None:
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == schemes["apiKey"]["scheme"] == "bearer"
    listing = doc["paths"]["/api/v1/parties/{party}/things"]["get"]
    assert listing["security"] == [{"bearer": []}, {"apiKey": ["moderation:write"]}]
    assert listing["x-scope"] == "moderation:write"


def test_a_declaration_that_disagrees_with_its_handler_is_refused() -> None:
    with pytest.raises(TypeError, match="the handler takes Call"):
        Endpoint(
            method="POST",
            path="/api/v1/things",
            handler=create,  # reads a ThingCreate body
            summary="x",
            tag="things",
            scope=Scope.PARTIES_WRITE,
        )
    with pytest.raises(TypeError, match="path_params must have exactly"):
        Endpoint(
            method="GET",
            path="/api/v1/parties/{party}/stuff/{thing}",
            handler=listing,
            summary="x",
            tag="things",
            scope=Scope.PARTIES_WRITE,
            path_params=PartyPath,
            query=ThingQuery,
        )
