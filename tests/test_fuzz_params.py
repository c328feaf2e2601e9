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

    def post(path: str, data: dict[str, str]) -> dict[str, Any]:
        response = client.post(path, data=data, headers=HEADERS)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    # Real objects, so fuzzed requests reach the handlers' deeper paths, not only their 404s.
    customer = post("/v1/customers", {"email": "f@example.com", "payment_method": "pm_card_visa",
                                      "invoice_settings[default_payment_method]": "pm_card_visa"})
    product = post("/v1/products", {"name": "Fuzz"})
    price = post("/v1/prices", {"product": product["id"], "currency": "usd", "unit_amount": "1000",
                                "recurring[interval]": "month"})
    subscription = post("/v1/subscriptions", {"customer": customer["id"], "items[0][price]": price["id"]})
    schedule_sub = post("/v1/subscriptions", {"customer": customer["id"], "items[0][price]": price["id"]})
    schedule = post("/v1/subscription_schedules", {"from_subscription": schedule_sub["id"]})
    intent = post("/v1/payment_intents", {"amount": "500", "currency": "usd", "payment_method": "pm_card_visa",
                                          "confirm": "true", "return_url": "https://shop.test/done"})
    setup = post("/v1/setup_intents", {"customer": customer["id"]})
    coupon = post("/v1/coupons", {"percent_off": "10"})
    promo = post("/v1/promotion_codes", {"promotion[type]": "coupon", "promotion[coupon]": coupon["id"]})
    item = post("/v1/invoiceitems", {"customer": customer["id"], "amount": "300", "currency": "usd"})
    rate = post("/v1/tax_rates", {"display_name": "VAT", "percentage": "20", "inclusive": "false"})
    clock = post("/v1/test_helpers/test_clocks", {"frozen_time": "1800000000"})
    endpoint = post("/v1/webhook_endpoints", {"url": "http://127.0.0.1:9/hook", "enabled_events[]": "*"})
    known = {
        "customer": customer["id"], "id": product["id"], "price": price["id"], "plan": price["id"],
        "subscription_exposed_id": subscription["id"], "subscription": subscription["id"],
        "item": subscription["items"]["data"][0]["id"], "invoice": subscription["latest_invoice"],
        "schedule": schedule["id"], "intent": intent["id"], "charge": intent["latest_charge"],
        "coupon": coupon["id"], "promotion_code": promo["id"], "invoiceitem": item["id"],
        "tax_rate": rate["id"], "test_clock": clock["id"], "webhook_endpoint": endpoint["id"],
        "payment_method": customer["invoice_settings"]["default_payment_method"], "setup": setup["id"],
    }
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
    fill = data.draw(st.sampled_from(["known", "known", "cus_missing", "x", "%20"]))
    url = _fill_path(path, known if fill == "known" else {}, fill)
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
