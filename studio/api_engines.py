"""``GET /v1/engines``: which engines this studio runs, the languages each speaks, and their terms."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from engines import engine_names, get_engine
from studio.schema import error_responses

_ENGINE_FIELDS = {
    "name": serializers.CharField(),
    "label": serializers.CharField(),
    "available": serializers.BooleanField(),
    "reason": serializers.CharField(help_text="Why it is not available, when it is not."),
    "languages": serializers.ListField(child=serializers.CharField()),
    "license": serializers.CharField(),
    "commercial_use": serializers.BooleanField(),
    "default": serializers.BooleanField(),
}
EngineSchema = type("EngineSerializer", (serializers.Serializer,), _ENGINE_FIELDS)


class EngineListView(APIView):
    @extend_schema(
        responses={
            200: inline_serializer(
                "EngineList", {"data": EngineSchema(many=True), "total": serializers.IntegerField()}
            ),
            **error_responses(),
        },
        summary="The engines: availability here, languages, licence",
    )
    def get(self, request: Request) -> Response:
        rows = []
        for name in engine_names():
            engine = get_engine(name)
            trusted = name in settings.STUDIO_WORKER_ENGINES
            availability = engine.availability()
            rows.append(
                {
                    "name": name,
                    "label": engine.label,
                    "available": trusted or availability.available,
                    "reason": "" if trusted else availability.reason,
                    "languages": list(engine.languages),
                    "license": engine.license.name,
                    "commercial_use": engine.license.commercial_use,
                    "default": name == settings.STUDIO_DEFAULT_ENGINE,
                }
            )
        return Response({"data": rows, "total": len(rows)})
