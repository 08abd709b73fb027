"""A voice for XTTS: conditioning latents computed once from the references, stored as artifacts.

XTTS conditions on two things, both computed by ``get_conditioning_latents`` in coqui-tts: the
GPT's conditioning latents (speaking style, from up to ``gpt_cond_len`` seconds of the references
joined together) and the vocoder's speaker embedding (timbre, averaged over the references). We do
the same from arrays rather than file paths (coqui's file loading needs torchcodec + FFmpeg).

XTTS has no emotion input: the emotion of the output follows the reference that conditions it. So
references tagged with an emotion get their own latents, and ``synthesize(emotion=X)`` uses them.
Lookup: the requested emotion's latents, else the neutral ones, else those of all references.
"""

from __future__ import annotations

import io
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from errors import Conflict, InvalidAudio

from ..base import Artifacts, ProgressCallback, Reference
from .model import LoadedXtts

if TYPE_CHECKING:
    import torch

ARTIFACT_NAME = "xtts_latents.pth"
FORMAT_VERSION = 1
ALL_REFERENCES = "*"
GPT_SAMPLE_RATE = 22050  # the rate XTTS's conditioning mel spectrograms are computed at


def prepare_latents(
    loaded: LoadedXtts, references: list[Reference], progress: ProgressCallback | None = None
) -> dict[str, dict[str, torch.Tensor]]:
    """Latents per emotion tag present, plus one set from all references together."""
    import torch

    if not references:
        raise InvalidAudio("XTTS needs at least one reference clip.", field="samples")
    clips = [_clip(loaded, reference) for reference in references]
    # The speaker encoder is the slow part: one embedding per clip, averaged per group below.
    embeddings = []
    for done, clip in enumerate(clips):
        if progress:
            progress(0.5 * done / len(clips), "speaker embedding")
        embeddings.append(_speaker_embedding(loaded, clip))
    groups: dict[str, list[int]] = defaultdict(list)
    for index, reference in enumerate(references):
        groups[reference.emotion or "neutral"].append(index)
    if len(groups) > 1:
        groups[ALL_REFERENCES] = list(range(len(references)))
    voices = {}
    for done, (emotion, members) in enumerate(groups.items()):
        if progress:
            progress(0.5 + 0.5 * done / len(groups), f"conditioning latents ({emotion})")
        voices[emotion] = {
            "gpt_cond_latent": _gpt_cond_latent(loaded, [clips[i] for i in members]),
            "speaker_embedding": torch.stack([embeddings[i] for i in members]).mean(dim=0),
        }
    return voices


def _clip(loaded: LoadedXtts, reference: Reference) -> torch.Tensor:
    """(1, samples) at 22.05 kHz, at most ``max_ref_len`` seconds, as coqui loads its references."""
    import torch
    import torchaudio

    audio = torch.as_tensor(reference.samples, dtype=torch.float32).reshape(1, -1)
    audio = torchaudio.functional.resample(audio, reference.sample_rate, GPT_SAMPLE_RATE)
    return audio[:, : int(loaded.model.config.max_ref_len * GPT_SAMPLE_RATE)]


def _speaker_embedding(loaded: LoadedXtts, clip: torch.Tensor) -> torch.Tensor:
    with loaded.lock:
        return loaded.model.get_speaker_embedding(clip.to(loaded.device), GPT_SAMPLE_RATE).cpu()


def _gpt_cond_latent(loaded: LoadedXtts, clips: list[torch.Tensor]) -> torch.Tensor:
    import torch

    config = loaded.model.config
    try:
        with loaded.lock:
            latent = loaded.model.get_gpt_cond_latents(
                torch.cat(clips, dim=-1).to(loaded.device),
                GPT_SAMPLE_RATE,
                length=config.gpt_cond_len,
                chunk_length=config.gpt_cond_chunk_len,
            )
    except RuntimeError as exc:  # coqui: "Provided reference audio too short"
        raise InvalidAudio(f"The references are too short for XTTS: {exc}", field="samples") from exc
    return latent.cpu()


def dump(voices: dict[str, dict[str, torch.Tensor]], fingerprint: str) -> Artifacts:
    import torch

    buffer = io.BytesIO()
    torch.save({"format_version": FORMAT_VERSION, "checkpoint": fingerprint, "voices": voices}, buffer)
    return {ARTIFACT_NAME: buffer.getvalue()}


def load(artifacts: Artifacts, fingerprint: str) -> dict[str, dict[str, torch.Tensor]]:
    import torch

    if ARTIFACT_NAME not in artifacts:
        raise Conflict(
            "This voice has no XTTS profile: prepare it with the XTTS engine.", code="profile_missing"
        )
    # weights_only: tensors, strings and dicts only, so a tampered artifact cannot run code.
    data: dict[str, Any] = torch.load(
        io.BytesIO(artifacts[ARTIFACT_NAME]), map_location="cpu", weights_only=True
    )
    if data.get("format_version") != FORMAT_VERSION or data.get("checkpoint") != fingerprint:
        raise Conflict(
            "This voice was prepared for another XTTS checkpoint or profile format: prepare it again.",
            code="profile_outdated",
        )
    return data["voices"]


def pick(voices: dict[str, dict[str, torch.Tensor]], emotion: str) -> dict[str, torch.Tensor]:
    for key in (emotion, "neutral", ALL_REFERENCES):
        if key in voices:
            return voices[key]
    return next(iter(voices.values()))  # only other emotions were given: any is better than none
