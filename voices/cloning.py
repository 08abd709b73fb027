"""The cloning job: from stored samples to an AVAILABLE voice with analysis, preview and similarity.

Steps (each reported with its name, percent and ETA): decode → detect speech → clean up → analyse →
prepare engine, and the voice is AVAILABLE (``voice_clone_ready``); then preview → similarity →
language → transcripts, which describe the voice and are added when the job ends. Time to a usable
voice is what a user waits for, so nothing that only describes the voice runs before it
(docs/architecture.md, "Cloning"; ``bench/clone_latency.py`` measures it). For the same reason the
instant tier learns from at most ``limits.INSTANT_LEARN_SECONDS`` of the samples' speech; the rest of
each sample is transcribed in the last step, so every sample's stored transcript is whole. A failure before AVAILABLE marks the voice FAILED
with a message the user can act on; the job's own row says the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

import limits
from engines import get_available_engine
from engines.base import Artifacts, Engine, Reference, SynthesisOptions
from errors import InvalidAudio
from jobs.models import Job
from jobs.runner import JobProgress, error_message
from voices.files import artifacts_save, artifacts_save_at, preview_artifacts_prefix
from voices.ingest import ANALYSIS_RATE, trimmed
from voices.models import Voice, VoicePreview, VoiceSample
from voices.services.clone import (
    VoiceGone,
    voice_clone_discard,
    voice_clone_failed,
    voice_clone_processing,
    voice_clone_ready,
    voice_clone_succeeded,
)
from voices.services.preview import voice_preview_failed, voice_preview_processing, voice_preview_succeeded

if TYPE_CHECKING:
    from audio.output import RenderedAudio

REFERENCE_RATE = 22050
CLONE_STEPS = [
    ("decode", 1),
    ("detect speech", 1),
    ("clean up", 1),
    ("analyse", 4),
    ("prepare engine", 6),
    # The voice is AVAILABLE here; what follows only describes it.
    ("preview", 2),
    ("similarity", 2),  # fixed sentences rendered and measured (engines.similarity)
    ("language", 1),  # Whisper base's language ID, shown next to the declared language
    ("transcripts", 1),  # what the instant tier did not learn from, so each stored transcript is whole
]
PREVIEW_TEXT = {
    "en": "Hello! This is a preview of my cloned voice. I can read anything you type, in any mood.",
    "de": "Hallo! Das ist eine Vorschau meiner geklonten Stimme.",
    "fr": "Bonjour ! Voici un aperçu de ma voix clonée.",
    "es": "¡Hola! Esta es una vista previa de mi voz clonada.",
    "it": "Ciao! Questa è un'anteprima della mia voce clonata.",
    "pt": "Olá! Esta é uma prévia da minha voz clonada.",
}
GREEDY = 1  # the beam size of the samples' transcription
PREVIEW_FORMAT = "mp3"
PREVIEW_RATE = 44100


@dataclass
class SourceSample:
    """One stored reference sample, of a voice or of a preview: what the pipeline reads and reports."""

    read: Callable[[], bytes]
    duration: float
    transcript: str
    language: str
    emotion: str
    trim_start: float | None
    trim_end: float | None
    on_speech_measured: Callable[[float], None] = lambda seconds: None
    on_transcribed: Callable[[str], None] = lambda text: None


@dataclass
class PreparedSample:
    sample: SourceSample
    recording: np.ndarray  # at REFERENCE_RATE, as decoded: its pauses are where noise is measured
    segments: list[tuple[float, float]]  # the speech in ``recording``
    audio: np.ndarray  # at REFERENCE_RATE, trimmed to speech, cleaned
    speech_duration: float
    learned: int | None = None  # the engine learns from audio[:learned] only (None: all of it)
    learned_transcript: str = ""  # the transcript of that part, until the rest is transcribed
    transcript_language: str = ""  # what the learned part was transcribed in; the rest is too

    @property
    def learned_audio(self) -> np.ndarray:
        return self.audio if self.learned is None else self.audio[: self.learned]


@dataclass
class PreparedVoice:
    """What the first five steps make of the samples: everything a preview clip or a voice needs."""

    engine: Engine
    artifacts: Artifacts
    analysis: dict
    speech: list[np.ndarray]  # each sample's cleaned speech at REFERENCE_RATE (similarity, language)
    partly_learned: list[PreparedSample]  # samples whose rest ``_transcribe_rest`` still transcribes


def voice_clone_run(job: Job, progress: JobProgress) -> dict:
    voice = voice_clone_processing(voice_id=job.voice_id)
    try:
        return _clone(voice, progress)
    except VoiceGone:
        raise
    except Exception as exc:
        if voice_clone_failed(voice_id=voice.id, error=error_message(exc, job.kind)) is None:
            voice_clone_discard(voice_id=voice.id)  # deleted while cloning: a missing file, say
            raise VoiceGone("The voice was deleted while it was being cloned.") from exc
        raise


def _voice_sources(voice: Voice) -> list[SourceSample]:
    def source(sample: VoiceSample) -> SourceSample:
        def read() -> bytes:
            with sample.file.open("rb") as handle:
                return handle.read()

        def measured(seconds: float) -> None:
            VoiceSample.objects.filter(pk=sample.pk).update(speech_duration=seconds)

        def transcribed(text: str) -> None:
            VoiceSample.objects.filter(pk=sample.pk).update(transcript=text)

        return SourceSample(
            read, sample.duration, sample.transcript, sample.language or voice.language, sample.emotion,
            sample.trim_start, sample.trim_end, measured, transcribed,
        )  # fmt: skip

    return [source(sample) for sample in voice.samples.all()]


def _clone(voice: Voice, progress: JobProgress) -> dict:
    prepared = voice_prepare(
        _voice_sources(voice),
        engine_name=voice.engine,
        tier=voice.tier,
        language=voice.language,
        training_options=voice.training_options,
        progress=progress,
    )
    artifacts_save(voice.id, prepared.engine.name, prepared.artifacts)
    voice_clone_ready(voice_id=voice.id, analysis=prepared.analysis)
    text = PREVIEW_TEXT.get(voice.language, PREVIEW_TEXT["en"])
    options = SynthesisOptions(language=voice.language, stability=voice.stability)
    preview, similarity = voice_speak_preview(prepared, text, options, progress)
    _detect_language(prepared, progress)
    _transcribe_rest(prepared, progress)
    voice_clone_succeeded(
        voice_id=voice.id,
        analysis=prepared.analysis,
        similarity_score=similarity,
        preview=preview.data,
        preview_format=PREVIEW_FORMAT,
    )
    return {"voice_id": voice.id, "similarity_score": similarity, "analysis": prepared.analysis}


def voice_prepare(
    sources: list[SourceSample],
    *,
    engine_name: str,
    tier: str,
    language: str,
    training_options: dict,
    progress: JobProgress,
) -> PreparedVoice:
    """Decode, detect speech, clean up, analyse and prepare the engine (the clone's first five steps)."""
    progress.set_steps(CLONE_STEPS)
    engine = get_available_engine(engine_name)
    decoded = _decode_samples(sources, progress)
    prepared = _detect_speech(decoded, tier, progress)
    noise_removal = _clean_up(prepared, training_options, progress)
    if tier == "instant":
        _share_learning(prepared)
    analysis = _analyse(prepared, language, progress)
    if noise_removal is not None:
        analysis["noise_removal"] = noise_removal

    progress.step("prepare engine")
    references = [
        Reference(
            p.learned_audio,
            REFERENCE_RATE,
            p.sample.transcript if p.learned is None else p.learned_transcript,
            p.sample.language or language,
            p.sample.emotion,
        )
        for p in prepared
    ]
    artifacts = engine.prepare(references, tier=tier, progress=progress.callback("prepare engine"))
    partly = [p for p in prepared if p.learned is not None]
    return PreparedVoice(engine, artifacts, analysis, [p.audio for p in prepared], partly)


def voice_speak_preview(
    prepared: PreparedVoice, text: str, options: SynthesisOptions, progress: JobProgress
) -> tuple[RenderedAudio, float]:
    """The preview clip (watermarked, like every output) and the voice's similarity to the samples,
    measured on fixed sentences rather than on the preview (``engines.similarity`` says why). The
    samples' speaker embeddings made for it also give the analysis its speaker consistency."""
    from audio.codec import resample
    from audio.embedding import speaker_consistency, speaker_embedding
    from engines.similarity import voice_similarity
    from studio.output import render_output

    progress.step("preview")
    speech = prepared.engine.synthesize(prepared.artifacts, text, options)
    preview = render_output(speech, fmt=PREVIEW_FORMAT, sample_rate=PREVIEW_RATE)
    progress.step("similarity")
    embeddings = [
        speaker_embedding(resample(audio, REFERENCE_RATE, ANALYSIS_RATE), ANALYSIS_RATE)
        for audio in prepared.speech
    ]
    prepared.analysis["speaker_consistency"] = round(speaker_consistency(embeddings), 3)
    return preview, voice_similarity(prepared.engine, prepared.artifacts, embeddings, options)


def _decode_samples(
    samples: list[SourceSample], progress: JobProgress
) -> list[tuple[SourceSample, np.ndarray]]:
    from audio.codec import decode

    decoded = []
    for index, sample in enumerate(samples):
        progress.step("decode", index / len(samples))
        audio = decode(sample.read(), target_rate=REFERENCE_RATE).samples
        decoded.append((sample, trimmed(audio, REFERENCE_RATE, sample.trim_start, sample.trim_end)))
    return decoded


def _detect_speech(
    decoded: list[tuple[SourceSample, np.ndarray]], tier: str, progress: JobProgress
) -> list[PreparedSample]:
    from audio.speech_activity import keep_speech, speech_duration, speech_segments

    prepared = []
    for index, (sample, audio) in enumerate(decoded):
        progress.step("detect speech", index / len(decoded))
        segments = speech_segments(audio, REFERENCE_RATE)
        seconds = speech_duration(segments)
        if seconds < 0.3:
            continue  # a silent extra sample adds nothing; the total is checked below
        speech = keep_speech(audio, REFERENCE_RATE, segments)
        prepared.append(PreparedSample(sample, audio, segments, speech, seconds))
        sample.on_speech_measured(seconds)
    total = sum(p.speech_duration for p in prepared)
    minimum = limits.TIER_SPEECH_SECONDS[tier].low
    if total < minimum:
        raise InvalidAudio(f"Only {total:.1f} s of speech found; record at least {minimum:.0f} s.")
    return prepared


def _clean_up(prepared: list[PreparedSample], options: dict, progress: JobProgress) -> str | None:
    """Remove noise (either option asks for it) and normalise; says what noise removal did, if asked."""
    from audio.processing import normalize_loudness, remove_noise

    verdicts = []
    for index, item in enumerate(prepared):
        progress.step("clean up", index / len(prepared))
        if options.get("remove_noise") or options.get("enhance_quality"):
            item.audio, verdict = remove_noise(item.recording, REFERENCE_RATE, item.segments)
            verdicts.append(verdict)
        if options.get("normalize_volume", True):
            item.audio = normalize_loudness(item.audio, REFERENCE_RATE)
    if not verdicts:
        return None
    if len(set(verdicts)) == 1:
        return verdicts[0]
    return f"applied to {verdicts.count('applied')} of {len(verdicts)} samples"


def _analyse(prepared: list[PreparedSample], language: str, progress: JobProgress) -> dict:
    """What the engine needs (each sample's transcript) and the analysis a user sees first. Each
    sample is transcribed in its declared language (the voice's, when it declares none). The speaker
    embeddings (``voice_speak_preview``) and the language ID (``_detect_language``) run after the
    voice is AVAILABLE: they only describe it."""
    from audio.asr import transcribe
    from audio.codec import resample
    from audio.processing import quality_label, speech_snr_db

    progress.step("analyse")
    snrs = []
    for index, item in enumerate(prepared):
        audio16 = resample(item.audio, REFERENCE_RATE, ANALYSIS_RATE)
        snrs.append(speech_snr_db(audio16, ANALYSIS_RATE))
        if not item.sample.transcript:
            # Greedy: ~1.2 s sooner than beam 5 on 30 s, on the way to a usable voice, for a clone as
            # good within the bench's noise (docs/engines.md, "Time to a usable voice").
            learned16 = audio16 if item.learned is None else audio16[: _at_analysis_rate(item.learned)]
            item.transcript_language = item.sample.language or language
            text = transcribe(
                learned16, ANALYSIS_RATE, language=item.transcript_language, beam_size=GREEDY
            ).text
            if item.learned is None:
                item.sample.transcript = text
                item.sample.on_transcribed(text)
            else:
                item.learned_transcript = text
        progress.step("analyse", (index + 1) / (len(prepared) + 1))
    snr = float(np.median(snrs))
    analysis = {
        "total_duration": round(sum(p.sample.duration for p in prepared), 2),
        "speech_duration": round(sum(p.speech_duration for p in prepared), 2),
        "snr_db": round(snr, 1),
        "quality": quality_label(snr),
        "samples_used": len(prepared),
    }
    return analysis


def _at_analysis_rate(index: int) -> int:
    return round(index * ANALYSIS_RATE / REFERENCE_RATE)


def _share_learning(prepared: list[PreparedSample]) -> None:
    """Past ``limits.INSTANT_LEARN_SECONDS`` of speech, the instant tier learns from the first part of
    each sample without a typed transcript (a typed one cannot be cut with the audio): shares in
    proportion to length, each at least ``INSTANT_SAMPLE_SHARE_SECONDS``, cut at a pause."""
    from audio.speech_activity import quiet_cut

    open_ = [p for p in prepared if not p.sample.transcript]
    typed = sum(len(p.audio) for p in prepared if p.sample.transcript) / REFERENCE_RATE
    total = sum(len(p.audio) for p in open_) / REFERENCE_RATE
    room = limits.INSTANT_LEARN_SECONDS - typed
    if total <= room:
        return
    for item in open_:
        seconds = len(item.audio) / REFERENCE_RATE
        share = max(limits.INSTANT_SAMPLE_SHARE_SECONDS, room * seconds / total)
        if seconds > share + 1.0:  # less than a second left over: not worth a cut
            item.learned = quiet_cut(item.audio, REFERENCE_RATE, share)


def _transcribe_rest(prepared: PreparedVoice, progress: JobProgress) -> None:
    """The part of each sample the instant tier did not learn from, transcribed and joined to the
    learned part's transcript, so the stored transcript is the whole sample's (the voice page and the
    API show it). A job re-run after this step stored it takes it as typed and learns from the
    whole sample: slower, and a slightly different voice, but never a wrong transcript."""
    from audio.asr import transcribe
    from audio.codec import resample

    progress.step("transcripts")
    for index, item in enumerate(prepared.partly_learned):
        progress.step("transcripts", index / len(prepared.partly_learned))
        rest16 = resample(item.audio[item.learned :], REFERENCE_RATE, ANALYSIS_RATE)
        rest = transcribe(rest16, ANALYSIS_RATE, language=item.transcript_language, beam_size=GREEDY).text
        item.sample.transcript = f"{item.learned_transcript} {rest}".strip()
        item.sample.on_transcribed(item.sample.transcript)


def _detect_language(prepared: PreparedVoice, progress: JobProgress) -> None:
    """The language spoken in the longest sample, by Whisper base (~1 s), into the analysis: the page
    shows it next to the language the voice was declared in."""
    from audio.asr import detect_language
    from audio.codec import resample

    progress.step("language")
    longest = max(prepared.speech, key=len)
    language, probability = detect_language(resample(longest, REFERENCE_RATE, ANALYSIS_RATE), ANALYSIS_RATE)
    prepared.analysis["language_detected"] = language
    prepared.analysis["language_probability"] = round(probability, 3)


# --- Previews: the same steps for a voice not created yet -------------------------------------------


def voice_preview_run(job: Job, progress: JobProgress) -> dict:
    preview = voice_preview_processing(preview_id=job.params["preview_id"])
    try:
        sources = _preview_sources(preview)
        prepared = voice_prepare(
            sources,
            engine_name=preview.engine,
            tier=preview.tier,
            language=preview.language,
            training_options=preview.training_options,
            progress=progress,
        )
        artifacts_save_at(preview_artifacts_prefix(preview.id, prepared.engine.name), prepared.artifacts)
        options = SynthesisOptions(language=preview.language, stability=preview.stability)
        clip, similarity = voice_speak_preview(prepared, preview.text, options, progress)
        _detect_language(prepared, progress)
        _transcribe_rest(prepared, progress)
    except Exception as exc:
        voice_preview_failed(preview_id=preview.id, error=error_message(exc, job.kind))
        raise
    samples = [
        {**stored, "speech_duration": source.duration_of_speech, "transcript": source.transcript}
        for stored, source in zip(preview.samples, sources, strict=True)
    ]
    voice_preview_succeeded(
        preview_id=preview.id,
        analysis=prepared.analysis,
        similarity_score=similarity,
        audio=clip.data,
        audio_format=PREVIEW_FORMAT,
        samples=samples,
    )
    return {"preview_id": preview.id, "similarity_score": similarity, "analysis": prepared.analysis}


class _PreviewSource(SourceSample):
    duration_of_speech: float | None = None


def _preview_sources(preview: VoicePreview) -> list[_PreviewSource]:
    from django.core.files.storage import default_storage

    def source(stored: dict) -> _PreviewSource:
        def read() -> bytes:
            with default_storage.open(stored["file"], "rb") as handle:
                return handle.read()

        item = _PreviewSource(
            read, stored["duration"], stored.get("transcript", ""), stored.get("language") or preview.language,
            stored.get("emotion", "neutral"), stored.get("trim_start"), stored.get("trim_end"),
        )  # fmt: skip
        item.on_speech_measured = lambda seconds: setattr(item, "duration_of_speech", seconds)
        return item

    return [source(stored) for stored in preview.samples]
