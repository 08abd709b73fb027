#!/usr/bin/env bash
# Install the `xtts` extra from its lock file: XTTS v2 and the OpenVoice v2 converter through
# coqui-tts 0.28, on a GPU worker (CUDA torch) or a CPU machine (CPU torch).
#
# Usage:   scripts/install-xtts.sh            (into $VIRTUAL_ENV, else ./.venv, else python3)
#          PYTHON=/path/to/venv/bin/python scripts/install-xtts.sh
#          XTTS_TORCH=cpu|cuda scripts/install-xtts.sh   (default: cuda when nvidia-smi sees a GPU)
#          XTTS_LOCK=requirements/test.txt scripts/install-xtts.sh   (another lock; bootstrap's test profile)
#
# What it does (docs/decisions.md, "Lock files" and "XTTS install"):
#  1. torch first, at the lock's version. The lock holds the CPU build (`torch==2.13.0+cpu`); on a
#     CUDA worker the same version comes from PyPI, where the plain wheel is the CUDA build with its
#     nvidia-* wheels. Everything after is installed with the torch line removed from the lock and
#     torch pinned to what is installed, so nothing can swap it: the lock is the constraints file
#     that works with the CUDA wheel.
#  2. Every other package at exactly the lock's version (requirements/xtts.txt is made by scripts/lock
#     with the `worker` and `xtts` extras; transformers stays below 5.24, which breaks coqui-tts 0.28).
#  3. torchaudio 2.11 from PyPI is a CUDA build against torch 2.11: next to torch 2.13 its extension
#     libraries fail to load (`import torchaudio` raises OSError). With the files in torchaudio/lib/
#     removed, torchaudio runs in pure-Python mode, which is all coqui-tts needs (resample, mel
#     spectrograms). We remove them only when the import fails.
#  4. torchcodec is pinned to 0.13.0: later wheels need CUDA. It loads the system FFmpeg (Debian's
#     ffmpeg 5.1 is fine); our engines pass arrays, never file paths, so they work without it.
#
# Idempotent: a second run finds torch, the packages and the torchaudio fix in place and only
# re-checks them. Nothing here touches the web tier's imports: the studio runs without any of it.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCK="${XTTS_LOCK:-$repo_root/requirements/xtts.txt}"
[[ "$LOCK" = /* ]] || LOCK="$repo_root/$LOCK"
TORCH_CPU_INDEX="${XTTS_TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}"
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -n "${VIRTUAL_ENV:-}" ]]; then
        PYTHON="$VIRTUAL_ENV/bin/python"
    elif [[ -x "$repo_root/.venv/bin/python" ]]; then
        PYTHON="$repo_root/.venv/bin/python"
    else
        PYTHON="python3"
    fi
fi

log() { printf '[install-xtts] %s\n' "$*" >&2; }
pip() { "$PYTHON" -m pip "$@" 2> >(grep -v "^WARNING: Location" >&2); }

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

locked_torch="$(sed -n 's/^torch==\([^ ]*\).*/\1/p' "$LOCK")"
[[ -n "$locked_torch" ]] || { log "no torch line in $LOCK"; exit 1; }
TORCH_VERSION="${locked_torch%%+*}"

torch_flavour() {
    if [[ -n "${XTTS_TORCH:-}" ]]; then
        echo "$XTTS_TORCH"
    elif command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
        echo cuda
    else
        echo cpu
    fi
}

# Prints "<version> <cuda|cpu>" of the installed torch, or nothing.
installed_torch() {
    "$PYTHON" - <<'PY' 2>/dev/null || true
import torch
print(torch.__version__, "cuda" if torch.version.cuda else "cpu")
PY
}

install_torch() {
    local flavour current
    flavour="$(torch_flavour)"
    current="$(installed_torch)"
    if [[ "$current" == "$TORCH_VERSION"* ]] && [[ "$current" == *" $flavour" ]]; then
        log "torch $current already installed"
        return
    fi
    if [[ "$flavour" == cuda ]]; then
        # PyPI's plain torch wheel is the CUDA build. Ignore pip config files and PIP_FIND_LINKS so
        # a local `+cpu` wheel cannot shadow it (PIP_INDEX_URL still applies, for mirrors).
        log "installing torch==$TORCH_VERSION (CUDA build from the package index)"
        env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null "$PYTHON" -m pip install "torch==$TORCH_VERSION"
        return
    fi
    log "installing torch==$TORCH_VERSION+cpu"
    pip install "torch==$TORCH_VERSION+cpu" ||
        pip install --extra-index-url "$TORCH_CPU_INDEX" "torch==$TORCH_VERSION+cpu"
}

install_locked() {
    local torch_exact
    torch_exact="$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("torch"))')"
    grep -vE '^torch==' "$LOCK" >"$workdir/lock.txt"
    echo "torch==$torch_exact" >"$workdir/torch.txt"
    # A CPU torch next to CUDA-only wheels would mean a broken lock: refuse before installing them.
    if [[ "$torch_exact" == *+cpu ]] && grep -qiE '^(nvidia-|triton==)' "$workdir/lock.txt"; then
        log "refusing: $LOCK holds CUDA packages next to a CPU torch"
        exit 1
    fi
    log "installing $(grep -c '==' "$workdir/lock.txt") locked packages from $LOCK (torch $torch_exact kept)"
    pip install -q -r "$workdir/lock.txt" -c "$workdir/torch.txt"
}

fix_torchaudio() {
    if "$PYTHON" -c 'import torchaudio' 2>/dev/null; then
        log "torchaudio imports fine"
        return
    fi
    local lib_dir
    lib_dir="$("$PYTHON" -c 'import importlib.util, os; print(os.path.join(os.path.dirname(importlib.util.find_spec("torchaudio").origin), "lib"))')"
    log "torchaudio's extension does not load next to this torch: removing $lib_dir/*.so"
    find "$lib_dir" -maxdepth 1 -name '*.so' -print -delete >&2
    "$PYTHON" -c 'import torchaudio' # fail loudly if that was not the cause
}

check() {
    "$PYTHON" - <<'PY'
import torch, torchaudio, transformers
from TTS.tts.models.xtts import Xtts  # noqa: F401
from TTS.vc.models.openvoice import OpenVoice  # noqa: F401
print(f"[install-xtts] ok: torch {torch.__version__} (cuda: {torch.cuda.is_available()}), "
      f"torchaudio {torchaudio.__version__}, transformers {transformers.__version__}, coqui-tts importable")
PY
    if ! "$PYTHON" -c 'import torchcodec.decoders' >/dev/null 2>&1; then
        log "note: torchcodec cannot load FFmpeg here (apt-get install ffmpeg to fix). The studio's"
        log "      engines pass audio as arrays and do not need it; coqui's file loading would."
    fi
}

log "python: $PYTHON, lock: $LOCK"
install_torch
install_locked
fix_torchaudio
check
