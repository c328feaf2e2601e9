"""Shape oracle: validate JSON values the emulator returns against Stripe's own object schemas.

The schemas are vendored in ``tests/shapes/`` (see its README): Stripe's component schemas for
API ``2026-10-28.endive`` (``version="endive"``, the default) and for ``2023-08-16``
(``version="2023-08-16"``).  They use a small OpenAPI-3.0 subset (``type``, ``nullable``, ``enum``,
``properties``, ``required``, ``items``, ``additionalProperties``, ``anyOf``, ``$ref`` and a few
``x-`` extensions).  This module translates that subset once per version into a JSON Schema
(draft 2020-12) document and validates with :mod:`jsonschema`.

The verdicts deliberately mirror the reference checker ``check_shape.py`` (shipped in
``../shared/stripe-shapes/``) run with its default options; ``tests/test_shape_oracle.py`` proves the
two report the same violating paths.  In particular:

* every key listed in ``required`` must be present, even when its value may be ``null``
  (Stripe sends such keys with value ``null``);
* keys not declared in ``properties`` are violations unless the schema declares
  ``additionalProperties``;
* ``null`` is accepted only where the schema says ``nullable: true``;
* ``enum`` is enforced everywhere, also where the schema marks it ``x-open-enum``;
* a float where an integer is expected is a violation (``1.0`` is not an integer here);
* ``x-expandable`` fields accept an id string or an expanded object of one of the allowed types,
  which is then checked against its own schema; a resource the file does not bundle (``card``,
  ``source``, ...) is checked only by its ``object`` value;
* ``event.data.object`` is checked against the schema its own ``object`` names;
* an ``anyOf`` that no alternative satisfies is reported at its path, followed by the violations
  of the closest alternative (the one with the fewest).

Public API: :func:`violations`, :func:`assert_shape`, :func:`schema_name` and :func:`json_schema`.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterable
from pathlib import Path
from decimal import Decimal
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.validators import extend

__all__ = ["VERSIONS", "assert_shape", "json_schema", "schema_name", "violation_pairs", "violations"]

SHAPES_DIR = Path(__file__).resolve().parent / "shapes"

#: version name -> vendored schema file (in ``tests/shapes/``).
VERSIONS: dict[str, str] = {
    "endive": "stripe_schemas.json",
    "2023-08-16": "stripe_schemas_openapi_2023-08-16.json",
}
_ALIASES = {"2026-10-28.endive": "endive"}

_REF_PREFIX = "#/components/schemas/"
_DECIMAL_PATTERN = r"^-?\d+(\.\d+)?$"
_KNOWN_TYPES = frozenset({"string", "integer", "number", "boolean", "array", "object"})
_MARK = "x-oracle"  # annotation key carrying the message of a synthetic failure

Path_ = tuple[Any, ...]
Violation = tuple[Path_, str]


# --------------------------------------------------------------------------- validator class
def _strict_integer(checker: Any, instance: Any) -> bool:
    """JSON Schema counts 1.0 as an integer; Stripe's SDK types (and this oracle) do not."""
    return isinstance(instance, int) and not isinstance(instance, bool)


#: Draft 2020-12 validator whose ``integer`` type rejects floats such as ``1.0``.
StripeShapeValidator = extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integer),
)


# --------------------------------------------------------------------------- small helpers
def _json_type(value: Any) -> str:
    """Name of a value's JSON type, with floats called ``number(float)``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number(float)"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _excerpt(value: Any, limit: int = 60) -> str:
    """A value as compact JSON, cut to ``limit`` characters."""
    text = json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _format_path(path: Iterable[Any]) -> str:
    """``("items", "data", 0, "price")`` -> ``items.data[0].price``; the empty path is ``<root>``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{part}" if out else str(part)
    return out or "<root>"


def _fail(kind: str, **info: Any) -> dict[str, Any]:
    """A subschema that always fails; the annotation tells :func:`_collect` what to report."""
    return {"not": {}, _MARK: {"kind": kind, **info}}


_IS_NULL = {"type": "null"}
_DELETED_TRUE = {"required": ["deleted"], "properties": {"deleted": {"const": True}}}


def _object_is(values: list[Any]) -> dict[str, Any]:
    """Condition: a JSON object whose ``object`` key is present and one of ``values``."""
    return {"type": "object", "required": ["object"], "properties": {"object": {"enum": values}}}


# --------------------------------------------------------------------------- conversion
class _Converter:
    """Translates one vendored OpenAPI schema file into a JSON Schema 2020-12 ``$defs`` map."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.schemas: dict[str, Any] = doc["components"]["schemas"]
        index = (doc.get("meta") or {}).get("object_index") or {}
        if not index:  # derive it from each schema's `object` enum
            for name, schema in self.schemas.items():
                enum = ((schema.get("properties") or {}).get("object") or {}).get("enum")
                if enum and enum != ["list"]:
                    index.setdefault(enum[0], []).append(name)
        self.object_index: dict[str, list[str]] = index
        self.defs: dict[str, Any] = {}

    # ---- names and references
    def resolve(self, name: str) -> tuple[dict[str, Any] | None, str]:
        """Follow ``$ref`` chains from ``name``; returns (schema, last name) or (None, missing name)."""
        for _ in range(50):
            schema = self.schemas.get(name)
            if schema is None:
                return None, name
            if not (isinstance(schema, dict) and "$ref" in schema):
                return schema, name
            name = _ref_name(schema)
        return self.schemas.get(name), name

    def ref(self, name: str) -> dict[str, Any]:
        """Schema for a ``$ref`` to ``name``: a ``$defs`` pointer, or an ``object`` check if unbundled."""
        resolved, last = self.resolve(name)
        if resolved is None:
            return self.foreign(last)
        return {"$ref": "#/$defs/" + name.replace("~", "~0").replace("/", "~1")}

    @staticmethod
    def foreign(name: str) -> dict[str, Any]:
        """A resource the file does not bundle: only a differing ``object`` value is a violation."""
        base = name.replace("deleted_", "")
        return {
            "if": {"type": "object", "required": ["object"],
                   "properties": {"object": {"not": {"enum": [None, base]}}}},
            "then": _fail("foreign", name=name),
        }

    def top_name(self, value: Any) -> str | None:
        """The schema a top-level value (or ``event.data.object``) is checked against."""
        if not isinstance(value, dict):
            return None
        obj = value.get("object")
        if obj is None:
            if "error" in value and len(value) <= 2 and "error" in self.schemas:
                return "error"
            return None
        if not isinstance(obj, str):
            return None
        names = self.object_index.get(obj) or []
        if not names:
            return None
        if value.get("deleted") is True:
            for name in names:
                if name.startswith("deleted_"):
                    return name
        for name in names:
            if not name.startswith("deleted_"):
                return name
        return names[0]

    # ---- nodes
    def build(self) -> dict[str, Any]:
        """Convert every component schema; returns the ``$defs`` map."""
        for name, schema in self.schemas.items():
            self.defs[name] = self.node(schema)
        return self.defs

    def node(self, schema: Any) -> Any:
        """Convert one schema node."""
        if not isinstance(schema, dict):
            return True
        if "$ref" in schema:
            return self.ref(_ref_name(schema))
        nullable = bool(schema.get("nullable") or schema.get("x-null-only"))
        if "anyOf" in schema:
            return self.null_guard(self.any_of(schema["anyOf"], bool(schema.get("x-expandable"))), nullable)
        if schema.get("x-stripe-any-object"):
            return self.null_guard(self.any_object(), nullable)
        t = schema.get("type")
        out: dict[str, Any] = {}
        if t in _KNOWN_TYPES:
            out["type"] = [t, "null"] if nullable else t
        if "enum" in schema:
            out["enum"] = list(schema["enum"]) + ([None] if nullable and "type" in out else [])
        if t == "string" and schema.get("format") == "decimal":
            out["pattern"] = _DECIMAL_PATTERN
        if (t == "array" or t not in _KNOWN_TYPES) and schema.get("items"):
            out["items"] = self.node(schema["items"])
        if t == "object" or (t not in _KNOWN_TYPES and "properties" in schema):
            self.object_keywords(schema, out)
        if "type" in out:
            return out  # the type keyword itself accepts or rejects null
        return self.null_guard(out or True, nullable)

    @staticmethod
    def null_guard(body: Any, nullable: bool) -> dict[str, Any]:
        """Handle ``null`` first, apply ``body`` only to non-null values."""
        guard: dict[str, Any] = {"if": _IS_NULL}
        if not nullable:
            guard["then"] = _fail("null")
        if body is not True:
            guard["else"] = body
        return guard

    def object_keywords(self, schema: dict[str, Any], out: dict[str, Any]) -> None:
        """``required``, ``properties`` and ``additionalProperties`` of an object schema."""
        props = schema.get("properties")
        addl = schema.get("additionalProperties")
        if props is None and addl is None:
            return  # free-form object
        if schema.get("required"):
            out["required"] = list(schema["required"])
        if props:
            out["properties"] = {key: self.node(sub) for key, sub in props.items()}
        if addl == {}:
            # Deliberate difference from check_shape.py: `{}` means "any value", null included. Stripe sends
            # nulls in event.data.previous_attributes (a field that was null before an update).
            out["additionalProperties"] = True
        elif isinstance(addl, dict):
            out["additionalProperties"] = self.node(addl)
        elif addl is not True:
            out["additionalProperties"] = False

    def any_of(self, variants: list[Any], marked_expandable: bool) -> dict[str, Any]:
        """``anyOf``: expandable field, resource chosen by ``object``, or plain alternatives."""
        refs = [v for v in variants if isinstance(v, dict) and "$ref" in v]
        plain_string = any(isinstance(v, dict) and v.get("type") == "string" and "enum" not in v
                           for v in variants)
        if marked_expandable or (plain_string and refs):
            return self.expandable([_ref_name(v) for v in refs])
        if len(variants) == 1:
            return self.node(variants[0])
        chain: dict[str, Any] = {"anyOf": [self.node(v) for v in variants]}
        for variant in reversed(variants):  # first alternative whose `object` matches wins
            if not (isinstance(variant, dict) and "$ref" in variant):
                continue
            name = _ref_name(variant)
            resolved, last = self.resolve(name)
            if resolved is None:
                cond = _object_is([last] + ([last[len("deleted_"):]] if last.startswith("deleted_") else []))
            else:
                enum = ((resolved.get("properties") or {}).get("object") or {}).get("enum")
                if not enum:
                    continue
                cond = _object_is(list(enum))
                if not name.startswith("deleted_"):
                    cond["not"] = _DELETED_TRUE
            chain = {"if": cond, "then": self.node(variant), "else": chain}
        return chain

    def expandable(self, allowed: list[str]) -> dict[str, Any]:
        """An id string, or an expanded object of one of the ``allowed`` schemas."""
        objects: list[str] = []
        for name in allowed:
            for obj in (name, name[len("deleted_"):] if name.startswith("deleted_") else None):
                if obj is not None and obj not in objects:
                    objects.append(obj)
        branches = []
        for obj in objects:
            matches = [n for n in allowed if n in (obj, f"deleted_{obj}")]
            deleted = f"deleted_{obj}"
            if deleted in matches and matches[0] != deleted:
                target: Any = {"if": _DELETED_TRUE, "then": self.ref(deleted), "else": self.ref(matches[0])}
            else:
                target = self.ref(matches[0])
            branches.append((obj, target))
        if len(branches) == 1:
            dispatch: Any = branches[0][1]
        else:
            dispatch = {"allOf": [{"if": {"properties": {"object": {"const": obj}}}, "then": target}
                                  for obj, target in branches]}
        return {
            "if": {"type": "string"},
            "else": {
                "if": {"type": "object"},
                "then": {"if": _object_is(objects), "then": dispatch,
                         "else": _fail("expanded", allowed=allowed)},
                "else": _fail("expandable"),
            },
        }

    def any_object(self) -> dict[str, Any]:
        """``event.data.object``: any Stripe object, checked by the schema its ``object`` names."""
        branches: list[dict[str, Any]] = []
        if "error" in self.schemas:
            branches.append({"if": {"required": ["error"], "maxProperties": 2,
                                    "properties": {"object": _IS_NULL}},
                             "then": self.ref("error")})
        for obj, names in self.object_index.items():
            plain = next((n for n in names if not n.startswith("deleted_")), names[0] if names else None)
            deleted = next((n for n in names if n.startswith("deleted_")), None)
            if plain is None or plain not in self.schemas:
                continue
            target: Any = self.ref(plain)
            if deleted is not None and deleted in self.schemas:
                target = {"if": _DELETED_TRUE, "then": self.ref(deleted), "else": target}
            branches.append({"if": {"required": ["object"], "properties": {"object": {"const": obj}}},
                             "then": target})
        unusable = {"required": ["object"], "properties": {"object": {"type": ["object", "array"]}}}
        # an `object` that is not a string (check_shape.py raises TypeError on it)
        branches.append({"if": unusable, "then": _fail("object_type")})
        return {"if": {"type": "object"}, "then": {"allOf": branches}, "else": _fail("any_object")}


def _ref_name(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref", "")
    return ref[len(_REF_PREFIX):] if ref.startswith(_REF_PREFIX) else ref


# --------------------------------------------------------------------------- errors -> messages
def _collect(errors: Iterable[ValidationError]) -> list[Violation]:
    """Turn jsonschema errors into (path, message) pairs in check_shape.py's terms."""
    errors = list(errors)
    wrong_type = {(id(e.schema), tuple(e.absolute_path)) for e in errors if e.validator == "type"}
    seen_required: set[tuple[int, Path_]] = set()
    out: list[Violation] = []
    for error in errors:
        path = tuple(error.absolute_path)
        kind = error.validator
        value = error.instance
        if kind == "type":
            if value is None:
                out.append((path, "is null but the field is not nullable"))
            else:
                expected = error.validator_value
                if isinstance(expected, list):
                    expected = f"{expected[0]} or null"
                out.append((path, f"expected {expected}, got {_json_type(value)} ({_excerpt(value)})"))
        elif kind == "enum":
            if (id(error.schema), path) in wrong_type:
                continue  # a wrong type is reported once, not again as an enum miss
            enum = list(error.validator_value)
            if isinstance(error.schema.get("type"), list):
                enum = enum[:-1]  # drop the None added for nullable fields
            shown = enum if len(enum) <= 12 else enum[:12] + ["..."]
            out.append((path, f"value {_excerpt(value)} not in enum {shown}"))
        elif kind == "required":
            key = (id(error.schema), path)
            if key not in seen_required:
                seen_required.add(key)
                out.extend((path + (name,), "missing required field")
                           for name in error.validator_value if name not in value)
        elif kind == "additionalProperties":
            known = error.schema.get("properties") or {}
            out.extend((path + (name,), "unknown field (not in schema)")
                       for name in value if name not in known)
        elif kind == "pattern":
            out.append((path, f"expected a decimal string, got {_excerpt(value)}"))
        elif kind == "anyOf":
            by_variant: dict[int, list[ValidationError]] = {}
            for sub in error.context:
                by_variant.setdefault(sub.relative_schema_path[0], []).append(sub)
            best: list[Violation] | None = None
            for index in sorted(by_variant):
                found = _collect(by_variant[index])
                if best is None or len(found) < len(best):
                    best = found
            count = len(error.validator_value)
            if count > 1:
                out.append((path, f"matches none of {count} alternatives; closest one reports:"))
            out.extend(best or [])
        elif kind == "not" and isinstance(error.schema.get(_MARK), dict):
            out.append((path, _marked_message(error.schema[_MARK], value)))
        else:  # not produced by the converted schemas; kept so nothing is silently dropped
            out.append((path, error.message))
    return out


def _marked_message(mark: dict[str, Any], value: Any) -> str:
    kind = mark["kind"]
    if kind == "null":
        return "is null but the field is not nullable"
    if kind == "foreign":
        return f"expected a '{mark['name']}' object, got object={value.get('object')!r}"
    if kind == "expandable":
        return f"expandable field: expected id string or object, got {_json_type(value)}"
    if kind == "expanded":
        return f"expanded object has object={value.get('object')!r}, allowed: {mark['allowed']}"
    if kind == "any_object":
        return f"expected object, got {_json_type(value)}"
    if kind == "object_type":
        return f"object={_excerpt(value.get('object'))} is not an object type name (expected a string)"
    return kind


# --------------------------------------------------------------------------- per-version state
class _Oracle:
    """The converted schemas of one version and a validator per top-level schema, built lazily."""

    def __init__(self, version: str) -> None:
        with open(SHAPES_DIR / VERSIONS[version], encoding="utf-8") as handle:
            doc = json.load(handle)
        self.version = version
        self.converter = _Converter(doc)
        self.defs = self.converter.build()
        self.validators: dict[str, Any] = {}
        self.lock = threading.Lock()

    def validator(self, name: str) -> Any:
        found = self.validators.get(name)
        if found is None:
            with self.lock:
                found = self.validators.get(name)
                if found is None:
                    root = {"$schema": Draft202012Validator.META_SCHEMA["$id"], "$defs": self.defs}
                    root.update(self.converter.ref(name))
                    found = self.validators[name] = StripeShapeValidator(root)
        return found

    def check(self, value: Any, prefix: Path_, out: list[Violation]) -> None:
        """Check one input value: an object, a list / search result, an array or a fixtures file."""
        if isinstance(value, list):
            for index, item in enumerate(value):
                self.check(item, prefix + (index,), out)
            return
        if isinstance(value, dict) and "object" not in value and isinstance(value.get("resources"), dict):
            for key, item in value["resources"].items():
                self.check(item, prefix + ("resources", key), out)
            return
        if isinstance(value, dict) and value.get("object") in ("list", "search_result"):
            for key in ("data", "has_more", "url"):
                if key not in value:
                    out.append((prefix + (key,), "missing required field (list envelope)"))
            data = value.get("data") or []
            if isinstance(data, (list, dict, str)):  # like check_shape.py: whatever `data` iterates over
                for index, item in enumerate(data):
                    self.check(item, prefix + ("data", index), out)
            else:  # check_shape.py raises TypeError here
                out.append((prefix + ("data",), f"expected array, got {_json_type(data)}"))
            return
        if not isinstance(value, dict):
            out.append((prefix, f"expected a JSON object, got {_json_type(value)}"))
            return
        if isinstance(value.get("object"), (dict, list)):  # check_shape.py raises TypeError here
            out.append((prefix, _marked_message({"kind": "object_type"}, value)))
            return
        name = self.converter.top_name(value)
        if name is None or name not in self.converter.schemas:
            return  # no bundled schema for this object type: nothing to check
        out.extend((prefix + path, message)
                   for path, message in _collect(self.validator(name).iter_errors(value)))


_ORACLES: dict[str, _Oracle] = {}
_ORACLES_LOCK = threading.Lock()


def _oracle(version: str) -> _Oracle:
    key = _ALIASES.get(version, version)
    if key not in VERSIONS:
        raise ValueError(f"unknown schema version {version!r}; expected one of {sorted(VERSIONS)}")
    found = _ORACLES.get(key)
    if found is None:
        with _ORACLES_LOCK:
            found = _ORACLES.get(key)
            if found is None:
                found = _ORACLES[key] = _Oracle(key)
    return found


# --------------------------------------------------------------------------- public API
def violation_pairs(obj: Any, *, version: str = "endive") -> list[tuple[str, str]]:
    """Like :func:`violations`, as ``(path, problem)`` pairs (path ``<root>`` for the value itself)."""
    out: list[Violation] = []
    _oracle(version).check(obj, (), out)
    return [(_format_path(path), message) for path, message in out]


def violations(obj: Any, *, version: str = "endive") -> list[str]:
    """Every violation of one Stripe JSON value against the schemas of ``version``.

    ``obj`` is a parsed JSON value: a Stripe object (picked by its ``object`` field, the
    ``deleted_*`` schema when ``deleted`` is true), a ``{"object": "list"}`` list or a
    ``search_result`` (envelope keys plus every item), an error body ``{"error": {...}}``, or a JSON
    array of any of these.  ``version`` is ``"endive"`` (2026-10-28.endive, default) or
    ``"2023-08-16"``.  Each violation reads ``"<json path>: <problem>"``, e.g.
    ``"data[0].status: value \\"running\\" not in enum [...]"``.  Objects whose type the schema file
    does not bundle are not checked (empty result).
    """
    return [f"{path}: {message}" for path, message in violation_pairs(_as_wire(obj), version=version)]


def _as_wire(value: Any) -> Any:
    """The SDK's StripeObject.to_dict() turns decimal strings (unit_amount_decimal) into Decimal; on the
    wire they are strings."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {key: _as_wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_wire(item) for item in value]
    return value


def assert_shape(obj: Any, *, version: str = "endive") -> None:
    """Raise :class:`AssertionError` listing every violation of ``obj`` (see :func:`violations`)."""
    found = violations(obj, version=version)
    if found:
        what = ""
        if isinstance(obj, dict):
            what = f" {obj.get('object', 'object')}"
            if isinstance(obj.get("id"), str):
                what += f" {obj['id']}"
        lines = "\n".join(f"  {line}" for line in found)
        raise AssertionError(f"{len(found)} Stripe shape violation(s) ({version}) in{what}:\n{lines}")


def schema_name(obj: Any, *, version: str = "endive") -> str | None:
    """Name of the schema a top-level value is checked against, or None if it is not checked."""
    oracle = _oracle(version)
    name = oracle.converter.top_name(obj)
    return name if name in oracle.converter.schemas else None


def json_schema(name: str, *, version: str = "endive") -> dict[str, Any]:
    """A standalone JSON Schema (draft 2020-12) for component ``name`` (a deep copy; for inspection)."""
    oracle = _oracle(version)
    if name not in oracle.converter.schemas:
        raise KeyError(f"no schema named {name!r} in {VERSIONS[oracle.version]}")
    root = {"$schema": Draft202012Validator.META_SCHEMA["$id"], "$defs": copy.deepcopy(oracle.defs)}
    root.update(oracle.converter.ref(name))
    return root
