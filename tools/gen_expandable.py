"""Generate emulator/spec/expandable.json: for each Stripe object type, the dotted paths of its fields
that `expand[]` may turn from an id into an object, read from Stripe's schemas (endive and 2023-08-16,
merged, since older pinned versions may expand fields that endive dropped). Output is committed;
rerun after the schema files change: `.venv/bin/python tools/gen_expandable.py`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILES = [
    ROOT.parent / "shared" / "stripe-shapes" / "stripe_schemas.json",
    ROOT.parent / "shared" / "stripe-shapes" / "stripe_schemas_openapi_2023-08-16.json",
]
OUTPUT = ROOT / "emulator" / "spec" / "expandable.json"


def object_type_of(schema: dict[str, Any]) -> str | None:
    enum = (schema.get("properties") or {}).get("object", {}).get("enum")
    return enum[0] if enum and enum != ["list"] else None


def is_expandable(prop: dict[str, Any]) -> bool:
    """endive's schemas flag `x-expandable`; the 2023 OpenAPI spec lists `x-expansionResources`."""
    return bool(prop.get("x-expandable") or prop.get("x-expansionResources"))


def expandable_paths(schemas: dict[str, Any], schema: dict[str, Any], prefix: str, seen: set[str]) -> set[str]:
    found: set[str] = set()
    for name, prop in (schema.get("properties") or {}).items():
        path = f"{prefix}{name}"
        if is_expandable(prop) or is_expandable(prop.get("items") or {}):
            found.add(path)
            continue
        target = prop
        for candidate in [prop, *(prop.get("anyOf") or [])]:
            if "$ref" in candidate:
                target = candidate
        if "$ref" in target:
            ref = target["$ref"].rsplit("/", 1)[-1]
            sub = schemas.get(ref, {})
            if object_type_of(sub) or ref in seen:
                continue  # another resource: it has its own entry
            found |= expandable_paths(schemas, sub, path + ".", seen | {ref})
        elif target.get("type") == "object" and target.get("properties"):
            found |= expandable_paths(schemas, target, path + ".", seen)
    return found


def main() -> None:
    merged: dict[str, set[str]] = {}
    for file in SCHEMA_FILES:
        schemas = json.loads(file.read_text())["components"]["schemas"]
        for name, schema in schemas.items():
            object_type = object_type_of(schema)
            if not object_type or name.startswith("deleted_"):
                continue
            merged.setdefault(object_type, set()).update(expandable_paths(schemas, schema, "", {name}))
    OUTPUT.write_text(json.dumps({k: sorted(v) for k, v in sorted(merged.items())}, indent=1) + "\n")
    print(f"{OUTPUT}: {len(merged)} object types")


if __name__ == "__main__":
    main()
