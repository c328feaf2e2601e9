"""Tax IDs: a customer's (`/v1/customers/{id}/tax_ids`, `/v1/tax_ids` with owner[type]=customer) and the
account's own (`/v1/tax_ids` with owner[type]=self, the default).

Values are checked against each type's format (for the common types) with Stripe's "Invalid value for
<type>." error (code tax_id_invalid). Verification follows Stripe's test mode: EU VAT, UK VAT and
Australian ABN numbers are verified asynchronously (`verification.status` "pending" in the create answer,
then `customer.tax_id.updated`), with Stripe's magic test numbers 000000000 (verified), 111111111
(unverified) and 222222222 (stays pending), country prefix allowed (DE000000000). Other values of those
types verify, as a valid test number does. Other types are `unavailable` (Stripe does not verify them).
The emulator applies the verification result right after creating the tax ID, in the same request.
"""

from __future__ import annotations

import re
from typing import Any

from emulator import ids
from emulator.context import Ctx
from emulator.errors import InvalidRequestError, missing_param
from emulator.resources import common

OBJECT = "tax_id"
_CH_UID = r"CHE-?[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}"
# How Stripe's forms name the tax ID types whose label is not just the code in capitals ("EU VAT").
LABELS = {"ca_gst_hst": "CA GST/HST", "ca_pst_bc": "CA PST-BC", "ca_pst_mb": "CA PST-MB", "ca_pst_sk": "CA PST-SK"}


def label(kind: str) -> str:
    """The tax ID type as customers read it: `eu_vat` → "EU VAT", `ca_gst_hst` → "CA GST/HST"."""
    return LABELS.get(kind) or kind.upper().replace("_", " ")


FORMATS: dict[str, str] = {
    "ae_trn": r"^[0-9]{15}$",
    "au_abn": r"^[0-9]{11}$",
    "au_arn": r"^[0-9]{12}$",
    "br_cnpj": r"^[0-9]{2}\.?[0-9]{3}\.?[0-9]{3}/?[0-9]{4}-?[0-9]{2}$",
    "br_cpf": r"^[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}$",
    "ca_bn": r"^[0-9]{9}$",
    "ca_gst_hst": r"^[0-9]{9} ?RT ?[0-9]{4}$",
    "ca_pst_bc": r"^PST-?[0-9]{4}-?[0-9]{4}$",
    "ca_pst_mb": r"^[0-9]{6}-?[0-9]$",
    "ca_pst_sk": r"^[0-9]{7}$",
    "ca_qst": r"^[0-9]{10} ?TQ ?[0-9]{4}$",
    "ch_uid": rf"^{_CH_UID}( ?HR)?$",
    "ch_vat": rf"^{_CH_UID} ?(MWST|TVA|IVA)$",
    "es_cif": r"^[A-Z][0-9]{7}[0-9A-Z]$",
    "eu_oss_vat": r"^EU[0-9]{9}$",
    "eu_vat": r"^(AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)"
              r"(?=[0-9A-Z+*]*[0-9])[0-9A-Z+*]{2,13}$",
    "gb_vat": r"^GB[0-9]{9}([0-9]{3})?$",
    "hk_br": r"^[0-9]{8}$",
    "in_gst": r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][0-9A-Z]Z[0-9A-Z]$",
    "jp_cn": r"^[0-9]{13}$",
    "jp_rn": r"^[0-9]{5}$",
    "jp_trn": r"^T[0-9]{13}$",
    "kr_brn": r"^[0-9]{3}-?[0-9]{2}-?[0-9]{5}$",
    "li_uid": rf"^{_CH_UID}$",
    "mx_rfc": r"^[A-Z&Ñ]{3,4}[0-9]{6}[A-Z0-9]{3}$",
    "no_vat": r"^[0-9]{9}MVA$",
    "no_voec": r"^[0-9]{7}$",
    "nz_gst": r"^[0-9]{8,9}$",
    "sa_vat": r"^[0-9]{15}$",
    "sg_gst": r"^M[0-9]{8}[0-9A-Z]$",
    "sg_uen": r"^([0-9]{8,9}[A-Z]|[TSR][0-9]{2}[A-Z]{2}[0-9]{4}[A-Z])$",
    "th_vat": r"^[0-9]{13}$",
    "tw_vat": r"^[0-9]{8}$",
    "us_ein": r"^[0-9]{2}-?[0-9]{7}$",
    "za_vat": r"^4[0-9]{9}$",
}
# The country of a type is its prefix (ca_bn -> CA) except for these; eu_vat takes the value's prefix.
COUNTRY: dict[str, str | None] = {"eu_vat": None, "eu_oss_vat": None, "li_uid": "LI", "li_vat": "LI"}
EU_PREFIX_COUNTRY = {"EL": "GR", "XI": "GB"}
VERIFIED_TYPES = ("au_abn", "eu_vat", "gb_vat")
MAGIC_RESULTS = {"0": "verified", "1": "unverified", "2": "pending"}
CONNECT_OWNERS = ("account", "application")


def _magic(kind: str, value: str) -> str | None:
    """The verification result a Stripe magic test number asks for (000000000, 111111111, 222222222)."""
    digits = re.sub(r"^[A-Z]+", "", value.upper())
    if kind in VERIFIED_TYPES and len(digits) >= 9 and len(set(digits)) == 1 and digits[0] in MAGIC_RESULTS:
        return MAGIC_RESULTS[digits[0]]
    return None


def _validate(kind: str, value: str, param: str) -> None:
    pattern = FORMATS.get(kind)
    if _magic(kind, value) is not None or pattern is None:
        return
    if not re.match(pattern, value if kind == "mx_rfc" else value.upper()):
        raise InvalidRequestError(f"Invalid value for {kind}.", param=param, code="tax_id_invalid")


def _country(kind: str, value: str) -> str | None:
    if kind == "eu_vat":
        prefix = value[:2].upper()
        return EU_PREFIX_COUNTRY.get(prefix, prefix)
    if kind in COUNTRY:
        return COUNTRY[kind]
    return kind.split("_", 1)[0].upper()


def _build(ctx: Ctx, params: dict[str, Any], customer_id: str | None, param_prefix: str) -> dict[str, Any]:
    def name(key: str) -> str:
        return f"{param_prefix}[{key}]" if param_prefix else key

    for key in ("type", "value"):
        if not params.get(key):
            raise missing_param(name(key))
    kind, value = params["type"], str(params["value"]).strip()
    _validate(kind, value, name("value"))
    owner: dict[str, Any] = {"customer_account": None, "type": "self"}
    verification = None
    if customer_id is not None:
        owner = {"customer": customer_id, "customer_account": None, "type": "customer"}
        verification = {"status": "pending" if kind in VERIFIED_TYPES else "unavailable",
                        "verified_address": None, "verified_name": None}
    return {
        "id": ids.new_id("txi"),
        "object": OBJECT,
        "country": _country(kind, value),
        "created": ctx.now(),
        "customer": customer_id,
        "customer_account": None,
        "livemode": False,
        "owner": owner,
        "type": kind,
        "value": value,
        "verification": verification,
    }


def _event(tax_id: dict[str, Any], action: str) -> str:
    # Customer tax IDs have customer.tax_id.* events; Stripe has no event type for the account's own ("" = none).
    return f"customer.tax_id.{action}" if tax_id.get("customer") else ""


def _store_and_verify(ctx: Ctx, tax_id: dict[str, Any]) -> dict[str, Any]:
    common.create(ctx, tax_id, customer=tax_id["customer"], event=_event(tax_id, "created"))
    verification = tax_id["verification"]
    if verification and verification["status"] == "pending":
        result = _magic(tax_id["type"], tax_id["value"]) or "verified"
        if result != "pending":
            common.save(ctx, tax_id, {**tax_id, "verification": {**verification, "status": result}},
                        event=_event(tax_id, "updated"))
    return tax_id


def create(ctx: Ctx, customer_id: str, params: dict[str, Any], *, param_prefix: str = "") -> dict[str, Any]:
    """Add a tax ID to a customer (`POST /v1/customers/{id}/tax_ids`, customers.create `tax_id_data[]`):
    customer.tax_id.created, then customer.tax_id.updated when verification completes. The answer shows
    the tax ID as created (verification pending for the verified types), like Stripe's."""
    customer = common.require(ctx, "customer", customer_id, param="customer" if param_prefix else None)
    ctx = ctx.on_clock(customer.get("test_clock"))
    return _store_and_verify(ctx, _build(ctx, params, customer_id, param_prefix))


def create_top_level(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/tax_ids`: owner[type]=customer (+owner[customer]) or self (the default: the account's own
    tax ID, which emits no event: Stripe has no event type for it). Connect owners (account, application)
    are refused."""
    customer = _owner_customer(ctx, params)
    if customer is not None:
        ctx = ctx.on_clock(customer.get("test_clock"))
    return _store_and_verify(ctx, _build(ctx, params, customer["id"] if customer else None, ""))


def _owner_customer(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any] | None:
    """The customer `owner` names on `/v1/tax_ids` (owner[type]=customer), None for the account itself
    (owner[type]=self, the default); Connect owners are refused."""
    owner = params.get("owner") or {"type": "self"}
    if owner["type"] in CONNECT_OWNERS:
        raise InvalidRequestError(f"stripe-portal-emulator does not emulate Connect: owner[type]={owner['type']} "
                                  "is not supported.", param="owner[type]")
    if owner["type"] != "customer":
        return None
    if not owner.get("customer"):
        raise missing_param("owner[customer]")
    return common.require(ctx, "customer", owner["customer"], param="owner[customer]")


def require(ctx: Ctx, tax_id: str, customer_id: str | None = None) -> dict[str, Any]:
    """A tax ID by id (of that customer when given), else Stripe's 404 `No such tax_id`."""
    if customer_id is not None:
        common.require(ctx, "customer", customer_id)
    obj = common.require(ctx, OBJECT, tax_id, kind="tax_id")
    if customer_id is not None and obj["customer"] != customer_id:
        raise InvalidRequestError(f"No such tax_id: '{tax_id}'", code="resource_missing", http_status=404)
    return obj


def delete(ctx: Ctx, tax_id: str, customer_id: str | None = None) -> dict[str, Any]:
    """Remove a tax ID: customer.tax_id.deleted (no event for the account's own)."""
    obj = require(ctx, tax_id, customer_id)
    ctx = ctx.on_customer_clock(obj.get("customer"))
    return common.delete(ctx, obj, keep=False, event=_event(obj, "deleted"))


def list_(ctx: Ctx, params: dict[str, Any], customer_id: str | None = None) -> dict[str, Any]:
    """`GET /v1/customers/{id}/tax_ids`, or `GET /v1/tax_ids` by `owner` (default owner[type]=self)."""
    if customer_id is not None:
        common.require(ctx, "customer", customer_id)
        return common.list_objects(ctx, OBJECT, params, f"/v1/customers/{customer_id}/tax_ids",
                                   where="customer = ?", args=(customer_id,))
    customer = _owner_customer(ctx, params)
    if customer is not None:
        return common.list_objects(ctx, OBJECT, params, "/v1/tax_ids", where="customer = ?", args=(customer["id"],))
    return common.list_objects(ctx, OBJECT, params, "/v1/tax_ids", where="customer IS NULL")
