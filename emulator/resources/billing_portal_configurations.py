"""Customer portal configurations (`/v1/billing_portal/configurations`): what a portal session offers.

A configuration holds the business profile shown in the portal's frame, the default return URL and the
features (customer details, invoice history, payment methods, cancellation, plan changes with their
products, proration behaviour and `schedule_at_period_end` conditions). The first configuration of an
account becomes its default (`is_default: true`), as observed in test mode; the default cannot be
deactivated. Sessions created without `configuration` use the default one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from emulator import ids
from emulator.context import Ctx
from emulator.errors import InvalidRequestError
from emulator.resources import common, coupons, prices as price_resource, products as product_resource

OBJECT = "billing_portal.configuration"
MAX_HEADLINE = 60
MAX_PRODUCTS = 10
CANCELLATION_REASONS = ["too_expensive", "missing_features", "switched_service", "unused", "other"]
_FEATURES = ("features.customer_update", "features.invoice_history", "features.payment_method_update.enabled",
             "features.subscription_cancel", "features.subscription_update")
CREATE_PARAMS = ("business_profile", "default_return_url", "login_page", "metadata", "name", *_FEATURES)
UPDATE_PARAMS = ("active", *CREATE_PARAMS)
LIST_PARAMS = (*common.LIST_PARAMS, "active", "is_default")
CONDITIONS = ("decreasing_item_amount", "shortening_interval")


def require(ctx: Ctx, configuration_id: str, param: str | None = None) -> dict[str, Any]:
    return common.require(ctx, OBJECT, configuration_id, kind="configuration", param=param)


# The API's limit for the portal's URLs (`return_url`, a flow's `redirect.return_url`, the profile's links).
MAX_URL_LENGTH = 5000


def check_url(value: Any, param: str) -> str | None:
    if value in (None, ""):
        return None
    if len(str(value)) > MAX_URL_LENGTH:
        raise InvalidRequestError(f"Invalid URL: must be at most {MAX_URL_LENGTH} characters.", param=param)
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidRequestError(f"Not a valid URL: {value}", param=param, code="url_invalid")
    return str(value)


def _blank_features() -> dict[str, Any]:
    """Every feature off, as Stripe answers for a configuration created with only what it requires."""
    return {
        "customer_update": {"allowed_updates": [], "enabled": False},
        "invoice_history": {"enabled": False},
        "payment_method_update": {"enabled": False, "payment_method_configuration": None},
        "subscription_cancel": {
            "cancellation_reason": {"enabled": False, "feedback_options": None,
                                    "options": list(CANCELLATION_REASONS)},
            "enabled": False, "mode": "at_period_end", "proration_behavior": "none"},
        "subscription_pause": {"duration": {"interval_options": [], "type": "indefinite"}, "enabled": False},
        "subscription_update": {"billing_cycle_anchor": None, "default_allowed_updates": [], "enabled": False,
                                "products": [], "proration_behavior": "none",
                                "schedule_at_period_end": {"conditions": []},
                                "trial_update_behavior": "end_trial"},
    }


def dashboard_defaults() -> dict[str, Any]:
    """The Dashboard's defaults for a portal saved without changes: details (name, email, billing address,
    phone), payment methods, invoice history and cancellation at period end (with reasons) on; plan changes
    off."""
    features = _blank_features()
    features["customer_update"] = {"allowed_updates": ["address", "email", "name", "phone"], "enabled": True}
    features["invoice_history"]["enabled"] = True
    features["payment_method_update"]["enabled"] = True
    features["subscription_cancel"]["enabled"] = True
    features["subscription_cancel"]["cancellation_reason"]["enabled"] = True
    return features


def _products(ctx: Ctx, specs: Any, param: str) -> list[dict[str, Any]]:
    """`products[]`: each product with its prices (recurring, of that product, one per interval)."""
    if specs in (None, ""):
        return []
    if len(specs) > MAX_PRODUCTS:
        raise InvalidRequestError(f"You can offer at most {MAX_PRODUCTS} products in the portal.", param=param)
    result = []
    seen_products: set[str] = set()
    for index, spec in enumerate(specs):
        name = f"{param}[{index}]"
        product = product_resource.require(ctx, spec["product"], param=f"{name}[product]")
        if product["id"] in seen_products:
            raise InvalidRequestError(f"The product {product['id']} is listed more than once.",
                                      param=f"{name}[product]")
        seen_products.add(product["id"])
        if not spec.get("prices"):
            raise InvalidRequestError(f"Missing required param: {name}[prices].", param=f"{name}[prices]",
                                      code="parameter_missing")
        intervals: list[dict[str, Any]] = []
        for price_index, price_id in enumerate(spec["prices"]):
            price_param = f"{name}[prices][{price_index}]"
            price = price_resource.require(ctx, price_id, param=price_param)
            if price["product"] != product["id"]:
                raise InvalidRequestError(f"The price {price_id} does not belong to the product {product['id']}.",
                                          param=price_param)
            if price["recurring"] is None:
                raise InvalidRequestError(f"The price {price_id} is not recurring; the portal only offers "
                                          "recurring prices.", param=price_param)
            if any(price["recurring"]["interval"] == other["interval"] for other in intervals):
                raise InvalidRequestError(f"The product {product['id']} has more than one price with the same "
                                          "billing interval; offer one price per interval.", param=price_param)
            intervals.append(price["recurring"])
        adjustable = spec.get("adjustable_quantity") or {}
        minimum = adjustable.get("minimum", 1)
        maximum = adjustable.get("maximum")
        if minimum < 0:
            raise InvalidRequestError("The minimum quantity must be at least 0.",
                                      param=f"{name}[adjustable_quantity][minimum]")
        if maximum is not None and maximum < max(minimum, 1):
            raise InvalidRequestError("The maximum quantity must be at least the minimum quantity.",
                                      param=f"{name}[adjustable_quantity][maximum]")
        result.append({"adjustable_quantity": {"enabled": bool(adjustable.get("enabled", False)),
                                               "maximum": maximum, "minimum": minimum},
                       "prices": list(spec["prices"]), "product": product["id"]})
    return result


def _apply_features(ctx: Ctx, features: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    result = {key: {**value} for key, value in features.items()}
    if "customer_update" in spec:
        value = spec["customer_update"]
        current = result["customer_update"]
        if "enabled" in value:
            current["enabled"] = value["enabled"]
        if "allowed_updates" in value:
            current["allowed_updates"] = list(value["allowed_updates"] or [])
    if "invoice_history" in spec:
        result["invoice_history"] = {"enabled": spec["invoice_history"]["enabled"]}
    if "payment_method_update" in spec:
        result["payment_method_update"] = {**result["payment_method_update"],
                                           "enabled": spec["payment_method_update"]["enabled"]}
    if "subscription_cancel" in spec:
        value = spec["subscription_cancel"]
        current = {**result["subscription_cancel"],
                   "cancellation_reason": {**result["subscription_cancel"]["cancellation_reason"]}}
        for key in ("enabled", "mode", "proration_behavior"):
            if key in value:
                current[key] = value[key]
        reason = value.get("cancellation_reason")
        if reason:
            if "enabled" in reason:
                current["cancellation_reason"]["enabled"] = reason["enabled"]
            if "options" in reason:
                current["cancellation_reason"]["options"] = list(reason["options"] or [])
        param = "features[subscription_cancel][proration_behavior]"
        if current["proration_behavior"] == "always_invoice":
            raise InvalidRequestError("The portal's cancellation does not support proration_behavior "
                                      "always_invoice; use none or create_prorations.", param=param)
        if current["proration_behavior"] == "create_prorations" and current["mode"] != "immediately":
            raise InvalidRequestError("proration_behavior create_prorations needs mode immediately (a cancellation "
                                      "at the period end has nothing to prorate).", param=param)
        result["subscription_cancel"] = current
    if "subscription_update" in spec:
        value = spec["subscription_update"]
        prefix = "features[subscription_update]"
        current = {**result["subscription_update"]}
        for key in ("enabled", "proration_behavior", "trial_update_behavior", "billing_cycle_anchor"):
            if key in value:
                current[key] = value[key]
        if "default_allowed_updates" in value:
            current["default_allowed_updates"] = list(value["default_allowed_updates"] or [])
        if "products" in value:
            current["products"] = _products(ctx, value["products"], f"{prefix}[products]")
        if "schedule_at_period_end" in value:
            conditions = (value["schedule_at_period_end"] or {}).get("conditions") or []
            for index, condition in enumerate(conditions):
                if condition["type"] not in CONDITIONS:
                    raise InvalidRequestError(
                        f"Invalid schedule_at_period_end condition type: {condition['type']}.",
                        param=f"{prefix}[schedule_at_period_end][conditions][{index}][type]")
            current["schedule_at_period_end"] = {"conditions": [{"type": c["type"]} for c in conditions]}
        if current["enabled"]:
            if not current["default_allowed_updates"]:
                raise InvalidRequestError(f"Missing required param: {prefix}[default_allowed_updates].",
                                          param=f"{prefix}[default_allowed_updates]", code="parameter_missing")
            if not current["products"] and {"price", "quantity"} & set(current["default_allowed_updates"]):
                raise InvalidRequestError(f"Missing required param: {prefix}[products].",
                                          param=f"{prefix}[products]", code="parameter_missing")
        result["subscription_update"] = current
    return result


def _business_profile(current: dict[str, Any], value: Any) -> dict[str, Any]:
    result = dict(current)
    if not value:
        return result
    if "headline" in value:
        headline = common.or_none(value["headline"])
        if headline is not None and len(headline) > MAX_HEADLINE:
            raise InvalidRequestError(f"The headline can be at most {MAX_HEADLINE} characters.",
                                      param="business_profile[headline]")
        result["headline"] = headline
    for key in ("privacy_policy_url", "terms_of_service_url"):
        if key in value:
            result[key] = check_url(value[key], f"business_profile[{key}]")
    return result


def _login_page(ctx: Ctx, current: dict[str, Any], value: Any, configuration_id: str) -> dict[str, Any]:
    if not value or "enabled" not in value:
        return current
    if not value["enabled"]:
        return {"enabled": False, "url": None}
    if current["enabled"]:
        return current
    # One shareable link per configuration; a new one each time the page is enabled again. The mark lets
    # the login page find its account and configuration from the URL alone (see portal_login).
    login_id = f"test_{ids.random_chars(24)}"
    common.set_mark(ctx, configuration_id, "login_page", login_id)
    return {"enabled": True, "url": f"{ctx.base_url}/p/login/{login_id}"}


def create(ctx: Ctx, params: dict[str, Any], *, is_default: bool | None = None) -> dict[str, Any]:
    """`POST /v1/billing_portal/configurations`: `features` (required), business profile, default return URL,
    login page, name, metadata. The account's first configuration becomes the default."""
    now = ctx.now()
    configuration_id = ids.new_id("bpc")
    if is_default is None:
        is_default = ctx.store.count(ctx.account_id, OBJECT) == 0
    configuration = {
        "id": configuration_id,
        "object": OBJECT,
        "active": True,
        "application": None,
        "business_profile": _business_profile({"headline": None, "privacy_policy_url": None,
                                               "terms_of_service_url": None}, params.get("business_profile")),
        "created": now,
        "default_return_url": check_url(params.get("default_return_url"), "default_return_url"),
        "features": _apply_features(ctx, _blank_features(), params.get("features") or {}),
        "is_default": is_default,
        "livemode": False,
        "login_page": _login_page(ctx, {"enabled": False, "url": None}, params.get("login_page"), configuration_id),
        "metadata": common.metadata_for_create(params.get("metadata")),
        "name": common.or_none(params.get("name")),
        "updated": now,
    }
    return common.create(ctx, configuration)


def update(ctx: Ctx, configuration_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/billing_portal/configurations/{id}`: any field; the default configuration stays active."""
    before = require(ctx, configuration_id)
    configuration = dict(before)
    if "active" in params:
        if not params["active"] and before["is_default"]:
            raise InvalidRequestError("The default configuration cannot be deactivated.", param="active")
        configuration["active"] = params["active"]
    if "business_profile" in params:
        configuration["business_profile"] = _business_profile(before["business_profile"], params["business_profile"])
    if "default_return_url" in params:
        configuration["default_return_url"] = check_url(params["default_return_url"], "default_return_url")
    if "features" in params:
        configuration["features"] = _apply_features(ctx, before["features"], params["features"] or {})
    if "login_page" in params:
        configuration["login_page"] = _login_page(ctx, before["login_page"], params["login_page"], configuration_id)
    if "metadata" in params:
        configuration["metadata"] = common.apply_metadata(before["metadata"], params["metadata"])
    if "name" in params:
        configuration["name"] = common.or_none(params["name"])
    if configuration != before:
        configuration["updated"] = ctx.now()
    return common.save(ctx, before, configuration)


def list_(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/billing_portal/configurations` with the `active` and `is_default` filters."""
    return common.list_objects(ctx, OBJECT, params, "/v1/billing_portal/configurations",
                               post_filter=common.fields_equal(params, ("active", "is_default")))


def retention_coupon(ctx: Ctx, configuration_id: str) -> str | None:
    """The coupon the homepage's cancellation flow offers (the Dashboard's "Retention coupon" setting; not a
    field of the API object)."""
    return common.mark_of(ctx, configuration_id, "retention_coupon")


def set_retention_coupon(ctx: Ctx, configuration_id: str, coupon_id: str | None) -> dict[str, Any]:
    """Set (or clear, with None) the configuration's retention coupon, as the Dashboard's setting does."""
    configuration = require(ctx, configuration_id)
    if coupon_id:
        coupons.require(ctx, coupon_id, param="coupon")
        common.set_mark(ctx, configuration_id, "retention_coupon", coupon_id)
    else:
        common.clear_mark(ctx, configuration_id, "retention_coupon")
    return {"configuration": configuration["id"], "retention_coupon": coupon_id or None}


def default(ctx: Ctx) -> dict[str, Any] | None:
    """The account's default configuration, if it has one."""
    for configuration in ctx.store.select(ctx.account_id, OBJECT):
        if configuration["is_default"]:
            return configuration
    return None
