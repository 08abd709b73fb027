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

from engines.base import DEFAULT_SIMILARITY_BOOST, EMOTIONS
from errors import InvalidInput, NotFound
from studio.api import PageQuerySerializer, paginated
from studio.files import file_response
from studio.waiting import AudioOrJsonNegotiation, waiting_view
from synthesis import speech as services
from synthesis.jobs import job_payload
from synthesis.models import Job, Speech
from synthesis.output import OUTPUT_FORMATS, OUTPUT_RATES
from voices.models import Voice
from voices.selectors import voice_get


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
    text = serializers.CharField(max_length=services.MAX_TEXT_CHARS, trim_whitespace=True)
    language = serializers.CharField(required=False, allow_blank=True, max_length=16, default="")
    emotion = serializers.ChoiceField(choices=EMOTIONS, default="neutral")
    speed = serializers.FloatField(min_value=0.5, max_value=2.0, default=1.0)
    pitch = serializers.FloatField(min_value=-12, max_value=12, default=0.0)
    stability = serializers.FloatField(
        min_value=0, max_value=1, default=0.5, help_text="Steadier delivery (1) or livelier (0)."
    )
    similarity_boost = serializers.FloatField(
        min_value=0,
        max_value=1,
        default=DEFAULT_SIMILARITY_BOOST,
        help_text=(
            "How closely the speech follows the cloned voice's own sound: 1 most alike, lower values "
            "clearer words (offline engine; XTTS ignores it)."
        ),
    )
    output_format = serializers.ChoiceField(choices=OUTPUT_FORMATS, default="mp3")
    sample_rate = serializers.ChoiceField(choices=OUTPUT_RATES, default=44100)


class SpeechRequestSerializer(SpeechParamsSerializer):
    voice_id = serializers.CharField(max_length=40)


class BatchItemSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=services.MAX_TEXT_CHARS)
    filename = serializers.CharField(required=False, allow_blank=True, max_length=80, default="")


class BatchRequestSerializer(SpeechParamsSerializer):
    voice_id = serializers.CharField(max_length=40)
    text = None
    texts = BatchItemSerializer(many=True, allow_empty=False, max_length=services.MAX_BATCH_TEXTS)


def _params(data: dict, **overrides) -> services.SpeechParams:
    fields = {key: data[key] for key in services.SpeechParams.__dataclass_fields__ if key in data}
    return services.SpeechParams(**{**fields, **overrides})


def _wants_audio(request: Request) -> bool:
    accept = request.META.get("HTTP_ACCEPT", "")
    return any(part.strip().startswith("audio/") for part in accept.split(","))


class SpeechCreateView(APIView):
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
        responses=SpeechSerializer(many=True),
        summary="Your past generations, newest first",
    )
    def get(self, request: Request) -> Response:
        query = SpeechListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        speeches = Speech.objects.filter(owner=request.user)
        if voice_id := query.validated_data.get("voice_id"):
            speeches = speeches.filter(voice_id=voice_id)
        return paginated(speeches, SpeechSerializer, query.validated_data)


class SpeechResultView(APIView):
    content_negotiation_class = AudioOrJsonNegotiation
    always_audio = False

    def post(self, request: Request, job_id: str) -> Response | HttpResponse:
        job = Job.objects.get(pk=job_id, owner=request.user)
        if not job.is_final:
            return Response(
                job_payload(job), status=HTTPStatus.ACCEPTED, headers={"Location": f"/v1/jobs/{job.id}"}
            )
        if job.status == Job.Status.FAILED:
            raise InvalidInput(
                f"Speech generation failed: {job.error}", field="text", code="generation_failed"
            )
        speech = Speech.objects.get(pk=job.result["speech_id"])
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
        return Response(SpeechSerializer(services.speech_get(request.user, speech_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, speech_id: str) -> Response:
        services.speech_delete(speech=services.speech_get(request.user, speech_id))
        return Response(status=HTTPStatus.NO_CONTENT)


@extend_schema(
    responses={
        (200, "audio/*"): OpenApiResponse(response=OpenApiTypes.BINARY, description="The generated audio.")
    }
)
class SpeechAudioView(APIView):
    def get(self, request: Request, speech_id: str):
        speech = services.speech_get(request.user, speech_id)
        download = request.query_params.get("download") in ("1", "true")
        name = f"{speech.filename or speech.id}.{speech.format}"
        return file_response(speech.file, download_name=name, as_attachment=download)


class BatchCreateView(APIView):
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
    files = SpeechSerializer(job.speeches.order_by("created_at"), many=True).data
    return {
        "batch_id": job.id,
        "job": job_payload(job),
        "count": len(job.params.get("items", [])),
        "files": files,
    }


class BatchDetailView(APIView):
    @extend_schema(responses={200: OpenApiResponse(description="The batch job and the files made so far.")})
    def get(self, request: Request, batch_id: str) -> Response:
        job = Job.objects.filter(pk=batch_id, owner=request.user, kind=Job.Kind.BATCH).first()
        if job is None:
            raise NotFound(f"No batch {batch_id!r} exists, or it is not yours.", field="batch_id")
        return Response(_batch_body(job))


# --- OpenAI-compatible: POST /v1/audio/speech -----------------------------------------------------

OPENAI_FORMATS = {"mp3": "mp3", "wav": "wav", "flac": "flac", "opus": "ogg", "aac": None, "pcm": None}


class OpenAISpeechSerializer(serializers.Serializer):
    model = serializers.CharField(required=False, allow_blank=True)
    input = serializers.CharField(max_length=services.MAX_TEXT_CHARS)
    voice = serializers.CharField(max_length=100)
    response_format = serializers.ChoiceField(choices=list(OPENAI_FORMATS), default="mp3")
    speed = serializers.FloatField(min_value=0.5, max_value=2.0, default=1.0)
    instructions = serializers.CharField(required=False, allow_blank=True)


class OpenAISpeechView(APIView):
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
        voice = _voice_by_id_or_name(request.user, data["voice"])
        params = services.SpeechParams(
            text=data["input"], speed=data["speed"], output_format=fmt, sample_rate=44100
        )
        job = services.speech_request(owner=request.user, voice=voice, params=params)
        response = Response(job_payload(job), status=HTTPStatus.ACCEPTED)
        response.wait_for_job = job.id
        return response


class OpenAISpeechResultView(SpeechResultView):
    always_audio = True  # OpenAI clients expect the audio bytes whatever they send as Accept


def _voice_by_id_or_name(user, value: str) -> Voice:
    from voices.selectors import voices_visible_to

    if value.startswith("voice_"):
        return voice_get(user, value)
    matches = voices_visible_to(user).filter(name__iexact=value).order_by("-created_at")
    voice = matches.filter(owner=user).first() or matches.first()
    if voice is None:
        raise NotFound(f"No voice named or with id {value!r}.", field="voice")
    return voice


openai_speech_view = waiting_view(
    OpenAISpeechView.as_view(), OpenAISpeechResultView.as_view(), timeout=lambda: settings.STUDIO_WAIT_TIMEOUT
)
