from __future__ import annotations

from typing import Any

from emulator.api import operation
from emulator.context import Ctx
from emulator.resources import common, webhook_endpoints


@operation("POST", "/v1/webhook_endpoints", supports=webhook_endpoints.CREATE_PARAMS)
def create_webhook_endpoint(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return webhook_endpoints.create(ctx, params)


@operation("GET", "/v1/webhook_endpoints", supports=common.LIST_PARAMS[:3])
def list_webhook_endpoints(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return webhook_endpoints.list_(ctx, params)


@operation("GET", "/v1/webhook_endpoints/<webhook_endpoint>")
def retrieve_webhook_endpoint(ctx: Ctx, params: dict[str, Any], webhook_endpoint: str) -> dict[str, Any]:
    return webhook_endpoints.require(ctx, webhook_endpoint)


@operation("POST", "/v1/webhook_endpoints/<webhook_endpoint>", supports=webhook_endpoints.UPDATE_PARAMS)
def update_webhook_endpoint(ctx: Ctx, params: dict[str, Any], webhook_endpoint: str) -> dict[str, Any]:
    return webhook_endpoints.update(ctx, webhook_endpoint, params)


@operation("DELETE", "/v1/webhook_endpoints/<webhook_endpoint>")
def delete_webhook_endpoint(ctx: Ctx, params: dict[str, Any], webhook_endpoint: str) -> dict[str, Any]:
    return webhook_endpoints.delete(ctx, webhook_endpoint)
