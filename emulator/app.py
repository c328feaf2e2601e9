"""create_app(config): configuration, blueprints, error handlers. Nothing else."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from flask import Flask, Response, g, render_template, request
from werkzeug.exceptions import HTTPException

from emulator import config as config_module, ids, store as store_module
from emulator.errors import ApiError, InvalidRequestError, StripeError

log = logging.getLogger("emulator")
# Paths answered with Stripe's JSON errors; the HTML surfaces (dashboard, portal, hosted pages) get pages.
JSON_PREFIXES = ("/v1/", "/_emulator/api/")
HTML_PREFIXES = ("/_emulator", "/p/", "/invoice/", "/authenticate/")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the emulator's WSGI app over one SQLite file."""
    app = Flask(__name__, template_folder=_templates_folder())
    app.config.update(config_module.DEFAULTS)
    app.config.update(config_module.from_environment())
    app.config.update(config or {})
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if app.config.get("ID_SEED") is not None:
        ids.seed(app.config["ID_SEED"])
    store_module.configure(synchronous=str(app.config["SQLITE_SYNCHRONOUS"]))

    from emulator.api import error_response, register_routes
    from emulator.api.frontend import ApiFrontend
    from emulator import engine
    from emulator.dashboard import control, pages
    from emulator.hosted import authentication, invoice_page
    from emulator import portal
    from emulator.webhooks import delivery

    register_routes(app)
    app.register_blueprint(control.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(authentication.bp)
    app.register_blueprint(invoice_page.bp)
    app.register_blueprint(portal.bp)

    workers_started = threading.Event()
    os.register_at_fork(after_in_child=workers_started.clear)

    @app.before_request
    def start_background_workers() -> None:
        # Started lazily so each gunicorn worker process (forked after create_app) runs its own.
        if not workers_started.is_set():
            delivery.ensure_worker(app.config["DATABASE"], app.config)
            engine.ensure_scheduler(app.config["DATABASE"], app.config)
            workers_started.set()

    app.wsgi_app = ApiFrontend(app.wsgi_app, app.config, start_background_workers)  # type: ignore[method-assign]

    def wants_json() -> bool:
        return request.path.startswith(JSON_PREFIXES) or not request.path.startswith(HTML_PREFIXES)

    def html_error(status: int, title: str, message: str) -> Response:
        body = render_template("errors/error.html", status=status, title=title, message=message)
        return Response(body, status=status, mimetype="text/html")

    @app.errorhandler(StripeError)
    def stripe_error(error: StripeError) -> Response:
        if wants_json():
            return error_response(error)
        return html_error(error.http_status, "Something went wrong", error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if not wants_json():
            return html_error(error.code or 400, error.name, error.description or "")
        if error.code in (404, 405):
            return error_response(InvalidRequestError(
                f"Unrecognized request URL ({request.method}: {request.path}). Please see "
                "https://stripe.com/docs or we can help at https://support.stripe.com/.",
                http_status=404))
        if error.code == 413:
            return error_response(InvalidRequestError("Request body too large.", http_status=413))
        return error_response(InvalidRequestError(error.description or "Bad request",
                                                  http_status=error.code or 400))

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("Unhandled error on %s %s", request.method, request.path)
        if not wants_json():
            return html_error(500, "Internal error", "stripe-portal-emulator hit an internal error; the "
                              "action was rolled back. The emulator's log has the details.")
        return error_response(ApiError(
            f"stripe-portal-emulator hit an internal error ({type(error).__name__}: {error}). "
            "This is a bug in the emulator; the request was rolled back."))

    @app.after_request
    def request_id_everywhere(response: Response) -> Response:
        if "Request-Id" not in response.headers:
            response.headers["Request-Id"] = g.get("request_id") or ids.new_id("req")
        return response

    return app


def _templates_folder() -> str:
    """Templates live at the repo's top level and ship inside the wheel as emulator/templates."""
    from emulator.paths import data_dir

    return str(data_dir("templates"))
