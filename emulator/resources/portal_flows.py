"""Portal deep links (`flow_data` on `POST /v1/billing_portal/sessions`): a session that opens on one task
and hides the rest of the portal until the task is done, then follows `after_completion`.

Flow types emulated: `customer_update` (the billing-information page; done when the details are saved),
`payment_method_update` (the add-card page; the saved card becomes
`customer.invoice_settings.default_payment_method`), `subscription_cancel` (with an optional `retention`
coupon offer), `subscription_update` (the plan picker) and `subscription_update_confirm` (the confirm page
for one item's new price and/or quantity, with an optional coupon or promotion code). `subscription_pause`
is refused by name (pausing in the portal is not emulated).

Validation happens at session creation, with Stripe's `param` names: the subscription must be the
customer's, active, trialing or past due, and eligible for the task in the session's configuration (the
feature enabled; not already set to cancel; not locked by a schedule; one licensed item for updates; a plan
picker with something to change); a `retention` or discount coupon must exist, and a promotion code must be
one the customer can redeem (the API's rules for subscription updates: active, not restricted to another
customer, first-time customers only, no minimum amount); `redirect` needs its `return_url`; a
`custom_message` is at most 500 characters. The session's `flow` echoes the request in Stripe's shape
(`after_completion` defaults to `hosted_confirmation`, the documented default).

After the task (the confirmation, accepting a retention offer, a saved card), `after_completion` applies:
`hosted_confirmation` shows the portal's confirmation page (with `custom_message`), `redirect` sends the
browser to its `return_url`, `portal_homepage` opens the full portal. Completion is remembered per session.
"""

from __future__ import annotations

from typing import Any

from emulator.context import Ctx
from emulator.errors import InvalidRequestError, StripeError
from emulator.resources import (billing_portal_configurations as configurations, common, coupons,
                                portal_cancellations, portal_updates, promotion_codes, subscriptions)

EMULATED = ("customer_update", "payment_method_update", "subscription_cancel", "subscription_update",
            "subscription_update_confirm")
NOT_EMULATED = ("subscription_pause",)
# Flow types about the customer rather than one subscription, and the configuration feature each needs.
CUSTOMER_FLOWS = {"customer_update": "customer_update", "payment_method_update": "payment_method_update"}
# Flow types whose parameters sit in a sub-object of the same name (payment_method_update has none).
WITH_PARAMS = ("subscription_cancel", "subscription_update", "subscription_update_confirm")
AFTER_COMPLETION = ("hosted_confirmation", "portal_homepage", "redirect")
MAX_CUSTOM_MESSAGE = 500
# Which portal pages belong to each flow (pages of other subscriptions or features are out of reach).
PAGES = {"customer_update": ("billing",), "payment_method_update": ("payment_method",),
         "subscription_cancel": ("cancel",),
         "subscription_update": ("update", "confirm"), "subscription_update_confirm": ("confirm",)}


def _after_completion(spec: Any) -> dict[str, Any]:
    prefix = "flow_data[after_completion]"
    spec = spec or {"type": "hosted_confirmation"}
    kind = spec["type"]
    if kind not in AFTER_COMPLETION:
        raise InvalidRequestError(f"Invalid {prefix}[type]: must be one of {', '.join(AFTER_COMPLETION)}.",
                                  param=f"{prefix}[type]")
    for other in ("hosted_confirmation", "redirect"):
        if other in spec and other != kind:
            raise InvalidRequestError(f"{prefix}[{other}] can only be used with {prefix}[type]={other}.",
                                      param=f"{prefix}[{other}]")
    result: dict[str, Any] = {"hosted_confirmation": None, "redirect": None, "type": kind}
    if kind == "hosted_confirmation":
        message = common.or_none((spec.get("hosted_confirmation") or {}).get("custom_message"))
        if message is not None and len(message) > MAX_CUSTOM_MESSAGE:
            raise InvalidRequestError(f"The custom message can be at most {MAX_CUSTOM_MESSAGE} characters.",
                                      param=f"{prefix}[hosted_confirmation][custom_message]")
        result["hosted_confirmation"] = {"custom_message": message}
    elif kind == "redirect":
        if not (spec.get("redirect") or {}).get("return_url"):
            raise InvalidRequestError(f"Missing required param: {prefix}[redirect][return_url].",
                                      param=f"{prefix}[redirect][return_url]", code="parameter_missing")
        url = spec["redirect"]["return_url"]
        configurations.check_url(url, f"{prefix}[redirect][return_url]")
        result["redirect"] = {"return_url": url}
    return result


def _subscription(ctx: Ctx, spec: dict[str, Any], customer_id: str, param: str) -> dict[str, Any]:
    subscription = subscriptions.require(ctx, spec["subscription"], param=param)
    if subscription["customer"] != customer_id:
        raise InvalidRequestError(f"The subscription {subscription['id']} does not belong to the customer "
                                  f"{customer_id}.", param=param)
    if subscription["status"] not in portal_updates.UPDATABLE_STATUSES:
        raise InvalidRequestError(f"The subscription {subscription['id']} is {subscription['status']}; portal "
                                  "flows work for active, trialing and past_due subscriptions only.", param=param)
    return subscription


def _refuse(problem: StripeError | None, param: str) -> None:
    if problem is not None:
        raise InvalidRequestError(problem.message, param=param)


def _cancel_flow(ctx: Ctx, spec: dict[str, Any], customer_id: str, configuration: dict[str, Any]
                 ) -> dict[str, Any]:
    prefix = "flow_data[subscription_cancel]"
    subscription = _subscription(ctx, spec, customer_id, f"{prefix}[subscription]")
    _refuse(portal_cancellations.cancel_problem(ctx, configuration, subscription), f"{prefix}[subscription]")
    retention = spec.get("retention")
    if retention:
        param = f"{prefix}[retention][coupon_offer][coupon]"
        coupon = coupons.require(ctx, retention["coupon_offer"]["coupon"], param=param)
        if not coupon["valid"]:
            raise InvalidRequestError(f"Coupon {coupon['id']} is no longer valid.", param=param,
                                      code="coupon_expired")
        retention = {"coupon_offer": {"coupon": coupon["id"]}, "type": retention["type"]}
    return {"retention": retention or None, "subscription": subscription["id"]}


def _update_flow(ctx: Ctx, spec: dict[str, Any], customer_id: str, configuration: dict[str, Any]
                 ) -> dict[str, Any]:
    param = "flow_data[subscription_update][subscription]"
    subscription = _subscription(ctx, spec, customer_id, param)
    _refuse(portal_updates.update_problem(ctx, configuration, subscription), param)
    return {"subscription": subscription["id"]}


def _discounts(ctx: Ctx, specs: Any, prefix: str, customer_id: str) -> list[dict[str, Any]] | None:
    """A `subscription_update_confirm` link's discount: one existing, valid coupon, or one promotion code the
    customer can redeem, by the rules the API's subscription update then applies to it."""
    if not specs:
        return None
    if len(specs) > 1:
        raise InvalidRequestError("Only one discount can be applied through the portal.", param=f"{prefix}[discounts]")
    spec, param = specs[0], f"{prefix}[discounts][0]"
    if bool(spec.get("coupon")) == bool(spec.get("promotion_code")):
        raise InvalidRequestError("Pass either a coupon or a promotion_code.", param=param)
    if spec.get("coupon"):
        coupon = coupons.require(ctx, spec["coupon"], param=f"{param}[coupon]")
        if not coupon["valid"]:
            raise InvalidRequestError(f"Coupon {coupon['id']} is no longer valid.", param=f"{param}[coupon]",
                                      code="coupon_expired")
        return [{"coupon": coupon["id"], "promotion_code": None}]
    promo = promotion_codes.require(ctx, spec["promotion_code"], param=f"{param}[promotion_code]")
    # The rules of the subscription update the confirmation makes: active, the customer's (or anyone's),
    # first-time customers only, and no minimum amount (an update has no first payment to hold it against).
    promotion_codes.check_applicable_later(ctx, promo, customer_id, param=f"{param}[promotion_code]")
    return [{"coupon": None, "promotion_code": promo["id"]}]


def _update_confirm_flow(ctx: Ctx, spec: dict[str, Any], customer_id: str, configuration: dict[str, Any]
                         ) -> dict[str, Any]:
    prefix = "flow_data[subscription_update_confirm]"
    subscription = _subscription(ctx, spec, customer_id, f"{prefix}[subscription]")
    _refuse(portal_updates.update_problem(ctx, configuration, subscription), f"{prefix}[subscription]")
    items = spec.get("items") or []
    if len(items) != 1:
        raise InvalidRequestError("Pass exactly one item: the portal updates one subscription item.",
                                  param=f"{prefix}[items]")
    item_spec = items[0]
    current = next((i for i in subscription["items"]["data"] if i["id"] == item_spec["id"]), None)
    if current is None:
        raise InvalidRequestError(f"The subscription item {item_spec['id']} is not an item of the subscription "
                                  f"{subscription['id']}.", param=f"{prefix}[items][0][id]")
    discounts = _discounts(ctx, spec.get("discounts"), prefix, customer_id)
    price, quantity = item_spec.get("price") or current["price"]["id"], item_spec.get("quantity")
    try:
        portal_updates.selection(ctx, configuration, current, price, quantity)
    except portal_updates.PortalError as error:
        raise InvalidRequestError(error.message, param=f"{prefix}[items][0][{error.param}]") from None
    if price == current["price"]["id"] and quantity in (None, current["quantity"]) and not discounts:
        raise InvalidRequestError("The update changes nothing: pass another price, another quantity or a discount.",
                                  param=f"{prefix}[items][0]")
    item = {"id": current["id"], "price": item_spec.get("price")}
    if quantity is not None:
        item["quantity"] = quantity
    return {"discounts": discounts, "items": [item], "subscription": subscription["id"]}


_BUILDERS = {"subscription_cancel": _cancel_flow, "subscription_update": _update_flow,
             "subscription_update_confirm": _update_confirm_flow}


def build(ctx: Ctx, flow_data: dict[str, Any], customer_id: str, configuration: dict[str, Any]) -> dict[str, Any]:
    """The session's `flow` for `flow_data`, validated as Stripe does."""
    kind = flow_data["type"]
    if kind in NOT_EMULATED:
        raise InvalidRequestError(f"flow_data[type]={kind} is not implemented by the emulator yet; the emulated "
                                  f"flows are {', '.join(EMULATED)}.", param="flow_data[type]")
    if kind not in EMULATED:
        raise InvalidRequestError(f"Invalid flow_data[type]: must be one of {', '.join(EMULATED + NOT_EMULATED)}.",
                                  param="flow_data[type]")
    for other in WITH_PARAMS:
        if other in flow_data and other != kind:
            raise InvalidRequestError(f"flow_data[{other}] can only be used with flow_data[type]={other}.",
                                      param=f"flow_data[{other}]")
    flow: dict[str, Any] = {"after_completion": _after_completion(flow_data.get("after_completion")),
                            "customer_update": None, "subscription_cancel": None, "subscription_pause": None,
                            "subscription_update": None, "subscription_update_confirm": None, "type": kind}
    if kind in CUSTOMER_FLOWS:
        feature = CUSTOMER_FLOWS[kind]
        if not configuration["features"][feature]["enabled"]:
            what = "payment method updates" if kind == "payment_method_update" else "customer information updates"
            raise InvalidRequestError(f"The configuration {configuration['id']} does not offer {what} "
                                      f"(features[{feature}][enabled] is false).", param="flow_data[type]")
        return flow
    if not flow_data.get(kind):
        raise InvalidRequestError(f"Missing required param: flow_data[{kind}].", param=f"flow_data[{kind}]",
                                  code="parameter_missing")
    flow[kind] = _BUILDERS[kind](ctx, flow_data[kind], customer_id, configuration)
    return flow


def subscription_of(flow: dict[str, Any]) -> str | None:
    """The subscription a flow is about (None for `customer_update` and `payment_method_update`)."""
    return flow[flow["type"]]["subscription"] if flow["type"] in WITH_PARAMS else None


def update_selection(flow: dict[str, Any]) -> tuple[str, int | None, dict[str, Any] | None]:
    """A `subscription_update_confirm` flow's price (the item's current one when not given), quantity and
    discount (`{coupon}` / `{promotion_code}`)."""
    confirm = flow["subscription_update_confirm"]
    item = confirm["items"][0]
    discount = next(({key: value for key, value in d.items() if value} for d in confirm["discounts"] or []), None)
    return item["price"] or "", item.get("quantity"), discount


def completion(ctx: Ctx, session: dict[str, Any]) -> str | None:
    """What the finished flow did (the confirmation's text), or None while it is still open."""
    return common.mark_of(ctx, session["id"], "flow_completed")


def complete(ctx: Ctx, session: dict[str, Any], message: str) -> dict[str, Any]:
    """Remember that the session's flow is done; returns its `after_completion`."""
    common.set_mark(ctx, session["id"], "flow_completed", message)
    return session["flow"]["after_completion"]


def allows(ctx: Ctx, session: dict[str, Any], page: str, subscription_id: str | None) -> bool:
    """Whether a portal page is reachable: everything without a flow (or once a flow that ends on the
    homepage is done); while a flow is open only its own pages for its subscription."""
    flow = session.get("flow")
    if not flow:
        return True
    if completion(ctx, session) is not None:
        return flow["after_completion"]["type"] == "portal_homepage"
    return page in PAGES[flow["type"]] and subscription_id == subscription_of(flow)
