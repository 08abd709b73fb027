"""README's configuration tables list exactly the environment variables the studio reads.

The first table of README's "Configuration" section is what ``studio/settings.py`` reads (through
``env_str``/``env_bool``/``env_int``/``env_float``/``env_list`` or ``os.environ``); the second is what
the rest of the product code reads from ``os.environ`` itself. Both are found by parsing the source, so
a variable added, renamed or dropped on one side only fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "studio" / "settings.py"
ENV_HELPERS = {"env_str", "env_bool", "env_int", "env_float", "env_list"}
# The product's code: everything the studio runs (not tests, benchmarks or scripts).
PRODUCT = ("audio", "engines", "studio", "jobs", "voices", "synthesis")
PRODUCT_MODULES = ("errors.py", "limits.py", "manage.py")


def _constant(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_os_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute) and node.attr == "environ" and getattr(node.value, "id", "") == "os"
    )


def variables_read(source: str) -> set[str]:
    """Names of the environment variables ``source`` reads with a literal name.

    Reads are ``env_*("NAME", ...)``, ``os.environ.get("NAME")``, ``os.getenv("NAME")`` and
    ``os.environ["NAME"]``; ``os.environ.setdefault`` writes, so it does not count.
    """
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            function = node.func
            name = _constant(node.args[0])
            if isinstance(function, ast.Name) and function.id in ENV_HELPERS:
                names.add(name or "")
            elif (
                isinstance(function, ast.Attribute)
                and function.attr == "get"
                and _is_os_environ(function.value)
            ):
                names.add(name or "")
            elif isinstance(function, ast.Attribute) and function.attr == "getenv":
                names.add(name or "")
        elif (
            isinstance(node, ast.Subscript) and _is_os_environ(node.value) and isinstance(node.ctx, ast.Load)
        ):
            names.add(_constant(node.slice) or "")
    names.discard("")
    return names


def product_files() -> list[Path]:
    files = [ROOT / name for name in PRODUCT_MODULES if (ROOT / name).is_file()]
    for package in PRODUCT:
        files += [path for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts]
    return sorted(files)


def readme_tables() -> list[set[str]]:
    """The variables named in the first cell of each table in README's "Configuration" section."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    tables: list[set[str]] = []
    in_table = False
    for line in section.splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        if not in_table:
            tables.append(set())
            in_table = True
        first_cell = line.split("|")[1]
        tables[-1].update(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return tables


def test_the_parser_finds_every_way_of_reading_the_environment() -> None:
    source = """
import os
A = env_str("VIA_STR", "x")
B = env_bool("VIA_BOOL", False)
C = env_int("VIA_INT", 1)
D = env_float("VIA_FLOAT", 0.5)
E = env_list("VIA_LIST")
F = os.environ.get("VIA_GET")
G = os.getenv("VIA_GETENV")
H = os.environ["VIA_SUBSCRIPT"]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
def env_str(name, default=""):
    return os.environ.get(name, default)
"""
    assert variables_read(source) == {
        "VIA_STR", "VIA_BOOL", "VIA_INT", "VIA_FLOAT", "VIA_LIST", "VIA_GET", "VIA_GETENV", "VIA_SUBSCRIPT",
    }  # fmt: skip


def test_the_readme_has_a_table_for_the_settings_and_one_for_the_rest() -> None:
    tables = readme_tables()

    assert len(tables) == 2
    assert "DATABASE_URL" in tables[0]
    assert "STUDIO_ADMIN_PASSWORD" in tables[1]


def test_the_readme_lists_every_variable_the_settings_read() -> None:
    missing = variables_read(SETTINGS.read_text()) - readme_tables()[0]

    assert not missing, (
        f"studio/settings.py reads {sorted(missing)}: add them to README's Configuration table"
    )


def test_the_readme_lists_no_variable_the_settings_do_not_read() -> None:
    extra = readme_tables()[0] - variables_read(SETTINGS.read_text())

    assert not extra, (
        f"README's Configuration table lists {sorted(extra)}, which studio/settings.py does not read"
    )


def test_the_readme_lists_exactly_the_variables_read_outside_the_settings() -> None:
    read = {
        name: path.relative_to(ROOT)
        for path in product_files()
        if path != SETTINGS
        for name in variables_read(path.read_text())
    }
    documented = readme_tables()[1]

    assert not set(read) - documented, f"read outside the settings but not in README: {read}"
    assert not documented - set(read), (
        f"in README's second table but not read: {sorted(documented - set(read))}"
    )
