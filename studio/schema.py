"""OpenAPI: the API-key authentication (loaded by StudioConfig.ready) and the error responses every
endpoint documents, in the one error shape ``studio.api.exception_handler`` answers with."""

from __future__ import annotations

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
