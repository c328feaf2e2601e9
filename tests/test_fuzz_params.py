"""Hypothesis-generated malformed parameters against every declared endpoint: never a 5xx, always a
Stripe-shaped JSON answer. Runs the real app in-process over a temporary database."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

import emulator.api.routes  # noqa: F401  (declares OPERATIONS)
from emulator.api import OPERATIONS, PARAM_SPEC, _normalize
from emulator.app import create_app

KEY = "sk_test_fuzz"
HEADERS = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FlaskClient, dict[str, str]]]:
    app = create_app({"DATABASE": str(tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite3"),
                      "WEBHOOK_DELIVERY": "off"})
    client = app.test_client()
    known: dict[str, str] = {}
    customer = client.post("/v1/customers", data={"email": "f@example.com"}, headers=HEADERS).get_json()
    known["customer"] = customer["id"]
    yield client, known


def _leaf_names(schema: dict[str, Any], prefix: str = "", depth: int = 0) -> Iterator[str]:
    for option in schema.get("anyOf", []):
        yield from _leaf_names(option, prefix, depth)
    for name, sub in (schema.get("properties") or {}).items():
        path = f"{prefix}[{name}]" if prefix else name
        yield path
        if depth < 3:
            yield from _leaf_names(sub, path, depth + 1)
    if schema.get("type") == "array" and depth < 3:
        yield from _leaf_names(schema.get("items", {}), f"{prefix}[0]", depth + 1)


ROUTES = [(op.method, op.path, sorted(set(_leaf_names(PARAM_SPEC.get(_normalize(op.method, op.path)) or {}))))
          for op in OPERATIONS]
VALUES = st.one_of(
    st.just(""), st.just("true"), st.just("-1"), st.just("0"), st.just("99999999999999999999999"),
    st.just("1.5"), st.just("null"), st.just("now"), st.just("cus_missing"), st.just("pm_card_visa"),
    st.just("usd"), st.just("month"), st.text(max_size=12),
)
SUFFIXES = st.sampled_from(["", "", "", "[]", "[0]", "[x]", "[0][y]", "[", "]"])


def _fill_path(path: str, known: dict[str, str], draw_id: str) -> str:
    return re.sub(r"<([^>]+)>", lambda m: known.get(m.group(1), draw_id), path)


@pytest.mark.parametrize("method,path,names", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_server_errors(app_client: tuple[FlaskClient, dict[str, str]], method: str, path: str,
                          names: list[str], data: st.DataObject) -> None:
    client, known = app_client
    pool = names + ["unknown_param", "metadata", "expand"]
    keys = data.draw(st.lists(st.tuples(st.sampled_from(pool), SUFFIXES), max_size=6))
    pairs = [(name + suffix, data.draw(VALUES)) for name, suffix in keys]
    url = _fill_path(path, known, data.draw(st.sampled_from(["cus_missing", "x", "price_1", "%20"])))
    if method == "GET":
        response = client.get(url, query_string=MultiDict(pairs), headers=HEADERS)
    elif method == "DELETE":
        response = client.delete(url, query_string=MultiDict(pairs), headers=HEADERS)
    else:
        response = client.post(url, data=MultiDict(pairs), headers=HEADERS)
    assert response.status_code < 500, (method, url, pairs, response.get_data(as_text=True))
    body = response.get_json()
    assert body is not None
    if response.status_code >= 400:
        assert set(body) == {"error"}
        assert body["error"]["type"] in {"invalid_request_error", "card_error", "idempotency_error"}
