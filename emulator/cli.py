"""The `stripe-portal-emulator` command line (also `python -m emulator`)."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

import click

from emulator import config as config_module


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="stripe-portal-emulator")
def cli() -> None:
    """A local, offline emulator of Stripe Billing and the Stripe-hosted customer portal."""


def _db_option(fn):  # type: ignore[no-untyped-def]
    return click.option("--db", "database", default=config_module.DEFAULTS["DATABASE"], show_default=True,
                        envvar="STRIPE_EMULATOR_DATABASE", help="SQLite file holding all state.")(fn)


@cli.command()
@click.option("--host", default=config_module.DEFAULTS["HOST"], show_default=True, envvar="STRIPE_EMULATOR_HOST")
@click.option("--port", default=config_module.DEFAULTS["PORT"], show_default=True, type=int,
              envvar="STRIPE_EMULATOR_PORT")
@_db_option
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Processes (gunicorn) sharing the SQLite file; 1 = one threaded process.")
@click.option("--seed", "seed_name", type=click.Choice(["none", "demo"]), default="none", show_default=True,
              help="Load a catalog from fixtures/ under the demo key before serving.")
@click.option("--api-version", default=config_module.LATEST_API_VERSION, show_default=True,
              envvar="STRIPE_EMULATOR_API_VERSION",
              help="Default API version of accounts created on first use of their key.")
@click.option("--id-seed", default=None, envvar="STRIPE_EMULATOR_ID_SEED", help="Make object ids reproducible.")
@click.option("--stripe-limits", is_flag=True, envvar="STRIPE_EMULATOR_STRIPE_LIMITS",
              help="Apply Stripe's test-clock complexity limits.")
@click.option("--verbose", is_flag=True, help="Log every request.")
def serve(host: str, port: int, database: str, workers: int, seed_name: str, api_version: str,
          id_seed: str | None, stripe_limits: bool, verbose: bool) -> None:
    """Start the emulator (ready when GET /v1/customers answers)."""
    from emulator.app import create_app
    from emulator.serving import serve as run_server
    from emulator.store import forget_connections

    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(message)s")
    settings = {"DATABASE": database, "API_VERSION": api_version, "ID_SEED": id_seed,
                "STRIPE_LIMITS": stripe_limits, "HOST": host, "PORT": port}
    app = create_app(settings)
    if seed_name != "none":
        from emulator.seed import seed_fixture

        summary = seed_fixture(app, seed_name)
        click.echo(summary)
    forget_connections()
    click.echo(f"stripe-portal-emulator listening on http://{host}:{port} (db {os.path.abspath(database)}, "
               f"{workers} worker{'s' if workers > 1 else ''})")
    click.echo(f"Point an SDK at it: stripe.api_base = 'http://{host}:{port}'; any key sk_test_<anything> "
               f"is its own account; the demo catalog lives under {config_module.DEMO_SECRET_KEY}.")
    sys.stdout.flush()
    run_server(app, host, port, workers)


@cli.command()
@_db_option
@click.argument("name", default="demo")
def seed(database: str, name: str) -> None:
    """Load a fixture catalog (default: demo) into the database under the demo key."""
    from emulator.app import create_app
    from emulator.seed import seed_fixture

    try:
        click.echo(seed_fixture(create_app({"DATABASE": database}), name))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="NAME") from None


@cli.command()
@_db_option
@click.confirmation_option(prompt="Delete every account, object and event in this database?")
def reset(database: str) -> None:
    """Delete the database file (and its WAL files) so the next start is empty."""
    for suffix in ("", "-wal", "-shm"):
        path = database + suffix
        if os.path.exists(path):
            os.remove(path)
    click.echo(f"Removed {database}")


def _parse_moment(text: str) -> int:
    """Unix seconds, or an ISO date/datetime read as UTC."""
    from datetime import datetime, timezone

    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is neither Unix seconds nor an ISO date like 2027-02-01") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


@cli.command()
@_db_option
@click.option("--to", "to_text", default=None, help="Target time: 2027-02-01, 2027-02-01T12:00:00, or Unix seconds.")
@click.option("--by", "by_text", default=None, help="Shift by a duration: 30d, 12h, 2w, 90m.")
@click.option("--api-key", default=config_module.DEMO_SECRET_KEY, show_default=True,
              help="The account whose clock moves.")
@click.option("--steps", default=100, show_default=True, type=click.IntRange(1, 10000),
              help="Progress granularity: transitions run in this many chronological slices.")
def advance(database: str, to_text: str | None, by_text: str | None, api_key: str, steps: int) -> None:
    """Move an account's global clock forward and run everything due (renewals, finalizations, retries...)
    for its objects that are not on a test clock."""
    from emulator import engine
    from emulator.app import create_app
    from emulator.context import Ctx
    from emulator.errors import StripeError
    from emulator.resources import accounts, global_clock
    from emulator.store import Store, connection_for

    if bool(to_text) == bool(by_text):
        raise click.UsageError("Pass exactly one of --to or --by.")
    parsed = accounts.parse_key(api_key)
    if parsed is None or parsed[0] != "sk":
        raise click.BadParameter(f"not a test secret key: {api_key}", param_hint="--api-key")
    if not os.path.exists(database):
        raise click.BadParameter(f"no emulator database at {database} (pass the one the emulator serves)",
                                 param_hint="--db")
    app = create_app({"DATABASE": database})
    store = Store(connection_for(database))
    if store.execute("SELECT 1 FROM accounts WHERE secret_key = ?", (api_key,)).fetchone() is None:
        raise click.BadParameter(f"no account in {database} uses {api_key} (it has made no request yet)",
                                 param_hint="--api-key")
    account = accounts.get_or_create(store, parsed[1], app.config["API_VERSION"])
    ctx = Ctx(store=store, account=account, api_version=account.api_version, settings=app.config)
    start = ctx.now()
    try:
        target = _parse_moment(to_text) if to_text else start + global_clock.parse_duration(by_text or "")
    except StripeError as error:
        raise click.BadParameter(error.message) from None
    if target <= start:
        raise click.BadParameter(f"the account's clock is already at {start}; it only moves forward")
    if target - start > global_clock.MAX_SHIFT:
        raise click.BadParameter("the account's clock moves at most two years (730 days) at a time")
    ran = 0
    with click.progressbar(range(1, steps + 1), label="Advancing", show_eta=False) as bar:
        for step in bar:
            moment = start + (target - start) * step // steps
            with store.transaction():
                global_clock.shift_to(ctx, moment)
            ran += engine.catch_up(ctx)
    click.echo(f"{api_key}'s clock is now {target} (offset {ctx.account.clock_offset} s); {ran} transitions ran.")


@cli.command()
@click.option("--forward-to", "-f", default=None, help="URL to POST each event to, signed like Stripe.")
@click.option("--api-key", default=config_module.DEMO_SECRET_KEY, show_default=True, envvar="STRIPE_API_KEY",
              help="Whose events to listen to.")
@click.option("--api-base", default=f"http://127.0.0.1:{config_module.DEFAULTS['PORT']}", show_default=True,
              help="The running emulator.")
@click.option("--events", "-e", default=None, help="Comma-separated event types to pass (default: all).")
@click.option("--secret", default=None, help="Signing secret to use (default: a new whsec_ printed at start).")
def listen(forward_to: str | None, api_key: str, api_base: str, events: str | None, secret: str | None) -> None:
    """Print events as they happen and forward them to a local webhook handler (like `stripe listen`)."""
    from emulator.listen import run

    import urllib.error

    wanted = {name.strip() for name in events.split(",")} if events else None
    try:
        run(api_base, api_key, forward_to, secret, wanted, echo=lambda line: click.echo(line, nl=True))
    except KeyboardInterrupt:
        pass
    except urllib.error.HTTPError as error:
        message = json.loads(error.read() or b"{}").get("error", {}).get("message", str(error))
        raise click.ClickException(f"{api_base} refused the request: {message}") from None
    except urllib.error.URLError as error:
        raise click.ClickException(f"cannot reach the emulator at {api_base} ({error.reason}); is it running?") \
            from None


def _api_call(api_base: str, api_key: str, method: str, path: str,
              params: dict[str, str] | None = None) -> dict[str, Any]:
    """One call to a running emulator's API; Stripe's error message becomes a click error."""
    import urllib.error
    import urllib.parse
    import urllib.request

    data = urllib.parse.urlencode(params or {}).encode()
    url = f"{api_base.rstrip('/')}{path}" + (f"?{data.decode()}" if method == "GET" and params else "")
    request = urllib.request.Request(url, data=data if method == "POST" else None, method=method,
                                     headers={"Authorization": f"Bearer {api_key}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as error:
        message = json.loads(error.read() or b"{}").get("error", {}).get("message", str(error))
        raise click.ClickException(message) from None
    except urllib.error.URLError as error:
        raise click.ClickException(f"no emulator answers at {api_base} ({error.reason})") from None


@cli.command("portal-url")
@click.option("--customer", default=None, help="The customer (cus_...) whose portal to open.")
@click.option("--email", default=None, help="Or a customer's email: the newest customer with it, created if none.")
@click.option("--return-url", default=None,
              help="The portal's \"Return to\" link (default: the emulator's dashboard).")
@click.option("--locale", default=None, help="The portal's language (Stripe's locale codes, or auto).")
@click.option("--configuration", default=None, help="A portal configuration (bpc_...; default: the account's).")
@click.option("--api-key", default=config_module.DEMO_SECRET_KEY, show_default=True, envvar="STRIPE_API_KEY",
              help="The account.")
@click.option("--api-base", default=f"http://127.0.0.1:{config_module.DEFAULTS['PORT']}", show_default=True,
              help="The running emulator.")
def portal_url(customer: str | None, email: str | None, return_url: str | None, locale: str | None,
               configuration: str | None, api_key: str, api_base: str) -> None:
    """Print a customer portal session URL to open in a browser (POST /v1/billing_portal/sessions)."""
    if bool(customer) == bool(email):
        raise click.UsageError("Pass exactly one of --customer or --email.")
    if email:
        found = _api_call(api_base, api_key, "GET", "/v1/customers", {"email": email, "limit": "1"})["data"]
        customer = found[0]["id"] if found else _api_call(api_base, api_key, "POST", "/v1/customers",
                                                           {"email": email})["id"]
    params = {"customer": customer or "", "return_url": return_url or f"{api_base.rstrip('/')}/_emulator/"}
    for key, value in (("locale", locale), ("configuration", configuration)):
        if value:
            params[key] = value
    session = _api_call(api_base, api_key, "POST", "/v1/billing_portal/sessions", params)
    click.echo(session["url"])


def main() -> None:
    cli(prog_name="stripe-portal-emulator")


if __name__ == "__main__":
    main()
