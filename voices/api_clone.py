"""``POST /v1/voices/clone``: every way the hosted APIs accept audio, one service behind them."""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import parsers, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import limits
from engines import ENGINE_PATHS
from errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from jobs.events import job_payload
from jobs.fairness import job_admit
from jobs.selectors import job_get
from jobs.waiting import waiting_view
from studio.parsers import JsonObjectParser
from voices import selectors
from voices.ingest import (
    IncomingSample,
    check_samples,
    clean_emotion,
    sample_from_base64,
    sample_from_url,
)
from voices.models import Voice
from voices.serializers import VoiceSerializer
from voices.services.clone import CLONE_JOB, voice_clone_start
from voices.services.voice import EDITABLE_FIELDS

RAW_AUDIO_TYPES = ("audio/mpeg", "audio/mp3", "audio/wav", "audio/x-wav", "audio/wave", "audio/ogg",
                   "audio/flac", "audio/x-flac", "audio/webm", "audio/l16", "audio/pcm", "audio/mp4")  # fmt: skip


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


class SampleInputSerializer(serializers.Serializer):
    audio_url = serializers.CharField(required=False, max_length=2000)
    audio_base64 = serializers.CharField(required=False)
    transcript = serializers.CharField(required=False, allow_blank=True, max_length=limits.TEXT_MAX_CHARS)
    language = serializers.CharField(required=False, allow_blank=True, max_length=16)
    emotion = serializers.CharField(required=False, allow_blank=True)
    trim_start = serializers.FloatField(required=False, min_value=0)
    trim_end = serializers.FloatField(required=False, min_value=0)

    def validate(self, attrs: dict) -> dict:
        if bool(attrs.get("audio_url")) == bool(attrs.get("audio_base64")):
            raise serializers.ValidationError(
                {"audio_url": "Give each sample either audio_url or audio_base64."}
            )
        return attrs


class CloneRequestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=limits.NAME_MAX_CHARS, allow_blank=True)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=limits.DESCRIPTION_MAX_CHARS
    )
    language = serializers.CharField(required=False, default="en", max_length=16)
    languages = serializers.ListField(
        child=serializers.CharField(max_length=limits.LIST_ITEM_MAX_CHARS), required=False
    )
    dialects = serializers.ListField(
        child=serializers.CharField(max_length=limits.LIST_ITEM_MAX_CHARS), required=False
    )
    gender = serializers.CharField(required=False, allow_blank=True, max_length=20)
    age = serializers.CharField(required=False, allow_blank=True, max_length=20)
    avatar_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    visibility = serializers.CharField(required=False, default="PRIVATE")
    tier = serializers.ChoiceField(choices=limits.TIERS, default=Voice.Tier.INSTANT)
    engine = serializers.ChoiceField(choices=list(ENGINE_PATHS), required=False)
    enhance_quality = serializers.BooleanField(required=False, default=False)
    remove_noise = serializers.BooleanField(required=False, default=False)
    normalize_volume = serializers.BooleanField(required=False, default=True)
    wait = serializers.BooleanField(required=False, default=False)
    audio_url = serializers.CharField(required=False, max_length=2000)
    samples = SampleInputSerializer(many=True, required=False)
    transcripts = serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=limits.TEXT_MAX_CHARS), required=False
    )
    emotions = serializers.ListField(child=serializers.CharField(allow_blank=True), required=False)
    trim_starts = serializers.ListField(child=serializers.FloatField(min_value=0), required=False)
    trim_ends = serializers.ListField(child=serializers.FloatField(min_value=0), required=False)


def _file_samples(request: Request, body: dict) -> list[IncomingSample]:
    files = request.FILES.getlist("file") + request.FILES.getlist("files")
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
                content_type=upload.content_type,
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
    for index, item in enumerate(body.get("samples", [])):
        field_name = f"samples[{index}]"
        if item.get("audio_url"):
            sample = sample_from_url(item["audio_url"], field_name=f"{field_name}.audio_url")
        else:
            data = sample_from_base64(item["audio_base64"], field_name=f"{field_name}.audio_base64")
            sample = IncomingSample(data=data, original_name=f"sample-{index + 1}")
        sample.transcript = item.get("transcript", "")
        sample.language = item.get("language", "")
        sample.emotion = clean_emotion(item.get("emotion"), field_name=f"{field_name}.emotion")
        sample.trim_start, sample.trim_end = item.get("trim_start"), item.get("trim_end")
        samples.append(sample)
    return samples


def _raw_request(request: Request) -> tuple[dict, list[IncomingSample]]:
    content_type = request.content_type or ""
    if content_type.split(";")[0].strip().lower() not in RAW_AUDIO_TYPES:
        raise UnsupportedMediaType(
            f"Content-Type {content_type!r} is not accepted; send multipart/form-data, JSON, or a raw "
            f"audio body ({', '.join(RAW_AUDIO_TYPES)}).",
            field="Content-Type",
        )
    body = CloneRequestSerializer(data=request.query_params)
    body.is_valid(raise_exception=True)
    return body.validated_data, [
        IncomingSample(data=request.data, content_type=content_type, original_name="body")
    ]


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
            OpenApiParameter("wait", bool, description="Block until AVAILABLE or FAILED (with a timeout).")
        ],
        responses={202: VoiceSerializer, 200: VoiceSerializer},
        summary="Clone a voice from audio (files, URLs, base64 samples or a raw body)",
    )
    def post(self, request: Request) -> Response:
        if isinstance(request.data, bytes):
            fields, incoming = _raw_request(request)
        else:
            body = CloneRequestSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            fields = body.validated_data
            incoming = _file_samples(request, fields)
            remote = fields.get("audio_url") or fields.get("samples")
            if incoming and remote:
                raise InvalidInput("Send either files or audio_url/samples, not both.", field="audio_url")
            if not incoming:
                incoming = _remote_samples(fields)
        tier = fields.get("tier", Voice.Tier.INSTANT)
        job_admit(owner=request.user, kind=CLONE_JOB, params={})  # before the costly decoding, not after
        checked = check_samples(incoming, tier=tier)
        wait = fields.pop("wait", False) or request.query_params.get("wait", "").lower() in (
            "1",
            "true",
            "yes",
        )
        voice, job = voice_clone_start(
            owner=request.user,
            checked_samples=checked,
            name=fields["name"],
            engine=fields.get("engine"),
            tier=tier,
            training_options={
                key: fields.get(key)
                for key in ("enhance_quality", "remove_noise", "normalize_volume")
                if key in fields
            },
            **{
                key: fields[key]
                for key in EDITABLE_FIELDS
                if key in fields and key not in ("name", "metadata")
            },
        )
        response = Response(
            {**VoiceSerializer(voice, context={"viewer": request.user}).data, "job": job_payload(job)},
            status=HTTPStatus.ACCEPTED,
            headers={"Location": f"/v1/voices/{voice.id}"},
        )
        if wait:
            response.wait_for_job = job.id
        return response


class VoiceCloneResultView(APIView):
    """The answer of a waiting clone request, once its job is final (or the wait timed out)."""

    def post(self, request: Request, job_id: str) -> Response:
        job = job_get(request.user, job_id)
        voice = selectors.voice_get(request.user, job.voice_id)
        status = HTTPStatus.OK if job.is_final else HTTPStatus.ACCEPTED
        return Response(
            {**VoiceSerializer(voice, context={"viewer": request.user}).data, "job": job_payload(job)},
            status=status,
            headers={"Location": f"/v1/voices/{voice.id}"},
        )


voice_clone_view = waiting_view(
    VoiceCloneView.as_view(), VoiceCloneResultView.as_view(), timeout=lambda: settings.STUDIO_WAIT_TIMEOUT
)
