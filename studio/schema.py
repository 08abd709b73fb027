"""The OpenAPI schema's additions (loaded by StudioConfig.ready and named in SPECTACULAR_SETTINGS).

* The API-key authentication's description.
* Every operation documents the errors every endpoint can answer. Each API answer that is not a success
  has the one error shape (``studio.api.exception_handler``, ``studio.gate``):
  ``{"error": {"code", "message", "field"}}``. The views document their successes; ``error_responses``
  adds the error statuses any of them can return (authentication, validation, size and rate limits),
  unless a view documented that status itself.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "studio.auth.ApiKeyAuthentication"
    name = ["bearerAuth", "apiKeyHeader"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <API key>"},
            {"type": "apiKey", "in": "header", "name": "x-api-key"},
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


def error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
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
