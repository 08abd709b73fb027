"""The alias table (studio/aliases.py): what it renames, what it refuses, and that README shows all of it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils.datastructures import MultiValueDict

from errors import InvalidInput
from studio.aliases import canonical, table

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_aliases_are_renamed_and_our_names_pass_through():
    assert canonical({"voiceName": "A", "desc": "B", "tier": "instant"}, "voice") == {
        "name": "A", "description": "B", "tier": "instant",
    }  # fmt: skip
    assert canonical({"text": "hi", "rate": 16000}, "sample") == {"transcript": "hi", "sample_rate": 16000}
    assert canonical({"text": "hi", "voice": "v"}, "speech") == {"text": "hi", "voice_id": "v"}


def test_forms_keep_every_value_of_a_repeated_field():
    renamed = canonical(MultiValueDict({"audio_file": ["a", "b"], "lang": ["en"]}), "voice")
    assert renamed.getlist("file") == ["a", "b"] and renamed.getlist("language") == ["en"]


def test_a_field_under_two_names_is_refused():
    with pytest.raises(InvalidInput) as refused:
        canonical({"name": "A", "title": "B"}, "voice")
    assert refused.value.field == "name"


def test_a_combined_output_format_names_format_and_rate():
    assert canonical({"outputFormat": "mp3_44100_128"}, "speech") == {
        "output_format": "mp3",
        "sample_rate": "44100",
    }
    assert canonical({"format": "wav", "sampleRate": 16000}, "speech") == {
        "output_format": "wav",
        "sample_rate": 16000,
    }


@pytest.mark.parametrize(
    ("kind", "alias", "ours"), [(k, a, o) for k, names in table().items() for a, o in names.items()]
)
def test_readme_shows_every_alias(kind, alias, ours):
    assert f"`{alias}`" in README and f"`{ours}`" in README, f"README.md lacks {alias} → {ours} ({kind})"
