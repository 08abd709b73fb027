"""Speech endpoints: generate (waits for the job), batch, history, and the OpenAI-compatible route."""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import limits
from errors import InvalidInput
from jobs.events import job_payload
from jobs.models import Job
from jobs.selectors import job_get
from jobs.waiting import waiting_view
from studio.api import AudioOrJsonNegotiation, PageQuerySerializer, page_schema, paginated
from studio.files import file_response
from synthesis import selectors, services
from synthesis.models import Speech
from voices.selectors import voice_find, voice_get


class SpeechSerializer(serializers.ModelSerializer):
    audio_url = serializers.SerializerMethodField()
    voice_id = serializers.CharField(allow_null=True)
    batch_id = serializers.SerializerMethodField()

    class Meta:
        model = Speech
        fields = [
            "id", "voice_id", "text", "filename", "audio_url", "duration", "format", "sample_rate", "language",
            "emotion", "speed", "pitch", "stability", "similarity_boost", "engine", "batch_id", "created_at",
        ]  # fmt: skip

    def get_audio_url(self, speech: Speech) -> str:
        return reverse("speech-audio", args=[speech.id])

    def get_batch_id(self, speech: Speech) -> str | None:
        return speech.job_id if speech.filename else None


class SpeechListQuerySerializer(PageQuerySerializer):
    voice_id = serializers.CharField(required=False, max_length=40)


class SpeechParamsSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=limits.TEXT_MAX_CHARS, trim_whitespace=True)
    language = serializers.CharField(required=False, allow_blank=True, max_length=16, default="")
    emotion = serializers.ChoiceField(choices=limits.EMOTIONS, default="neutral")
    speed = serializers.FloatField(min_value=limits.SPEED.low, max_value=limits.SPEED.high, default=1.0)
    pitch = serializers.FloatField(min_value=limits.PITCH.low, max_value=limits.PITCH.high, default=0.0)
    stability = serializers.FloatField(
        min_value=limits.STABILITY.low,
        max_value=limits.STABILITY.high,
        default=limits.DEFAULT_STABILITY,
        help_text="Steadier delivery (1) or livelier (0).",
    )
    similarity_boost = serializers.FloatField(
        min_value=limits.SIMILARITY_BOOST.low,
        max_value=limits.SIMILARITY_BOOST.high,
        default=limits.DEFAULT_SIMILARITY_BOOST,
        help_text=(
            "How closely the speech follows the cloned voice's own sound: 1 most alike, lower values "
            "clearer words (offline engine; XTTS ignores it)."
        ),
    )
    output_format = serializers.ChoiceField(
        choices=limits.OUTPUT_FORMATS, default=limits.DEFAULT_OUTPUT_FORMAT
    )
    sample_rate = serializers.ChoiceField(choices=limits.OUTPUT_RATES, default=limits.DEFAULT_OUTPUT_RATE)


class SpeechRequestSerializer(SpeechParamsSerializer):
    voice_id = serializers.CharField(max_length=40)


class BatchItemSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=limits.TEXT_MAX_CHARS)
    filename = serializers.CharField(
        required=False, allow_blank=True, max_length=limits.BATCH_FILENAME_MAX_CHARS, default=""
    )


class BatchRequestSerializer(SpeechParamsSerializer):
    voice_id = serializers.CharField(max_length=40)
    text = None
    texts = BatchItemSerializer(many=True, allow_empty=False, max_length=limits.BATCH_MAX_TEXTS)


def _params(data: dict, **overrides) -> services.SpeechParams:
    fields = {key: data[key] for key in services.SpeechParams.__dataclass_fields__ if key in data}
    return services.SpeechParams(**{**fields, **overrides})


def _wants_audio(request: Request) -> bool:
    accept = request.META.get("HTTP_ACCEPT", "")
    return any(part.strip().startswith("audio/") for part in accept.split(","))


class SpeechCreateView(APIView):
    throttle_scope = "speech"  # studio.throttling.WorkThrottle
    content_negotiation_class = AudioOrJsonNegotiation

    @extend_schema(
        request=SpeechRequestSerializer,
        responses={
            200: SpeechSerializer,
            (200, "audio/*"): OpenApiResponse(
                response=OpenApiTypes.BINARY,
                description="The audio itself, when the request says Accept: audio/*.",
            ),
            202: OpenApiResponse(description="Still rendering after the wait timeout: the job to poll."),
        },
        summary="Generate speech (answers with the stored generation, or the audio with Accept: audio/*)",
    )
    def post(self, request: Request) -> Response:
        body = SpeechRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        voice = voice_get(request.user, body.validated_data["voice_id"])
        job = services.speech_request(owner=request.user, voice=voice, params=_params(body.validated_data))
        response = Response(
            job_payload(job), status=HTTPStatus.ACCEPTED, headers={"Location": f"/v1/jobs/{job.id}"}
        )
        response.wait_for_job = job.id
        return response

    @extend_schema(
        parameters=[SpeechListQuerySerializer],
        operation_id="speech_list",
        responses=page_schema(SpeechSerializer, "SpeechPage"),
        summary="Your past generations, newest first",
    )
    def get(self, request: Request) -> Response:
        query = SpeechListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        speeches = selectors.speeches_of(request.user, voice_id=query.validated_data.get("voice_id"))
        return paginated(speeches, SpeechSerializer, query.validated_data)


class SpeechResultView(APIView):
    content_negotiation_class = AudioOrJsonNegotiation
    always_audio = False

    def post(self, request: Request, job_id: str) -> Response | HttpResponse:
        job = job_get(request.user, job_id)
        if not job.is_final:
            return Response(
                job_payload(job), status=HTTPStatus.ACCEPTED, headers={"Location": f"/v1/jobs/{job.id}"}
            )
        if job.status == Job.Status.FAILED:
            raise InvalidInput(
                f"Speech generation failed: {job.error}", field="text", code="generation_failed"
            )
        speech = selectors.speech_get(request.user, job.result["speech_id"])
        if self.always_audio or _wants_audio(request):
            with speech.file.open("rb") as handle:
                data = handle.read()
            from audio.codec import content_type_for

            response = HttpResponse(data, content_type=content_type_for(speech.format))
            response["Content-Disposition"] = f'attachment; filename="{speech.id}.{speech.format}"'
            response["X-Speech-Id"] = speech.id
            return response
        return Response(SpeechSerializer(speech).data, status=HTTPStatus.OK)


speech_view = waiting_view(
    SpeechCreateView.as_view(), SpeechResultView.as_view(), timeout=lambda: settings.STUDIO_WAIT_TIMEOUT
)


class SpeechDetailView(APIView):
    @extend_schema(responses=SpeechSerializer)
    def get(self, request: Request, speech_id: str) -> Response:
        return Response(SpeechSerializer(selectors.speech_get(request.user, speech_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, speech_id: str) -> Response:
        services.speech_delete(speech=selectors.speech_get(request.user, speech_id))
        return Response(status=HTTPStatus.NO_CONTENT)


@extend_schema(
    responses={
        (200, "audio/*"): OpenApiResponse(response=OpenApiTypes.BINARY, description="The generated audio.")
    }
)
class SpeechAudioView(APIView):
    def get(self, request: Request, speech_id: str):
        speech = selectors.speech_get(request.user, speech_id)
        download = request.query_params.get("download") in ("1", "true")
        name = f"{speech.filename or speech.id}.{speech.format}"
        return file_response(speech.file, download_name=name, as_attachment=download)


class BatchCreateView(APIView):
    throttle_scope = "speech"  # studio.throttling.WorkThrottle

    @extend_schema(
        request=BatchRequestSerializer,
        responses={202: OpenApiResponse(description="The batch job.")},
        summary="Generate several texts in one job",
    )
    def post(self, request: Request) -> Response:
        body = BatchRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        voice = voice_get(request.user, data["voice_id"])
        items = [
            _params(data, text=item["text"], filename=item.get("filename", "")) for item in data["texts"]
        ]
        job = services.speech_batch_request(owner=request.user, voice=voice, items=items)
        return Response(
            _batch_body(job), status=HTTPStatus.ACCEPTED, headers={"Location": f"/v1/speech/batch/{job.id}"}
        )


def _batch_body(job: Job) -> dict:
    files = SpeechSerializer(selectors.speeches_of_job(job), many=True).data
    return {
        "batch_id": job.id,
        "job": job_payload(job),
        "count": len(job.params.get("items", [])),
        "files": files,
    }


class BatchDetailView(APIView):
    @extend_schema(responses={200: OpenApiResponse(description="The batch job and the files made so far.")})
    def get(self, request: Request, batch_id: str) -> Response:
        return Response(_batch_body(selectors.batch_get(request.user, batch_id)))


# --- OpenAI-compatible: POST /v1/audio/speech -----------------------------------------------------

OPENAI_FORMATS = {"mp3": "mp3", "wav": "wav", "flac": "flac", "opus": "ogg", "aac": None, "pcm": None}


class OpenAISpeechSerializer(serializers.Serializer):
    model = serializers.CharField(required=False, allow_blank=True)
    input = serializers.CharField(max_length=limits.TEXT_MAX_CHARS)
    voice = serializers.CharField(max_length=100)
    response_format = serializers.ChoiceField(choices=list(OPENAI_FORMATS), default="mp3")
    speed = serializers.FloatField(min_value=limits.SPEED.low, max_value=limits.SPEED.high, default=1.0)
    instructions = serializers.CharField(required=False, allow_blank=True)


class OpenAISpeechView(APIView):
    throttle_scope = "speech"  # studio.throttling.WorkThrottle
    content_negotiation_class = AudioOrJsonNegotiation
    """Existing OpenAI clients can speak with studio voices: ``voice`` is a studio voice id or name."""

    @extend_schema(
        request=OpenAISpeechSerializer,
        responses={(200, "audio/*"): OpenApiResponse(response=OpenApiTypes.BINARY, description="Audio.")},
    )
    def post(self, request: Request) -> Response:
        body = OpenAISpeechSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        fmt = OPENAI_FORMATS[data["response_format"]]
        if fmt is None:
            raise InvalidInput(
                "response_format must be mp3, wav, flac or opus here.", field="response_format"
            )
        voice = voice_find(request.user, data["voice"])
        params = services.SpeechParams(
            text=data["input"], speed=data["speed"], output_format=fmt, sample_rate=44100
        )
        job = services.speech_request(owner=request.user, voice=voice, params=params)
        response = Response(job_payload(job), status=HTTPStatus.ACCEPTED)
        response.wait_for_job = job.id
        return response


class OpenAISpeechResultView(SpeechResultView):
    always_audio = True  # OpenAI clients expect the audio bytes whatever they send as Accept


openai_speech_view = waiting_view(
    OpenAISpeechView.as_view(), OpenAISpeechResultView.as_view(), timeout=lambda: settings.STUDIO_WAIT_TIMEOUT
)
