#!/usr/bin/env bash
# Install the `xtts` extra: XTTS v2 and the OpenVoice v2 converter through coqui-tts 0.28.
#
# Usage:   scripts/install-xtts.sh            (into $VIRTUAL_ENV, else ./.venv, else python3)
#          PYTHON=/path/to/venv/bin/python scripts/install-xtts.sh
#          XTTS_TORCH=cpu|cuda scripts/install-xtts.sh   (default: cuda when nvidia-smi sees a GPU)
#
# Why a script and not only `pip install .[xtts]` (DESIGN.md §4, re-checked while writing this):
#  1. torch must come first and pinned. A plain `torch` from PyPI is the CUDA build and drags in
#     several GB of nvidia-* wheels; on a CPU machine we want the `+cpu` build (a local wheel here,
#     or PyTorch's CPU index elsewhere). Everything after is installed with a constraints file that
#     pins torch to exactly what is installed, so nothing can swap it.
#  2. coqui-tts 0.28 declares neither torch nor torchaudio (they sit in its [cpu]/[cuda] extras),
#     but imports torchaudio. PyPI only has torchaudio 2.11, a CUDA build against torch 2.11: next
#     to torch 2.13 its extension libraries fail to load (`import torchaudio` raises OSError). With
#     the files in torchaudio/lib/ removed, torchaudio runs in pure-Python mode, which is all
#     coqui-tts needs (resample, mel spectrograms). We remove them only when the import fails.
#  3. torchcodec is pinned to 0.13.0: later wheels need CUDA. It loads the system FFmpeg (Debian's
#     ffmpeg 5.1 is fine); our engines pass arrays, never file paths, so they work without it.
#  4. `six` is imported by coqui-tts's dependencies but not declared.
#  5. cutlet + fugashi[unidic-lite] (Japanese) and pypinyin (Chinese) are the text front ends XTTS
#     needs for two of its 17 languages; coqui-tts keeps them in extras.
#  6. Every package already in the environment keeps its version (the web tier's numpy, scipy,
#     onnxruntime, av...): they go into the constraints file too. If coqui-tts ever needs a
#     different version, pip stops with a conflict instead of silently changing the web tier.
#
# Idempotent: a second run finds torch, the packages and the torchaudio fix in place and only
# re-checks them. Nothing here touches the web tier's imports: the studio runs without any of it.
set -euo pipefail

TORCH_VERSION="${XTTS_TORCH_VERSION:-2.13.0}"
TORCH_CPU_INDEX="${XTTS_TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}"
PACKAGES=(
    "coqui-tts==0.28.0"
    "torchaudio==2.11.0"
    "torchcodec==0.13.0"
    "six"
    "cutlet"
    "fugashi[unidic-lite]"
    "pypinyin"
)

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
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
pip() { "$PYTHON" -m pip "$@"; }

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

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
    "$PYTHON" - <<'EOF' 2>/dev/null || true
import torch
print(torch.__version__, "cuda" if torch.version.cuda else "cpu")
EOF
}

# Pins every installed distribution (except the packaging tools, which torch itself needs newer)
# so that resolving coqui-tts cannot move the web tier's versions.
write_constraints() {
    local torch_exact="$1"
    {
        echo "torch==$torch_exact"
        pip list --format=freeze --exclude-editable 2>/dev/null |
            grep -viE '^(pip|setuptools|wheel|torch)==' || true
    } >"$workdir/constraints.txt"
}

# Names of the distributions pip would install for "$@" (a dry run with a JSON report).
would_install() {
    pip install --dry-run --quiet --report "$workdir/report.json" "$@" >/dev/null
    "$PYTHON" - "$workdir/report.json" <<'EOF'
import json, sys
for item in json.load(open(sys.argv[1]))["install"]:
    print(item["metadata"]["name"] + "==" + item["metadata"]["version"])
EOF
}

install_torch() {
    local flavour current
    flavour="$(torch_flavour)"
    current="$(installed_torch)"
    if [[ "$current" == "$TORCH_VERSION"* ]] && [[ "$current" == *" $flavour" ]]; then
        log "torch $current already installed"
        return
    fi
    write_constraints "$TORCH_VERSION"
    sed -i '/^torch==/d' "$workdir/constraints.txt"
    if [[ "$flavour" == cuda ]]; then
        # PyPI's plain torch wheel is the CUDA build. Ignore pip config files and PIP_FIND_LINKS so
        # a local `+cpu` wheel cannot shadow it (PIP_INDEX_URL still applies, for mirrors).
        log "installing torch==$TORCH_VERSION (CUDA build from the package index)"
        env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null \
            "$PYTHON" -m pip install -c "$workdir/constraints.txt" "torch==$TORCH_VERSION"
        return
    fi
    # CPU: take a `+cpu` wheel when the configured sources have one (a local wheel directory),
    # else PyTorch's CPU index. Never the plain PyPI wheel: that one is CUDA.
    local chosen
    chosen="$(would_install -c "$workdir/constraints.txt" "torch==$TORCH_VERSION" | grep -i '^torch==' || true)"
    if [[ "$chosen" == *+cpu ]]; then
        log "installing $chosen"
        pip install -c "$workdir/constraints.txt" "$chosen"
    else
        log "installing torch==$TORCH_VERSION+cpu from $TORCH_CPU_INDEX"
        pip install -c "$workdir/constraints.txt" --extra-index-url "$TORCH_CPU_INDEX" "torch==$TORCH_VERSION+cpu"
    fi
}

install_coqui() {
    local torch_exact
    torch_exact="$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("torch"))')"
    write_constraints "$torch_exact"
    # Guard against the one expensive mistake: a resolver that wants CUDA wheels on a CPU torch.
    local plan
    plan="$(would_install -c "$workdir/constraints.txt" "${PACKAGES[@]}")"
    if [[ "$torch_exact" == *+cpu ]] && grep -qiE '^(nvidia-|triton==)' <<<"$plan"; then
        log "refusing: the plan pulls CUDA packages next to a CPU torch:"
        grep -iE '^(nvidia-|triton==)' <<<"$plan" >&2
        exit 1
    fi
    if [[ -z "$plan" ]]; then
        log "coqui-tts and its companions already installed"
        return
    fi
    log "installing: $(tr '\n' ' ' <<<"$plan")"
    pip install -c "$workdir/constraints.txt" "${PACKAGES[@]}"
}

# torchaudio 2.11 from PyPI is a CUDA build; its compiled extension fails to load next to a torch
# of another version or flavour. Without the files in torchaudio/lib/ it falls back to pure Python.
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
    "$PYTHON" - <<'EOF'
import torch, torchaudio
from TTS.tts.models.xtts import Xtts  # noqa: F401
from TTS.vc.models.openvoice import OpenVoice  # noqa: F401
print(f"[install-xtts] ok: torch {torch.__version__} (cuda: {torch.cuda.is_available()}), "
      f"torchaudio {torchaudio.__version__}, coqui-tts importable")
EOF
    if ! "$PYTHON" -c 'import torchcodec.decoders' >/dev/null 2>&1; then
        log "note: torchcodec cannot load FFmpeg here (apt-get install ffmpeg to fix). The studio's"
        log "      engines pass audio as arrays and do not need it; coqui's file loading would."
    fi
}

log "python: $PYTHON"
install_torch
install_coqui
fix_torchaudio
check
