"""A per-voice likeness/clarity operating point (``TrainingSettings.calibrate``; off by default,
measured no gain yet: see preparation.py).

The instant tier converts every voice with the same strength (the similarity boost, default 0.8),
which is a compromise: some voices stay perfectly clear at full strength, others lose words well
before it. Here the voice says a few sentences it was never trained on at several strengths, the
project's ASR listens to each rendition, and the strongest one whose words all come through (WER at
most ``MAX_WER``, or no worse than the weakest strength where even that mishears a word) becomes
the voice's operating point: ``boost_scale`` maps the default boost onto it (``prosody.plan_for``).

Costs ~6 conversions and ASR passes of ~12 s of speech: ~10-20 s per voice on two cores, reported as
progress.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from ..base import DEFAULT_SIMILARITY_BOOST
from .base_voice import Prosody
from .bases import by_id
from .profile import VoiceProfile

STRENGTHS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)  # strongest first
MAX_WER = 0.02
_MAX_SCALE = 1.0 / DEFAULT_SIMILARITY_BOOST  # the default boost may reach full strength, no further

# Unseen sentences, everyday words, ~12 s per language.
SENTENCES = {
    # None of these is in the benchmark's texts (bench/reference_voices.py), which judge the result.
    "en": (
        "The museum opens at nine, and children under twelve get in for free.",
        "Please leave your wet umbrella by the door before you come inside.",
        "We drove along the coast for an hour and stopped for lunch in a small fishing village.",
        "Her brother fixed the old bicycle with a new chain and two bright lights.",
        "If the weather stays dry, the football match will start at half past three.",
        "I forgot my keys at the office, so I had to wait for my neighbor to come home.",
        "The doctor said I should drink more water and walk every evening.",
        "Our team finished the report on time, thanks to everyone's hard work.",
    ),
    "es": (
        "El nuevo horario de autobuses empieza el mes que viene, así que revisa tu parada.",
        "Mi abuela cultivaba tomates y judías en un pequeño jardín detrás de su casa.",
        "Gracias por su paciencia, esperamos verle pronto otra vez.",
    ),
    "it": (
        "Il nuovo orario degli autobus inizia il mese prossimo, quindi controlla la tua fermata.",
        "Mia nonna coltivava pomodori e fagioli in un piccolo giardino dietro casa.",
        "Grazie per la pazienza, speriamo di rivedervi presto.",
    ),
    "pt": (
        "O novo horário dos ônibus começa no mês que vem, então confira o seu ponto.",
        "Minha avó plantava tomates e feijões num pequeno jardim atrás da casa.",
        "Obrigado pela paciência, esperamos ver você de novo em breve.",
    ),
}

Report = Callable[[float, str], None]


def calibrated(profile: VoiceProfile, report: Report, start: float, end: float) -> tuple[float, list[dict]]:
    """(boost_scale, the measurements per strength) for ``profile``; progress from ``start`` to ``end``."""
    from audio import asr

    from .prosody import plan_for
    from .rendering import convert

    profile = dataclasses.replace(profile, boost_scale=1.0)  # strengths here are absolute
    language = profile.language if profile.language in SENTENCES else "en"
    sentences = SENTENCES[language]
    base = by_id(profile.base_voice)
    neutral = profile.prosody["neutral"]
    base_audio = [
        future.result()
        for future in [
            base.speak_async(s, Prosody(length_scale=neutral.length_scale), language) for s in sentences
        ]
    ]
    words = sum(len(asr.normalize_words(s)) for s in sentences)
    results = []
    for index, strength in enumerate(STRENGTHS):
        report(
            start + (end - start) * index / len(STRENGTHS),
            f"Balancing likeness and clarity ({index + 1}/{len(STRENGTHS)})",
        )
        plan = plan_for(
            profile, emotion="neutral", speed=1.0, pitch=0.0, stability=0.5, similarity_boost=strength
        )
        errors = 0.0
        for sentence, audio in zip(sentences, base_audio, strict=True):
            spoken = convert(audio, profile, plan)
            heard = asr.transcribe(spoken, 22050, language=language, accurate=language != "en").text
            errors += asr.word_error_rate(sentence, heard) * len(asr.normalize_words(sentence))
        results.append({"strength": strength, "wer": round(errors / words, 4)})
    scale = float(np.clip(operating_point(results) / DEFAULT_SIMILARITY_BOOST, 0.0, _MAX_SCALE))
    return scale, results


def operating_point(results: list[dict]) -> float:
    """The strongest strength that passes, and every weaker one with it (one lucky pass at full
    strength among failures is noise, not a clear voice: seen on the bench, 20 % WER on other texts).
    Passing is a WER of at most MAX_WER, or at most the weakest strength's WER when even that one
    mishears (those errors are the base voice's or the ASR's, not the conversion's). ``results`` are
    ordered strongest first."""
    allowed = max(MAX_WER, results[-1]["wer"])
    chosen = results[-1]["strength"]
    for result in reversed(results):
        if result["wer"] > allowed:
            break
        chosen = result["strength"]
    return chosen
