"""The /v1 API: authentication, API versions, parameter checking, idempotency, rendering.

Requests reach `run_operation` through the WSGI front (`emulator.api.frontend`, the usual path) or through
the blueprint's Flask views (HEAD, multipart bodies); both answer identically.

Views are thin: an `@operation` names Stripe's method and path, the parameters the emulator implements,
and a handler that calls one resource function. Everything Stripe does around the call happens here once:

* auth by secret key (each key its own account), `Stripe-Version`, `Stripe-Account` refused clearly;
* the form body / query string decoded and checked against Stripe's parameter schema for the operation
  (spec/params.json, generated from stripe-python): unknown parameters are `parameter_unknown`, those
  Stripe has but the emulator does not implement get a 400 naming them;
* mutations run in one transaction together with their events and the idempotency record;
* `expand[]` and the reader's API version applied to the answer; `Request-Id` on every answer.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import orjson
from flask import Blueprint, Flask, Response, current_app, g, request

from emulator import engine, ids, snapshots, store as store_module
from emulator.context import Ctx
from emulator.errors import (ApiError, AuthenticationError, IdempotencyError, InvalidRequestError,
                             StripeError)
from emulator.params import Coercer, decode_pairs, unsupported_paths
from emulator.render import Renderer
from emulator.resources import accounts
from emulator.store import Store
from emulator.versions import upgrade_request, validate as validate_version
from emulator.webhooks import outbox

bp = Blueprint("api", __name__)
log = logging.getLogger("emulator")

Handler = Callable[..., Any]
_PLACEHOLDER = re.compile(r"\{[^}]+\}|<[^>]+>")


def _normalize(method: str, path: str) -> str:
    return f"{method} {_PLACEHOLDER.sub('{}', path)}"


def _load_spec() -> dict[str, Any]:
    raw = json.loads(resources.files("emulator").joinpath("spec/params.json").read_text())
    return {_normalize(*key.split(" ", 1)): schema for key, schema in raw["operations"].items()}


PARAM_SPEC: dict[str, Any] = _load_spec()
# Operations older API versions still call that the current SDK no longer describes.
LEGACY_SPEC: dict[str, Any] = {
    _normalize(*key.split(" ", 1)): schema for key, schema in json.loads(
        resources.files("emulator").joinpath("spec/legacy_params.json").read_text())["operations"].items()}
ALWAYS_SUPPORTED = frozenset({"expand"})
# Stripe's documented limit for Idempotency-Key values.
MAX_IDEMPOTENCY_KEY_LENGTH = 255
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


@dataclass
class Operation:
    method: str
    path: str
    key: str
    handler: Handler
    coercer: Coercer | None
    supported: frozenset[str]
    publishable: bool


OPERATIONS: list[Operation] = []


def operation(method: str, path: str, *, supports: Iterable[str] = (), publishable: bool = False,
              schema: dict[str, Any] | None = None) -> Callable[[Handler], Handler]:
    """Declare a Stripe API operation. `path` uses Flask syntax (`/v1/customers/<customer>`); `supports`
    lists the dotted parameter names the emulator implements (a name covers everything below it).
    `schema` is for operations stripe-python does not describe (the emulator's own helpers)."""

    def register(handler: Handler) -> Handler:
        key = _normalize(method, path)
        spec = schema if schema is not None else PARAM_SPEC.get(key, LEGACY_SPEC.get(key))
        if spec is None:
            raise RuntimeError(f"No parameter schema for {method} {path}")
        op = Operation(method, path, _normalize(method, path), handler, Coercer(spec),
                       frozenset(supports) | ALWAYS_SUPPORTED, publishable)
        OPERATIONS.append(op)
        return handler

    return register


class Deferred:
    """A handler result whose work continues after the request's transaction commits (it manages its own
    transactions, e.g. a test clock advance); its return value is the answer."""

    def __init__(self, run: Callable[[], Any]) -> None:
        self.run = run


class Raw:
    """A handler result that is already a complete response body (no expand / versioning)."""

    def __init__(self, body: dict[str, Any], status: int = 200) -> None:
        self.body = body
        self.status = status


_routes_added = False


def register_routes(app: Flask) -> None:
    """Attach every declared operation to the blueprint (rules are added once per process; the blueprint
    is then registered on each app, e.g. several test apps)."""
    global _routes_added
    import emulator.api.routes  # noqa: F401  (declares the operations)

    if not _routes_added:
        by_rule: dict[str, dict[str, Operation]] = {}
        for op in OPERATIONS:
            by_rule.setdefault(op.path, {})[op.method] = op
        for rule, methods in by_rule.items():
            bp.add_url_rule(rule, endpoint=rule, view_func=_make_view(methods), methods=list(methods))
        _routes_added = True
    app.register_blueprint(bp)


def _make_view(methods: dict[str, Operation]) -> Callable[..., Response]:
    def view(**path_args: str) -> Response:
        op = methods.get(request.method) or methods["GET"]  # Flask answers HEAD with the GET view
        pairs = request.form.items(multi=True) if op.method == "POST" else request.args.items(multi=True)
        # A body in another encoding (JSON...) is refused, as Stripe does, rather than read as no parameters.
        foreign = request.mimetype if op.method == "POST" and request.content_length and \
            request.mimetype not in ("", FORM_CONTENT_TYPE, "multipart/form-data") else None
        api_request = ApiRequest(op.method, request.path, request.headers, list(pairs),
                                 f"{request.scheme}://{request.host}", unsupported_content_type=foreign)
        answer = run_operation(current_app.config, api_request, op, path_args)
        return Response(answer.body, status=answer.status, headers=answer.headers, mimetype="application/json")

    return view


@dataclass
class ApiRequest:
    """What the API needs of an HTTP request, whichever way it arrived (the WSGI front or Flask)."""

    method: str
    path: str
    headers: Mapping[str, str]  # case-insensitive .get
    pairs: list[tuple[str, str]]  # the decoded form body (POST) or query string
    origin: str  # scheme://host the client used
    unsupported_content_type: str | None = None  # a POST body that is not form-encoded


@dataclass
class Answer:
    """A JSON answer: status, body and the headers besides Content-Type."""

    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)


def run_operation(config: Mapping[str, Any], api_request: ApiRequest, op: Operation,
                  path_args: dict[str, str]) -> Answer:
    """Authenticate, run one operation and answer it; every error becomes Stripe's JSON error (an
    unexpected one a logged 500 `api_error`, the transaction rolled back)."""
    request_id = ids.new_id("req")
    ctx: Ctx | None = None
    try:
        ctx = open_context(config, api_request, request_id)
        answer = _dispatch(ctx, op, api_request, path_args)
    except StripeError as error:
        answer = error_answer(error)
    except Exception as error:  # noqa: BLE001 - any bug becomes Stripe's api_error, never a traceback
        log.exception("Unhandled error on %s %s", api_request.method, api_request.path)
        answer = error_answer(ApiError(
            f"stripe-portal-emulator hit an internal error ({type(error).__name__}: {error}). "
            "This is a bug in the emulator; the request was rolled back."))
    answer.headers.append(("Request-Id", request_id))
    answer.headers.append(("Stripe-Version", ctx.api_version if ctx is not None else ""))
    if ctx is not None and ctx.idempotency_key and api_request.method == "POST":
        answer.headers.append(("Idempotency-Key", ctx.idempotency_key))  # as Stripe echoes it
    return answer


def _dispatch(ctx: Ctx, op: Operation, api_request: ApiRequest, path_args: dict[str, str]) -> Answer:
    if ctx.key_kind == "pk" and not op.publishable:
        raise AuthenticationError(
            "This API call cannot be made with a publishable API key. Please use a secret API key. You can "
            "find a list of your API keys at https://dashboard.stripe.com/account/apikeys.")
    if api_request.unsupported_content_type:
        raise InvalidRequestError(f"Invalid request: unsupported Content-Type {api_request.unsupported_content_type}. "
                                  "If error persists and you need assistance, please contact support@stripe.com.")
    raw = upgrade_request(op.key, ctx.api_version, decode_pairs(api_request.pairs))
    params = op.coercer.coerce(raw) if op.coercer else raw
    unsupported = unsupported_paths(params, op.supported)
    if unsupported:
        name = unsupported[0]
        raise InvalidRequestError(
            f"The parameter {name} is accepted by Stripe but not implemented by stripe-portal-emulator yet. "
            "Remove it from the request, or see the README's list of known differences.", param=name)
    expand = params.pop("expand", None) or []
    if op.method == "GET":
        return _respond(ctx, op.handler(ctx, params, **path_args), expand)
    # Keys make POSTs safe to retry; Stripe documents them as having no effect on DELETE.
    idempotency_key = ctx.idempotency_key if op.method == "POST" else None
    if idempotency_key and len(idempotency_key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise InvalidRequestError(f"Idempotency-Key is {len(idempotency_key)} characters long; it must be at most "
                                  f"{MAX_IDEMPOTENCY_KEY_LENGTH} characters.")
    fingerprint = _fingerprint(op, path_args, raw) if idempotency_key else ""
    store = ctx.store
    with store.transaction():
        if idempotency_key:
            replay = _replay(ctx, idempotency_key, fingerprint)
            if replay is not None:
                return replay
        try:
            result = op.handler(ctx, params, **path_args)
            answer = None if isinstance(result, Deferred) else _respond(ctx, result, expand)
        except StripeError as error:
            if not error.persist:
                raise
            answer = error_answer(error)
        if idempotency_key and answer is not None:
            _remember(ctx, idempotency_key, fingerprint, answer)
    if answer is None:
        answer = _respond(ctx, result.run(), expand)
        if idempotency_key:
            with store.transaction():
                _remember(ctx, idempotency_key, fingerprint, answer)
    return answer


def _remember(ctx: Ctx, key: str, fingerprint: str, answer: Answer) -> None:
    ctx.store.execute(
        "INSERT OR REPLACE INTO idempotency_keys (account, key, fingerprint, status, body, created) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (ctx.account_id, key, fingerprint, answer.status, snapshots.pack(answer.body), ctx.now()))


def _fingerprint(op: Operation, path_args: dict[str, str], raw: dict[str, Any]) -> str:
    payload = orjson.dumps([op.method, op.path, path_args, raw], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(payload).hexdigest()


def _replay(ctx: Ctx, key: str, fingerprint: str) -> Answer | None:
    """Stripe replays the stored status and body for the same key and parameters (kept 24 h)."""
    row = ctx.store.execute(
        "SELECT fingerprint, status, body, created FROM idempotency_keys WHERE account = ? AND key = ?",
        (ctx.account_id, key)).fetchone()
    if row is None:
        return None
    if row[3] < ctx.now() - ctx.settings["IDEMPOTENCY_TTL_SECONDS"]:
        return None
    if row[0] != fingerprint:
        raise IdempotencyError(
            "Keys for idempotent requests can only be used with the same parameters they were first used "
            f"with. Try using a key other than '{key}' if you meant to execute a different request.")
    return Answer(row[1], snapshots.unpack(row[2]),
                  [("Idempotent-Replayed", "true"), ("Original-Request", ctx.request_id or "")])


def _respond(ctx: Ctx, result: Any, expand: list[str]) -> Answer:
    if isinstance(result, Raw):
        return Answer(result.status, orjson.dumps(result.body))
    return Answer(200, orjson.dumps(Renderer(ctx).render(result, expand)))


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status=status, mimetype="application/json")


def error_answer(error: StripeError) -> Answer:
    return Answer(error.http_status, orjson.dumps(error.to_dict()))


def error_response(error: StripeError) -> Response:
    return json_response(error.to_dict(), error.http_status)


# -- request set-up --------------------------------------------------------------------------------
def open_context(config: Mapping[str, Any], api_request: ApiRequest, request_id: str) -> Ctx:
    """Stripe's authentication (secret or publishable test key, Bearer or Basic; each key its own account),
    `Stripe-Version` and `Stripe-Account` checks, then the context the operation runs in, after running
    whatever came due for the account's clock-less objects."""
    key = _api_key(api_request.headers.get("Authorization") or "")
    if key is None:
        raise AuthenticationError(
            "You did not provide an API key. You need to provide your API key in the Authorization header, "
            "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
            "https://stripe.com/docs/api#authentication for details, or we can help at "
            "https://support.stripe.com/.")
    parsed = accounts.parse_key(key)
    if parsed is None:
        masked = key[:8] + "*" * max(len(key) - 12, 0) + key[-4:] if len(key) > 12 else key
        raise AuthenticationError(f"Invalid API Key provided: {masked}")
    kind, suffix = parsed
    if api_request.headers.get("Stripe-Account"):
        raise InvalidRequestError(
            "stripe-portal-emulator does not emulate Connect: remove the Stripe-Account header.",
            param="Stripe-Account")
    store = Store(store_module.connection_for(config["DATABASE"]))
    facts = accounts.facts_for_request(store, suffix, config["API_VERSION"])
    account = facts.account
    version_header = api_request.headers.get("Stripe-Version")
    api_version = validate_version(version_header) if version_header else account.api_version
    ctx = Ctx(store=store, account=account, api_version=api_version, request_id=request_id,
              idempotency_key=api_request.headers.get("Idempotency-Key") or None,
              base_url=config.get("PUBLIC_URL") or api_request.origin, settings=config, key_kind=kind)
    if not facts.has_webhook_endpoints:
        outbox.assume_no_endpoints(ctx)
    if facts.has_due_transitions:
        engine.catch_up(ctx)
    return ctx


def authenticate() -> None:
    """Flask `before_request` for the emulator's own JSON API (/_emulator/api): the same authentication
    as /v1, the context in `g.ctx`."""
    g.request_id = ids.new_id("req")
    api_request = ApiRequest(request.method, request.path, request.headers, [],
                             f"{request.scheme}://{request.host}")
    g.ctx = open_context(current_app.config, api_request, g.request_id)
    g.key_kind = g.ctx.key_kind


def _api_key(header: str) -> str | None:
    if header.startswith("Bearer "):
        return header[7:].strip() or None
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        return decoded.split(":", 1)[0] or None
    return None
