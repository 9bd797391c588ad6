"""Pipedrive's error envelopes, and the exception the resource handlers raise to produce them."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

ERROR_INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."
SCHEMA_VALIDATION_FAILED = "ERR_SCHEMA_VALIDATION_FAILED"


class ApiError(Exception):
    """An error answered with Pipedrive's envelope: ``{success: false, error, error_info, data: null}``."""

    def __init__(
        self,
        status: int,
        error: str,
        *,
        code: str | None = None,
        error_info: str | None = ERROR_INFO,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.code = code
        self.error_info = error_info
        self.body = body

    def payload(self) -> dict[str, Any]:
        if self.body is not None:
            return self.body
        payload: dict[str, Any] = {"success": False, "error": self.error}
        if self.code is not None:
            payload["code"] = self.code
        payload["error_info"] = self.error_info
        payload["data"] = None
        payload["additional_data"] = None
        return payload


def bad_request(error: str) -> ApiError:
    return ApiError(400, error)


def validation_failed(field: str, message: str) -> ApiError:
    """A v2 schema validation error, named after the offending field."""
    return ApiError(400, f"Validation failed: {field}: {message}", code=SCHEMA_VALIDATION_FAILED)


def not_found(error: str) -> ApiError:
    return ApiError(404, error, error_info="Object was not found.")


def unauthorized_body() -> dict[str, Any]:
    return {"success": False, "error": "unauthorized access", "errorCode": 401}


def error_response(error: ApiError) -> Response:
    return JSONResponse(error.payload(), status_code=error.status)


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    if status == 404:
        return error_response(
            ApiError(404, "Unknown method .", error_info="Please check developers.pipedrive.com")
        )
    if status == 405:
        return error_response(
            ApiError(405, "Method not allowed", error_info="Please check developers.pipedrive.com")
        )
    return error_response(ApiError(status, str(getattr(exc, "detail", "Bad request"))))


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    """Last resort: Pipedrive's generic envelope, never a traceback."""
    return error_response(
        ApiError(500, "Internal server error", error_info="Please check developers.pipedrive.com")
    )
