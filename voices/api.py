"""REST endpoints for voices. Thin: validate, call a selector or service, serialize."""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import limits
from jobs.events import job_payload
from jobs.selectors import job_get
from jobs.waiting import waiting_view
from studio.api import AudioOrJsonNegotiation, absolute_url, paginated, wants_audio
from studio.files import file_response
from studio.schema import error_responses
from voices import selectors
from voices.api_clone import (
    UPLOAD_PARSERS,
    CloneRequestSerializer,
    _file_samples,
    _raw_request,
    _remote_samples,
)
from voices.ingest import check_samples
from voices.serializers import (
    VoiceListQuerySerializer,
    VoicePageSerializer,
    VoicePreviewSerializer,
    VoiceSerializer,
    VoiceUpdateSerializer,
)
from voices.services.preview import voice_preview_start
from voices.services.voice import voice_delete, voice_update

DeletedSchema = inline_serializer(
    "Deleted",
    {
        "id": serializers.CharField(),
        "voice_id": serializers.CharField(),
        "deleted": serializers.BooleanField(),
    },
)


class VoiceListView(APIView):
    @extend_schema(
        parameters=[VoiceListQuerySerializer],
        responses={200: VoicePageSerializer, **error_responses(400)},
        operation_id="voices_list",
        summary="Voices you can use: yours, the built-in ones and others' public voices",
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
            voices.select_related("owner").prefetch_related("samples"), VoiceSerializer, filters, request
        )


class VoiceDetailView(APIView):
    @extend_schema(responses={200: VoiceSerializer, **error_responses(404)})
    def get(self, request: Request, voice_id: str) -> Response:
        voice = selectors.voice_get(request.user, voice_id)
        return Response(VoiceSerializer(voice, context={"request": request}).data)

    @extend_schema(
        request=VoiceUpdateSerializer, responses={200: VoiceSerializer, **error_responses(400, 403, 404)}
    )
    def patch(self, request: Request, voice_id: str) -> Response:
        voice = selectors.voice_get_owned(request.user, voice_id)
        body = VoiceUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        voice = voice_update(voice=voice, actor=request.user, **body.validated_data)
        return Response(VoiceSerializer(voice, context={"request": request}).data)

    @extend_schema(
        responses={
            200: OpenApiResponse(DeletedSchema, "Deleted with all its files."),
            **error_responses(403, 404),
        }
    )
    def delete(self, request: Request, voice_id: str) -> Response:
        voice = selectors.voice_get_owned(request.user, voice_id)
        voice_delete(voice=voice, actor=request.user)
        return Response({"id": voice_id, "voice_id": voice_id, "deleted": True})


@extend_schema(
    responses={
        (200, "audio/*"): OpenApiResponse(response=OpenApiTypes.BINARY, description="The preview clip."),
        **error_responses(404),
    }
)
class VoicePreviewView(APIView):
    def get(self, request: Request, voice_id: str):
        voice = selectors.voice_get(request.user, voice_id)
        return file_response(voice.preview)


@extend_schema(
    responses={
        (200, "audio/*"): OpenApiResponse(
            response=OpenApiTypes.BINARY, description="The sample as uploaded."
        ),
        **error_responses(403, 404),
    }
)
class VoiceSampleAudioView(APIView):
    def get(self, request: Request, voice_id: str, sample_id: str):
        voice = selectors.voice_get_owned(request.user, voice_id)
        return file_response(selectors.voice_sample_get(voice, sample_id).file)


# --- Preview, then save --------------------------------------------------------------------------------


class PreviewRequestSerializer(CloneRequestSerializer):
    """The clone request's audio fields, plus what to say; ``name`` and the voice's metadata come
    when the preview is saved (``POST /v1/voices/clone`` with ``preview_id``)."""

    text = serializers.CharField(max_length=limits.PREVIEW_TEXT_MAX_CHARS, help_text="What the preview says.")
    stability = serializers.FloatField(
        min_value=limits.STABILITY.low, max_value=limits.STABILITY.high, default=limits.DEFAULT_STABILITY
    )
    name = None
    description = None
    visibility = None
    metadata = None
    avatar_url = None
    gender = None
    age = None
    languages = None
    dialects = None
    preview_id = None


class VoicePreviewCreateView(APIView):
    throttle_scope = "upload"  # studio.throttling.WorkThrottle
    parser_classes = UPLOAD_PARSERS
    content_negotiation_class = AudioOrJsonNegotiation

    @extend_schema(
        request={
            "multipart/form-data": PreviewRequestSerializer,
            "application/json": PreviewRequestSerializer,
            "audio/*": {"type": "string", "format": "binary"},
        },
        responses={
            200: VoicePreviewSerializer,
            (200, "audio/*"): OpenApiResponse(OpenApiTypes.BINARY, "The preview clip, with Accept: audio/*."),
            202: OpenApiResponse(VoicePreviewSerializer, "Still being made after the wait timeout."),
            **error_responses(400, 413, 415),
        },
        summary="Hear a voice before keeping it: a preview clip and a preview_id, no voice created",
    )
    def post(self, request: Request) -> Response:
        if isinstance(request.data, bytes):
            fields, incoming = _raw_request(request, PreviewRequestSerializer)
        else:
            body = PreviewRequestSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            fields = body.validated_data
            incoming = _file_samples(request, fields) or _remote_samples(fields)
        tier = fields.get("tier", "instant")
        preview, job = voice_preview_start(
            owner=request.user,
            checked_samples=check_samples(incoming, tier=tier),
            text=fields["text"],
            stability=fields["stability"],
            language=fields.get("language") or "en",
            engine=fields.get("engine"),
            tier=tier,
            training_options={
                key: fields[key]
                for key in ("enhance_quality", "remove_noise", "normalize_volume")
                if key in fields
            },
        )
        response = Response(
            {**VoicePreviewSerializer(preview, context={"request": request}).data, "job": job_payload(job)},
            status=HTTPStatus.ACCEPTED,
            headers={"Location": absolute_url(request, reverse("voice-preview-detail", args=[preview.id]))},
        )
        response.wait_for_job = job.id
        return response


class VoicePreviewResultView(APIView):
    content_negotiation_class = AudioOrJsonNegotiation

    def post(self, request: Request, job_id: str) -> Response:
        job = job_get(request.user, job_id)
        preview = selectors.preview_get(request.user, job.params["preview_id"])
        if job.is_final and preview.audio and wants_audio(request):
            response = file_response(preview.audio)
            response["X-Preview-Id"] = preview.id
            return response
        body = {**VoicePreviewSerializer(preview, context={"request": request}).data, "job": job_payload(job)}
        location = absolute_url(request, reverse("voice-preview-detail", args=[preview.id]))
        status = HTTPStatus.OK if job.is_final else HTTPStatus.ACCEPTED
        return Response(body, status=status, headers={"Location": location})


voice_preview_create_view = waiting_view(
    VoicePreviewCreateView.as_view(),
    VoicePreviewResultView.as_view(),
    timeout=lambda: settings.STUDIO_WAIT_TIMEOUT,
)


class VoicePreviewDetailView(APIView):
    @extend_schema(responses={200: VoicePreviewSerializer, **error_responses(404)}, summary="A preview")
    def get(self, request: Request, preview_id: str) -> Response:
        preview = selectors.preview_get(request.user, preview_id)
        return Response(VoicePreviewSerializer(preview, context={"request": request}).data)


@extend_schema(
    responses={
        (200, "audio/*"): OpenApiResponse(response=OpenApiTypes.BINARY, description="The preview clip."),
        **error_responses(404),
    }
)
class VoicePreviewAudioView(APIView):
    def get(self, request: Request, preview_id: str):
        return file_response(selectors.preview_get(request.user, preview_id).audio)
