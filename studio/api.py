"""API plumbing shared by every endpoint: the error shape, strict request fields (with the vendors'
aliases), absolute URLs and pagination."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

import limits
from engines.languages import language_code
from errors import NotFound, RateLimited, StudioError
from studio.aliases import canonical

DRF_CODES = {
    HTTPStatus.UNAUTHORIZED: "not_authenticated",
    HTTPStatus.FORBIDDEN: "forbidden",
    HTTPStatus.NOT_FOUND: "not_found",
    HTTPStatus.METHOD_NOT_ALLOWED: "method_not_allowed",
    HTTPStatus.NOT_ACCEPTABLE: "not_acceptable",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "too_large",
    HTTPStatus.TOO_MANY_REQUESTS: "throttled",
}


def error_response(status: int, code: str, message: str, field: str | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["field"] = field
    return Response({"error": body}, status=status)


def _first_validation_error(detail: Any, path: str = "") -> tuple[str | None, str]:
    """The first (field, message) of a DRF ValidationError detail, with nested fields dotted."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = str(key) if key != "non_field_errors" else ""
            field, message = _first_validation_error(
                value, f"{path}.{name}" if path and name else path or name
            )
            return field, message
    if isinstance(detail, list) and detail:
        if all(not isinstance(item, (dict, list)) for item in detail):
            return path or None, str(detail[0])
        for index, item in enumerate(detail):
            if item:
                return _first_validation_error(item, f"{path}[{index}]")
    return path or None, str(detail)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, StudioError):
        response = error_response(exc.status, exc.code, exc.message, exc.field)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, exceptions.ValidationError):
        field, message = _first_validation_error(exc.detail)
        if field and not message.lower().startswith(field.split(".")[-1].lower()):
            message = f"{field}: {message}"
        return error_response(HTTPStatus.BAD_REQUEST, "invalid", message, field)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = getattr(exc, "detail", "")
    message = str(detail) if not isinstance(detail, (dict, list)) else str(exc)
    code = DRF_CODES.get(response.status_code, getattr(detail, "code", None) or "error")
    response.data = {"error": {"code": code, "message": message}}
    return response


class StrictSerializer(serializers.Serializer):
    """A request body or query string: the vendors' aliases renamed (``studio.aliases``), then any
    field this serializer does not declare refused with a 400 that names it.

    ``aliases`` picks the alias table; ``accepted_extra`` lists fields read outside the serializer
    (multipart file parts).
    """

    aliases = "voice"
    accepted_extra: tuple[str, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        data = canonical(data, self.aliases)
        if isinstance(data, Mapping):
            unknown = [key for key in data if key not in self.fields and key not in self.accepted_extra]
            if unknown:
                known = ", ".join(sorted([*self.fields, *self.accepted_extra]))
                raise serializers.ValidationError(
                    {unknown[0]: f"Unknown field {unknown[0]!r}. Fields here: {known}."}
                )
        return super().to_internal_value(data)


class CommaListField(serializers.ListField):
    """A list that also takes one comma-separated string (``languages=ar,en``), as forms send it."""

    def to_internal_value(self, data: Any) -> list:
        if isinstance(data, str):
            data = [data]
        if isinstance(data, list | tuple) and all(isinstance(item, str) for item in data):
            data = [part.strip() for item in data for part in item.split(",") if part.strip()]
        return super().to_internal_value(data)


class LanguageField(serializers.CharField):
    """A language code, normalised (``en-US`` → ``en``, ``zh-Hant`` → ``zh``; ``engines.languages``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 35)  # BCP-47's longest common tags fit
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        return language_code(super().to_internal_value(data), field=self.field_name or "language")


def absolute_url(request: HttpRequest | Request | None, path: str) -> str:
    """``path`` as a full URL the client can fetch as it is (behind a proxy too: the settings
    ``USE_X_FORWARDED_HOST``/``SECURE_PROXY_SSL_HEADER`` say whose host and scheme to trust)."""
    return request.build_absolute_uri(path) if request is not None else path


class PageQuerySerializer(StrictSerializer):
    """``limit`` (1..100, default 20) and ``offset`` of every list endpoint."""

    aliases = "list"

    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)
    # Bounded: an offset past what the database's integers hold was a 500.
    offset = serializers.IntegerField(
        required=False, min_value=0, max_value=limits.LIST_OFFSET_MAX, default=0
    )


def paginated(
    queryset: QuerySet,
    serializer_class: type[serializers.BaseSerializer],
    page: dict,
    request: HttpRequest | Request | None = None,
    *,
    context: dict | None = None,
) -> Response:
    """One page of ``queryset`` (ordered newest first) in the list shape all endpoints share."""
    limit, offset = page["limit"], page["offset"]
    total = queryset.count()
    rows = queryset.order_by("-created_at", "id")[offset : offset + limit]
    return Response(
        {
            "data": serializer_class(rows, many=True, context={**(context or {}), "request": request}).data,
            "total": total,
            "limit": limit,
            "offset": offset,
            "next_offset": offset + limit if offset + limit < total else None,
        }
    )


def page_serializer(item: type[serializers.BaseSerializer], name: str) -> type[serializers.Serializer]:
    """The OpenAPI shape of a page of ``item`` (what ``paginated`` answers)."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "data": item(many=True),
            "total": serializers.IntegerField(),
            "limit": serializers.IntegerField(),
            "offset": serializers.IntegerField(),
            "next_offset": serializers.IntegerField(allow_null=True),
        },
    )


class UnknownApiPathView(APIView):
    """Every path under /v1/ that no endpoint serves: a JSON 404 in the API's error shape."""

    authentication_classes: list = []
    permission_classes: list = []
    schema = None

    def _not_found(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise NotFound(f"No API endpoint at {request.path}. The endpoints are listed at /v1/docs.")

    get = post = put = patch = delete = head = options = _not_found


class AudioOrJsonNegotiation(DefaultContentNegotiation):
    """For endpoints that answer with audio bytes when asked (``Accept: audio/*`` or
    ``application/octet-stream``): DRF has no audio renderer, so such an Accept must not make it refuse
    the request (406); errors still render as JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if wants_audio(request):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


# --- Django's own error pages, in the API's shape under /v1/ ---------------------------------------
# Errors raised outside DRF (no URL matched, a crash in a plain view, a refused CSRF or host) render
# Django's HTML pages; API clients get the same JSON shape as from every endpoint.


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/v1/")


def _json_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json_error(HTTPStatus.BAD_REQUEST, "bad_request", "The request could not be understood.")
    return defaults.bad_request(request, exception)


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json_error(HTTPStatus.FORBIDDEN, "forbidden", "You do not have permission to do this.")
    return defaults.permission_denied(request, exception)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json_error(HTTPStatus.NOT_FOUND, "not_found", f"No API endpoint at {request.path}.")
    return defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _json_error(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side; it was logged.",
        )
    return defaults.server_error(request)


def wants_audio(request: HttpRequest | Request) -> bool:
    """The client asked for audio bytes: ``Accept: audio/...`` or ``application/octet-stream`` (what
    the OpenAI SDK sends for speech)."""
    accept = request.META.get("HTTP_ACCEPT", "")
    return any(
        part.strip().startswith(("audio/", "application/octet-stream")) for part in accept.lower().split(",")
    )
