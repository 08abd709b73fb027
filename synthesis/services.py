"""Speech generation's state changes: requests become jobs, generations are stored and deleted.

``speech_request`` and ``speech_batch_request`` are the services every front door calls (API, pages,
the OpenAI-compatible endpoint); the worker (``synthesis.rendering``) renders and calls
``speech_store``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import transaction

import limits
from engines.base import Engine, SynthesisOptions
from engines.languages import language_check, language_code
from errors import InvalidInput
from jobs.models import Job
from jobs.services import job_create
from synthesis.models import Speech
from voices.services.voice import voice_assert_usable

if TYPE_CHECKING:
    from voices.models import Voice

SPEECH_JOB = "speech"
BATCH_JOB = "batch"
# A batch item's file name: letters, digits, spaces, dots, dashes and underscores, no path.
_FILENAME = re.compile(r"^[\w][\w .-]*$")


@dataclass
class SpeechParams:
    text: str
    language: str = ""
    emotion: str = "neutral"
    speed: float = 1.0
    pitch: float = 0.0
    stability: float | None = None  # None: the voice's own default (``Voice.stability``)
    similarity_boost: float = limits.DEFAULT_SIMILARITY_BOOST
    output_format: str = limits.DEFAULT_OUTPUT_FORMAT
    sample_rate: int = limits.DEFAULT_OUTPUT_RATE
    filename: str = ""

    def validate(self) -> SpeechParams:
        self.text = str(self.text).strip()
        if not 1 <= len(self.text) <= limits.TEXT_MAX_CHARS:
            raise InvalidInput(f"text must be 1 to {limits.TEXT_MAX_CHARS} characters long.", field="text")
        limits.choice(self.emotion, limits.EMOTIONS, field="emotion")
        self.speed = limits.SPEED.check(self.speed, field="speed")
        self.pitch = limits.PITCH.check(self.pitch, field="pitch")
        if self.stability is not None:
            self.stability = limits.STABILITY.check(self.stability, field="stability")
        self.language = language_code(self.language)
        self.similarity_boost = limits.SIMILARITY_BOOST.check(self.similarity_boost, field="similarity_boost")
        limits.choice(self.output_format, limits.OUTPUT_FORMATS, field="output_format")
        limits.choice(self.sample_rate, limits.OUTPUT_RATES, field="sample_rate")
        self.filename = str(self.filename or "").strip()
        if self.filename and (
            len(self.filename) > limits.BATCH_FILENAME_MAX_CHARS or not _FILENAME.match(self.filename)
        ):
            raise InvalidInput(
                f"filename may use letters, digits, spaces, dots, dashes and underscores "
                f"(at most {limits.BATCH_FILENAME_MAX_CHARS}), and no folders.",
                field="filename",
            )
        return self

    def options(self, voice: Voice) -> SynthesisOptions:
        return SynthesisOptions(
            language=self.language or voice.language,
            emotion=self.emotion,
            speed=self.speed,
            pitch=self.pitch,
            stability=voice.stability if self.stability is None else self.stability,
            similarity_boost=self.similarity_boost,
        )


def speech_worker_seconds(params: dict) -> float:
    """The worker time a speech or batch job stands for, from the length of its text (jobs.fairness)."""
    items = params.get("items") or [params]
    return sum(
        limits.SPEECH_WORKER_SECONDS_PER_JOB
        + limits.SPEECH_WORKER_SECONDS_PER_CHAR * len(str(item.get("text", "")))
        for item in items
    )


def speech_engine_check(voice: Voice, params: list[SpeechParams]) -> Engine:
    """The voice's engine, if this studio can run it, and every language it is asked to speak."""
    from studio.engines import engine_for_request

    engine = engine_for_request(voice.engine, field="voice_id")
    # An engine may speak fewer languages with one voice (the offline engine: those of its base voice).
    spoken = getattr(engine, "voice_languages", lambda _language: engine.languages)(voice.language)
    for item in params:
        language_check(engine, item.language)
        if item.language and item.language not in spoken:
            raise InvalidInput(
                f"This {voice.language} voice speaks {', '.join(spoken)}, not {item.language!r}; "
                "clone it again from samples in that language.",
                field="language",
                code="unsupported_language",
            )
        if item.stability is None:
            item.stability = voice.stability
    return engine


@transaction.atomic
def speech_request(*, owner: Any, voice: Voice, params: SpeechParams) -> Job:
    params.validate()
    voice_assert_usable(voice=voice, user=owner)
    engine = speech_engine_check(voice, [params])
    return job_create(
        kind=SPEECH_JOB, owner=owner, voice_id=voice.id, params=asdict(params), queue=engine.queue
    )


@transaction.atomic
def speech_batch_request(*, owner: Any, voice: Voice, items: list[SpeechParams]) -> Job:
    if not 1 <= len(items) <= limits.BATCH_MAX_TEXTS:
        raise InvalidInput(f"texts must hold 1 to {limits.BATCH_MAX_TEXTS} entries.", field="texts")
    for index, item in enumerate(items):
        try:
            item.validate()
        except InvalidInput as exc:
            raise InvalidInput(
                f"texts[{index}]: {exc.message}", field=f"texts[{index}].{exc.field}"
            ) from None
        item.filename = item.filename or f"{index + 1:03d}"
    if len({item.filename for item in items}) < len(items):
        raise InvalidInput("Each filename in texts must be different.", field="texts")
    voice_assert_usable(voice=voice, user=owner)
    engine = speech_engine_check(voice, items)
    return job_create(
        kind=BATCH_JOB,
        owner=owner,
        voice_id=voice.id,
        params={"items": [asdict(item) for item in items]},
        queue=engine.queue,
    )


def speech_store(
    *,
    job: Job,
    voice: Voice,
    params: SpeechParams,
    engine: str,
    data: bytes,
    duration: float,
    sample_rate: int | None = None,
) -> Speech:
    """Keep one rendered generation in the owner's history (called by the worker). ``sample_rate``:
    the file's real rate, when the format changed the one asked for (Opus)."""
    speech = Speech(
        owner=job.owner,
        voice=voice,
        job=job,
        text=params.text,
        filename=params.filename,
        engine=engine,
        language=params.language or voice.language,
        emotion=params.emotion,
        speed=params.speed,
        pitch=params.pitch,
        stability=params.stability,
        similarity_boost=params.similarity_boost,
        format=params.output_format,
        sample_rate=sample_rate or params.sample_rate,
        duration=round(duration, 3),
    )
    name = (params.filename or "speech").rsplit(".", 1)[0][: limits.BATCH_FILENAME_MAX_CHARS] or "speech"
    speech.file.save(f"{name}.{params.output_format}", ContentFile(data), save=False)
    try:
        speech.save()
    except BaseException:
        speech.file.delete(save=False)
        raise
    return speech


def speech_delete(*, speech: Speech) -> None:
    file = speech.file
    with transaction.atomic():
        speech.delete()
        transaction.on_commit(lambda: file.delete(save=False) if file else None)
