"""The XTTS v2 engine (coqui-tts): zero-shot cloning in 17 languages, on GPU workers.

How the studio's controls map onto XTTS, which only has text, language, speed and sampling knobs:
- emotion: no parameter. References tagged with an emotion condition the model when that emotion
  is asked for (see ``voice.py``); without such references every emotion sounds like the samples.
- stability 0..1: the GPT's sampling temperature, ``0.85 - 0.6 * stability`` clamped to
  [0.25, 0.85]. 0 is the most varied (coqui's highest preset), 0.5 gives 0.55, 1 gives 0.25: steady
  but still sampled (near 0 the GPT loops). coqui's default 0.75 is stability ≈ 0.17.
- speed: native. XTTS stretches the GPT latents by 1/speed before the vocoder, so duration scales
  and pitch does not.
- similarity_boost: no effect. XTTS has no knob between likeness and clarity; how closely it follows
  the samples is set by their conditioning latents alone.
- pitch (semitones): post-processing with WORLD (``postprocess.shift_pitch``), duration unchanged.
- long text: split at sentences and packed up to XTTS's per-language limits (``text.py``).
- ``options.extra["seed"]``: fixes the sampling for a reproducible render;
  ``options.extra["stream_chunk_tokens"]``: GPT tokens per streamed chunk (default 20).
Output: mono float32 at 24 kHz.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from errors import InvalidInput

from .. import postprocess
from ..base import (
    Artifacts,
    Audio,
    Availability,
    EngineLicense,
    ProgressCallback,
    Reference,
    SynthesisOptions,
)
from . import model as xtts_model
from . import text as xtts_text
from . import voice as xtts_voice

if TYPE_CHECKING:
    import torch

# The 17 languages of XTTS v2, with the studio's codes (XTTS itself says "zh-cn" for Chinese).
XTTS_LANGUAGES = (
    "en", "es", "fr", "de", "it", "pt", "pl", "tr", "ru", "nl", "cs", "ar", "zh", "hu", "ko", "ja", "hi",
)  # fmt: skip
# The same languages as a checkpoint's config.json and vocab name them.
CHECKPOINT_LANGUAGES = tuple("zh-cn" if code == "zh" else code for code in XTTS_LANGUAGES)
# GPT tokens per streamed chunk: coqui's default. Each token is 1024 samples at 22.05 kHz (46 ms),
# so a chunk is ~0.93 s of speech; smaller chunks start sooner but cost more vocoder passes.
STREAM_CHUNK_TOKENS = 20


def temperature_for(stability: float) -> float:
    return float(min(0.85, max(0.25, 0.85 - 0.6 * stability)))


class XttsEngine:
    name = "xtts"
    label = "XTTS v2"
    license = EngineLicense(
        "CPML (Coqui Public Model License)",
        commercial_use=False,
        notes="Non-commercial use only: the XTTS v2 weights are under the CPML, and Coqui, which shut down "
        "in 2024, no longer sells commercial licences. The coqui-tts code itself is MPL-2.0.",
    )
    languages = XTTS_LANGUAGES
    queue = "gpu"

    def __init__(self, *, checkpoint_dir: str | Path | None = None) -> None:
        """``checkpoint_dir``: the XTTS v2 folder (the studio passes ``STUDIO_XTTS_DIR``); without it the
        engine is available only where coqui's model manager may download (``COQUI_TOS_AGREED=1``)."""
        self.checkpoint_dir = xtts_model.configured_dir(checkpoint_dir)
        self._models = xtts_model.ModelCache()

    def availability(self) -> Availability:
        missing = xtts_model.missing_modules()
        if missing:
            return Availability(False, f"{', '.join(missing)} not installed: {xtts_model.INSTALL_HINT}.")
        problem = xtts_model.source_problem(self.checkpoint_dir)
        return Availability(not problem, problem)

    def prepare(
        self,
        references: list[Reference],
        *,
        tier: str = "instant",
        progress: ProgressCallback | None = None,
    ) -> Artifacts:
        # The tier does not change XTTS's recipe: it is zero-shot, and more reference than
        # gpt_cond_len (30 s for v2) is not used by the GPT anyway.
        loaded = self._models.get(self.checkpoint_dir)
        voices = xtts_voice.prepare_latents(loaded, references, progress)
        if progress:
            progress(1.0, None)
        return xtts_voice.dump(voices, loaded.fingerprint)

    def synthesize(self, artifacts: Artifacts, text: str, options: SynthesisOptions) -> Audio:
        chunks = [chunk.samples for chunk in self._render(artifacts, text, options, streaming=False)]
        loaded = self._models.get(self.checkpoint_dir)
        samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
        return Audio(samples.astype(np.float32), loaded.sample_rate)

    def stream(self, artifacts: Artifacts, text: str, options: SynthesisOptions) -> Iterator[Audio]:
        """Chunks as the GPT makes them (``inference_stream``); pitch is shifted per chunk."""
        yield from self._render(artifacts, text, options, streaming=True)

    def _render(
        self, artifacts: Artifacts, text: str, options: SynthesisOptions, *, streaming: bool
    ) -> Iterator[Audio]:
        loaded = self._models.get(self.checkpoint_dir)
        language = self._language(options.language)
        conditioning = self._conditioning(loaded, artifacts, options)
        pieces = xtts_text.split_text(text, language, loaded.model.tokenizer.char_limits)
        if not pieces:
            raise InvalidInput("There is nothing to say in this text.", field="text")
        settings = self._sampling(loaded, options)
        for piece in pieces:
            for wav in _generate(loaded, piece, language, conditioning, settings, streaming, options.extra):
                samples = postprocess.shift_pitch(wav, loaded.sample_rate, options.pitch)
                yield Audio(np.clip(samples, -1.0, 1.0).astype(np.float32), loaded.sample_rate)

    def _language(self, language: str) -> str:
        code = xtts_text.base_language(language or "en")
        if code not in XTTS_LANGUAGES:
            raise InvalidInput(
                f"XTTS v2 speaks {', '.join(XTTS_LANGUAGES)}, not {language!r}.", field="language"
            )
        return code

    def _conditioning(
        self, loaded: xtts_model.LoadedXtts, artifacts: Artifacts, options: SynthesisOptions
    ) -> dict[str, torch.Tensor]:
        if not artifacts:
            return _builtin_speaker(loaded, options.extra.get("speaker"))
        voices = xtts_voice.load(artifacts, loaded.fingerprint)
        return xtts_voice.pick(voices, options.emotion)

    @staticmethod
    def _sampling(loaded: xtts_model.LoadedXtts, options: SynthesisOptions) -> dict[str, Any]:
        config = loaded.model.config
        return {
            "temperature": temperature_for(options.stability),
            "speed": float(options.speed),
            "repetition_penalty": float(config.repetition_penalty),
            "length_penalty": float(config.length_penalty),
            "top_k": int(config.top_k),
            "top_p": float(config.top_p),
        }


def _generate(
    loaded: xtts_model.LoadedXtts,
    text: str,
    language: str,
    conditioning: dict[str, torch.Tensor],
    settings: dict[str, Any],
    streaming: bool,
    extra: dict[str, Any],
) -> Iterator[np.ndarray]:
    import torch

    latent = conditioning["gpt_cond_latent"].to(loaded.device)
    embedding = conditioning["speaker_embedding"].to(loaded.device)
    # The lock is held across the yields of a stream: the model's per-call state must not be
    # overwritten by another thread mid-stream. Closing the generator releases it.
    with loaded.lock, torch.inference_mode():
        if extra.get("seed") is not None:
            torch.manual_seed(int(extra["seed"]))
        if not streaming:
            result = loaded.model.inference(text, language, latent, embedding, **settings)
            yield np.asarray(result["wav"], dtype=np.float32).reshape(-1)
            return
        chunks = loaded.model.inference_stream(
            text,
            language,
            latent,
            embedding,
            stream_chunk_size=int(extra.get("stream_chunk_tokens", STREAM_CHUNK_TOKENS)),
            **settings,
        )
        for chunk in chunks:
            yield chunk.detach().float().cpu().numpy().reshape(-1)


def _builtin_speaker(loaded: xtts_model.LoadedXtts, speaker: str | None) -> dict[str, torch.Tensor]:
    """Built-in voices carry no artifacts: they use coqui's speakers (speakers_xtts.pth)."""
    manager = loaded.model.speaker_manager
    if manager is None or not manager.speakers:
        raise InvalidInput("This voice has no XTTS profile, and the checkpoint has no built-in speakers.")
    name = speaker if speaker in manager.speakers else next(iter(manager.speakers))
    latents = manager.speakers[name]
    return {"gpt_cond_latent": latents["gpt_cond_latent"], "speaker_embedding": latents["speaker_embedding"]}
