"""The customer portal's cancellation flow and "Renew" (the portal pages only render them).

The flow follows the session's configuration (`features.subscription_cancel`), in Stripe's order:

1. **summary**: the plan and what happens: `mode=at_period_end` keeps access until the period end,
   `immediately` ends it now, with the unused time credited when `proration_behavior=create_prorations`
   (the credit shown is the one the real cancellation then makes, computed in a rolled-back savepoint);
2. **retention offer** (optional): a coupon offered before cancelling. A `subscription_cancel` deep link
   offers the session's `flow_data.subscription_cancel.retention` coupon, and only that one; the homepage's
   "Cancel plan" offers the configuration's retention coupon, an emulator setting standing for the
   Dashboard's "Retention coupon" (Stripe's API has no such field; as observed in test mode, a deep link
   without `retention` offers nothing). Accepting adds the coupon to the subscription's discounts through
   the API's subscription update and does not cancel;
3. **reason survey** when `cancellation_reason.enabled`: one of the configured options (optional), and a
   comment with "Other reason"; they become `cancellation_details.feedback` / `comment`;
4. **confirmation**: `at_period_end` is the API's update with `cancel_at_period_end=true`
   (`customer.subscription.updated`; `customer.subscription.deleted` when the period ends), `immediately`
   is the API's cancel with `prorate` for `create_prorations` (`customer.subscription.deleted`; the credit
   is a pending proration invoice item for the customer's next invoice, as `prorate` without `invoice_now`
   leaves it).

A pending plan change the portal scheduled is released before cancelling. "Renew" undoes a pending
cancellation (`cancel_at_period_end=false`, or `cancel_at` cleared) while the period lasts.
"""

from __future__ import annotations

from typing import Any

from emulator.context import Ctx
from emulator.resources import (billing_portal_configurations as configurations, coupons, discounts, invoices,
                                portal_updates, subscription_schedules as schedules, subscriptions)
from emulator.resources.portal_updates import PortalError

STEPS = ("summary", "offer", "reason", "confirm")
# One wording set, kept stable for QA: Stripe's cancellation-page labels.
REASON_LABELS = {
    "too_expensive": "It's too expensive",
    "missing_features": "I need more features",
    "switched_service": "I found an alternative",
    "unused": "I no longer need it",
    "customer_service": "Customer service was less than expected",
    "too_complex": "Ease of use was less than expected",
    "low_quality": "Quality was less than expected",
    "other": "Other reason",
}


def _feature(configuration: dict[str, Any]) -> dict[str, Any]:
    return configuration["features"]["subscription_cancel"]


def offers_cancellation(configuration: dict[str, Any]) -> bool:
    """Whether the configuration offers "Cancel plan" (`features.subscription_cancel.enabled`)."""
    return bool(_feature(configuration)["enabled"])


def cancel_problem(ctx: Ctx, configuration: dict[str, Any], subscription: dict[str, Any]) -> PortalError | None:
    """Why the portal cannot cancel this subscription, or None when it can: cancellation must be enabled,
    the subscription active, trialing or past due, not already set to cancel, and not managed by a
    schedule made through the API with phases to come."""
    if not offers_cancellation(configuration):
        return PortalError("refusal.no_cancellation", http_status=403)
    if subscription["status"] not in portal_updates.UPDATABLE_STATUSES:
        return PortalError("refusal.cannot_cancel", http_status=409, status=subscription["status"])
    if portal_updates.pending_cancellation(subscription):
        return PortalError("refusal.already_canceling", http_status=409)
    if portal_updates.locked(ctx, subscription):
        return PortalError("home.locked", http_status=409)
    return None


def renew_problem(ctx: Ctx, configuration: dict[str, Any], subscription: dict[str, Any]) -> PortalError | None:
    """Why "Renew" is not offered, or None: it undoes a pending cancellation of a live subscription in a
    portal that offers cancellation."""
    if not offers_cancellation(configuration):
        return PortalError("refusal.no_cancellation", http_status=403)
    if not portal_updates.pending_cancellation(subscription):
        return PortalError("refusal.not_canceling", http_status=409)
    if subscription["status"] not in portal_updates.UPDATABLE_STATUSES:
        return PortalError("refusal.cannot_renew", http_status=409, status=subscription["status"])
    if portal_updates.locked(ctx, subscription):
        return PortalError("home.locked", http_status=409)
    return None


def _cancellable(ctx: Ctx, session: dict[str, Any], subscription_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    configuration = configurations.require(ctx, session["configuration"])
    subscription = portal_updates.owned_subscription(ctx, session, subscription_id)
    problem = cancel_problem(ctx, configuration, subscription)
    if problem is not None:
        raise problem
    return subscription, configuration


def _retention_coupon_id(ctx: Ctx, session: dict[str, Any], configuration: dict[str, Any],
                         subscription_id: str) -> str | None:
    flow = session.get("flow") or {}
    if flow.get("type") == "subscription_cancel" and flow["subscription_cancel"]["subscription"] == subscription_id:
        retention = flow["subscription_cancel"]["retention"]
        return retention["coupon_offer"]["coupon"] if retention else None
    return configurations.retention_coupon(ctx, configuration["id"])


def offer(ctx: Ctx, session: dict[str, Any], configuration: dict[str, Any], subscription: dict[str, Any]
          ) -> dict[str, Any] | None:
    """The retention coupon to offer, if any: it must still be redeemable, usable in the subscription's
    currency, and not already on the subscription."""
    coupon_id = _retention_coupon_id(ctx, session, configuration, subscription["id"])
    coupon = ctx.store.get(ctx.account_id, coupon_id, coupons.OBJECT) if coupon_id else None
    if coupon is None or not coupons.is_valid(coupon, ctx.time_for(subscription["test_clock"])):
        return None
    currency = subscription["currency"]
    if coupon.get("amount_off") is not None and coupon["currency"] != currency and \
            currency not in (coupon.get("currency_options") or {}):
        return None
    applied = {(discounts.coupon_of(ctx, d) or {}).get("id") for d in subscription["discounts"]}
    if coupon["id"] in applied:
        return None
    return {"coupon": coupon, "name": coupon.get("name") or coupon["id"],
            "terms": portal_updates.coupon_terms(coupon, currency)}


def _credit_lines(ctx: Ctx, subscription: dict[str, Any]) -> list[dict[str, Any]]:
    """The proration credits an immediate cancellation with `prorate` makes (computed by the real cancel
    in a savepoint that is rolled back)."""
    customer, subscription_id = subscription["customer"], subscription["id"]
    with ctx.store.discarded():
        before = {item["id"] for item in invoices.pending_items(ctx, customer, subscription_id)}
        subscriptions.cancel(ctx, subscription_id, {"prorate": True})
        return [{"description": item["description"], "amount": item["amount"]}
                for item in invoices.pending_items(ctx, customer, subscription_id)
                if item["id"] not in before and item["proration"]]


def reasons(configuration: dict[str, Any]) -> list[dict[str, str]]:
    """The survey's options (the configuration's, in its order), or none when the survey is off."""
    survey = _feature(configuration)["cancellation_reason"]
    if not survey["enabled"]:
        return []
    return [{"value": option, "label": REASON_LABELS.get(option, option)} for option in survey["options"]]


def _details(configuration: dict[str, Any], feedback: str, comment: str) -> dict[str, Any] | None:
    """`cancellation_details` from the survey: a configured option (or nothing), and the comment that goes
    with "Other reason"."""
    if not feedback:
        return None
    if feedback not in {reason["value"] for reason in reasons(configuration)}:
        raise PortalError("refusal.choose_reason", param="feedback")
    comment = comment.strip() if feedback == "other" else ""
    return {"feedback": feedback, "comment": comment or None}


def steps(view: dict[str, Any]) -> list[str]:
    """The flow's steps for this subscription (the offer and the survey only when there is one)."""
    return [step for step in STEPS if (step != "offer" or view["offer"]) and (step != "reason" or view["reasons"])]


def summary(ctx: Ctx, session: dict[str, Any], subscription_id: str, feedback: str = "", comment: str = ""
            ) -> dict[str, Any]:
    """Everything the flow's pages show: the plan, the mode and when access ends, the credit for unused
    time, the retention offer, the survey's options, and the reason chosen so far."""
    subscription, configuration = _cancellable(ctx, session, subscription_id)
    ctx = ctx.on_clock(subscription["test_clock"])
    feature = _feature(configuration)
    immediately = feature["mode"] == "immediately"
    _, period_end = subscriptions.current_period(subscription)
    credits = _credit_lines(ctx, subscription) if immediately and \
        feature["proration_behavior"] == "create_prorations" else []
    details = _details(configuration, feedback, comment)
    view = {
        "subscription": subscription,
        "plans": [portal_updates.plan_of(ctx, i["price"], i.get("quantity")) for i in subscription["items"]["data"]],
        "mode": feature["mode"],
        "ends_at": ctx.time_for(subscription["test_clock"]) if immediately else period_end,
        "credits": credits,
        "credit_total": sum(line["amount"] for line in credits),
        "currency": subscription["currency"],
        "offer": offer(ctx, session, configuration, subscription),
        "reasons": reasons(configuration),
        "feedback": (details or {}).get("feedback") or "",
        "feedback_label": REASON_LABELS.get((details or {}).get("feedback") or "", ""),
        "comment": (details or {}).get("comment") or "",
    }
    view["steps"] = steps(view)
    return view


def accept_offer(ctx: Ctx, session: dict[str, Any], subscription_id: str) -> dict[str, Any]:
    """The customer takes the retention coupon: it joins the subscription's discounts (the API's update:
    `customer.discount.created`, `customer.subscription.updated`) and nothing is canceled."""
    subscription, configuration = _cancellable(ctx, session, subscription_id)
    ctx = ctx.on_clock(subscription["test_clock"])
    offered = offer(ctx, session, configuration, subscription)
    if offered is None:
        raise PortalError("refusal.offer_gone", http_status=409)
    kept = [{"discount": discount_id} for discount_id in subscription["discounts"]]
    return subscriptions.update(ctx, subscription_id, {"discounts": [*kept, {"coupon": offered["coupon"]["id"]}]})


def cancel(ctx: Ctx, session: dict[str, Any], subscription_id: str, feedback: str = "", comment: str = ""
           ) -> dict[str, Any]:
    """The flow's last step: cancel at the period end (the API's update with `cancel_at_period_end=true`)
    or now (the API's cancel, with `prorate` for `create_prorations`), carrying the survey's answer in
    `cancellation_details`. A pending plan change the portal scheduled is released first."""
    subscription, configuration = _cancellable(ctx, session, subscription_id)
    ctx = ctx.on_clock(subscription["test_clock"])
    feature = _feature(configuration)
    details = _details(configuration, feedback, comment)
    pending = portal_updates.portal_schedule(ctx, subscription)
    if pending is not None:
        schedules.release(ctx, pending["id"], {})
    extra = {"cancellation_details": details} if details else {}
    if feature["mode"] == "immediately":
        return subscriptions.cancel(ctx, subscription_id, {
            "prorate": feature["proration_behavior"] == "create_prorations", **extra})
    return subscriptions.update(ctx, subscription_id, {"cancel_at_period_end": True, **extra})


def renew(ctx: Ctx, session: dict[str, Any], subscription_id: str) -> dict[str, Any]:
    """"Renew": the pending cancellation is dropped (`cancel_at_period_end=false`, or `cancel_at` cleared
    when the API set a date), `customer.subscription.updated`."""
    configuration = configurations.require(ctx, session["configuration"])
    subscription = portal_updates.owned_subscription(ctx, session, subscription_id)
    problem = renew_problem(ctx, configuration, subscription)
    if problem is not None:
        raise problem
    params = {"cancel_at_period_end": False} if subscription["cancel_at_period_end"] else {"cancel_at": ""}
    return subscriptions.update(ctx, subscription_id, params)
