"""Stripe's form encoding: bracket-syntax decoding, schema-directed coercion and parameter errors.

The SDKs send `application/x-www-form-urlencoded` bodies (and query strings) such as
`items[0][price]=price_1&expand[0]=latest_invoice&metadata[k]=v`; curl users write `expand[]=x`.
Every value arrives as a string; the operation's parameter schema (generated from stripe-python into
spec/params.json) says which are integers, booleans, enums, arrays or objects, which are required and
which may be unset with an empty string. Anything the schema does not know is `parameter_unknown`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from emulator.errors import InvalidRequestError, missing_param

_KEY_TOKEN = re.compile(r"\[([^\[\]]*)\]")
_INTEGER = re.compile(r"^-?\d+$")
_DECIMAL = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")

Schema = Mapping[str, Any]


def split_key(key: str) -> list[str]:
    """`items[0][price]` -> ["items", "0", "price"]; `expand[]` -> ["expand", ""]."""
    head, bracket, rest = key.partition("[")
    if not bracket:
        return [key]
    tokens = [head]
    tail = "[" + rest
    position = 0
    for match in _KEY_TOKEN.finditer(tail):
        if match.start() != position:
            raise InvalidRequestError(f"Invalid parameter name: {key}", param=key)
        tokens.append(match.group(1))
        position = match.end()
    if position != len(tail):
        raise InvalidRequestError(f"Invalid parameter name: {key}", param=key)
    return tokens


def format_path(tokens: Iterable[str | int]) -> str:
    """["items", 0, "price"] -> "items[0][price]" (the form Stripe names params in errors)."""
    tokens = list(tokens)
    if not tokens:
        return ""
    return str(tokens[0]) + "".join(f"[{t}]" for t in tokens[1:])


def decode_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Build the nested structure from (key, value) pairs. `[]` appends to a list; numeric indexes stay
    dict keys until coercion knows whether the schema wants an array there."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        tokens = split_key(key)
        node: Any = root
        for depth, token in enumerate(tokens):
            last = depth == len(tokens) - 1
            if isinstance(node, list):
                if token != "":
                    raise InvalidRequestError(f"Invalid array: {format_path(tokens[:depth])}",
                                              param=format_path(tokens[:depth]))
                if last:
                    node.append(value)
                else:
                    child: Any = [] if tokens[depth + 1] == "" else {}
                    node.append(child)
                    node = child
                continue
            if token == "" and depth > 0:
                raise InvalidRequestError(f"Invalid parameter name: {key}", param=key)
            if last:
                if isinstance(node.get(token), (dict, list)):
                    raise InvalidRequestError(f"Invalid value for {format_path(tokens)}: expected an object",
                                              param=format_path(tokens))
                node[token] = value
            else:
                expected_list = tokens[depth + 1] == ""
                existing = node.get(token)
                if existing is None or isinstance(existing, str):
                    if isinstance(existing, str) and existing != "":
                        raise InvalidRequestError(
                            f"Invalid value for {format_path(tokens[:depth + 1])}: expected an object",
                            param=format_path(tokens[:depth + 1]))
                    existing = [] if expected_list else {}
                    node[token] = existing
                node = existing
    return root


class Coercer:
    """Checks a decoded request against an operation's parameter schema and converts the strings."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema

    def coerce(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._object(params, self.schema, [])

    # -- dispatch --------------------------------------------------------------------------
    def _value(self, value: Any, schema: Schema, path: list[str | int]) -> Any:
        options = schema.get("anyOf")
        if options is not None:
            return self._any_of(value, options, path)
        kind = schema.get("type")
        if kind == "object":
            if isinstance(value, str):
                if value == "":
                    raise _empty_error(path)
                raise InvalidRequestError("Invalid object", param=format_path(path))
            if isinstance(value, list):
                raise InvalidRequestError("Invalid object", param=format_path(path))
            return self._object(value, schema, path)
        if kind == "array":
            return self._array(value, schema, path)
        if not isinstance(value, str):
            raise InvalidRequestError(f"Invalid {_kind_name(schema)}: {format_path(path)} must be a "
                                      f"{_kind_name(schema)}, not an object", param=format_path(path))
        if kind == "integer":
            if not _INTEGER.match(value) or not -(2 ** 63) <= int(value) < 2 ** 63:
                if value == "":
                    raise _empty_error(path)
                raise InvalidRequestError(f"Invalid integer: {value}", param=format_path(path),
                                          code="parameter_invalid_integer")
            return int(value)
        if kind == "number":
            if not _DECIMAL.match(value):
                if value == "":
                    raise _empty_error(path)
                raise InvalidRequestError(f"Invalid decimal: {value}", param=format_path(path))
            return float(value)
        if kind == "boolean":
            lowered = value.lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            if value == "":
                raise _empty_error(path)
            raise InvalidRequestError(f"Invalid boolean: {value}", param=format_path(path))
        enum = schema.get("enum")
        if enum is not None:
            if value not in enum:
                if value == "" and "" not in enum:
                    raise _empty_error(path)
                choices = [choice for choice in enum if choice != ""]
                raise InvalidRequestError(
                    f"Invalid {format_path(path)}: must be one of {_one_of(choices)}", param=format_path(path))
            return value
        if value == "" and path and not isinstance(path[-1], int):
            raise _empty_error(path)
        return value

    def _any_of(self, value: Any, options: list[Schema], path: list[str | int]) -> Any:
        if value == "" and any(option.get("enum") == [""] for option in options):
            return ""
        candidates = [option for option in options if option.get("enum") != [""]]
        # stripe-python types enums as `Literal[...] | str` for forward compatibility; Stripe's server
        # still validates them, so the plain-string alternative does not widen an enum here.
        if any(option.get("enum") and option.get("type") == "string" for option in candidates):
            candidates = [option for option in candidates
                          if not (option.get("type") == "string" and "enum" not in option)]
        # Try the option whose structure fits the value first, so its error is the one reported.
        if isinstance(value, (dict, list)):
            candidates.sort(key=lambda option: option.get("type") not in ("object", "array"))
        else:
            candidates.sort(key=lambda option: option.get("type") in ("object", "array"))
        first_error: InvalidRequestError | None = None
        for option in candidates:
            try:
                return self._value(value, option, path)
            except InvalidRequestError as error:
                if error.code in ("parameter_unknown", "parameter_missing"):
                    raise
                first_error = first_error or error
        if first_error is None:
            raise _empty_error(path)
        raise first_error

    def _object(self, value: dict[str, Any], schema: Schema, path: list[str | int]) -> dict[str, Any]:
        properties: Mapping[str, Schema] | None = schema.get("properties")
        extra: Schema | None = schema.get("additionalProperties")
        result: dict[str, Any] = {}
        for key, item in value.items():
            child_path = [*path, key]
            if properties is not None and key in properties:
                result[key] = self._value(item, properties[key], child_path)
            elif isinstance(extra, Mapping):
                # In maps (metadata) an empty value unsets that key.
                empty_unsets = item == "" and extra.get("type") == "string"
                result[key] = "" if empty_unsets else self._value(item, extra, child_path)
            elif extra is True:
                result[key] = item
            elif child_path == ["payment_method_types"] and properties and \
                    "allowed_payment_method_types" in properties:
                # endive removed it from PaymentIntents and SetupIntents, with an error of its own.
                raise InvalidRequestError(
                    "The `payment_method_types` parameter is no longer supported. Use "
                    "`allowed_payment_method_types` or `excluded_payment_method_types` instead.",
                    param="payment_method_types", code="payment_method_types_no_longer_supported")
            else:
                name = format_path(child_path)
                raise InvalidRequestError(f"Received unknown parameter: {name}", param=name,
                                          code="parameter_unknown")
        for required in schema.get("required", ()):
            if required not in value:
                raise missing_param(format_path([*path, required]))
        return result

    def _array(self, value: Any, schema: Schema, path: list[str | int]) -> list[Any]:
        if isinstance(value, dict):
            if not all(_INTEGER.match(key) for key in value):
                raise InvalidRequestError("Invalid array", param=format_path(path))
            items = [value[key] for key in sorted(value, key=int)]
        elif isinstance(value, list):
            items = value
        elif value == "":
            raise _empty_error(path)
        else:
            raise InvalidRequestError("Invalid array", param=format_path(path))
        item_schema = schema.get("items", {})
        return [self._value(item, item_schema, [*path, index]) for index, item in enumerate(items)]


def _kind_name(schema: Schema) -> str:
    return {"integer": "integer", "number": "decimal", "boolean": "boolean"}.get(schema.get("type", ""), "string")


def _one_of(choices: list[str]) -> str:
    if len(choices) <= 1:
        return "".join(choices)
    return ", ".join(choices[:-1]) + f", or {choices[-1]}"


def _empty_error(path: list[str | int]) -> InvalidRequestError:
    name = format_path(path)
    return InvalidRequestError(
        f"You passed an empty string for '{name}'. We assume empty values are an attempt to unset a "
        f"parameter; however '{name}' cannot be unset. You should remove '{name}' from your request or "
        "supply a non-empty value.",
        param=name, code="parameter_invalid_empty")


def unsupported_paths(params: Mapping[str, Any], supported: frozenset[str], prefix: tuple[str, ...] = ()
                      ) -> list[str]:
    """Bracket-form names of supplied params that Stripe accepts but the emulator does not implement.

    `supported` holds dotted names without array indexes ("items", "recurring.interval"): a name covers
    everything below it.
    """
    return _unsupported(params, supported, (), ())


def _unsupported(params: Mapping[str, Any], supported: frozenset[str], names: tuple[str, ...],
                 path: tuple[str | int, ...]) -> list[str]:
    # `names` is the dotted name without indexes; `path` keeps them for the bracket-form error param.
    found: list[str] = []
    for key, value in params.items():
        dotted = ".".join((*names, key))
        if dotted in supported:
            continue
        nested = _nested_mapping(value)
        if nested is None or not any(name.startswith(dotted + ".") for name in supported):
            found.append(format_path((*path, key)))
            continue
        if isinstance(value, list):
            for index, element in enumerate(nested):
                found.extend(_unsupported(element, supported, (*names, key), (*path, key, index)))
        else:
            found.extend(_unsupported(nested[0], supported, (*names, key), (*path, key)))
    return found


def _nested_mapping(value: Any) -> list[Mapping[str, Any]] | None:
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value):
        return list(value)
    return None