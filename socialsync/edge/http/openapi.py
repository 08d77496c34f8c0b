"""The OpenAPI 3.1 document of the REST API, made from the endpoint declarations.

Each endpoint's path and query models become its parameters, its body model its
request body, its response type the schema of its success; the models' JSON Schemas
(pydantic's, as the handlers validate with them) go under ``components/schemas``.
Every operation lists the errors it may answer, in the one error shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode
from typing_extensions import TypedDict

from socialsync.edge.http.endpoint import AnyEndpoint, Nothing, Plain, body_required
from socialsync.protocol import shapes

OPENAPI_VERSION = "3.1.0"
REF = "#/components/schemas/{model}"
DOCUMENT_PATH = "/api/v1/openapi.json"
ERROR_REF = REF.format(model="ErrorAnswer")


class ErrorAnswer(TypedDict):
    """A refusal: its code decides the HTTP status (docs/protocol.md 1.5). Some carry
    more fields beside `error` (a conflict's current `playback`)."""

    ok: Literal[False]
    error: shapes.ErrorBody


_ERRORS = {
    400: "bad_request: the path, query or body is not valid (the message names the field)",
    401: "unauthorized: no token or API key, or one that is invalid, expired or revoked",
    403: "forbidden: the API key lacks the scope, the caller is a guest, or its role may not",
    404: "not_found: no such resource in the caller's tenant",
    409: "conflict: the resource's state does not allow it now",
    413: "too_large: the body, or a value in it, is too large",
    422: "moderated: refused by the moderation rules",
    429: "rate_limited: too many requests; wait `Retry-After` seconds",
    503: "unavailable: the server cannot answer now (a store is unreachable); try again",
}
_ERROR_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    413: "TooLarge",
    422: "Moderated",
    429: "RateLimited",
    503: "Unavailable",
}

_RATE_HEADERS: dict[str, Any] = {
    "RateLimit-Limit": {
        "description": "API keys only: the requests the key may make at once (its burst).",
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit-Remaining": {
        "description": "API keys only: what is left of it.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit-Reset": {
        "description": "API keys only: seconds until it is whole again.",
        "schema": {"type": "integer", "minimum": 0},
    },
}

SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A user's token signed by the tenant (docs/protocol.md 2.2). Its roles decide "
        "what it may do; guests' tokens are refused.",
    },
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "ssk_<id>_<secret>",
        "description": "An API key of the tenant (`Authorization: Bearer ssk_...`), limited to its "
        "scopes and rate-limited per key (`RateLimit-*` headers).",
    },
}


class _Generator(GenerateJsonSchema):
    """No titles on fields (a field's name says it)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _key(tp: Any) -> str:
    return f"{getattr(tp, '__module__', '')}.{getattr(tp, '__qualname__', repr(tp))}:{id(tp)}"


def _core_schema(tp: Any) -> Any:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp.__pydantic_core_schema__
    return TypeAdapter(tp).core_schema


class _Schemas:
    """Every type the document names, generated together so that shared ones are one
    definition."""

    def __init__(self, endpoints: Sequence[AnyEndpoint]) -> None:
        wanted: dict[tuple[str, JsonSchemaMode], Any] = {}
        for e in endpoints:
            for model in (e.path_params, e.query, e.body):
                if model is not Nothing:
                    wanted[(_key(model), "validation")] = model
            wanted[(_key(e.response), "serialization")] = e.response
        wanted[(_key(ErrorAnswer), "serialization")] = ErrorAnswer
        inputs = [(key, mode, _core_schema(tp)) for (key, mode), tp in wanted.items()]
        self.refs, self.defs = _Generator(by_alias=True, ref_template=REF).generate_definitions(inputs)
        assert self.of(ErrorAnswer, "serialization") == {"$ref": ERROR_REF}
        self._containers: set[str] = set()

    def of(self, tp: Any, mode: JsonSchemaMode) -> dict[str, Any]:
        return dict(self.refs[(_key(tp), mode)])

    def parameters(self, model: type[BaseModel], where: str) -> list[dict[str, Any]]:
        """A path or query model's fields, as parameters (the model itself is no schema)."""
        if model is Nothing:
            return []
        ref = self.of(model, "validation")["$ref"]
        name = ref.rsplit("/", 1)[1]
        self._containers.add(name)
        schema = self.defs[name]
        required = set(schema.get("required", ()))
        out = []
        for field, field_schema in schema.get("properties", {}).items():
            field_schema = _not_null(field_schema)
            parameter: dict[str, Any] = {"name": field, "in": where, "required": field in required}
            description = field_schema.pop("description", None)
            if description:
                parameter["description"] = description
            parameter["schema"] = field_schema
            out.append(parameter)
        return out

    def components(self) -> dict[str, Any]:
        """The definitions, less the path and query models (their fields are parameters)."""
        return {k: v for k, v in sorted(self.defs.items()) if k not in self._containers}


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema without the null of an optional field: a parameter left out
    is how a URL says none (it has no null)."""
    schema = dict(schema)
    if schema.get("default", 0) is None:
        del schema["default"]
    branches = [b for b in schema.get("anyOf", ()) if b != {"type": "null"}]
    if "anyOf" in schema and len(branches) == 1:
        del schema["anyOf"]
        schema = branches[0] | schema
    return schema


def _operation(e: AnyEndpoint, schemas: _Schemas) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": e.operation_id,
        "summary": e.summary,
        "tags": [e.tag],
    }
    if e.description:
        op["description"] = e.description
    parameters = schemas.parameters(e.path_params, "path") + schemas.parameters(e.query, "query")
    if parameters:
        op["parameters"] = parameters
    if e.body is not Nothing:
        media: dict[str, Any] = {"schema": schemas.of(e.body, "validation")}
        if e.example is not None:
            media["example"] = dict(e.example)
        op["requestBody"] = {"required": body_required(e.body), "content": {"application/json": media}}
    success: dict[str, Any] = {
        "description": "Success.",
        "headers": {name: {"$ref": f"#/components/headers/{name}"} for name in _RATE_HEADERS},
        "content": {e.content_type: {"schema": schemas.of(e.response, "serialization")}},
    }
    if e.alternative is not None:
        success["content"][e.alternative] = {"schema": {"type": "string"}}
    for other in e.alternatives:
        success["content"][other] = {"schema": {"type": "string"}}
    responses: dict[str, Any] = {}
    for status in e.statuses():
        if status == e.status:
            responses[str(status)] = success
        else:
            responses[str(status)] = {"$ref": f"#/components/responses/{_ERROR_NAMES[status]}"}
    op["responses"] = responses
    op["security"] = [{"bearer": []}, {"apiKey": [e.scope.value]}]
    op["x-scope"] = e.scope.value
    return op


def _error_responses(error_ref: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status, name in _ERROR_NAMES.items():
        response: dict[str, Any] = {
            "description": _ERRORS[status],
            "headers": {h: {"$ref": f"#/components/headers/{h}"} for h in _RATE_HEADERS},
            "content": {"application/json": {"schema": error_ref}},
        }
        if status in (429, 503):
            response["headers"]["Retry-After"] = {
                "description": "Seconds to wait before trying again.",
                "schema": {"type": "integer", "minimum": 1},
            }
        out[name] = response
    return out


def document_operation() -> dict[str, Any]:
    """The document's own route: public."""
    return {
        "operationId": "openapi_document",
        "summary": "This document (OpenAPI 3.1)",
        "tags": ["meta"],
        "security": [],
        "responses": {
            "200": {
                "description": "The OpenAPI document of this server's REST API.",
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        },
    }


def document(
    endpoints: Sequence[AnyEndpoint], plain: Sequence[Plain] = (), *, version: str = "1"
) -> dict[str, Any]:
    schemas = _Schemas(endpoints)
    paths: dict[str, dict[str, Any]] = {}
    for e in endpoints:
        paths.setdefault(e.path, {})[e.method.lower()] = _operation(e, schemas)
    for p in plain:
        paths.setdefault(p.path, {})[p.method.lower()] = p.operation
    tags = sorted({e.tag for e in endpoints} | {t for p in plain for t in p.operation.get("tags", ())})
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "SocialSync REST API",
            "version": version,
            "description": "For platforms' backends: parties, their members, tokens, personal data "
            "and the tenant's settings. Authentication, pagination, errors and rate limits: docs/api.md.",
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": t} for t in tags],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas.components(),
            "responses": _error_responses(schemas.of(ErrorAnswer, "serialization")),
            "headers": _RATE_HEADERS,
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
