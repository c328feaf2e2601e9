"""Stripe's search query language for `/v1/<resource>/search`.

Clauses: `field:'value'` (exact, case-insensitive), `field~'sub'` (substring, at least 3 characters),
`field>n` `field<n` `field>=n` `field<=n` on numbers and `created`, `-field:'x'` negation,
`field:null`, `metadata['key']:'value'`. Clauses are joined by spaces/AND or by OR, never both, as Stripe
requires. Results are newest first, paged with an opaque `next_page` token.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from emulator.context import Ctx
from emulator.errors import InvalidRequestError

PARAMS = ("query", "limit", "page")
MAX_CLAUSES = 10
FieldGetter = Callable[[dict[str, Any]], Any]

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<connector>AND|OR)(?=\s|$)
    | (?P<negate>-)?
      (?P<field>[a-z_][a-z0-9_.]*)(?:\[(?P<q>['"])(?P<key>[^'"]+)(?P=q)\])?
      (?P<op>:|~|>=|<=|>|<)
      (?:(?P<quote>['"])(?P<string>(?:\\.|(?!(?P=quote)).)*)(?P=quote)|(?P<bare>[^\s'"]+))
    )""", re.VERBOSE | re.IGNORECASE)


@dataclass
class Clause:
    field: str
    key: str | None
    op: str
    value: str | float | None
    negate: bool
    quoted: bool


def parse(query: str) -> tuple[list[Clause], str]:
    """Parse into clauses and the connector ("and"/"or"); errors name the `query` param."""
    clauses: list[Clause] = []
    connectors: set[str] = set()
    position, text = 0, query.strip()
    if not text:
        raise _invalid("The query is empty.")
    expecting_clause = True
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise _invalid(f"Unexpected text at position {position}: '{text[position:position + 20]}'.")
        position = match.end()
        if match.group("connector"):
            if expecting_clause:
                raise _invalid(f"Unexpected '{match.group('connector')}' at position {match.start()}.")
            connectors.add(match.group("connector").lower())
            expecting_clause = True
            continue
        if not expecting_clause:
            connectors.add("and")
        quoted = match.group("quote") is not None
        raw = match.group("string") if quoted else match.group("bare")
        value: str | float | None
        if quoted:
            value = re.sub(r"\\(.)", r"\1", raw)
        elif raw.lower() == "null":
            value = None
        else:
            try:
                value = float(raw)
            except ValueError:
                raise _invalid(f"String values must be quoted: {raw}.") from None
        clauses.append(Clause(match.group("field").lower(), match.group("key"), match.group("op"), value,
                              bool(match.group("negate")), quoted))
        expecting_clause = False
    if expecting_clause:
        raise _invalid("The query ends with a connector.")
    if len(connectors) > 1:
        raise _invalid("Queries cannot combine AND and OR; use one of them.")
    if len(clauses) > MAX_CLAUSES:
        raise _invalid(f"A query may combine at most {MAX_CLAUSES} clauses.")
    return clauses, (connectors.pop() if connectors else "and")


def _invalid(reason: str) -> InvalidRequestError:
    return InvalidRequestError(f"Invalid search query: {reason} See https://stripe.com/docs/search#search-query-language.",
                               param="query")


def _matches(obj: dict[str, Any], clause: Clause, fields: Mapping[str, FieldGetter]) -> bool:
    getter = fields.get(clause.field)
    if getter is None:
        raise _invalid(f"Field '{clause.field}' is not supported for this resource. Supported fields: "
                       f"{', '.join(sorted(fields))}.")
    actual = getter(obj)
    if clause.key is not None:
        actual = (actual or {}).get(clause.key) if isinstance(actual, Mapping) else None
    elif isinstance(actual, Mapping):
        raise _invalid(f"Field '{clause.field}' needs a key, like {clause.field}['key'].")
    result = _compare(actual, clause)
    return not result if clause.negate else result


def _compare(actual: Any, clause: Clause) -> bool:
    expected = clause.value
    if clause.op == ":":
        if expected is None:
            return actual is None or actual == ""
        if isinstance(actual, bool):
            return str(actual).lower() == str(expected).lower()
        if isinstance(actual, (int, float)) and not isinstance(expected, str):
            return float(actual) == expected
        if isinstance(actual, (int, float)) and isinstance(expected, str):
            return str(actual) == expected
        return actual is not None and str(actual).lower() == str(expected).lower()
    if clause.op == "~":
        if not isinstance(expected, str) or len(expected) < 3:
            raise _invalid("Substring matching (~) needs a quoted value of at least 3 characters.")
        return actual is not None and expected.lower() in str(actual).lower()
    if expected is None or isinstance(expected, str) and not _numeric(expected):
        raise _invalid(f"Comparison {clause.op} needs a number.")
    if actual is None or not isinstance(actual, (int, float)):
        return False
    number = float(expected)
    return {">": actual > number, "<": actual < number, ">=": actual >= number,
            "<=": actual <= number}[clause.op]


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def run(ctx: Ctx, object_type: str, params: Mapping[str, Any], url: str,
        fields: Mapping[str, FieldGetter]) -> dict[str, Any]:
    """Evaluate a search over the account's objects of `object_type`; Stripe's `search_result`."""
    limit = params.get("limit", 10)
    if not 1 <= limit <= 100:
        raise InvalidRequestError("Invalid limit: must be an integer between 1 and 100", param="limit")
    clauses, connector = parse(params["query"])
    offset = _decode_page(params.get("page"))
    combine = all if connector == "and" else any
    matched = [obj for obj in ctx.store.select(ctx.account_id, object_type)
               if combine(_matches(obj, clause, fields) for clause in clauses)]
    page = matched[offset:offset + limit]
    has_more = offset + limit < len(matched)
    return {
        "object": "search_result",
        "data": page,
        "has_more": has_more,
        "next_page": _encode_page(offset + limit) if has_more else None,
        "total_count": len(matched),
        "url": url,
    }


def _encode_page(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _decode_page(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, number = text.partition(":")
        if prefix != "offset":
            raise ValueError(text)
        return max(int(number), 0)
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequestError(f"Invalid page: {token}", param="page") from None
