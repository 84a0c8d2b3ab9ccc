"""The JSON Schema of the IR, for editors (yaml-language-server) and other tools.

Draft-07, the draft that editors support most widely: pydantic's 2020-12 output is
rewritten where the two differ (`$defs` -> `definitions`, `prefixItems` -> `items`).
Standard keywords only, so that validators accept it in strict mode (ajv `--strict=true`,
check-jsonschema): a kind union is no OpenAPI `discriminator` but `kind` as an enum plus
one `if kind is K then K's schema` per kind, and the top level is `if family: then Family
else Experiment`, so that errors are those of the branch the document means, not of both.
"""
from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from clockspec.ir.spec import SCHEMA_VERSION, Experiment, Family

DRAFT = "http://json-schema.org/draft-07/schema#"


def json_schema() -> dict[str, Any]:
    """One schema that accepts an experiment or a family (exactly one of them)."""
    refs, top = models_json_schema(
        [(Experiment, "validation"), (Family, "validation")], ref_template="#/definitions/{model}"
    )
    return {
        "$schema": DRAFT,
        "title": f"clockspec spec, schema version {SCHEMA_VERSION}",
        "description": "A clockspec experiment (with 'name:') or family (with 'family:').",
        "type": "object",
        "if": {"type": "object", "properties": {"family": {}}, "required": ["family"]},
        "then": refs[(Family, "validation")],
        "else": refs[(Experiment, "validation")],
        "definitions": _with_meanings(_draft07(top["$defs"])),
    }


def _by_kind(node: dict[str, Any]) -> dict[str, Any]:
    """A discriminated `oneOf` as standard keywords: the key's value must be a known kind,
    and the schema of that kind applies (its errors alone, not every branch's)."""
    rest = {k: v for k, v in node.items() if k not in ("oneOf", "discriminator")}
    key, mapping = node["discriminator"]["propertyName"], node["discriminator"]["mapping"]
    return {**rest, "type": "object", "required": [key], "properties": {key: {"enum": sorted(mapping)}},
            "allOf": [{"if": {"type": "object", "properties": {key: {"const": kind}}, "required": [key]},
                       "then": {"$ref": ref}} for kind, ref in sorted(mapping.items())]}


def _with_meanings(definitions: dict[str, Any]) -> dict[str, Any]:
    """Each key's meaning (its IR docstring) as its description: editors show it on hover."""
    from clockspec.syntax.reference import field_docs, sections

    models = {model.__name__: model for _heading, model in sections()}
    models.update({cls.__name__: cls for cls in (Experiment, Family)})
    for name, definition in definitions.items():
        model = models.get(name)
        for key, doc in (field_docs(model) if model else {}).items():
            if key in definition.get("properties", {}):
                definition["properties"][key].setdefault("description", doc)
    return definitions


def _draft07(node: Any) -> Any:
    if isinstance(node, dict):
        if "discriminator" in node:
            node = _by_kind(node)
        out = {k: _draft07(v) for k, v in node.items() if k != "prefixItems"}
        if "prefixItems" in node:  # a fixed-length list (tuple)
            out["items"] = _draft07(node["prefixItems"])
            out.setdefault("minItems", len(node["prefixItems"]))
            out.setdefault("maxItems", len(node["prefixItems"]))
        return out
    if isinstance(node, list):
        return [_draft07(v) for v in node]
    return node
