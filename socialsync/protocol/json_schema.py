"""The wire as one JSON Schema document: the inbound payloads (the pydantic models of
``inbound.py``, as the server validates them) and the outbound shapes (``shapes.py``, as the
server builds them), each a definition under ``$defs``.

``python -m socialsync.protocol.json_schema`` prints it; web_client/scripts/gen-types.mjs
turns it into the browser SDK's TypeScript types (web_client/src/protocol/types.generated.ts).
"""

from __future__ import annotations

import inspect
import json
import sys
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode

from socialsync.protocol import inbound, shapes

TITLE = "SocialSyncWire"
REF_TEMPLATE = "#/$defs/{model}"


def inbound_models() -> list[type[BaseModel]]:
    """Every payload model of inbound.py (the subclasses of its base model), in source order."""
    models = [
        value
        for value in vars(inbound).values()
        if inspect.isclass(value)
        and issubclass(value, inbound._In)
        and value is not inbound._In
        and value.__module__ == inbound.__name__
    ]
    return sorted(models, key=lambda m: inspect.getsourcelines(m)[1])


class _Generator(GenerateJsonSchema):
    """No titles on fields: a generator of types would make each a named type of its own."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _name(tp: Any) -> str:
    return str(getattr(tp, "__name__", None) or tp)


def wire_schema() -> dict[str, Any]:
    """The document: a ``$defs`` entry per inbound model and outbound shape (and the types
    they use), and, at the top, the union of all of them by reference."""
    inputs: list[tuple[str, JsonSchemaMode, Any]] = [
        (m.__name__, "validation", m.__pydantic_core_schema__) for m in inbound_models()
    ]
    inputs += [(_name(tp), "serialization", TypeAdapter(tp).core_schema) for tp in shapes.OUTBOUND]
    names = [name for name, _, _ in inputs]
    if len(set(names)) != len(names):
        raise SystemExit(f"an inbound model and an outbound shape share a name: {sorted(names)}")
    generator = _Generator(by_alias=True, ref_template=REF_TEMPLATE)
    refs, defs = generator.generate_definitions(inputs)
    top: list[dict[str, Any]] = []
    for (name, mode), schema in refs.items():
        ref = schema.get("$ref")
        if ref != REF_TEMPLATE.format(model=name):
            # A named thing must be a definition of its own name (not inlined, not renamed).
            raise SystemExit(f"{name} ({mode}) is not emitted as #/$defs/{name}: {schema}")
        top.append({"$ref": ref})
    for name, schema in defs.items():
        schema["title"] = name  # an enum under an alias is titled by its class (Code)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": TITLE,
        "description": "The SocialSync wire protocol (docs/protocol.md): inbound payloads, outbound shapes.",
        "anyOf": top,
        "$defs": dict(sorted(defs.items())),
    }


def main() -> None:
    json.dump(wire_schema(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
