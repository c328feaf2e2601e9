"""Generate emulator/spec/fields_added_since_2023_08_16.json from Stripe's two schema files.

For each object type, the dotted paths of fields that endive objects carry but 2023-08-16 objects did not
(nested through embedded sub-objects; `[]` marks array items). The emulator removes them when rendering for
2023-08-16 or older, so a pinned integration receives exactly that version's shape. Renamed or moved fields
are handled by explicit transforms in emulator/versions/changes.py and listed in RENAMED to skip here.
Rerun after the schema files change: `.venv/bin/python tools/gen_version_fields.py`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHAPES = ROOT.parent / "shared" / "stripe-shapes"
OUTPUT = ROOT / "emulator" / "spec" / "fields_added_since_2023_08_16.json"

# Fields that explicit transforms rename or rebuild (they appear in both shapes under other names).
RENAMED = {
    "product": {"marketing_features"},
    "discount": {"source"},
    "promotion_code": {"promotion"},
}


def resolve(schemas: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    for candidate in [node, *(node.get("anyOf") or []), *(node.get("allOf") or [])]:
        if "$ref" in candidate:
            return schemas.get(candidate["$ref"].rsplit("/", 1)[-1], {})
    return node


def is_resource(schema: dict[str, Any]) -> bool:
    enum = (schema.get("properties") or {}).get("object", {}).get("enum")
    return bool(enum) and enum != ["list"]


def added(new_schemas: dict[str, Any], old_schemas: dict[str, Any], new: dict[str, Any], old: dict[str, Any],
          prefix: str, depth: int) -> list[str]:
    found: list[str] = []
    new_props = new.get("properties") or {}
    old_props = old.get("properties") or {}
    for name, prop in new_props.items():
        path = f"{prefix}{name}"
        if name not in old_props:
            found.append(path)
            continue
        if depth > 6:
            continue
        sub_new, sub_old = resolve(new_schemas, prop), resolve(old_schemas, old_props[name])
        if sub_new.get("type") == "array" or prop.get("type") == "array":
            items_new = resolve(new_schemas, (sub_new.get("items") or prop.get("items") or {}))
            items_old = resolve(old_schemas, (sub_old.get("items") or old_props[name].get("items") or {}))
            if items_new.get("properties") and not is_resource(items_new):
                found += added(new_schemas, old_schemas, items_new, items_old, f"{path}.[].", depth + 1)
            continue
        if sub_new.get("properties") and not is_resource(sub_new) and sub_old.get("properties"):
            found += added(new_schemas, old_schemas, sub_new, sub_old, f"{path}.", depth + 1)
    return found


def main() -> None:
    new_schemas = json.loads((SHAPES / "stripe_schemas.json").read_text())["components"]["schemas"]
    old_schemas = json.loads((SHAPES / "stripe_schemas_openapi_2023-08-16.json").read_text())["components"]["schemas"]
    result: dict[str, list[str]] = {}
    for name, schema in sorted(new_schemas.items()):
        if not is_resource(schema) or name.startswith("deleted_") or name not in old_schemas:
            continue
        object_type = schema["properties"]["object"]["enum"][0]
        paths = [p for p in added(new_schemas, old_schemas, schema, old_schemas[name], "", 0)
                 if p.split(".")[0] not in RENAMED.get(object_type, set())]
        if paths:
            result[object_type] = sorted(paths)
    OUTPUT.write_text(json.dumps(result, indent=1) + "\n")
    print(f"{OUTPUT}: {sum(map(len, result.values()))} paths in {len(result)} object types")


if __name__ == "__main__":
    main()
