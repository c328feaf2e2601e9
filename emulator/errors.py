"""Stripe-shaped errors: every failure the API reports is one of these, rendered by one handler.

Stripe's error body is {"error": {"type", "code", "message", "param", "doc_url", ...}}; the HTTP status
tells the SDK which exception class to raise (400/404 InvalidRequestError, 401 AuthenticationError,
402 CardError, 409 IdempotencyError on in-flight collisions...).
"""

from __future__ import annotations

from typing import Any

DOC_URL = "https://stripe.com/docs/error-codes/{}"


class StripeError(Exception):
    """Base of every API error; carries Stripe's type, code, message and param."""

    http_status = 400
    error_type = "invalid_request_error"
    # True when the work done before the error is kept (a declined payment keeps its intent and charge):
    # the API commits the transaction, then answers with the error.
    persist = False
    # A key of the portal's message catalogue when the portal words this error itself (see
    # emulator.portal.i18n.Translator.refusal); None: the portal shows `message`.
    message_key: str | None = None
    message_values: dict[str, Any] = {}

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        http_status: int | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        if http_status is not None:
            self.http_status = http_status
        self.extra = {k: v for k, v in extra.items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.error_type}
        if self.code:
            body["code"] = self.code
            body["doc_url"] = DOC_URL.format(self.code.replace("_", "-"))
        body["message"] = self.message
        if self.param:
            body["param"] = self.param
        body.update(self.extra)
        return {"error": body}


class InvalidRequestError(StripeError):
    """400 invalid_request_error (bad or missing parameters, invalid state)."""


class ResourceMissingError(InvalidRequestError):
    """404 resource_missing: `No such customer: 'cus_123'`."""

    http_status = 404

    def __init__(self, kind: str, object_id: str, *, param: str | None = None) -> None:
        super().__init__(f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


class AuthenticationError(StripeError):
    """401: missing or invalid API key (Stripe sends type invalid_request_error with status 401)."""

    http_status = 401


class PermissionError_(StripeError):
    """403: e.g. a publishable key calling a secret-key endpoint."""

    http_status = 403


class CardError(StripeError):
    """402 card_error: declines, with decline_code and the payment objects involved."""

    http_status = 402
    error_type = "card_error"


class IdempotencyError(StripeError):
    """400 idempotency_error: same Idempotency-Key reused with different parameters."""

    error_type = "idempotency_error"


class IdempotencyInFlightError(StripeError):
    """409: the same Idempotency-Key is executing concurrently."""

    http_status = 409
    error_type = "idempotency_error"


class ApiError(StripeError):
    """500 api_error: an emulator bug. Rendered as JSON like Stripe's, never as a traceback page."""

    http_status = 500
    error_type = "api_error"


def missing_param(param: str) -> InvalidRequestError:
    return InvalidRequestError(f"Missing required param: {param}.", code="parameter_missing", param=param)