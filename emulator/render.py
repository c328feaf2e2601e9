"""Turning stored objects into API answers: the reader's API version, then `expand[]`.

Expansion follows Stripe's rules: dotted paths (`items.data.price.product`), `data.` on lists, arrays of
ids expanded element by element, at most four levels, and a 400 for a path that cannot be expanded.
Expanded objects are rendered in the same API version as the object holding them.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import orjson

from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.versions import downgrade

MAX_EXPAND_DEPTH = 4
# "Includable" fields: stored on the object but sent only when named in expand[] (Stripe's wording).
INCLUDABLE: dict[str, frozenset[str]] = {"coupon": frozenset({"applies_to"}), "price": frozenset({"tiers"}),
                                         "plan": frozenset({"tiers"}), "invoice": frozenset({"confirmation_secret"}),
                                         "search_result": frozenset({"total_count"})}
EXPANDABLE: dict[str, frozenset[str]] = {
    object_type: frozenset(paths)
    for object_type, paths in json.loads(
        resources.files("emulator").joinpath("spec/expandable.json").read_text()).items()
}


class _Loader:
    """The resolver version transforms get: loads objects by id, and finds an invoice's PaymentIntent."""

    def __init__(self, renderer: "Renderer") -> None:
        self.renderer = renderer
        self.invoice_payment_intent = renderer.invoice_payment_intent

    def __call__(self, object_id: str) -> dict[str, Any] | None:
        return self.renderer.load(object_id)


class Renderer:
    """Renders objects for one reader (an API request or a webhook endpoint)."""

    def __init__(self, ctx: Ctx, api_version: str | None = None) -> None:
        self.ctx = ctx
        self.api_version = api_version or ctx.api_version

    def load(self, object_id: str) -> dict[str, Any] | None:
        return self.ctx.store.get(self.ctx.account_id, object_id)

    def invoice_payment_intent(self, invoice_id: str) -> str | None:
        """The PaymentIntent of an invoice's default payment (pre-basil `invoice.payment_intent`)."""
        rows = self.ctx.store.select(self.ctx.account_id, "invoice_payment", where="owner = ?", args=(invoice_id,))
        for payment in rows:
            if payment.get("is_default"):
                return payment["payment"].get("payment_intent")
        return None

    def version(self, obj: dict[str, Any]) -> dict[str, Any]:
        loader = _Loader(self)
        return _first_lines_only(downgrade(obj, self.api_version, loader))

    def render(self, obj: dict[str, Any], expand: list[str] | None = None) -> dict[str, Any]:
        """`obj` in the reader's version with every `expand` path replaced by the objects it names."""
        result = self.version(obj)
        if expand and result is obj:
            # Expanding replaces values inside nested objects, which may be shared with the store's cache.
            result = orjson.loads(orjson.dumps(obj))
        wanted = set(expand or ())
        _drop_unrequested(result, wanted, "")
        for path in expand or ():
            if _is_includable(result, path):
                continue
            segments = path.split(".")
            if len([s for s in segments if s != "data"]) > MAX_EXPAND_DEPTH:
                raise InvalidRequestError(
                    f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a property. Property: {path}",
                    param="expand")
            self._expand(result, segments, path, result.get("object"), "")
        return result

    def _expand(self, node: dict[str, Any], segments: list[str], full_path: str, owner: str | None,
                inner: str) -> None:
        head, rest = segments[0], segments[1:]
        if node.get("object") in ("list", "search_result") and head == "data":
            for item in node.get("data", []):
                if rest:
                    self._expand(item, rest, full_path, item.get("object"), "")
            return
        computed = COMPUTED_INCLUDABLE.get((owner or "", inner + head))
        if computed is not None and not inner:
            if head not in node:
                value = computed(self.ctx, node)
                node[head] = self.version(value) if isinstance(value, dict) and "object" in value else value
            if rest and node[head] is not None:
                self._expand(node[head], rest, full_path, node[head].get("object"), "")
            return
        if head not in node:
            raise _cannot_expand(head)
        value = node[head]
        field_path = f"{inner}{head}"
        expandable = owner is not None and field_path in EXPANDABLE.get(owner, frozenset())
        if isinstance(value, list):
            if not expandable:
                raise _cannot_expand(head)
            node[head] = [self._expand_value(v, rest, full_path, expandable, head) for v in value]
        else:
            node[head] = self._expand_value(value, rest, full_path, expandable, head,
                                            owner=owner, inner=field_path + ".")

    def _expand_value(self, value: Any, rest: list[str], full_path: str, expandable: bool, name: str,
                      owner: str | None = None, inner: str = "") -> Any:
        if not expandable and not (isinstance(value, dict) and rest):
            raise _cannot_expand(name)
        if value is None:
            return None
        if isinstance(value, str):
            loaded = self.load(value)
            if loaded is None:
                return value
            value = self.version(loaded)
        if isinstance(value, dict):
            if rest:
                if "object" in value:
                    self._expand(value, rest, full_path, value.get("object"), "")
                else:
                    self._expand(value, rest, full_path, owner, inner)
            return value
        raise _cannot_expand(name)


EMBEDDED_LINES = 10


def _first_lines_only(obj: dict[str, Any]) -> dict[str, Any]:
    """An invoice embeds only its first 10 lines (`has_more` tells there are more; the lines endpoint pages
    through all of them), as Stripe's invoices do; also for the invoices of a list."""
    if obj.get("object") == "invoice":
        lines = obj.get("lines")
        if isinstance(lines, dict) and len(lines.get("data") or ()) > EMBEDDED_LINES:
            return {**obj, "lines": {**lines, "data": lines["data"][:EMBEDDED_LINES], "has_more": True}}
    elif obj.get("object") in ("list", "search_result") and any(
            isinstance(item, dict) and item.get("object") == "invoice" for item in obj.get("data") or ()):
        return {**obj, "data": [_first_lines_only(item) if isinstance(item, dict) else item for item in obj["data"]]}
    return obj


def _cannot_expand(name: str) -> InvalidRequestError:
    return InvalidRequestError(f"This property cannot be expanded ({name}).", param="expand")


def _invoice_payments(ctx: Ctx, invoice: dict[str, Any]) -> dict[str, Any]:
    rows = ctx.store.select(ctx.account_id, "invoice_payment", where="owner = ?", args=(invoice["id"],))
    return {"object": "list", "data": rows, "has_more": False, "url": f"/v1/invoice_payments?invoice={invoice['id']}"}


def _invoice_confirmation_secret(ctx: Ctx, invoice: dict[str, Any]) -> dict[str, Any] | None:
    """The client secret of the PaymentIntent a finalized invoice is paid with (Stripe's quickstart confirms it in
    the browser: `expand[]=latest_invoice.confirmation_secret`)."""
    from emulator.resources import invoices

    intent_id = invoices.latest_intent_id(ctx, invoice["id"]) if invoice.get("status") != "draft" else None
    intent = ctx.store.get(ctx.account_id, intent_id, "payment_intent") if intent_id else None
    return {"client_secret": intent["client_secret"], "type": "payment_intent"} if intent else None


def _charge_refunds(ctx: Ctx, charge: dict[str, Any]) -> dict[str, Any]:
    """A charge's refunds, newest first (Stripe sends them only with `expand[]=refunds`)."""
    rows = ctx.store.select(ctx.account_id, "refund", where="owner = ?", args=(charge["id"],))
    return {"object": "list", "data": rows, "has_more": False, "url": f"/v1/charges/{charge['id']}/refunds"}


def _customer_list(object_type: str, path: str, keep: Any = None) -> Any:
    def compute(ctx: Ctx, customer: dict[str, Any]) -> dict[str, Any]:
        rows = [row for row in ctx.store.select(ctx.account_id, object_type, where="customer = ?",
                                                args=(customer["id"],))
                if not row.get("deleted") and (keep is None or keep(row))]
        return {"object": "list", "data": rows, "has_more": False, "url": f"/v1/customers/{customer['id']}/{path}"}
    return compute


# Includable fields computed on request (not stored on the object). A customer's subscriptions (the current
# ones), tax IDs and card sources are sent only when expanded, as Stripe does since 2020-08-27.
COMPUTED_INCLUDABLE: dict[tuple[str, str], Any] = {
    ("invoice", "payments"): _invoice_payments,
    ("invoice", "confirmation_secret"): _invoice_confirmation_secret,
    ("charge", "refunds"): _charge_refunds,
    ("customer", "subscriptions"): _customer_list(
        "subscription", "subscriptions", lambda s: s["status"] not in ("canceled", "incomplete_expired")),
    ("customer", "tax_ids"): _customer_list("tax_id", "tax_ids"),
    ("customer", "sources"): _customer_list("card", "sources"),
}


def _drop_unrequested(obj: dict[str, Any], wanted: set[str], prefix: str) -> None:
    if obj.get("object") in ("list", "search_result"):
        if obj.get("object") == "search_result" and prefix + "total_count" not in wanted:
            obj.pop("total_count", None)  # only with expand[]=total_count, as Stripe's search does
        for item in obj.get("data", []):
            if isinstance(item, dict):
                _drop_unrequested(item, wanted, prefix + "data.")
        return
    for field in INCLUDABLE.get(obj.get("object", ""), ()):  # type: ignore[arg-type]
        if prefix + field not in wanted:
            obj.pop(field, None)


def _is_includable(obj: dict[str, Any], path: str) -> bool:
    """A stored includable field (nothing to expand; computed ones are expanded like any other path)."""
    head, _, rest = path.rpartition(".")
    if obj.get("object") in ("list", "search_result") and head == "data":
        return any(_stored_includable(item.get("object", ""), rest) for item in obj.get("data", [])
                   if isinstance(item, dict))
    return not head and _stored_includable(obj.get("object", ""), path)


def _stored_includable(object_type: str, field: str) -> bool:
    return field in INCLUDABLE.get(object_type, ()) and (object_type, field) not in COMPUTED_INCLUDABLE
