"""The layers run one way (docs/architecture.md, "Layers: dependencies point downward only"): each package imports only from the layers below it.

    errors, limits  →  audio  →  engines  →  studio  →  jobs  →  voices  →  synthesis

``audio`` and ``engines`` import no Django at all (the engines run in scripts and benchmarks too).
``synthesis`` reaches ``voices`` through its selectors and services only (its models for type hints).
The project's composition roots (``studio/urls.py``, ``studio/asgi.py``) put the apps together and may
import them all. Lazy imports inside functions count like any other.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {
    "errors": 0,
    "limits": 0.5,
    "audio": 1,
    "engines": 2,
    "studio": 3,
    "jobs": 4,
    "voices": 5,
    "synthesis": 6,
}
COMPOSITION_ROOTS = {"studio.urls", "studio.asgi"}
DJANGO_FREE = ("audio", "engines", "errors", "limits")
FRAMEWORKS = ("django", "rest_framework", "drf_spectacular", "channels", "celery", "daphne")
SYNTHESIS_MAY_USE = ("voices.selectors", "voices.services")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> list[Path]:
    files = [ROOT / "errors.py", ROOT / "limits.py"]
    for package in ("audio", "engines", "studio", "jobs", "voices", "synthesis"):
        files += [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]
    return files


def imports_of(path: Path) -> list[tuple[str, bool]]:
    """(imported module, only for type checking) for every import in the file, nested ones too."""
    tree = ast.parse(path.read_text())
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only |= {id(child) for child in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in typing_only) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # "from voices import selectors" imports the module voices.selectors.
            names = {_submodule(target, alias.name) for alias in node.names}
            found += [(name, id(node) in typing_only) for name in names]
    return found


def _submodule(package: str, name: str) -> str:
    candidate = ROOT.joinpath(*f"{package}.{name}".split("."))
    is_module = candidate.with_suffix(".py").exists() or (candidate / "__init__.py").exists()
    return f"{package}.{name}" if is_module else package


def violations() -> list[str]:
    problems = []
    for path in project_modules():
        source = module_name(path)
        layer = source.split(".")[0]
        for target, typing_only in imports_of(path):
            top = target.split(".")[0]
            where = f"{path.relative_to(ROOT)} imports {target}"
            if layer in DJANGO_FREE and top in FRAMEWORKS:
                problems.append(f"{where}: {layer}/ must not depend on {top}")
            if top not in LAYERS or top == layer or source in COMPOSITION_ROOTS:
                continue
            if LAYERS[top] > LAYERS[layer]:
                problems.append(f"{where}: an upward import ({layer} sits below {top})")
            elif layer == "synthesis" and top == "voices" and not typing_only:
                if not target.startswith(SYNTHESIS_MAY_USE):
                    problems.append(f"{where}: synthesis uses voices through selectors and services only")
    return sorted(set(problems))


def test_every_import_points_down_the_layers() -> None:
    assert violations() == []


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch) -> None:
    """The check itself works: a lazy upward import in a function is caught."""
    bad = tmp_path / "audio" / "bad.py"
    bad.parent.mkdir()
    bad.write_text("def f():\n    from voices.models import Voice\n    import django\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "project_modules", lambda: [bad])
    assert violations() == [
        "audio/bad.py imports django: audio/ must not depend on django",
        "audio/bad.py imports voices.models: an upward import (audio sits below voices)",
    ]


@pytest.mark.parametrize("module", ["engines.offline", "engines.xtts", "engines.openvoice", "audio.consent"])
def test_importing_an_engine_or_the_audio_library_loads_no_django(module: str) -> None:
    code = (
        f"import sys, {module}; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS!r} + ('studio', 'jobs', 'voices', 'synthesis')))"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"
