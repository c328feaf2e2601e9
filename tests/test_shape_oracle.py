"""Tests for tests/shape_oracle.py.

Two groups:

* self-contained tests that use only the schema files vendored in ``tests/shapes/``;
* equivalence tests against the reference checker ``check_shape.py`` in
  ``../shared/stripe-shapes/`` (located relative to the repository root).  They prove that the
  oracle reports the same violations (same JSON paths, and the same messages) for every example
  object, every resource of Stripe's published fixtures and a few hundred seeded mutations of them,
  for both schema versions.  They are skipped when the shared folder is absent (a fresh clone).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import json
import random
import re
import sys
import types
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.shape_oracle import (
    SHAPES_DIR,
    VERSIONS,
    assert_shape,
    json_schema,
    schema_name,
    violation_pairs,
    violations,
)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "stripe-shapes"
HAVE_SHARED = (SHARED / "check_shape.py").is_file()
needs_shared = pytest.mark.skipif(not HAVE_SHARED, reason=f"reference checker not found at {SHARED}")


# =========================================================================== self-contained tests
def valid_customer(**changes: Any) -> dict[str, Any]:
    """A customer as Stripe (API 2026-10-28.endive) returns it, with every required key."""
    customer: dict[str, Any] = {
        "id": "cus_TestOracle01",
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": 1761696000,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": "jenny@example.com",
        "invoice_prefix": "A1B2C3D4",
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {"plan": "gold"},
        "name": "Jenny Rosen",
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": ["en"],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }
    customer.update(changes)
    return customer


def paths_of(found: list[tuple[str, str]]) -> set[str]:
    return {path for path, _ in found}


def test_vendored_files_are_present() -> None:
    for version, filename in VERSIONS.items():
        doc = json.loads((SHAPES_DIR / filename).read_text(encoding="utf-8"))
        assert "customer" in doc["components"]["schemas"], version
    meta = json.loads((SHAPES_DIR / VERSIONS["endive"]).read_text(encoding="utf-8"))["meta"]
    assert meta["api_version"] == "2026-10-28.endive"


@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_generated_json_schema_is_valid_draft_2020_12(version: str) -> None:
    Draft202012Validator.check_schema(json_schema("customer", version=version))


def test_valid_customer_passes() -> None:
    assert violations(valid_customer()) == []
    assert_shape(valid_customer())
    assert schema_name(valid_customer()) == "customer"


def test_missing_key_is_reported_even_when_nullable() -> None:
    customer = valid_customer()
    del customer["email"]  # nullable, but Stripe always sends it
    assert violations(customer) == ["email: missing required field"]


def test_unknown_key_is_reported_at_every_level() -> None:
    customer = valid_customer(colour="blue")
    customer["invoice_settings"]["extra"] = 1
    assert set(violations(customer)) == {
        "colour: unknown field (not in schema)",
        "invoice_settings.extra: unknown field (not in schema)",
    }


def test_wrong_enum_value() -> None:
    (found,) = violations(valid_customer(tax_exempt="sometimes"))
    assert found.startswith('tax_exempt: value "sometimes" not in enum')


def test_float_for_integer() -> None:
    assert violations(valid_customer(balance=0.0)) == ["balance: expected integer, got number(float) (0.0)"]
    assert violations(valid_customer(created=True)) == ["created: expected integer, got boolean (true)"]


def test_null_and_wrong_types() -> None:
    assert violations(valid_customer(livemode=None)) == ["livemode: is null but the field is not nullable"]
    assert violations(valid_customer(email=42)) == ["email: expected string or null, got integer (42)"]
    assert violations(valid_customer(metadata={"n": 1})) == ["metadata.n: expected string, got integer (1)"]


def test_expandable_field_accepts_id_or_expanded_object() -> None:
    assert violations(valid_customer(default_source="card_123")) == []
    assert violations(valid_customer(default_source={"object": "card", "id": "card_1"})) == []  # not bundled
    assert violations(valid_customer(default_source={"object": "price", "id": "price_1"})) == [
        "default_source: expanded object has object='price', "
        "allowed: ['account', 'bank_account', 'card', 'source']"]
    assert violations(valid_customer(default_source=7)) == [
        "default_source: expandable field: expected id string or object, got integer"]


def test_expanded_object_is_checked_against_its_own_schema() -> None:
    broken = valid_customer()
    del broken["balance"]
    session = {
        "id": "bps_1", "object": "billing_portal.session", "configuration": "bpc_1", "created": 1,
        "customer": "cus_1", "customer_account": None, "flow": None, "livemode": False, "locale": None,
        "on_behalf_of": None, "return_url": None, "url": "https://example.com/s",
    }
    assert violations(session) == []
    event = {
        "id": "evt_1", "object": "event", "api_version": "2026-10-28.endive", "created": 1,
        "data": {"object": broken}, "livemode": False, "pending_webhooks": 0,
        "request": {"id": None, "idempotency_key": None}, "type": "customer.created",
    }
    assert violations(event) == ["data.object.balance: missing required field"]


def test_lists_search_results_deleted_objects_and_errors() -> None:
    page = {"object": "list", "data": [valid_customer(), valid_customer(balance="0")],
            "has_more": False, "url": "/v1/customers"}
    assert violations(page) == ['data[1].balance: expected integer, got string ("0")']
    search = {"object": "search_result", "data": [], "has_more": False}
    assert violations(search) == ["url: missing required field (list envelope)"]
    assert violations({"id": "cus_1", "object": "customer", "deleted": True}) == []
    assert violations({"id": "cus_1", "object": "customer", "deleted": True, "email": None}) == [
        "email: unknown field (not in schema)"]
    error = {"error": {"type": "invalid_request_error", "code": "resource_missing",
                       "message": "No such customer: 'cus_x'", "param": "id"}}
    assert violations(error) == []
    assert len(violations({"error": {"type": "bad_request", "message": "oops"}})) == 1


def test_objects_without_bundled_schema_are_not_checked() -> None:
    assert schema_name({"object": "card", "id": "card_1"}) is None
    assert violations({"object": "card", "id": "card_1", "anything": 1}) == []
    assert violations("cus_1") == ["<root>: expected a JSON object, got string"]


def test_version_2023_08_16() -> None:
    minimal = {"id": "cus_1", "object": "customer", "created": 1, "livemode": False}
    # The 2023 public spec does not list nullable keys as required; endive's SDK types do.
    assert violations(minimal, version="2023-08-16") == []
    assert "email: missing required field" in violations(minimal)
    # `business_name` exists only in endive ...
    assert violations(valid_customer(business_name="Acme"), version="endive") == []
    assert "business_name: unknown field (not in schema)" in violations(
        valid_customer(business_name="Acme"), version="2023-08-16")
    # ... and `current_period_end` on a subscription only in 2023-08-16.
    sub = {"id": "sub_1", "object": "subscription", "current_period_end": 1.5}
    assert "current_period_end: unknown field (not in schema)" in violations(sub)
    old = violations(sub, version="2023-08-16")
    assert "current_period_end: expected integer, got number(float) (1.5)" in old
    assert not any("unknown field" in line for line in old)


def test_assert_shape_lists_violations() -> None:
    with pytest.raises(AssertionError) as caught:
        assert_shape(valid_customer(balance=1.5, zzz=1))
    text = str(caught.value)
    assert "2 Stripe shape violation(s) (endive) in customer cus_TestOracle01" in text
    assert "balance: expected integer" in text and "zzz: unknown field" in text


def test_unknown_version_is_an_error() -> None:
    with pytest.raises(ValueError):
        violations(valid_customer(), version="2020-08-27")


def test_inputs_the_reference_checker_crashes_on_are_violations() -> None:
    """check_shape.py raises TypeError for these; the oracle reports a violation instead."""
    assert violations({"object": "list", "data": 5, "has_more": False, "url": "/v1/x"}) == [
        "data: expected array, got integer"]
    assert violations({"object": ["customer"], "id": "x"}) == [
        '<root>: object=["customer"] is not an object type name (expected a string)']


# =========================================================================== equivalence with check_shape.py
# check_shape.py prints `LABEL: PATH: MESSAGE`; with label "$", LABEL is "$" plus ".data[i]" / "[i]"
# of list items, then "(object-type id)" for checked objects.
_LINE = re.compile(r"^\$(?P<prefix>(?:\.data\[\d+\]|\[\d+\])*)(?:\((?:[^()]|\([^()]*\))*\))?"
                   r": (?P<path>.*?): (?P<msg>.*)$")


@pytest.fixture(scope="module")
def reference() -> Any:
    """A function running check_shape.py (default options) and returning (full path, message) pairs."""
    if not HAVE_SHARED:
        pytest.skip(f"reference checker not found at {SHARED}")
    if str(SHARED) not in sys.path:
        sys.path.insert(0, str(SHARED))
    import check_shape  # type: ignore[import-not-found]

    docs = {version: json.loads((SHARED / filename).read_text(encoding="utf-8"))
            for version, filename in VERSIONS.items()}
    defaults = types.SimpleNamespace(open_enums=False, allow_unknown=False, top_level_only=False,
                                     no_expanded=False, spec_required=False)

    def run(value: Any, version: str) -> list[tuple[str, str]]:
        checker = check_shape.Checker(docs[version], defaults)
        with contextlib.redirect_stderr(io.StringIO()):  # "note: ... not checked" lines
            checker.check_top(value, "$")
        out = []
        for line in checker.violations:
            match = _LINE.match(line)
            assert match, f"unparsed check_shape line: {line}"
            prefix, path = match["prefix"].lstrip("."), match["path"]
            if path == "<root>":
                full = prefix or "<root>"
            elif path.startswith("[") or not prefix:
                full = prefix + path
            else:
                full = f"{prefix}.{path}"
            out.append((full, match["msg"]))
        return out

    return run


def assert_same(reference: Any, value: Any, version: str) -> None:
    expected = reference(value, version)
    got = violation_pairs(value, version=version)
    assert sorted(paths_of(got)) == sorted(paths_of(expected)), "different violating paths"
    assert Counter(got) == Counter(expected), "same paths, different violations"


def _examples() -> list[Path]:
    return sorted((SHARED / "examples").glob("*.json")) if HAVE_SHARED else []


@functools.lru_cache(maxsize=1)
def _fixtures() -> dict[str, Any]:
    if not HAVE_SHARED:
        return {}
    return json.loads((SHARED / "stripe_fixtures_2026-07-29.json").read_text(encoding="utf-8"))["resources"]


@needs_shared
@pytest.mark.parametrize("filename", sorted(VERSIONS.values()))
def test_vendored_copies_are_identical(filename: str) -> None:
    assert (SHAPES_DIR / filename).read_bytes() == (SHARED / filename).read_bytes()


@needs_shared
@pytest.mark.parametrize("version", sorted(VERSIONS))
@pytest.mark.parametrize("path", _examples(), ids=lambda p: p.name)
def test_examples_match_reference(reference: Any, path: Path, version: str) -> None:
    assert_same(reference, json.loads(path.read_text(encoding="utf-8")), version)


@needs_shared
def test_examples_verdicts() -> None:
    """The examples' own expectations (from check_shape.py's self-tests) hold for the oracle."""
    load = lambda name: json.loads((SHARED / "examples" / name).read_text(encoding="utf-8"))  # noqa: E731
    for name in ("ok_billing_portal_configuration.json", "ok_billing_portal_session.json", "ok_event.json",
                 "ok_deleted_customer.json"):
        assert violations(load(name)) == [], name
    assert len(violations(load("bad_billing_portal_configuration.json"))) == 6
    assert len(violations(load("test_clock_list.json"))) == 2
    assert len(violations(load("errors.json"))) == 1


@needs_shared
@pytest.mark.parametrize("version", sorted(VERSIONS))
@pytest.mark.parametrize("resource", sorted(_fixtures()))
def test_fixtures_match_reference(reference: Any, resource: str, version: str) -> None:
    assert_same(reference, _fixtures()[resource], version)


_ODD_VALUES: list[Any] = [
    None, 0, 1, 1.5, 2.0, True, False, "", "x", "1.25", "active", [], [None], ["x"], {}, {"a": "b"},
    {"object": "customer", "id": "cus_1"}, {"object": "customer", "id": "cus_1", "deleted": True},
    {"object": "card", "id": "card_1"}, {"object": "price"}, {"error": {"type": "api_error"}},
]


def _mutations(fixtures: dict[str, Any], count: int, seed: int) -> list[tuple[str, Any]]:
    """Seeded random damage to bundled fixture objects: removed/added keys, wrong types, swapped objects."""
    rng = random.Random(seed)
    bases = [v for v in fixtures.values() if schema_name(v) or schema_name(v, version="2023-08-16")]
    out = []
    for index in range(count):
        value = copy.deepcopy(rng.choice(bases))
        for _ in range(rng.choice((1, 1, 2, 3))):
            slots: list[tuple[Any, Any]] = []

            def walk(node: Any) -> None:
                if isinstance(node, dict):
                    for key in node:
                        slots.append((node, key))
                        walk(node[key])
                elif isinstance(node, list):
                    for i, item in enumerate(node):
                        slots.append((node, i))
                        walk(item)

            walk(value)
            if not slots:
                break
            parent, key = rng.choice(slots)
            roll = rng.random()
            if roll < 0.2 and isinstance(parent, dict):
                del parent[key]
            elif roll < 0.3 and isinstance(parent, dict):
                parent["zz_" + str(key)] = rng.choice(_ODD_VALUES)
            elif roll < 0.5:
                parent[key] = copy.deepcopy(rng.choice(bases))  # an embedded/expanded object
            else:
                parent[key] = copy.deepcopy(rng.choice(_ODD_VALUES))
        out.append((f"{value.get('object')}#{index}", value))
    return out


@needs_shared
@pytest.mark.parametrize("version", sorted(VERSIONS))
def test_mutated_fixtures_match_reference(reference: Any, version: str) -> None:
    compared = 0
    for label, value in _mutations(_fixtures(), 400, seed=20261028):
        try:
            expected = reference(value, version)
        except TypeError:  # check_shape.py cannot handle e.g. an `object` that is a dict
            continue
        got = violation_pairs(value, version=version)
        assert Counter(got) == Counter(expected), label
        compared += 1
    assert compared > 300
