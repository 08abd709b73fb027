"""``POST /v1/voices/clone``: every way the hosted APIs accept audio, one service behind them."""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import parsers, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import limits
from engines import ENGINE_PATHS
from errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from jobs.events import job_payload
from jobs.fairness import job_admit
from jobs.models import Job
from jobs.selectors import job_get
from jobs.waiting import waiting_view
from studio.aliases import canonical
from studio.api import CommaListField, LanguageField, StrictSerializer, absolute_url
from studio.parsers import JsonObjectParser
from studio.schema import error_responses
from voices import selectors
from voices.ingest import (
    IncomingSample,
    check_samples,
    clean_emotion,
    declared_type,
    sample_from_base64,
    sample_from_url,
    upload_content_type,
)
from voices.models import Voice
from voices.serializers import CloneResponseSerializer, VoiceSerializer
from voices.services.clone import CLONE_JOB, voice_clone_start
from voices.services.preview import voice_clone_from_preview
from voices.services.voice import EDITABLE_FIELDS

RAW_AUDIO_TYPES = ("audio/mpeg", "audio/mp3", "audio/wav", "audio/x-wav", "audio/wave", "audio/ogg",
                   "audio/opus", "audio/flac", "audio/x-flac", "audio/webm", "audio/l16", "audio/pcm",
                   "audio/x-pcm", "audio/raw", "audio/mp4", "audio/m4a", "audio/x-m4a", "audio/aac")  # fmt: skip


class RawAudioParser(parsers.BaseParser):
    """A raw audio body (``Content-Type: audio/...``): the bytes, with the size checked first."""

    media_type = "audio/*"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        request = parser_context["request"]
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.STUDIO_MAX_UPLOAD_BYTES:
            raise PayloadTooLarge(
                f"The audio is {length / 1e6:.1f} MB; the limit is {settings.STUDIO_MAX_UPLOAD_BYTES / 1e6:.0f} MB.",
                field="body",
            )
        return stream.read() if stream is not None else b""


class UploadJsonParser(JsonObjectParser):
    """JSON that may carry base64 audio: the upload limit instead of the JSON one."""

    @property
    def max_bytes(self) -> int:  # type: ignore[override]
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


UPLOAD_PARSERS = [UploadJsonParser, parsers.MultiPartParser, parsers.FormParser, RawAudioParser]


class SampleInputSerializer(StrictSerializer):
    aliases = "sample"

    audio_url = serializers.CharField(required=False, max_length=2000)
    audio_base64 = serializers.CharField(required=False)
    sample_rate = serializers.IntegerField(
        required=False, min_value=1000, max_value=384000, help_text="For raw PCM: its sample rate."
    )
    content_type = serializers.CharField(
        required=False, max_length=100, help_text="e.g. audio/pcm;rate=22050 or audio/L16;rate=16000."
    )
    transcript = serializers.CharField(required=False, allow_blank=True, max_length=limits.TEXT_MAX_CHARS)
    language = LanguageField(required=False, allow_blank=True)
    emotion = serializers.CharField(required=False, allow_blank=True)
    trim_start = serializers.FloatField(required=False, min_value=0)
    trim_end = serializers.FloatField(required=False, min_value=0)

    def validate(self, attrs: dict) -> dict:
        if bool(attrs.get("audio_url")) == bool(attrs.get("audio_base64")):
            raise serializers.ValidationError(
                {"audio_url": "Give each sample either audio_url or audio_base64."}
            )
        return attrs


class TrainingOptionsSerializer(StrictSerializer):
    """``training_options`` as one object (the same three switches as the top-level fields)."""

    enhance_quality = serializers.BooleanField(required=False)
    remove_noise = serializers.BooleanField(required=False)
    normalize_volume = serializers.BooleanField(required=False)


class CloneRequestSerializer(StrictSerializer):
    aliases = "voice"
    accepted_extra = ("file", "files")

    name = serializers.CharField(max_length=limits.NAME_MAX_CHARS, allow_blank=True)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=limits.DESCRIPTION_MAX_CHARS
    )
    language = LanguageField(required=False)
    languages = CommaListField(child=LanguageField(), required=False)
    dialects = CommaListField(
        child=serializers.CharField(max_length=limits.LIST_ITEM_MAX_CHARS), required=False
    )
    gender = serializers.CharField(required=False, allow_blank=True, max_length=20)
    age = serializers.CharField(required=False, allow_blank=True, max_length=20)
    avatar_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    visibility = serializers.CharField(required=False, default="PRIVATE")
    metadata = serializers.JSONField(required=False)
    stability = serializers.FloatField(
        required=False,
        min_value=limits.STABILITY.low,
        max_value=limits.STABILITY.high,
        help_text="The voice's default stability for speech (0 livelier .. 1 steadier).",
    )
    tier = serializers.ChoiceField(choices=Voice.Tier.choices, default=Voice.Tier.INSTANT)  # limits.TIERS
    engine = serializers.ChoiceField(choices=list(ENGINE_PATHS), required=False)
    enhance_quality = serializers.BooleanField(required=False, default=False)
    remove_noise = serializers.BooleanField(required=False, default=False)
    normalize_volume = serializers.BooleanField(required=False, default=True)
    training_options = TrainingOptionsSerializer(required=False)
    wait = serializers.BooleanField(required=False, default=False)
    preview_id = serializers.CharField(
        required=False, max_length=40, help_text="Save a preview (POST /v1/voices/preview) as this voice."
    )
    audio_url = serializers.CharField(required=False, max_length=2000)
    audio_base64 = serializers.CharField(required=False, help_text="One sample, base64 (JSON bodies).")
    sample_rate = serializers.IntegerField(
        required=False, min_value=1000, max_value=384000, help_text="For raw PCM audio: its sample rate."
    )
    content_type = serializers.CharField(required=False, max_length=100, help_text="For base64 audio.")
    samples = SampleInputSerializer(many=True, required=False)
    transcripts = serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=limits.TEXT_MAX_CHARS), required=False
    )
    emotions = CommaListField(child=serializers.CharField(allow_blank=True), required=False)
    trim_starts = CommaListField(child=serializers.FloatField(min_value=0), required=False)
    trim_ends = CommaListField(child=serializers.FloatField(min_value=0), required=False)

    def validate(self, attrs: dict) -> dict:
        options = attrs.pop("training_options", None) or {}
        attrs.update(options)  # the object form and the flat fields are the same three switches
        return attrs


def _file_samples(request: Request, body: dict) -> list[IncomingSample]:
    parts = canonical(request.FILES, "voice")  # "audio", "audio_file"... are "file" too
    files = parts.getlist("file") + parts.getlist("files")
    for list_field in ("transcripts", "emotions", "trim_starts", "trim_ends"):
        if len(body.get(list_field, [])) > len(files):
            raise InvalidInput(f"{list_field} has more entries than there are files.", field=list_field)
    samples = []
    for index, upload in enumerate(files):
        if upload.size > settings.STUDIO_MAX_UPLOAD_BYTES:
            raise PayloadTooLarge(
                f"{upload.name} is {upload.size / 1e6:.1f} MB; the limit is "
                f"{settings.STUDIO_MAX_UPLOAD_BYTES / 1e6:.0f} MB per file.",
                field="file",
            )
        samples.append(
            IncomingSample(
                data=upload.read(),
                content_type=declared_type(upload_content_type(upload), body.get("sample_rate")),
                original_name=upload.name,
                transcript=_nth(body.get("transcripts"), index, ""),
                emotion=clean_emotion(_nth(body.get("emotions"), index, None), field_name="emotions"),
                trim_start=_nth(body.get("trim_starts"), index, None),
                trim_end=_nth(body.get("trim_ends"), index, None),
            )
        )
    return samples


def _nth(values: list | None, index: int, default):
    return values[index] if values and index < len(values) else default


def _remote_samples(body: dict) -> list[IncomingSample]:
    samples = []
    if body.get("audio_url"):
        samples.append(sample_from_url(body["audio_url"], field_name="audio_url"))
    if body.get("audio_base64"):
        data = sample_from_base64(body["audio_base64"], field_name="audio_base64")
        content_type = declared_type(body.get("content_type"), body.get("sample_rate"))
        samples.append(IncomingSample(data=data, content_type=content_type, original_name="audio"))
    for index, item in enumerate(body.get("samples", [])):
        field_name = f"samples[{index}]"
        if item.get("audio_url"):
            sample = sample_from_url(item["audio_url"], field_name=f"{field_name}.audio_url")
        else:
            data = sample_from_base64(item["audio_base64"], field_name=f"{field_name}.audio_base64")
            content_type = declared_type(item.get("content_type"), item.get("sample_rate"))
            sample = IncomingSample(data=data, content_type=content_type, original_name=f"sample-{index + 1}")
        sample.transcript = item.get("transcript", "")
        sample.language = item.get("language", "")
        sample.emotion = clean_emotion(item.get("emotion"), field_name=f"{field_name}.emotion")
        sample.trim_start, sample.trim_end = item.get("trim_start"), item.get("trim_end")
        samples.append(sample)
    return samples


def _raw_request(
    request: Request, serializer_class: type[serializers.Serializer] | None = None
) -> tuple[dict, list[IncomingSample]]:
    content_type = request.content_type or ""
    if content_type.split(";")[0].strip().lower() not in RAW_AUDIO_TYPES:
        raise UnsupportedMediaType(
            f"Content-Type {content_type!r} is not accepted; send multipart/form-data, JSON, or a raw "
            f"audio body ({', '.join(RAW_AUDIO_TYPES)}).",
            field="Content-Type",
        )
    body = (serializer_class or CloneRequestSerializer)(data=request.query_params)
    body.is_valid(raise_exception=True)
    content_type = declared_type(content_type, body.validated_data.get("sample_rate"))
    return body.validated_data, [
        IncomingSample(data=request.data, content_type=content_type, original_name="body")
    ]


def voice_body(request: Request, voice: Voice, job: Job | None) -> dict:
    """A voice and the job working on it, as the clone endpoints answer."""
    return {
        **VoiceSerializer(voice, context={"request": request}).data,
        "job": job_payload(job) if job is not None else None,
    }


class VoiceCloneView(APIView):
    throttle_scope = "upload"  # studio.throttling.WorkThrottle
    parser_classes = UPLOAD_PARSERS

    @extend_schema(
        request={
            "multipart/form-data": CloneRequestSerializer,
            "application/json": CloneRequestSerializer,
            "audio/*": {"type": "string", "format": "binary"},
        },
        parameters=[
            OpenApiParameter(
                "wait",
                bool,
                description=(
                    "Block until the clone job ends: the voice AVAILABLE with its preview and similarity score, "
                    "or FAILED (with a timeout). Without it, poll the voice: it is AVAILABLE a few seconds "
                    "before its preview and score are there."
                ),
            ),
            OpenApiParameter(
                "sample_rate", int, description="Raw PCM bodies: the sample rate (or ;rate= in Content-Type)."
            ),
        ],
        responses={
            202: CloneResponseSerializer,
            200: CloneResponseSerializer,
            201: OpenApiResponse(CloneResponseSerializer, description="Saved from a preview."),
            **error_responses(400, 401, 404, 409, 413, 415),
        },
        summary="Clone a voice from audio (files, URLs, base64 samples, a raw body) or save a preview",
    )
    def post(self, request: Request) -> Response:
        if isinstance(request.data, bytes):
            fields, incoming = _raw_request(request)
        else:
            body = CloneRequestSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            fields = body.validated_data
            if fields.get("preview_id"):
                return self._save_preview(request, fields)
            incoming = _file_samples(request, fields)
            remote = fields.get("audio_url") or fields.get("samples") or fields.get("audio_base64")
            if incoming and remote:
                raise InvalidInput("Send either files or audio_url/samples, not both.", field="audio_url")
            if not incoming:
                incoming = _remote_samples(fields)
        tier = fields.get("tier", Voice.Tier.INSTANT)
        job_admit(owner=request.user, kind=CLONE_JOB, params={})  # before the costly decoding, not after
        checked = check_samples(incoming, tier=tier)
        wait = fields.pop("wait", False) or _query_true(request, "wait")
        voice, job = voice_clone_start(
            owner=request.user,
            checked_samples=checked,
            name=fields["name"],
            engine=fields.get("engine"),
            tier=tier,
            training_options=_training_options(fields),
            **_voice_fields(fields),
        )
        response = Response(
            voice_body(request, voice, job),
            status=HTTPStatus.ACCEPTED,
            headers={"Location": absolute_url(request, reverse("voice-detail", args=[voice.id]))},
        )
        if wait:
            response.wait_for_job = job.id
        return response

    def _save_preview(self, request: Request, fields: dict) -> Response:
        if request.FILES or fields.get("audio_url") or fields.get("samples") or fields.get("audio_base64"):
            raise InvalidInput(
                "A preview already has its audio: send preview_id without files.", field="preview_id"
            )
        preview = selectors.preview_get(request.user, fields["preview_id"])
        voice = voice_clone_from_preview(
            owner=request.user, preview=preview, name=fields["name"], **_voice_fields(fields)
        )
        return Response(
            voice_body(request, voice, None),
            status=HTTPStatus.CREATED,
            headers={"Location": absolute_url(request, reverse("voice-detail", args=[voice.id]))},
        )


def _query_true(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("1", "true", "yes")


def _training_options(fields: dict) -> dict:
    return {
        key: fields.get(key)
        for key in ("enhance_quality", "remove_noise", "normalize_volume")
        if key in fields
    }


def _voice_fields(fields: dict) -> dict:
    return {key: fields[key] for key in EDITABLE_FIELDS if key in fields and key != "name"}


class VoiceCloneResultView(APIView):
    """The answer of a waiting clone request, once its job is final (or the wait timed out)."""

    def post(self, request: Request, job_id: str) -> Response:
        job = job_get(request.user, job_id)
        voice = selectors.voice_get(request.user, job.voice_id)
        status = HTTPStatus.OK if job.is_final else HTTPStatus.ACCEPTED
        return Response(
            voice_body(request, voice, job),
            status=status,
            headers={"Location": absolute_url(request, reverse("voice-detail", args=[voice.id]))},
        )


voice_clone_view = waiting_view(
    VoiceCloneView.as_view(), VoiceCloneResultView.as_view(), timeout=lambda: settings.STUDIO_WAIT_TIMEOUT
)
