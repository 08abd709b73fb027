"""OpenVoice v2 tone-colour conversion (coqui-tts, MIT) on top of the offline engine's speech.

Two stages, as OpenVoice was designed: a base TTS says the text, then the converter swaps the
timbre for the target speaker's. The base speech comes from the offline engine
(``get_engine("offline")``) with the voice's own offline profile when it has one, so pitch range,
rhythm and emotion already follow the references; the converter then replaces the timbre, which
WORLD's envelope mapping only approximates. Speed, pitch and emotion are the offline engine's.

Weights: the engine's ``checkpoint_dir`` (the studio passes ``STUDIO_OPENVOICE_DIR``) with ``config.json`` (OpenVoice's own format) and
``checkpoint.pth``, e.g. ``checkpoints_v2/converter`` of the OpenVoice v2 release (MIT, ~131 MB).
Licence: the converter is MIT, but what it converts is the base voice's speech, so the base voice's
terms (and its commercial-use answer) apply to the output.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from errors import Conflict, EngineUnavailable, InvalidAudio

from .base import (
    Artifacts,
    Audio,
    Availability,
    Engine,
    EngineLicense,
    ProgressCallback,
    Reference,
    SynthesisOptions,
)

if TYPE_CHECKING:
    import torch

BASE_ENGINE = "offline"
REQUIRED_FILES = ("config.json", "checkpoint.pth")
TARGET_ARTIFACT = "openvoice_target.pth"
BASE_PREFIX = "offline/"  # the base engine's own artifacts, stored alongside ours
FORMAT_VERSION = 1
INSTALL_HINT = "install the xtts extra with scripts/install-xtts.sh"


@dataclass
class LoadedConverter:
    model: Any  # TTS.vc.models.openvoice.OpenVoice
    device: str
    fingerprint: str
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def sample_rate(self) -> int:
        return int(self.model.config.audio.output_sample_rate)


class OpenVoiceEngine:
    name = "openvoice"
    label = "OpenVoice v2"
    queue = "gpu"  # the converter is a torch model; it runs on CPU too, several times slower

    def __init__(self, *, checkpoint_dir: str | Path | None = None) -> None:
        """``checkpoint_dir``: the converter folder (the studio passes ``STUDIO_OPENVOICE_DIR``)."""
        self.checkpoint_dir = _configured_dir(checkpoint_dir)
        self._lock = threading.Lock()
        self._key: str | None = None
        self._loaded: LoadedConverter | None = None

    # --- What it is -------------------------------------------------------------------------------

    @property
    def license(self) -> EngineLicense:
        base = self._base_or_none()
        if base is None:
            return EngineLicense("MIT (converter) + the offline engine's base voice", commercial_use=False)
        return EngineLicense(
            f"MIT (OpenVoice v2 converter) + base voice: {base.license.name}",
            commercial_use=base.license.commercial_use,
            notes=f"The converter and its weights are MIT. It converts speech made by the {base.label} "
            f"engine, whose terms apply to the output. {base.license.notes}".strip(),
        )

    @property
    def languages(self) -> tuple[str, ...]:
        base = self._base_or_none()
        return tuple(base.languages) if base is not None else ("en",)

    def voice_languages(self, voice_language: str) -> tuple[str, ...]:
        """Those of the base engine for this voice (the offline engine's depend on its base voice)."""
        base = self._base_or_none()
        spoken = getattr(base, "voice_languages", None)
        return tuple(spoken(voice_language)) if spoken is not None else self.languages

    def availability(self) -> Availability:
        missing = [
            pkg
            for module, pkg in (("torch", "torch"), ("TTS", "coqui-tts"))
            if not importlib.util.find_spec(module)
        ]
        if missing:
            return Availability(False, f"{', '.join(missing)} not installed: {INSTALL_HINT}.")
        problem = _dir_problem(self.checkpoint_dir)
        if problem:
            return Availability(False, problem)
        base = self._base_or_none()
        if base is None:
            return Availability(
                False, "the base voice comes from the offline engine, which cannot be loaded here."
            )
        base_availability = base.availability()
        if not base_availability.available:
            return Availability(
                False, f"the base voice's offline engine is unavailable: {base_availability.reason}"
            )
        return Availability(True)

    # --- Voices and speech ------------------------------------------------------------------------

    def prepare(
        self,
        references: list[Reference],
        *,
        tier: str = "instant",
        progress: ProgressCallback | None = None,
    ) -> Artifacts:
        if not references:
            raise InvalidAudio("OpenVoice needs at least one reference clip.", field="samples")
        converter = self._converter()
        base_progress = (lambda fraction, step: progress(0.8 * fraction, step)) if progress else None
        base_artifacts = self._base().prepare(references, tier=tier, progress=base_progress)
        if progress:
            progress(0.8, "tone colour embedding")
        target = _target_embedding(converter, references)
        artifacts = {BASE_PREFIX + name: data for name, data in base_artifacts.items()}
        artifacts[TARGET_ARTIFACT] = _dump_target(target, converter.fingerprint)
        if progress:
            progress(1.0, None)
        return artifacts

    def synthesize(self, artifacts: Artifacts, text: str, options: SynthesisOptions) -> Audio:
        converter = self._converter()
        target = _load_target(artifacts, converter.fingerprint)
        base = self._base().synthesize(_base_artifacts(artifacts), text, options)
        return Audio(_convert(converter, base, target), converter.sample_rate)

    def stream(self, artifacts: Artifacts, text: str, options: SynthesisOptions) -> Iterator[Audio]:
        """The base engine's chunks (sentences or phrases), each converted as it arrives."""
        converter = self._converter()
        target = _load_target(artifacts, converter.fingerprint)
        for chunk in self._base().stream(_base_artifacts(artifacts), text, options):
            yield Audio(_convert(converter, chunk, target), converter.sample_rate)

    # --- Loading ----------------------------------------------------------------------------------

    def _base(self) -> Engine:
        from . import get_available_engine

        return get_available_engine(BASE_ENGINE)

    def _base_or_none(self) -> Engine | None:
        from . import get_engine

        try:
            return get_engine(BASE_ENGINE)
        except (ImportError, AttributeError):  # the offline engine's module is missing or broken
            return None

    def _converter(self) -> LoadedConverter:
        directory = self.checkpoint_dir
        problem = _dir_problem(directory)
        if problem:
            raise EngineUnavailable(f"The OpenVoice engine is not available here: {problem}", field="engine")
        assert directory is not None
        with self._lock:
            if self._loaded is None or self._key != str(directory):
                self._loaded = None
                self._loaded = _load_converter(directory)
                self._key = str(directory)
            return self._loaded


def _configured_dir(value: str | Path | None) -> Path | None:
    value = str(value or "")
    return Path(value).expanduser() if value.strip() else None


def _dir_problem(directory: Path | None) -> str:
    if directory is None:
        return (
            "STUDIO_OPENVOICE_DIR is not set. Point it at the OpenVoice v2 converter directory "
            f"({', '.join(REQUIRED_FILES)}; checkpoints_v2/converter of the MIT-licensed release)."
        )
    if not directory.is_dir():
        return f"STUDIO_OPENVOICE_DIR={directory} is not a directory."
    missing = [name for name in REQUIRED_FILES if not (directory / name).is_file()]
    if missing:
        return f"STUDIO_OPENVOICE_DIR={directory} lacks {', '.join(missing)}."
    return ""


def _load_converter(directory: Path) -> LoadedConverter:
    try:
        import torch
        from TTS.vc.configs.openvoice_config import OpenVoiceConfig
        from TTS.vc.models.openvoice import OpenVoice
    except (ImportError, OSError) as exc:
        raise EngineUnavailable(
            f"coqui-tts cannot be imported ({exc}); {INSTALL_HINT}.", field="engine"
        ) from exc

    config = OpenVoiceConfig()
    original = json.loads((directory / "config.json").read_text())
    # coqui maps only the audio settings of OpenVoice's config.json (in load_checkpoint); take the
    # architecture from its "model" section too, so a converter with other sizes loads as well.
    for key, value in original.get("model", {}).items():
        if hasattr(config.model_args, key):
            setattr(config.model_args, key, value)
    model = OpenVoice(config)
    model.load_checkpoint(config, directory / "checkpoint.pth", eval=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model.to(device)
    digest = hashlib.sha256((directory / "config.json").read_bytes())
    digest.update(str((directory / "checkpoint.pth").stat().st_size).encode())
    return LoadedConverter(model=model, device=device, fingerprint=digest.hexdigest()[:16])


def _as_input(converter: LoadedConverter, samples: np.ndarray, sample_rate: int) -> torch.Tensor:
    import torch
    import torchaudio

    audio = torch.as_tensor(np.asarray(samples, dtype=np.float32)).reshape(1, -1)
    return torchaudio.functional.resample(audio, sample_rate, converter.sample_rate).to(converter.device)


def _target_embedding(converter: LoadedConverter, references: list[Reference]) -> torch.Tensor:
    import torch

    embeddings = []
    with converter.lock, torch.inference_mode():
        for reference in references:
            embedding, _spec = converter.model.extract_se(
                _as_input(converter, reference.samples, reference.sample_rate)
            )
            embeddings.append(embedding)
    return torch.stack(embeddings).mean(dim=0).cpu()


def _convert(converter: LoadedConverter, audio: Audio, target: torch.Tensor) -> np.ndarray:
    import torch

    if audio.samples.size == 0:
        return np.zeros(0, dtype=np.float32)
    with converter.lock, torch.inference_mode():
        source, spec = converter.model.extract_se(_as_input(converter, audio.samples, audio.sample_rate))
        outputs = converter.model.inference(spec, {"g_src": source, "g_tgt": target.to(converter.device)})
    samples = outputs["model_outputs"][0, 0].float().cpu().numpy()
    return np.clip(samples, -1.0, 1.0).astype(np.float32)


def _base_artifacts(artifacts: Artifacts) -> Artifacts:
    return {
        name[len(BASE_PREFIX) :]: data for name, data in artifacts.items() if name.startswith(BASE_PREFIX)
    }


def _dump_target(target: torch.Tensor, fingerprint: str) -> bytes:
    import torch

    buffer = io.BytesIO()
    torch.save({"format_version": FORMAT_VERSION, "checkpoint": fingerprint, "target_se": target}, buffer)
    return buffer.getvalue()


def _load_target(artifacts: Artifacts, fingerprint: str) -> torch.Tensor:
    import torch

    if TARGET_ARTIFACT not in artifacts:
        raise Conflict(
            "This voice has no OpenVoice profile: prepare it with the OpenVoice engine.",
            code="profile_missing",
        )
    data = torch.load(io.BytesIO(artifacts[TARGET_ARTIFACT]), map_location="cpu", weights_only=True)
    if data.get("format_version") != FORMAT_VERSION or data.get("checkpoint") != fingerprint:
        raise Conflict(
            "This voice was prepared for another OpenVoice converter or profile format: prepare it again.",
            code="profile_outdated",
        )
    return data["target_se"]
