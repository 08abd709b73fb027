"""``python manage.py engines``: what each engine needs, says and allows, as text and as JSON."""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command

from engines import engine_names


def run(*args: str) -> str:
    out = StringIO()
    call_command("engines", *args, stdout=out)
    return out.getvalue()


def test_it_lists_every_registered_engine():
    reports = json.loads(run("--json"))
    assert [report["name"] for report in reports] == engine_names()
    assert {"xtts", "openvoice"} <= set(engine_names())


def test_it_says_why_xtts_is_unavailable(settings, tmp_path):
    (tmp_path / "config.json").write_text("{}")
    settings.STUDIO_XTTS_DIR = str(tmp_path)
    output = run()
    assert "xtts (XTTS v2): unavailable" in output
    assert f"why not:    STUDIO_XTTS_DIR={tmp_path} lacks model.pth, vocab.json." in output
    assert "licence:    CPML (Coqui Public Model License) (no commercial use)" in output
    assert "queue:      gpu" in output


def test_json_has_availability_languages_licence_and_queue(settings, tmp_path):
    for name in ("model.pth", "config.json", "vocab.json"):
        (tmp_path / name).write_bytes(b"")
    settings.STUDIO_XTTS_DIR = str(tmp_path)
    xtts = next(report for report in json.loads(run("--json")) if report["name"] == "xtts")
    assert xtts["available"] is True and xtts["reason"] == ""
    assert len(xtts["languages"]) == 17
    assert xtts["commercial_use"] is False
    assert xtts["queue"] == "gpu"
    assert "non-commercial" in xtts["license_notes"].lower()


def test_it_needs_no_torch_to_answer():
    import subprocess
    import sys

    code = (
        "import django, os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'studio.settings'); django.setup();"
        "from django.core.management import call_command; call_command('engines', '--json', stdout=open(os.devnull, 'w'));"
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "False"
