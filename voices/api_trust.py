"""Consent, retention, audit and watermark endpoints."""

from __future__ import annotations

from http import HTTPStatus

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import limits
from errors import Conflict, InvalidInput
from jobs.events import job_payload
from studio.api import PageQuerySerializer, page_serializer, paginated
from studio.schema import error_responses
from voices import selectors
from voices.api_clone import UPLOAD_PARSERS
from voices.ingest import check_size, sample_from_url
from voices.models import Voice, VoiceConsent
from voices.serializers import VoiceSerializer
from voices.services import consent as consent_services
from voices.services.moderation import voice_renew

ConsentSchema = inline_serializer(
    "Consent",
    {
        "voice_id": serializers.CharField(),
        "verification": serializers.ChoiceField(choices=Voice.Verification.choices),
        "license": serializers.ChoiceField(choices=Voice.License.choices),
        "consent_id": serializers.CharField(allow_null=True),
        "phrase": serializers.CharField(allow_null=True),
        "speaker_name": serializers.CharField(allow_null=True),
        "requested_license": serializers.CharField(allow_null=True),
        "last_check": serializers.JSONField(allow_null=True),
    },
)
REASON_MAX_CHARS = 500


class VoiceEventSerializer(serializers.Serializer):
    action = serializers.CharField()
    # "from"/"to" are Python keywords: the fields are renamed in to_representation.
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    reason = serializers.CharField()
    actor = serializers.SerializerMethodField()
    at = serializers.DateTimeField(source="created_at")

    def get_actor(self, event) -> str | None:  # noqa: ANN001 (a VoiceEvent)
        return event.actor.get_username() if event.actor else None

    def to_representation(self, event) -> dict:  # noqa: ANN001
        body = super().to_representation(event)
        body["from"], body["to"] = body.pop("from_state"), body.pop("to_state")
        return body


EventsPageSerializer = page_serializer(VoiceEventSerializer, "VoiceEventPage")


def consent_body(voice: Voice, consent: VoiceConsent | None) -> dict:
    checked = voice.consents.exclude(status=VoiceConsent.Status.AWAITING_RECORDING).first()
    return {
        "voice_id": voice.id,
        "verification": voice.verification,
        "license": voice.license,
        "consent_id": consent.id if consent else None,
        "phrase": consent.phrase if consent else None,
        "speaker_name": consent.speaker_name if consent else None,
        "requested_license": consent.license if consent else None,
        "last_check": {
            "consent_id": checked.id,
            "status": checked.status,
            "reason": checked.reason,
            "evidence": checked.evidence,
            "checked_at": checked.checked_at,
        }
        if checked
        else None,
    }


def _uploaded_audio(request: Request) -> tuple[bytes, str | None]:
    if isinstance(request.data, bytes):
        return request.data, request.content_type
    upload = request.FILES.get("file")
    if upload is not None:
        data = upload.read()
        check_size(data, label=upload.name, field_name="file")
        return data, upload.content_type
    audio_url = request.data.get("audio_url")
    if audio_url:
        if not isinstance(audio_url, str):
            raise InvalidInput("audio_url must be a string (an http or https URL).", field="audio_url")
        fetched = sample_from_url(audio_url, field_name="audio_url")
        return fetched.data, fetched.content_type
    raise InvalidInput("Send the recording as a file, an audio_url, or a raw audio body.", field="file")


class VoiceConsentView(APIView):
    throttle_scope = "upload"  # studio.throttling.WorkThrottle
    parser_classes = UPLOAD_PARSERS

    @extend_schema(
        parameters=[
            OpenApiParameter("speaker_name", str, description="Whose voice it is (default: your name)."),
            OpenApiParameter("license", str, enum=["personal", "commercial"]),
        ],
        responses={200: ConsentSchema, **error_responses(400, 403, 404)},
        summary="The consent phrase the speaker must record (with a fresh one-time code)",
    )
    def get(self, request: Request, voice_id: str) -> Response:
        voice = selectors.voice_get_owned(request.user, voice_id)
        consent = consent_services.consent_request(
            voice=voice,
            speaker_name=request.query_params.get("speaker_name"),
            license=request.query_params.get("license"),
        )
        return Response(consent_body(voice, consent))

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer("ConsentUpload", {"file": serializers.FileField()})
        },
        responses={
            202: inline_serializer("ConsentJob", {"job": serializers.JSONField()}),
            **error_responses(400, 403, 404, 409, 413, 415),
        },
        summary="Upload the recording of the consent phrase; the worker verifies words and voice",
    )
    def post(self, request: Request, voice_id: str) -> Response:
        voice = selectors.voice_get_owned(request.user, voice_id)
        consent = selectors.voice_consent_waiting(voice)
        if consent is None:
            raise Conflict(
                "Ask for the consent phrase first (GET this URL), then record it.", field="consent_id"
            )
        data, content_type = _uploaded_audio(request)
        job = consent_services.consent_submit(
            voice=voice, consent=consent, data=data, content_type=content_type, owner=request.user
        )
        return Response(
            {**consent_body(voice, None), "consent_id": consent.id, "job": job_payload(job)},
            status=HTTPStatus.ACCEPTED,
            headers={"Location": f"/v1/jobs/{job.id}"},
        )

    @extend_schema(
        responses={200: VoiceSerializer, **error_responses(403, 404)},
        summary="Revoke consent: the voice stops speaking at once",
    )
    def delete(self, request: Request, voice_id: str) -> Response:
        voice = selectors.voice_get_owned(request.user, voice_id)
        reason = request.data.get("reason") or ""
        if not isinstance(reason, str) or len(reason) > REASON_MAX_CHARS:
            raise InvalidInput(
                f"reason must be text of at most {REASON_MAX_CHARS} characters.", field="reason"
            )
        voice = consent_services.consent_revoke(voice=voice, actor=request.user, reason=reason)
        return Response(VoiceSerializer(voice, context={"request": request}).data)


class VoiceRenewView(APIView):
    @extend_schema(
        request=None,
        responses={200: VoiceSerializer, **error_responses(403, 404, 409)},
        summary="Keep the voice for another retention period",
    )
    def post(self, request: Request, voice_id: str) -> Response:
        voice = voice_renew(voice=selectors.voice_get_owned(request.user, voice_id), actor=request.user)
        return Response(VoiceSerializer(voice, context={"request": request}).data)


class VoiceEventsView(APIView):
    @extend_schema(
        parameters=[PageQuerySerializer],
        responses={200: EventsPageSerializer, **error_responses(400, 403, 404)},
        operation_id="voices_events_list",
        summary="The voice's audit log, newest first",
    )
    def get(self, request: Request, voice_id: str) -> Response:
        voice = selectors.voice_get_owned(request.user, voice_id)
        page = PageQuerySerializer(data=request.query_params)
        page.is_valid(raise_exception=True)
        response = paginated(
            selectors.voice_events(voice.id), VoiceEventSerializer, page.validated_data, request
        )
        response.data = {"voice_id": voice.id, **response.data}
        return response


class WatermarkDetectView(APIView):
    throttle_scope = "upload"  # studio.throttling.WorkThrottle
    parser_classes = UPLOAD_PARSERS

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer("WatermarkUpload", {"file": serializers.FileField()})
        },
        responses=inline_serializer(
            "WatermarkResult",
            {"watermarked": serializers.BooleanField(), "confidence": serializers.FloatField()},
        ),
        summary="Was this audio made by the studio? (file, audio_url or raw body)",
    )
    def post(self, request: Request) -> Response:
        from audio import watermark
        from audio.codec import decode

        data, content_type = _uploaded_audio(request)
        decoded = decode(
            data,
            content_type=content_type,
            target_rate=watermark.DETECTION_RATE,
            max_seconds=limits.WATERMARK_DETECT_MAX_SECONDS,
        )
        result = watermark.detect(decoded.samples, decoded.sample_rate)
        return Response({"watermarked": result.watermarked, "confidence": round(float(result.confidence), 4)})
