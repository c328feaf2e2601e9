"""Coupons and promotion codes."""

from __future__ import annotations

from typing import Any

from emulator.api import operation
from emulator.context import Ctx
from emulator.resources import common, coupons, promotion_codes


@operation("POST", "/v1/coupons", supports=coupons.CREATE_PARAMS)
def create_coupon(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return coupons.create(ctx, params)


@operation("GET", "/v1/coupons", supports=common.LIST_PARAMS)
def list_coupons(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return coupons.list_(ctx, params)


@operation("GET", "/v1/coupons/<coupon>")
def retrieve_coupon(ctx: Ctx, params: dict[str, Any], coupon: str) -> dict[str, Any]:
    return coupons.require(ctx, coupon)


@operation("POST", "/v1/coupons/<coupon>", supports=coupons.UPDATE_PARAMS)
def update_coupon(ctx: Ctx, params: dict[str, Any], coupon: str) -> dict[str, Any]:
    return coupons.update(ctx, coupon, params)


@operation("DELETE", "/v1/coupons/<coupon>")
def delete_coupon(ctx: Ctx, params: dict[str, Any], coupon: str) -> dict[str, Any]:
    return coupons.delete(ctx, coupon)


@operation("POST", "/v1/promotion_codes", supports=promotion_codes.CREATE_PARAMS)
def create_promotion_code(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return promotion_codes.create(ctx, params)


@operation("GET", "/v1/promotion_codes", supports=promotion_codes.LIST_PARAMS)
def list_promotion_codes(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    return promotion_codes.list_(ctx, params)


@operation("GET", "/v1/promotion_codes/<promotion_code>")
def retrieve_promotion_code(ctx: Ctx, params: dict[str, Any], promotion_code: str) -> dict[str, Any]:
    return promotion_codes.require(ctx, promotion_code)


@operation("POST", "/v1/promotion_codes/<promotion_code>", supports=promotion_codes.UPDATE_PARAMS)
def update_promotion_code(ctx: Ctx, params: dict[str, Any], promotion_code: str) -> dict[str, Any]:
    return promotion_codes.update(ctx, promotion_code, params)
