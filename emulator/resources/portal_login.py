"""The customer portal's email verification: the shareable login page (`login_page.url` of a configuration
with `login_page.enabled`) and the recovery of an expired session created with
`after_expiration[type]=customer_login`.

As Stripe documents, the customer enters an email and receives a one-time passcode; typing it opens a new
portal session for that customer with the configuration, in which email editing is disabled. When several
customers share the email, the most recently created one with an active (or trialing, or past-due)
subscription is chosen, else the most recently created one; emails compare case-insensitively. An unknown
email gets the same "check your email" answer and nothing is recorded, so the page reveals nothing. An
expired session's recovery accepts only its own customer's email and yields a replacement session with the
same configuration, customer, return URL, locale and `after_expiration` (not its deep link).

The emulator sends no mail: each code is recorded in `portal_login_codes`, which the control API reads
(`GET /_emulator/api/billing_portal/login_codes`). Codes are 6 digits from the `secrets` module (never
seeded), single-use, expire 10 minutes after they are sent on the account's clock, and lock after 5 wrong
tries; each form submission is tied to its code by a secret token (`ids.new_secret`), never by the email.
"""

from __future__ import annotations

import hmac
from typing import Any

from emulator import ids
from emulator.context import Ctx
from emulator.resources import billing_portal_configurations as configurations, billing_portal_sessions as sessions
from emulator.resources.portal_updates import UPDATABLE_STATUSES
from emulator.store import Store

CODE_TTL_SECONDS = 10 * 60
MAX_ATTEMPTS = 5
CODE_DIGITS = 6
LOGIN_PAGE = "login_page"
SESSION_RECOVERY = "session_recovery"

# The verification's refusals, as keys of the portal's message catalogue (shown in the page's language).
WRONG_CODE = "login.wrong_code"
EXPIRED_CODE = "login.expired_code"
LOCKED_CODE = "login.locked_code"


def find_login_page(store: Store, login_id: str) -> tuple[str, str] | None:
    """(account id, configuration id) of the login page whose URL ends with `login_id`, or None. The URL
    carries no account, so the configuration is found through its `login_page` mark."""
    row = store.execute("SELECT account, object_id FROM internal_marks WHERE name = 'login_page' AND value = ?",
                        (login_id,)).fetchone()
    return (row[0], row[1]) if row else None


def login_configuration(ctx: Ctx, configuration_id: str, login_id: str) -> dict[str, Any] | None:
    """The configuration behind a login page, or None when its page was disabled (or replaced by a new
    link when re-enabled) or the configuration was deactivated: the link then leads nowhere."""
    configuration = ctx.store.get(ctx.account_id, configuration_id, configurations.OBJECT)
    if configuration is None or not configuration["active"]:
        return None
    page = configuration["login_page"]
    if not page["enabled"] or not (page["url"] or "").endswith(f"/p/login/{login_id}"):
        return None
    return configuration


def normalize_email(raw: str) -> str | None:
    """The typed email trimmed, or None when it does not look like one (the form's inline error)."""
    email = (raw or "").strip()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 512:
        return None
    return email


def customer_for_email(ctx: Ctx, email: str) -> dict[str, Any] | None:
    """The customer the login page signs in: among the account's customers with this email (compared
    case-insensitively), the most recently created one with an active, trialing or past-due subscription,
    else the most recently created one; None when no customer has it."""
    candidates = ctx.store.select(ctx.account_id, "customer", where="lower(json_extract(data, '$.email')) = ?",
                                  args=(email.lower(),))
    candidates.sort(key=lambda customer: customer["created"], reverse=True)  # stable: newest seq first on ties
    for customer in candidates:
        subscriptions = ctx.store.select(ctx.account_id, "subscription", where="customer = ?",
                                         args=(customer["id"],))
        if any(subscription["status"] in UPDATABLE_STATUSES for subscription in subscriptions):
            return customer
    return candidates[0] if candidates else None


def send_code(ctx: Ctx, email: str, configuration_id: str, customer_id: str | None, *, purpose: str,
              session_id: str | None = None) -> str:
    """"Email" a one-time passcode: record it (pending, 10 minutes) and return the token the code form
    carries. Without a customer nothing is recorded and the token matches no code, so the caller shows the
    same screen whether the email is known or not."""
    token = ids.new_secret("", 24)
    if customer_id is None:
        return token
    now = ctx.now()
    ctx.store.execute(
        "INSERT INTO portal_login_codes (account, token, purpose, configuration, session, customer, email, code, "
        "created, expires_at, attempts, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'pending')",
        (ctx.account_id, token, purpose, configuration_id, session_id, customer_id, email,
         ids.new_passcode(CODE_DIGITS), now, now + CODE_TTL_SECONDS))
    return token


def verify(ctx: Ctx, token: str, code: str, *, purpose: str, configuration_id: str,
           session_id: str | None = None) -> tuple[dict[str, Any] | None, str | None]:
    """Check a typed code against the one sent with `token`: (the code's record, None) on success, which
    uses it up; else (None, the message to show inline). A wrong code counts as an attempt (committed
    even though the form fails); the fifth wrong try locks the code; an expired code stays refused."""
    row = ctx.store.execute(
        "SELECT seq, configuration, session, customer, email, code, expires_at, attempts, status "
        "FROM portal_login_codes WHERE account = ? AND token = ? AND purpose = ?",
        (ctx.account_id, token or "", purpose)).fetchone()
    typed = "".join((code or "").split())
    if row is None or row[1] != configuration_id or row[2] != session_id:
        return None, WRONG_CODE  # an unknown email's token: indistinguishable from a wrong code
    seq, _, _, customer, email, expected, expires_at, attempts, status = row
    if status == "locked":
        return None, LOCKED_CODE
    if status != "pending" or ctx.now() > expires_at:
        return None, EXPIRED_CODE
    if not hmac.compare_digest(expected, typed):
        attempts += 1
        ctx.store.execute("UPDATE portal_login_codes SET attempts = ?, status = ? WHERE seq = ?",
                          (attempts, "locked" if attempts >= MAX_ATTEMPTS else "pending", seq))
        return None, LOCKED_CODE if attempts >= MAX_ATTEMPTS else WRONG_CODE
    ctx.store.execute("UPDATE portal_login_codes SET status = 'used' WHERE seq = ?", (seq,))
    return {"customer": customer, "email": email}, None


def login_session(ctx: Ctx, configuration: dict[str, Any], customer_id: str) -> dict[str, Any]:
    """The session the login page opens: the configuration, its `default_return_url` (none when unset),
    email editing disabled."""
    return sessions.new_session(ctx, customer_id, configuration, return_url=configuration["default_return_url"],
                                login=True)


def recovery_customer(ctx: Ctx, session: dict[str, Any], email: str) -> str | None:
    """The expired session's customer when `email` is theirs (case-insensitively), else None."""
    customer = ctx.store.get(ctx.account_id, session["customer"], "customer")
    if customer is None or customer.get("deleted") or (customer.get("email") or "").lower() != email.lower():
        return None
    return customer["id"]


def replacement_session(ctx: Ctx, expired: dict[str, Any]) -> dict[str, Any]:
    """The session an expired one's recovery opens: same customer, configuration, return URL, locale and
    `after_expiration`, no deep link; email editing disabled."""
    configuration = configurations.require(ctx, expired["configuration"])
    return sessions.new_session(ctx, expired["customer"], configuration, return_url=expired["return_url"],
                                locale=expired["locale"], after_expiration=expired.get("after_expiration"),
                                login=True)


def sent_codes(ctx: Ctx, *, email: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The codes the emulator "emailed" (newest first), for QA: the code, who it is for, why, and its state
    (`pending`, `used`, `expired`, `locked`)."""
    sql = ("SELECT purpose, configuration, session, customer, email, code, created, expires_at, attempts, status "
           "FROM portal_login_codes WHERE account = ?")
    args: list[Any] = [ctx.account_id]
    if email:
        sql += " AND lower(email) = ?"
        args.append(email.strip().lower())
    sql += " ORDER BY seq DESC LIMIT ?"
    args.append(limit)
    now = ctx.now()
    result = []
    for purpose, configuration, session, customer, mail, code, created, expires_at, attempts, status in \
            ctx.store.execute(sql, tuple(args)).fetchall():
        if status == "pending" and now > expires_at:
            status = "expired"
        result.append({"object": "portal_login_code", "code": code, "email": mail, "customer": customer,
                       "configuration": configuration, "session": session, "purpose": purpose,
                       "created": created, "expires_at": expires_at, "attempts": attempts, "status": status})
    return result
