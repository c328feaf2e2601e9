"""Customer tax IDs (`/v1/customers/{id}/tax_ids` and `/v1/tax_ids` with owner[type]=customer).

Values are checked against each type's format (for the common types) with Stripe's
"Invalid value for <type>." error. Test mode verification: EU VAT and GB VAT numbers are `verified`
(Stripe verifies them asynchronously; test values verify), other types `unavailable`.
"""

from __future__ import annotations

import re
from typing import Any

from emulator import ids
from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common

OBJECT = "tax_id"
FORMATS: dict[str, str] = {
    "eu_vat": r"^(AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)"
              r"(?=[0-9A-Z+*]*[0-9])[0-9A-Z+*]{2,13}$",
    "gb_vat": r"^GB[0-9]{9}([0-9]{3})?$",
    "us_ein": r"^[0-9]{2}-?[0-9]{7}$",
    "au_abn": r"^[0-9]{11}$",
    "ca_bn": r"^[0-9]{9}$",
    "ch_vat": r"^CHE-?[0-9]{3}\.?[0-9]{3}\.?[0-9]{3} ?(MWST|TVA|IVA)$",
    "in_gst": r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][0-9A-Z]Z[0-9A-Z]$",
    "jp_cn": r"^[0-9]{13}$",
    "no_vat": r"^[0-9]{9}MVA$",
    "nz_gst": r"^[0-9]{8,9}$",
    "br_cnpj": r"^[0-9]{2}\.?[0-9]{3}\.?[0-9]{3}/?[0-9]{4}-?[0-9]{2}$",
    "br_cpf": r"^[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}$",
    "mx_rfc": r"^[A-Z&Ñ]{3,4}[0-9]{6}[A-Z0-9]{3}$",
}
COUNTRY = {"eu_vat": None, "gb_vat": "GB", "us_ein": "US", "au_abn": "AU", "ca_bn": "CA", "ch_vat": "CH",
           "in_gst": "IN", "jp_cn": "JP", "no_vat": "NO", "nz_gst": "NZ", "br_cnpj": "BR", "br_cpf": "BR",
           "mx_rfc": "MX"}
VERIFIED_TYPES = ("eu_vat", "gb_vat")


def create(ctx: Ctx, customer_id: str, params: dict[str, Any], *, param_prefix: str = "") -> dict[str, Any]:
    """Add a tax ID to a customer: customer.tax_id.created."""
    common.require(ctx, "customer", customer_id, param="customer")
    kind, value = params["type"], str(params["value"]).strip()
    pattern = FORMATS.get(kind)
    prefix = f"{param_prefix}[" if param_prefix else ""
    suffix = "]" if param_prefix else ""
    if pattern and not re.match(pattern, value.upper() if kind != "mx_rfc" else value):
        raise InvalidRequestError(f"Invalid value for {kind}.", param=f"{prefix}value{suffix}",
                                  code="tax_id_invalid")
    country = COUNTRY.get(kind, kind.split("_", 1)[0].upper())
    if kind == "eu_vat":
        country = {"EL": "GR"}.get(value[:2].upper(), value[:2].upper())
    tax_id = {
        "id": ids.new_id("txi"),
        "object": OBJECT,
        "country": country,
        "created": ctx.now(),
        "customer": customer_id,
        "customer_account": None,
        "livemode": False,
        "owner": {"customer": customer_id, "customer_account": None, "type": "customer"},
        "type": kind,
        "value": value,
        "verification": {"status": "verified" if kind in VERIFIED_TYPES else "unavailable",
                         "verified_address": None, "verified_name": None},
    }
    return common.create(ctx, tax_id, customer=customer_id, event="customer.tax_id.created")


def require(ctx: Ctx, tax_id: str, customer_id: str | None = None) -> dict[str, Any]:
    obj = common.require(ctx, OBJECT, tax_id, kind="tax_id")
    if customer_id is not None and obj["customer"] != customer_id:
        raise InvalidRequestError(f"No such tax_id: '{tax_id}'", code="resource_missing", http_status=404)
    return obj


def delete(ctx: Ctx, tax_id: str, customer_id: str | None = None) -> dict[str, Any]:
    """Remove: customer.tax_id.deleted."""
    obj = require(ctx, tax_id, customer_id)
    return common.delete(ctx, obj, keep=False, event="customer.tax_id.deleted")


def list_(ctx: Ctx, params: dict[str, Any], customer_id: str | None = None) -> dict[str, Any]:
    owner = params.get("owner") or {}
    customer_id = customer_id or owner.get("customer")
    url = f"/v1/customers/{customer_id}/tax_ids" if customer_id and not owner else "/v1/tax_ids"
    if customer_id:
        common.require(ctx, "customer", customer_id, param="customer")
        return common.list_objects(ctx, OBJECT, params, url, where="customer = ?", args=(customer_id,))
    return common.list_objects(ctx, OBJECT, params, url)


def create_top_level(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/tax_ids` (owner[type]=customer only; the account's own tax IDs are out of scope)."""
    owner = params.get("owner") or {"type": "self"}
    if owner.get("type") != "customer" or not owner.get("customer"):
        raise InvalidRequestError("stripe-portal-emulator supports tax IDs owned by customers only: pass "
                                  "owner[type]=customer and owner[customer].", param="owner[type]")
    return create(ctx, owner["customer"], {"type": params["type"], "value": params["value"]})
