"""Finding and loading the XTTS v2 checkpoint, once per process.

Two sources, in this order:
1. The engine's ``checkpoint_dir`` (the studio passes ``STUDIO_XTTS_DIR``): a directory with ``model.pth``, ``config.json``, ``vocab.json`` and optionally
   ``speakers_xtts.pth`` (coqui's built-in speakers), loaded with ``Xtts.load_checkpoint``.
2. Otherwise, on a machine that is online, coqui-tts's model manager downloads XTTS v2 into its
   cache — only when ``COQUI_TOS_AGREED=1``: without it coqui asks for agreement on ``input()``,
   which would hang a worker forever.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from errors import EngineUnavailable

REQUIRED_FILES = ("model.pth", "config.json", "vocab.json")
COQUI_MODEL_NAME = "tts_models/multilingual/multi-dataset/xtts_v2"
INSTALL_HINT = "install the xtts extra with scripts/install-xtts.sh"


@dataclass
class LoadedXtts:
    model: Any  # TTS.tts.models.xtts.Xtts
    device: str
    fingerprint: str  # which checkpoint: stored with each voice's latents
    # XTTS keeps per-call state on the model (the GPT's prefix embedding), so calls take turns.
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def sample_rate(self) -> int:
        return int(self.model.args.output_sample_rate)


def missing_modules() -> list[str]:
    """Python packages the engine needs that are not installed (checked without importing them)."""
    needed = {"torch": "torch", "torchaudio": "torchaudio", "TTS": "coqui-tts"}
    return [package for module, package in needed.items() if importlib.util.find_spec(module) is None]


def configured_dir(value: str | Path | None) -> Path | None:
    """The checkpoint folder the operator named (``STUDIO_XTTS_DIR``), or None."""
    value = str(value or "")
    return Path(value).expanduser() if value.strip() else None


def missing_files(directory: Path) -> list[str]:
    return [name for name in REQUIRED_FILES if not (directory / name).is_file()]


def tos_agreed() -> bool:
    return os.environ.get("COQUI_TOS_AGREED") == "1"


def source_problem(directory: Path | None) -> str:
    """Why no checkpoint can be had, in words an operator can act on; "" when one can."""
    if directory is None:
        if tos_agreed():
            return ""  # the model manager downloads it on first use
        return (
            "STUDIO_XTTS_DIR is not set. Point it at a directory holding the XTTS v2 files "
            f"({', '.join(REQUIRED_FILES)}, optionally speakers_xtts.pth), or, on a machine that is online, "
            "set COQUI_TOS_AGREED=1 to accept the non-commercial CPML and let coqui-tts download it."
        )
    if not directory.is_dir():
        return f"STUDIO_XTTS_DIR={directory} is not a directory."
    missing = missing_files(directory)
    if missing:
        return f"STUDIO_XTTS_DIR={directory} lacks {', '.join(missing)}."
    return ""


def checkpoint_dir(directory: Path | None) -> Path:
    """The directory to load from, downloading through coqui's model manager if that is the source."""
    problem = source_problem(directory)
    if problem:
        raise EngineUnavailable(f"The XTTS engine is not available here: {problem}", field="engine")
    if directory is not None:
        return directory
    from TTS.utils.manage import ModelManager

    # COQUI_TOS_AGREED=1 is set (source_problem checked), so coqui never reaches its input() prompt.
    model_path, _config_path, _item = ModelManager(progress_bar=False).download_model(COQUI_MODEL_NAME)
    return Path(model_path).parent


def fingerprint(directory: Path) -> str:
    """Identifies a checkpoint cheaply: its config and the size of its weights."""
    digest = hashlib.sha256((directory / "config.json").read_bytes())
    digest.update(str((directory / "model.pth").stat().st_size).encode())
    return digest.hexdigest()[:16]


def load(directory: Path) -> LoadedXtts:
    try:
        import torch
        from TTS.tts.configs.xtts_config import XttsConfig
        from TTS.tts.models.xtts import Xtts
    except (ImportError, OSError) as exc:
        # OSError: torchaudio's CUDA extension next to a CPU torch; the install script fixes it.
        raise EngineUnavailable(
            f"coqui-tts cannot be imported ({exc}); {INSTALL_HINT}.", field="engine"
        ) from exc

    config = XttsConfig()
    config.load_json(str(directory / "config.json"))
    model = Xtts(config)
    model.load_checkpoint(config, checkpoint_dir=str(directory), eval=True, use_deepspeed=False)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model.to(device)
    return LoadedXtts(model=model, device=device, fingerprint=fingerprint(directory))


class ModelCache:
    """One loaded model per process, reloaded only if the configured source changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: str | None = None
        self._loaded: LoadedXtts | None = None

    def get(self, directory: Path | None) -> LoadedXtts:
        key = str(directory or COQUI_MODEL_NAME)
        with self._lock:
            if self._loaded is None or self._key != key:
                self._loaded = None  # free the old one before loading the next
                self._loaded = load(checkpoint_dir(directory))
                self._key = key
            return self._loaded

    @property
    def loaded(self) -> LoadedXtts | None:
        return self._loaded
