"""Speech generation: requests become jobs; the worker renders, watermarks, encodes and stores them.

``speech_request`` and ``speech_batch_request`` are the services every front door calls; the job
handlers below run on the worker that has the voice's engine.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from engines import get_available_engine, get_engine
from engines.base import DEFAULT_SIMILARITY_BOOST, EMOTIONS, Artifacts, SynthesisOptions
from errors import InvalidInput, NotFound
from synthesis.jobs import JobProgress, job_create
from synthesis.models import Job, Speech
from synthesis.output import OUTPUT_FORMATS, OUTPUT_RATES, render_output
from voices.files import artifacts_load
from voices.models import Voice
from voices.services import voice_assert_usable

MAX_TEXT_CHARS = 5000
MAX_BATCH_TEXTS = 100


@dataclass
class SpeechParams:
    text: str
    language: str = ""
    emotion: str = "neutral"
    speed: float = 1.0
    pitch: float = 0.0
    stability: float = 0.5
    similarity_boost: float = DEFAULT_SIMILARITY_BOOST
    output_format: str = "mp3"
    sample_rate: int = 44100
    filename: str = ""

    def validate(self) -> SpeechParams:
        self.text = self.text.strip()
        if not 1 <= len(self.text) <= MAX_TEXT_CHARS:
            raise InvalidInput(f"text must be 1 to {MAX_TEXT_CHARS} characters long.", field="text")
        if self.emotion not in EMOTIONS:
            raise InvalidInput(f"emotion must be one of {', '.join(EMOTIONS)}.", field="emotion")
        if not 0.5 <= self.speed <= 2.0:
            raise InvalidInput("speed must be between 0.5 and 2.0.", field="speed")
        if not -12 <= self.pitch <= 12:
            raise InvalidInput("pitch must be between -12 and +12 semitones.", field="pitch")
        if not 0 <= self.stability <= 1:
            raise InvalidInput("stability must be between 0 and 1.", field="stability")
        if not 0 <= self.similarity_boost <= 1:
            raise InvalidInput("similarity_boost must be between 0 and 1.", field="similarity_boost")
        if self.output_format not in OUTPUT_FORMATS:
            raise InvalidInput(
                f"output_format must be one of {', '.join(OUTPUT_FORMATS)}.", field="output_format"
            )
        if self.sample_rate not in OUTPUT_RATES:
            raise InvalidInput(
                f"sample_rate must be one of {', '.join(map(str, OUTPUT_RATES))}.", field="sample_rate"
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
        kind=Job.Kind.SPEECH,
        owner=owner,
        voice=voice,
        params=asdict(params),
        queue=get_engine(voice.engine).queue,
    )


@transaction.atomic
def speech_batch_request(*, owner: Any, voice: Voice, items: list[SpeechParams]) -> Job:
    if not 1 <= len(items) <= MAX_BATCH_TEXTS:
        raise InvalidInput(f"texts must hold 1 to {MAX_BATCH_TEXTS} entries.", field="texts")
    for index, item in enumerate(items):
        try:
            item.validate()
        except InvalidInput as exc:
            raise InvalidInput(
                f"texts[{index}]: {exc.message}", field=f"texts[{index}].{exc.field}"
            ) from None
        item.filename = item.filename.strip() or f"{index + 1:03d}"
    if len({item.filename for item in items}) < len(items):
        raise InvalidInput("Each filename in texts must be different.", field="texts")
    voice_assert_usable(voice=voice, user=owner)
    _check_language(voice, items[0].language)
    return job_create(
        kind=Job.Kind.BATCH,
        owner=owner,
        voice=voice,
        params={"items": [asdict(item) for item in items]},
        queue=get_engine(voice.engine).queue,
    )


def speech_delete(*, speech: Speech) -> None:
    file = speech.file
    with transaction.atomic():
        speech.delete()
        transaction.on_commit(lambda: file.delete(save=False) if file else None)


def speech_get(user: Any, speech_id: str) -> Speech:
    speech = Speech.objects.filter(pk=speech_id, owner=user).first()
    if speech is None:
        raise NotFound(f"No generation {speech_id!r} exists, or it is not yours.", field="speech_id")
    return speech


# --- Worker side ----------------------------------------------------------------------------------


def _voice_artifacts(voice: Voice) -> Artifacts:
    # Built-in voices are an engine's own voices: no per-voice artifacts.
    return {} if voice.is_built_in else artifacts_load(voice.id, voice.engine)


def _render(job: Job, voice: Voice, artifacts: Artifacts, params: SpeechParams) -> Speech:
    voice_assert_usable(voice=voice, user=job.owner)  # consent or moderation may have changed since
    engine = get_available_engine(voice.engine)
    audio = engine.synthesize(artifacts, params.text, params.options(voice))
    rendered = render_output(audio, fmt=params.output_format, sample_rate=params.sample_rate)
    speech = Speech(
        owner=job.owner,
        voice=voice,
        job=job,
        text=params.text,
        filename=params.filename,
        engine=engine.name,
        language=params.language or voice.language,
        emotion=params.emotion,
        speed=params.speed,
        pitch=params.pitch,
        stability=params.stability,
        similarity_boost=params.similarity_boost,
        format=params.output_format,
        sample_rate=params.sample_rate,
        duration=round(rendered.duration, 3),
    )
    name = (params.filename or "speech").rsplit(".", 1)[0][:80] or "speech"
    speech.file.save(f"{name}.{params.output_format}", ContentFile(rendered.data), save=False)
    speech.save()
    return speech


def speech_job_run(job: Job, progress: JobProgress) -> dict:
    voice = _job_voice(job)
    params = SpeechParams(**job.params)
    progress.set_steps([("synthesize", 1)])
    progress.step("synthesize")
    speech = _render(job, voice, _voice_artifacts(voice), params)
    return {"speech_id": speech.id, "duration": speech.duration}


def speech_batch_run(job: Job, progress: JobProgress) -> dict:
    voice = _job_voice(job)
    items = [SpeechParams(**item) for item in job.params["items"]]
    artifacts = _voice_artifacts(voice)
    progress.set_steps([("synthesize", 1)])
    done = set(job.speeches.values_list("filename", flat=True))  # a retried batch skips what it made
    for index, params in enumerate(items):
        progress.step("synthesize", index / len(items))
        if params.filename not in done:
            _render(job, voice, artifacts, params)
    return {
        "count": len(items),
        "speech_ids": list(job.speeches.order_by("created_at").values_list("id", flat=True)),
    }


def _job_voice(job: Job) -> Voice:
    if job.voice is None:
        raise NotFound("The voice of this job was deleted.")
    return job.voice
