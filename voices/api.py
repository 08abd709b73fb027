"""REST endpoints for voices. Thin: validate, call a selector or service, serialize."""

from __future__ import annotations

from http import HTTPStatus

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studio.api import page_schema, paginated
from studio.files import file_response
from voices import selectors
from voices.serializers import VoiceListQuerySerializer, VoiceSerializer, VoiceUpdateSerializer
from voices.services.voice import voice_delete, voice_update


class VoiceListView(APIView):
    @extend_schema(
        operation_id="voices_list",
        parameters=[VoiceListQuerySerializer],
        responses=page_schema(VoiceSerializer, "VoicePage"),
    )
    def get(self, request: Request) -> Response:
        query = VoiceListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        voices = selectors.voices_filtered(
            request.user,
            **{
                key: filters[key]
                for key in ("owner", "type", "language", "status", "visibility", "search")
                if key in filters
            },
        )
        return paginated(
            voices.select_related("owner").prefetch_related("samples"),
            VoiceSerializer,
            filters,
            context={"viewer": request.user},
        )


class VoiceDetailView(APIView):
    @extend_schema(responses=VoiceSerializer)
    def get(self, request: Request, voice_id: str) -> Response:
        voice = selectors.voice_get(request.user, voice_id)
        return Response(VoiceSerializer(voice, context={"viewer": request.user}).data)

    @extend_schema(request=VoiceUpdateSerializer, responses=VoiceSerializer)
    def patch(self, request: Request, voice_id: str) -> Response:
        voice = selectors.voice_get_owned(request.user, voice_id)
        body = VoiceUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        voice = voice_update(voice=voice, actor=request.user, **body.validated_data)
        return Response(VoiceSerializer(voice, context={"viewer": request.user}).data)

    @extend_schema(responses={204: OpenApiResponse(description="Deleted with all its files.")})
    def delete(self, request: Request, voice_id: str) -> Response:
        voice_delete(voice=selectors.voice_get_owned(request.user, voice_id), actor=request.user)
        return Response(status=HTTPStatus.NO_CONTENT)


@extend_schema(
    responses={
        (200, "audio/*"): OpenApiResponse(response=OpenApiTypes.BINARY, description="The preview clip.")
    }
)
class VoicePreviewView(APIView):
    def get(self, request: Request, voice_id: str):
        voice = selectors.voice_get(request.user, voice_id)
        return file_response(voice.preview)


@extend_schema(
    responses={
        (200, "audio/*"): OpenApiResponse(response=OpenApiTypes.BINARY, description="The sample as uploaded.")
    }
)
class VoiceSampleAudioView(APIView):
    def get(self, request: Request, voice_id: str, sample_id: str):
        voice = selectors.voice_get_owned(request.user, voice_id)
        return file_response(selectors.voice_sample_get(voice, sample_id).file)
