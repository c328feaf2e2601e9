"""Customer portal sessions (`/v1/billing_portal/sessions`): a short-lived link into the portal for one
customer.

Sessions can only be created (Stripe has no retrieve or list). The `url` carries a secret token (from the
`secrets` module, never seeded): whoever holds it is the customer. As Stripe documents, the link must be
opened within 5 minutes of its creation and then stays valid until an hour after the customer's last
activity. Both windows run on the account's clock (wall time plus the account's shift), never on a test
clock: advancing a customer's test clock does not expire the session.

With `after_expiration[type]=customer_login` an expired link offers the customer to verify their email and
get a replacement session (until `customer_login[expires_at]` when set; see `portal_login`). Sessions opened
by email verification are marked: Stripe disables email editing in them.

Without `configuration` the account's default configuration is used. Stripe refuses such a session in test
mode until the portal settings were saved once; the emulator follows `PORTAL_DEFAULT_CONFIGURATION`:
`create` (the default) saves the Dashboard's default configuration on first use, `error` answers like
Stripe.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

from emulator import ids
from emulator.context import Ctx
from emulator.errors import InvalidRequestError, ResourceMissingError
from emulator.resources import billing_portal_configurations as configurations, common

OBJECT = "billing_portal.session"
CREATE_PARAMS = ("after_expiration", "customer", "configuration", "flow_data.after_completion",
                 "flow_data.subscription_cancel",
                 "flow_data.subscription_update", "flow_data.subscription_update_confirm", "flow_data.type", "locale",
                 "return_url")
# The API's `locale` enum (`auto`: the customer's preferred_locales, then the browser's language).
LOCALES = ("auto", "bg", "cs", "da", "de", "el", "en", "en-AU", "en-CA", "en-GB", "en-IE", "en-IN", "en-NZ", "en-SG",
           "es", "es-419", "et", "fi", "fil", "fr", "fr-CA", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt",
           "nb", "nl", "pl", "pt", "pt-BR", "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW")
OPEN_WITHIN_SECONDS = 5 * 60
IDLE_SECONDS = 60 * 60
TOKEN_PREFIX = "test_"


def _default_configuration(ctx: Ctx) -> dict[str, Any]:
    configuration = configurations.default(ctx)
    if configuration is not None:
        return configuration
    if ctx.settings.get("PORTAL_DEFAULT_CONFIGURATION", "create") == "error":
        raise InvalidRequestError(
            "No configuration provided and your test mode default configuration has not been created. Provide a "
            "configuration or create your default by saving your customer portal settings in test mode at "
            "https://dashboard.stripe.com/test/settings/billing/portal.", param="configuration")
    created = configurations.create(ctx, {}, is_default=True)
    features = configurations.dashboard_defaults()
    saved = {**created, "features": features}
    return common.save(ctx, created, saved)


def create(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/billing_portal/sessions`: a portal link for `customer`, with `configuration` (else the
    default), `return_url` (else the configuration's `default_return_url`; one of them is required),
    `locale`, and `flow_data` for a deep link into one task (see `portal_flows`)."""
    from emulator.resources import portal_flows

    if not params.get("customer"):
        raise InvalidRequestError("Missing required param: customer.", param="customer", code="parameter_missing")
    customer = common.require(ctx, "customer", params["customer"], param="customer")
    if params.get("configuration"):
        configuration = configurations.require(ctx, params["configuration"], param="configuration")
        if not configuration["active"]:
            raise InvalidRequestError(f"The configuration {configuration['id']} is not active; activate it or use "
                                      "another configuration.", param="configuration")
    else:
        configuration = _default_configuration(ctx)
    return_url = params.get("return_url") or configuration["default_return_url"]
    if not return_url:
        raise InvalidRequestError(
            "Missing required param: return_url. It is required unless the configuration sets a "
            "default_return_url.", param="return_url", code="parameter_missing")
    configurations.check_url(return_url, "return_url")
    if params.get("locale") and params["locale"] not in LOCALES:
        raise InvalidRequestError(f"Invalid locale: must be one of {', '.join(LOCALES)}", param="locale")
    flow = portal_flows.build(ctx, params["flow_data"], customer["id"], configuration) \
        if params.get("flow_data") else None
    return new_session(ctx, customer["id"], configuration, return_url=return_url, flow=flow,
                       locale=params.get("locale"), after_expiration=_after_expiration(ctx, params))


def _after_expiration(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any] | None:
    """`after_expiration`: `type=customer_login` (the only type) lets the customer recover an expired link by
    verifying their email, until `customer_login[expires_at]` when given (a future time)."""
    spec = params.get("after_expiration")
    if not spec:
        return None
    if spec.get("type") != "customer_login":
        raise InvalidRequestError("Invalid after_expiration[type]: must be customer_login.",
                                  param="after_expiration[type]")
    expires_at = (spec.get("customer_login") or {}).get("expires_at")
    if expires_at is not None and expires_at <= ctx.now():
        raise InvalidRequestError("after_expiration[customer_login][expires_at] must be in the future.",
                                  param="after_expiration[customer_login][expires_at]")
    return {"customer_login": {"expires_at": expires_at}, "type": "customer_login"}


def new_session(ctx: Ctx, customer_id: str, configuration: dict[str, Any], *, return_url: str | None,
                flow: dict[str, Any] | None = None, locale: str | None = None,
                after_expiration: dict[str, Any] | None = None, login: bool = False) -> dict[str, Any]:
    """Store a portal session (`billing_portal.session.created`) and its secret. `login` marks a session the
    customer opened by verifying their email (the login page, an expired link's recovery): Stripe disables
    email editing in those."""
    session_id = ids.new_id("bps")
    secret = ids.new_secret("", 24)
    session = {
        "id": session_id,
        "object": OBJECT,
        "after_expiration": after_expiration,
        "configuration": configuration["id"],
        "created": ctx.now(),
        "customer": customer_id,
        "customer_account": None,
        "flow": flow,
        "livemode": False,
        "locale": locale or None,
        "on_behalf_of": None,
        "return_url": return_url,
        "url": f"{ctx.base_url}/p/session/{_token(ctx.account_id, session_id, secret)}",
    }
    common.create(ctx, session, customer=customer_id)
    common.set_mark(ctx, session_id, "portal_secret", secret)
    if login:
        common.set_mark(ctx, session_id, "portal_login", "1")
    return session


def is_login_session(ctx: Ctx, session: dict[str, Any]) -> bool:
    """Whether the customer reached this session by verifying their email (email editing is disabled)."""
    return common.mark_of(ctx, session["id"], "portal_login") is not None


def recoverable(ctx: Ctx, session: dict[str, Any]) -> bool:
    """Whether an expired session offers email verification for a replacement (`after_expiration` of type
    `customer_login`, before its `expires_at` when set)."""
    after = session.get("after_expiration")
    if not after or after.get("type") != "customer_login":
        return False
    expires_at = (after.get("customer_login") or {}).get("expires_at")
    return expires_at is None or ctx.now() <= expires_at


def requested_locale(ctx: Ctx, session: dict[str, Any]) -> str | None:
    """The language the portal is shown in, as far as Stripe's objects say: the session's `locale`, else
    (blank or `auto`) the customer's first `preferred_locales`; None leaves it to the browser's language."""
    if session.get("locale") and session["locale"] != "auto":
        return str(session["locale"])
    customer = ctx.store.get(ctx.account_id, session["customer"], "customer") or {}
    preferred = customer.get("preferred_locales") or []
    return str(preferred[0]) if preferred else None


def _token(account_id: str, session_id: str, secret: str) -> str:
    raw = f"{account_id}:{session_id}:{secret}".encode()
    return TOKEN_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_token(token: str) -> tuple[str, str, str] | None:
    """(account id, session id, secret) from a session URL's token, or None when it is not one."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    body = token[len(TOKEN_PREFIX):]
    try:
        decoded = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    parts = decoded.split(":")
    if len(parts) != 3 or not parts[1].startswith("bps_"):
        return None
    return parts[0], parts[1], parts[2]


def open_session(ctx: Ctx, session_id: str, secret: str) -> tuple[dict[str, Any], bool]:
    """The session behind a portal link and whether it is still valid: it must be opened within 5 minutes
    of its creation, then lives until an hour after the last activity (each visit counts). Unknown ids and
    wrong secrets are a 404."""
    session = ctx.store.get(ctx.account_id, session_id, OBJECT)
    expected = common.mark_of(ctx, session_id, "portal_secret")
    if session is None or expected is None or not hmac.compare_digest(expected, secret):
        raise ResourceMissingError("portal session", session_id)
    now = ctx.now()
    opened = common.mark_of(ctx, session_id, "portal_opened")
    if opened is None:
        if now > session["created"] + OPEN_WITHIN_SECONDS:
            return session, False
        common.set_mark(ctx, session_id, "portal_opened", str(now))
    else:
        last = int(common.mark_of(ctx, session_id, "portal_active") or opened)
        if now > last + IDLE_SECONDS:
            return session, False
    common.set_mark(ctx, session_id, "portal_active", str(now))
    return session, True


def csrf_token(ctx: Ctx, session_id: str) -> str:
    """The token the session's forms carry (derived from the session's secret)."""
    secret = common.mark_of(ctx, session_id, "portal_secret") or ""
    return hmac.new(secret.encode(), b"portal-form", hashlib.sha256).hexdigest()[:40]


def check_csrf(ctx: Ctx, session_id: str, given: str) -> bool:
    return hmac.compare_digest(csrf_token(ctx, session_id), given or "")
