"""The lock files in requirements/ agree with pyproject.toml (refresh them with ``scripts/lock``).

Each profile's lock must pin every dependency pyproject.toml declares for it, at a version inside the
declared range, and must list as direct ("via voice-studio") exactly those dependencies: a dependency
added, removed or narrowed in pyproject.toml without re-locking fails here.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROFILES = {"run": ("worker",), "xtts": ("worker", "xtts"), "test": ("worker", "xtts", "test")}
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)")


def declared(extras: tuple[str, ...]) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def locked(profile: str) -> tuple[dict[str, Version], set[str]]:
    """(name → pinned version, names the lock says come from pyproject.toml itself)."""
    pins: dict[str, Version] = {}
    direct: set[str] = set()
    current = ""
    for line in (ROOT / "requirements" / f"{profile}.txt").read_text().splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match[1])
            pins[current] = Version(match[2])
        elif "voice-studio (pyproject.toml)" in line and current:
            direct.add(current)
    return pins, direct


@pytest.mark.parametrize("profile", PROFILES)
def test_the_lock_pins_every_declared_dependency_inside_its_range(profile: str) -> None:
    pins, _ = locked(profile)
    for requirement in declared(PROFILES[profile]):
        name = canonicalize_name(requirement.name)
        assert name in pins, (
            f"{name} is in pyproject.toml but not in requirements/{profile}.txt: run scripts/lock"
        )
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements/{profile}.txt pins {name}=={pins[name]}, outside {requirement.specifier}: "
            "run scripts/lock"
        )


@pytest.mark.parametrize("profile", PROFILES)
def test_the_lock_lists_no_dependency_pyproject_dropped(profile: str) -> None:
    _, direct = locked(profile)
    wanted = {canonicalize_name(requirement.name) for requirement in declared(PROFILES[profile])}
    assert direct == wanted, f"requirements/{profile}.txt is out of date: run scripts/lock"


def test_transformers_stays_below_the_release_that_breaks_xtts() -> None:
    for profile in ("xtts", "test"):
        assert locked(profile)[0]["transformers"] < Version("5.24")


def test_torch_is_the_cpu_build_the_bootstrap_installs_first() -> None:
    versions = {str(locked(profile)[0]["torch"]) for profile in PROFILES}
    assert versions == {"2.13.0+cpu"}
