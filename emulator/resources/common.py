"""Helpers every resource shares: lookups with Stripe's 404s, lists and cursors, metadata rules,
and the create/update bookkeeping (store + event) in one place."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from emulator import events
from emulator.context import Ctx
from emulator.errors import InvalidRequestError, ResourceMissingError

MAX_METADATA_KEYS = 50
MAX_METADATA_KEY_LENGTH = 40
MAX_METADATA_VALUE_LENGTH = 500


def require(ctx: Ctx, object_type: str, object_id: str, *, kind: str | None = None,
            param: str | None = None, allow_deleted: bool = False) -> dict[str, Any]:
    """Load an object of `object_type` or raise Stripe's `No such <kind>: '<id>'` (404)."""
    obj = ctx.store.get(ctx.account_id, object_id, object_type) if isinstance(object_id, str) else None
    if obj is None or (obj.get("deleted") and not allow_deleted):
        raise ResourceMissingError(kind or object_type.replace("_", " "), str(object_id), param=param)
    return obj


@lru_cache(maxsize=1)
def _iso_currencies() -> frozenset[str]:
    """ISO 4217 codes of currencies some territory has used since 2020 (CLDR): recently replaced ones such as BGN
    stay accepted, obsolete ones (DEM) and codes that are no currency (XXX) are refused."""
    from datetime import date

    from babel import Locale
    from babel.numbers import get_territory_currencies

    return frozenset(code.lower() for territory in Locale("en").territories
                     for code in get_territory_currencies(territory, start_date=date(2020, 1, 1),
                                                          end_date=date(2100, 1, 1)))


def currency(value: str, param: str = "currency") -> str:
    """A currency parameter: an ISO 4217 code, lower-cased as Stripe returns it; anything else is refused."""
    code = str(value).strip().lower()
    if code not in _iso_currencies():
        raise InvalidRequestError(f"Invalid currency: {value}. Stripe currently supports these currencies: usd, "
                                  "eur, gbp, ... (ISO 4217 codes).", param=param)
    return code


def automatic_payment_methods(params: Mapping[str, Any]) -> dict[str, Any] | None:
    """A PaymentIntent's or SetupIntent's `automatic_payment_methods` from its create parameters: null unless
    enabled; `allow_redirects` as given, Stripe's default `always` otherwise."""
    setting = params.get("automatic_payment_methods") or {}
    if not setting.get("enabled"):
        return None
    return {"allow_redirects": setting.get("allow_redirects") or "always", "enabled": True}


REDIRECTS_NEED_RETURN_URL = (
    "This {kind} is configured to accept payment methods enabled in your Dashboard. Because some of these "
    "payment methods might redirect your customer off of your page, you must provide a `return_url`. If you "
    "don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and "
    "`automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.")


def require_return_url(intent: Mapping[str, Any], params: Mapping[str, Any], kind: str) -> None:
    """Since 2023-08-16 intents take dynamic payment methods by default; confirming one on-session whose
    methods may redirect needs a `return_url` (Stripe's error, param `return_url`)."""
    methods = intent.get("automatic_payment_methods") or {}
    if methods.get("enabled") and methods.get("allow_redirects") != "never" and not params.get("return_url") \
            and not params.get("off_session"):
        raise InvalidRequestError(REDIRECTS_NEED_RETURN_URL.format(kind=kind), param="return_url")


def allowed_payment_method_types(params: Mapping[str, Any]) -> dict[str, Any]:
    """An intent's method types: `allowed_payment_method_types` / `excluded_payment_method_types` (endive's
    way to restrict them) as given, and the types it offers (cards, the only method emulated)."""
    allowed = list(params["allowed_payment_method_types"]) if params.get("allowed_payment_method_types") else None
    excluded = list(params["excluded_payment_method_types"]) if params.get("excluded_payment_method_types") \
        else None
    offered = [kind for kind in (allowed or ["card"]) if kind not in (excluded or ())]
    return {"allowed_payment_method_types": allowed, "excluded_payment_method_types": excluded,
            "payment_method_types": offered}


def create(ctx: Ctx, obj: dict[str, Any], *, customer: str | None = None, owner: str | None = None,
           event: str | None = None, created: int | None = None) -> dict[str, Any]:
    """Store a new object and record its `<type>.created` event (or `event`), in the caller's transaction."""
    data = ctx.store.insert(ctx.account_id, obj, customer=customer, owner=owner)
    if event != "":
        events.emit(ctx, event or f"{obj['object']}.created", obj, object_bytes=data, created=created)
    return obj


def save(ctx: Ctx, before: dict[str, Any], after: dict[str, Any], *, event: str | None = None,
         customer: str | None = None, owner: str | None = None, created: int | None = None,
         previous_attributes: bool = True) -> dict[str, Any]:
    """Persist `after` and, when anything changed, record `<type>.updated` (or `event`) with previous_attributes
    (`previous_attributes=False` for the events Stripe sends without them: deletions, test clock states...)."""
    if customer is not None and before.get("customer") == customer:
        customer = None  # the customer column already holds it (rewriting it would rewrite its index entry)
    data = ctx.store.update(ctx.account_id, after, customer=customer, owner=owner)
    if ctx.store.discarding or event == "":
        return after
    changed = events.previous_attributes(before, after)
    if changed and event != "":
        events.emit(ctx, event or f"{after['object']}.updated", after,
                    previous_attributes=changed if previous_attributes else None, object_bytes=data, created=created)
    return after


def delete(ctx: Ctx, obj: dict[str, Any], *, keep: bool = True, event: str | None = None) -> dict[str, Any]:
    """Delete and record `<type>.deleted` (whose data.object is the object as it was). Returns Stripe's
    `{id, object, deleted: true}`. `keep` leaves it retrievable as deleted, as Stripe does for customers."""
    stub = {"id": obj["id"], "object": obj["object"], "deleted": True}
    if keep:
        ctx.store.mark_deleted(ctx.account_id, {**obj})
    else:
        ctx.store.remove(ctx.account_id, obj["id"])
    if event != "":
        events.emit(ctx, event or f"{obj['object']}.deleted", obj)
    return stub


# -- internal marks ----------------------------------------------------------------------------------
# Facts Stripe keeps to itself and never shows in an object (which surface created a schedule, a portal
# session's secret...), one value per (object, name), in the caller's transaction.
def set_mark(ctx: Ctx, object_id: str, name: str, value: str) -> None:
    """Remember `name` = `value` for the object."""
    ctx.store.execute("INSERT OR REPLACE INTO internal_marks (account, object_id, name, value) VALUES (?, ?, ?, ?)",
                      (ctx.account_id, object_id, name, value))


def mark_of(ctx: Ctx, object_id: str, name: str) -> str | None:
    """The object's `name` mark, or None."""
    row = ctx.store.execute("SELECT value FROM internal_marks WHERE account = ? AND object_id = ? AND name = ?",
                            (ctx.account_id, object_id, name)).fetchone()
    return row[0] if row else None


def clear_mark(ctx: Ctx, object_id: str, name: str) -> None:
    """Forget the object's `name` mark."""
    ctx.store.execute("DELETE FROM internal_marks WHERE account = ? AND object_id = ? AND name = ?",
                      (ctx.account_id, object_id, name))


# -- metadata ----------------------------------------------------------------------------------------
def metadata_for_create(value: Any) -> dict[str, str]:
    return apply_metadata({}, value)


def apply_metadata(current: Mapping[str, str], value: Any, param: str = "metadata") -> dict[str, str]:
    """Stripe's metadata update: `metadata=""` clears all, `metadata[k]=""` removes k, others set."""
    if value is None:
        return dict(current)
    if value == "":
        return {}
    result = dict(current)
    for key, item in value.items():
        if item == "" or item is None:
            result.pop(key, None)
            continue
        if len(key) > MAX_METADATA_KEY_LENGTH:
            raise InvalidRequestError(
                f"Metadata keys can have a maximum length of {MAX_METADATA_KEY_LENGTH} characters. "
                f"Offending key: {key}", param=f"{param}[{key}]")
        if "[" in key or "]" in key:
            raise InvalidRequestError("Metadata keys may not contain '[' or ']'.", param=f"{param}[{key}]")
        text = str(item)
        if len(text) > MAX_METADATA_VALUE_LENGTH:
            raise InvalidRequestError(
                f"Metadata values can have a maximum length of {MAX_METADATA_VALUE_LENGTH} characters.",
                param=f"{param}[{key}]")
        result[key] = text
    if len(result) > MAX_METADATA_KEYS:
        raise InvalidRequestError(
            f"Metadata can have a maximum of {MAX_METADATA_KEYS} keys.", param=param)
    return result


def unset(value: Any) -> bool:
    """An emptyable parameter sent as "" means unset."""
    return value == ""


def or_none(value: Any) -> Any:
    return None if value == "" else value


# -- lists --------------------------------------------------------------------------------------------
LIST_PARAMS = ("limit", "starting_after", "ending_before", "created")
CREATED_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def fields_equal(params: Mapping[str, Any], keys: tuple[str, ...]) -> Callable[[dict[str, Any]], bool] | None:
    """A list's post_filter keeping the objects whose `keys` equal the list parameters given for them (Stripe's
    `active=`, `status=` filters), or None when none is given."""
    wanted = {key: params[key] for key in keys if key in params}
    if not wanted:
        return None
    return lambda obj: all(obj.get(key) == value for key, value in wanted.items())


def list_objects(ctx: Ctx, object_type: str, params: Mapping[str, Any], url: str, *,
                 where: str = "", args: tuple[Any, ...] = (), columns: Mapping[str, str] | None = None,
                 post_filter: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
    """Stripe's list envelope over one object type, newest first, with limit/starting_after/
    ending_before/created, and optional SQL filters on the indexed columns (`columns` maps a list parameter,
    such as `customer`, to the column it filters when given)."""
    for param, column in (columns or {}).items():
        if params.get(param):
            where = f"{where} AND {column} = ?" if where else f"{column} = ?"
            args = (*args, params[param])
    limit = params.get("limit", 10)
    if not 1 <= limit <= 100:
        raise InvalidRequestError(
            "Invalid limit: must be an integer between 1 and 100", param="limit")
    if params.get("starting_after") and params.get("ending_before"):
        raise InvalidRequestError("You may only specify one of these parameters: ending_before, starting_after.",
                                  param="ending_before", code="parameters_exclusive")
    clauses = [where] if where else []
    values = list(args)
    created = params.get("created")
    if created is not None:
        if isinstance(created, Mapping):
            for op, value in created.items():
                clauses.append(f"created {CREATED_OPS[op]} ?")
                values.append(value)
        else:
            clauses.append("created = ?")
            values.append(created)
    after_seq = before_seq = None
    if params.get("starting_after"):
        after_seq = _cursor(ctx, object_type, params["starting_after"], "starting_after")
    if params.get("ending_before"):
        before_seq = _cursor(ctx, object_type, params["ending_before"], "ending_before")
    fetch = None if post_filter else limit + 1
    rows = ctx.store.select(ctx.account_id, object_type, where=" AND ".join(clauses), args=tuple(values),
                            limit=fetch, after_seq=after_seq, before_seq=before_seq)
    if post_filter:
        rows = [row for row in rows if post_filter(row)]
    if before_seq is not None:
        has_more = len(rows) > limit
        data = rows[-limit:] if has_more else rows
    else:
        has_more = len(rows) > limit
        data = rows[:limit]
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def _cursor(ctx: Ctx, object_type: str, object_id: str, param: str) -> int:
    seq = ctx.store.seq_of(ctx.account_id, object_id)
    if seq is None:
        raise ResourceMissingError(object_type.replace("_", " "), object_id, param=param)
    return seq

