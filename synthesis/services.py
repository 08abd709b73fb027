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
from engines import get_engine
from engines.base import SynthesisOptions
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
    stability: float = limits.DEFAULT_STABILITY
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
        self.stability = limits.STABILITY.check(self.stability, field="stability")
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
            stability=self.stability,
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


def _check_language(voice: Voice, language: str) -> None:
    engine = get_engine(voice.engine)
    if language and language not in engine.languages:
        raise InvalidInput(
            f"The {engine.label} engine of this voice speaks {', '.join(engine.languages)}, not {language!r}.",
            field="language",
        )
    # An engine may speak fewer languages with one voice (the offline engine: those of its base voice).
    spoken = getattr(engine, "voice_languages", lambda _language: engine.languages)(voice.language)
    if language and language not in spoken:
        raise InvalidInput(
            f"This {voice.language} voice speaks {', '.join(spoken)}, not {language!r}; "
            "clone it again from samples in that language.",
            field="language",
        )


@transaction.atomic
def speech_request(*, owner: Any, voice: Voice, params: SpeechParams) -> Job:
    params.validate()
    voice_assert_usable(voice=voice, user=owner)
    _check_language(voice, params.language)
    return job_create(
        kind=SPEECH_JOB,
        owner=owner,
        voice_id=voice.id,
        params=asdict(params),
        queue=get_engine(voice.engine).queue,
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
    _check_language(voice, items[0].language)
    return job_create(
        kind=BATCH_JOB,
        owner=owner,
        voice_id=voice.id,
        params={"items": [asdict(item) for item in items]},
        queue=get_engine(voice.engine).queue,
    )


def speech_store(
    *, job: Job, voice: Voice, params: SpeechParams, engine: str, data: bytes, duration: float
) -> Speech:
    """Keep one rendered generation in the owner's history (called by the worker)."""
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
        sample_rate=params.sample_rate,
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
