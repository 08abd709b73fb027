"""The OpenAPI schema's additions (loaded by StudioConfig.ready and named in SPECTACULAR_SETTINGS).

* The API-key authentication's description.
* ``error_responses(...)``: the error statuses a view documents itself, in the one error shape.
* Every operation documents the errors every endpoint can answer (``errors_everywhere``). Each API answer that is not a success
  has the one error shape (``studio.api.exception_handler``, ``studio.gate``):
  ``{"error": {"code", "message", "field"}}``. The views document their successes; ``error_responses``
  adds the error statuses any of them can return (authentication, validation, size and rate limits),
  unless a view documented that status itself.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "studio.auth.ApiKeyAuthentication"
    name = ["bearerAuth", "apiKeyHeader"]

    def get_security_requirement(self, auto_schema):
        # Either header alone authenticates: two requirements (OR), not one with both (AND).
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <API key>"},
            {"type": "apiKey", "in": "header", "name": "x-api-key", "description": "x-api-key: <API key>"},
        ]


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Stable, machine-readable reason, e.g. not_found."},
                "message": {"type": "string", "description": "What went wrong and what to do, for people."},
                "field": {
                    "type": "string",
                    "description": "The input the error is about, when there is one.",
                },
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}
ERRORS = {
    "400": "The input is invalid (the message says which field and why).",
    "401": "No valid API key (Authorization: Bearer <key>, or x-api-key) and no signed-in session.",
    "403": "Not allowed (another user's voice, a blocked voice, consent missing).",
    "404": "No such object, or it is not visible to you.",
    "406": "The Accept header asks for a format this endpoint cannot answer in.",
    "413": "The body is larger than this endpoint accepts.",
    "415": "The Content-Type is not one this endpoint accepts.",
    "429": "Too many requests, or too much queued work: retry after the Retry-After header's seconds.",
}
_METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}


def errors_everywhere(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry: add ``ERRORS`` to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                responses.setdefault(status, {"description": description, "content": reference})
    return result


ErrorSchema = inline_serializer(
    "Error",
    {
        "error": inline_serializer(
            "ErrorDetail",
            {
                "code": serializers.CharField(help_text="Stable, machine-readable: invalid, not_found, ..."),
                "message": serializers.CharField(help_text="What went wrong and what to do, for people."),
                "field": serializers.CharField(required=False, help_text="The request field at fault."),
            },
        )
    },
)

_MEANINGS = {
    400: "A value is missing, unknown or out of range (error.field names it).",
    401: "No API key, or a revoked one.",
    403: "Not yours to change, or the voice may not speak (consent, moderation, licence).",
    404: "No such object, or not visible to you.",
    409: "The object's state does not allow this now.",
    413: "The upload is larger than the studio accepts.",
    415: "The body's Content-Type is not one this endpoint reads.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """``{status: the error shape}`` for an ``extend_schema(responses=...)``; 401 is always added."""
    return {
        status: OpenApiResponse(ErrorSchema, description=_MEANINGS[status])
        for status in sorted({401, *statuses})
    }
