"""The cloning job: from stored samples to an AVAILABLE voice with analysis, preview and similarity.

Steps (each reported with its name, percent and ETA): decode → detect speech → clean up → analyse →
prepare engine → preview → similarity. Any failure marks the voice FAILED with a message the user can
act on; the job's own row says the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import limits
from engines import get_available_engine
from engines.base import Reference, SynthesisOptions
from errors import InvalidAudio
from jobs.models import Job
from jobs.runner import JobProgress, error_message
from voices.files import artifacts_save
from voices.ingest import ANALYSIS_RATE, trimmed
from voices.models import Voice, VoiceSample
from voices.services.clone import (
    VoiceGone,
    voice_clone_discard,
    voice_clone_failed,
    voice_clone_processing,
    voice_clone_succeeded,
)

REFERENCE_RATE = 22050
CLONE_STEPS = [
    ("decode", 1),
    ("detect speech", 1),
    ("clean up", 1),
    ("analyse", 4),
    ("prepare engine", 6),
    ("preview", 2),
    ("similarity", 1),
]
PREVIEW_TEXT = {
    "en": "Hello! This is a preview of my cloned voice. I can read anything you type, in any mood.",
    "de": "Hallo! Das ist eine Vorschau meiner geklonten Stimme.",
    "fr": "Bonjour ! Voici un aperçu de ma voix clonée.",
    "es": "¡Hola! Esta es una vista previa de mi voz clonada.",
    "it": "Ciao! Questa è un'anteprima della mia voce clonata.",
    "pt": "Olá! Esta é uma prévia da minha voz clonada.",
}
PREVIEW_FORMAT = "mp3"
PREVIEW_RATE = 44100


@dataclass
class PreparedSample:
    sample: VoiceSample
    audio: np.ndarray  # at REFERENCE_RATE, trimmed to speech, cleaned
    speech_duration: float


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


def _clone(voice: Voice, progress: JobProgress) -> dict:
    progress.set_steps(CLONE_STEPS)
    engine = get_available_engine(voice.engine)
    samples = list(voice.samples.all())
    decoded = _decode_samples(samples, progress)
    prepared = _detect_speech(decoded, progress)
    _clean_up(prepared, voice.training_options, progress)
    analysis, embeddings = _analyse(voice, prepared, progress)

    progress.step("prepare engine")
    references = [
        Reference(
            p.audio,
            REFERENCE_RATE,
            p.sample.transcript,
            p.sample.language or voice.language,
            p.sample.emotion,
        )
        for p in prepared
    ]
    artifacts = engine.prepare(references, tier=voice.tier, progress=progress.callback("prepare engine"))
    artifacts_save(voice.id, engine.name, artifacts)

    progress.step("preview")
    from studio.output import render_output

    text = PREVIEW_TEXT.get(voice.language, PREVIEW_TEXT["en"])
    speech = engine.synthesize(artifacts, text, SynthesisOptions(language=voice.language))
    preview = render_output(speech, fmt=PREVIEW_FORMAT, sample_rate=PREVIEW_RATE)

    progress.step("similarity")
    similarity = _similarity(preview.samples, preview.sample_rate, embeddings)
    voice_clone_succeeded(
        voice_id=voice.id,
        analysis=analysis,
        similarity_score=similarity,
        preview=preview.data,
        preview_format=PREVIEW_FORMAT,
    )
    return {"voice_id": voice.id, "similarity_score": similarity, "analysis": analysis}


def _decode_samples(
    samples: list[VoiceSample], progress: JobProgress
) -> list[tuple[VoiceSample, np.ndarray]]:
    from audio.codec import decode

    decoded = []
    for index, sample in enumerate(samples):
        progress.step("decode", index / len(samples))
        with sample.file.open("rb") as handle:
            audio = decode(handle.read(), target_rate=REFERENCE_RATE).samples
        decoded.append((sample, trimmed(audio, REFERENCE_RATE, sample.trim_start, sample.trim_end)))
    return decoded


def _detect_speech(
    decoded: list[tuple[VoiceSample, np.ndarray]], progress: JobProgress
) -> list[PreparedSample]:
    from audio.speech_activity import keep_speech, speech_duration, speech_segments

    prepared = []
    for index, (sample, audio) in enumerate(decoded):
        progress.step("detect speech", index / len(decoded))
        segments = speech_segments(audio, REFERENCE_RATE)
        seconds = speech_duration(segments)
        if seconds < 0.3:
            continue  # a silent extra sample adds nothing; the total is checked below
        prepared.append(PreparedSample(sample, keep_speech(audio, REFERENCE_RATE, segments), seconds))
        VoiceSample.objects.filter(pk=sample.pk).update(speech_duration=seconds)
    total = sum(p.speech_duration for p in prepared)
    tier = decoded[0][0].voice.tier if decoded else "instant"
    minimum = limits.TIER_SPEECH_SECONDS[tier].low
    if total < minimum:
        raise InvalidAudio(f"Only {total:.1f} s of speech found; record at least {minimum:.0f} s.")
    return prepared


def _clean_up(prepared: list[PreparedSample], options: dict, progress: JobProgress) -> None:
    from audio.processing import denoise, normalize_loudness

    for index, item in enumerate(prepared):
        progress.step("clean up", index / len(prepared))
        if options.get("remove_noise") or options.get("enhance_quality"):
            item.audio = denoise(item.audio, REFERENCE_RATE)
        if options.get("normalize_volume", True):
            item.audio = normalize_loudness(item.audio, REFERENCE_RATE)


def _analyse(
    voice: Voice, prepared: list[PreparedSample], progress: JobProgress
) -> tuple[dict, list[np.ndarray]]:
    """The voice's analysis, and each sample's speaker embedding (reused for the similarity)."""
    from audio.asr import detect_language, transcribe
    from audio.codec import resample
    from audio.embedding import speaker_consistency, speaker_embedding
    from audio.processing import quality_label, snr_db
    from audio.speech_activity import speech_segments

    progress.step("analyse")
    originals = {s.pk: s for s in voice.samples.all()}
    # One language ID (Whisper base, ~0.7 s) for the whole voice, also the language every sample
    # without a declared one is transcribed in (was: once more per such sample, inside transcribe).
    longest = max(prepared, key=lambda p: p.speech_duration)
    language, probability = detect_language(
        resample(longest.audio, REFERENCE_RATE, ANALYSIS_RATE), ANALYSIS_RATE
    )
    snrs, embeddings = [], []
    for index, item in enumerate(prepared):
        audio16 = resample(item.audio, REFERENCE_RATE, ANALYSIS_RATE)
        snrs.append(snr_db(audio16, ANALYSIS_RATE, speech_segments(audio16, ANALYSIS_RATE)))
        embeddings.append(speaker_embedding(audio16, ANALYSIS_RATE))
        if not item.sample.transcript:
            transcript = transcribe(audio16, ANALYSIS_RATE, language=item.sample.language or language)
            item.sample.transcript = transcript.text
            VoiceSample.objects.filter(pk=item.sample.pk).update(transcript=transcript.text)
        progress.step("analyse", (index + 1) / (len(prepared) + 1))
    snr = float(np.median(snrs))
    analysis = {
        "total_duration": round(sum(originals[p.sample.pk].duration for p in prepared), 2),
        "speech_duration": round(sum(p.speech_duration for p in prepared), 2),
        "snr_db": round(snr, 1),
        "quality": quality_label(snr),
        "speaker_consistency": round(speaker_consistency(embeddings), 3),
        "language_detected": language,
        "language_probability": round(probability, 3),
        "samples_used": len(prepared),
    }
    return analysis, embeddings


def _similarity(preview: np.ndarray, rate: int, sample_embeddings: list[np.ndarray]) -> float:
    """Similarity of the preview to the samples: cosine of speaker embeddings mapped to 0..1
    (``audio.embedding.similarity_score`` documents the mapping)."""
    from audio.codec import resample
    from audio.embedding import cosine, similarity_score, speaker_embedding

    preview_embedding = speaker_embedding(resample(preview, rate, ANALYSIS_RATE), ANALYSIS_RATE)
    reference = np.mean(sample_embeddings, axis=0)
    reference /= np.linalg.norm(reference) or 1.0
    return round(float(similarity_score(cosine(preview_embedding, reference))), 3)
