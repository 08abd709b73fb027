"""REST endpoints for voices. Thin: validate, call a selector or service, serialize."""

from __future__ import annotations

from http import HTTPStatus

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from errors import NotFound
from studio.api import paginated
from studio.files import file_response
from voices import selectors, services
from voices.serializers import VoiceListQuerySerializer, VoiceSerializer, VoiceUpdateSerializer


class VoiceListView(APIView):
    @extend_schema(parameters=[VoiceListQuerySerializer], responses=VoiceSerializer(many=True))
    def get(self, request: Request) -> Response:
        query = VoiceListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        voices = selectors.voices_visible_to(request.user).select_related("owner").prefetch_related("samples")
        for field in ("type", "visibility", "status"):
            if field in filters:
                voices = voices.filter(**{field: filters[field]})
        if "language" in filters:
            language = filters["language"]
            voices = voices.filter(language__iexact=language) | voices.filter(languages__icontains=language)
        if "search" in filters:
            voices = voices.filter(name__icontains=filters["search"])
        return paginated(voices, VoiceSerializer, filters)


class VoiceDetailView(APIView):
    @extend_schema(responses=VoiceSerializer)
    def get(self, request: Request, voice_id: str) -> Response:
        return Response(VoiceSerializer(selectors.voice_get(request.user, voice_id)).data)

    @extend_schema(request=VoiceUpdateSerializer, responses=VoiceSerializer)
    def patch(self, request: Request, voice_id: str) -> Response:
        voice = selectors.voice_get_owned(request.user, voice_id)
        body = VoiceUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        voice = services.voice_update(voice=voice, actor=request.user, **body.validated_data)
        return Response(VoiceSerializer(voice).data)

    @extend_schema(responses={204: OpenApiResponse(description="Deleted with all its files.")})
    def delete(self, request: Request, voice_id: str) -> Response:
        services.voice_delete(voice=selectors.voice_get_owned(request.user, voice_id), actor=request.user)
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
        sample = voice.samples.filter(pk=sample_id).first()
        if sample is None:
            raise NotFound(f"No sample {sample_id!r} in this voice.", field="sample_id")
        return file_response(sample.file)
