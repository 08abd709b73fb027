"""Reference speakers made from what Debian ships, for benchmarks and tests of cloning engines.

Real recordings of consenting speakers cannot be downloaded here, so the "speakers" are other
synthesisers: flite's clustergen voices (slt, rms, awb), festival's kal diphone voice, espeak-ng
formant voices, and sox pitch/formant transforms of those. They differ from each other (and from
the Piper joe base voice) far more than two human speakers of the same sex do, which makes them a
hard test of conversion, not an easy one.

Each voice gives a ~30 s reference clip (text known) and a *different* held-out clip of the same
speaker, so similarity is measured against audio the engine never saw.

Needs the Debian packages ``flite festival festvox-kallpc16k espeak-ng sox``.

    from bench.reference_voices import reference_voices
    for voice in reference_voices():
        voice.reference.samples, voice.reference.sample_rate, voice.reference.text
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Original sentences (no licensing questions), everyday vocabulary, a mix of lengths and sounds.
REFERENCE_TEXT = (
    "Every morning the old ferry leaves the harbour just before seven. "
    "The captain checks the weather, counts the passengers, and rings a small brass bell. "
    "Most people on board are going to work, but a few carry fishing rods or baskets of fruit. "
    "When the wind is calm, the crossing takes about twenty minutes. "
    "On stormy days it can take an hour, and the children love every wave. "
    "At the far side, a bakery opens its doors as the boat arrives, "
    "and the smell of fresh bread drifts down to the water."
)

HELD_OUT_TEXT = (
    "Please remember to water the plants on the balcony while we are away. "
    "The tall green one needs a cup of water every second day. "
    "If the post arrives, leave it on the kitchen table, and feed the cat twice a day."
)

# Two more paragraphs for a long sample (``long_reference``: with REFERENCE_TEXT, ~80-95 s).
EXTRA_REFERENCE_TEXTS = (
    "Last autumn my sister and I drove north to visit our grandparents, who still live in the small stone "
    "house where our mother grew up. The road climbs through pine forests and past a lake so still that "
    "the mountains look twice as tall. We stopped for coffee in a village with one shop, one church and a "
    "surprising number of dogs. My grandfather showed us his workshop, full of half-finished chairs and "
    "the smell of sawdust, and my grandmother insisted that we eat three helpings of everything she had "
    "cooked.",
    "If you have ever tried to learn a musical instrument as an adult, you will know how humbling the "
    "first months can be. Your fingers refuse to go where you tell them, and every song sounds like a "
    "warning siren. But somewhere around the third month something changes: a chord rings clearly, a "
    "melody holds together, and you realise that practice really does add up. Keep a notebook, play a "
    "little every day, and be patient with yourself.",
)

# What engines are asked to say in benchmarks: ~15 s, unseen in both clips above.
TEST_TEXT = (
    "Our library will close early on Friday because the heating system is being repaired. "
    "Books that are due this week can be returned on Monday without a fine. "
    "The reading room on the second floor stays open for students who need a quiet place to work. "
    "We thank you for your patience, and we hope to see you again soon."
)

# What intelligibility is measured on: TEST_TEXT and two more of the same length, ~180 words in all,
# so one misheard word moves a voice's WER by about 0.6 %, not 1.7 %. American spellings and no
# compounds that may be written split ("timetable"), so the ASR's spelling is not counted as an error.
WER_TEXTS = (
    TEST_TEXT,
    "The new bus schedule starts next month, so please check your stop before you travel. "
    "Morning buses will run every ten minutes, and the last one leaves the station at midnight. "
    "Tickets can be bought from the driver, at the kiosk near the bridge, or with the phone app. "
    "If you have questions, our staff will be happy to help.",
    "My grandmother grew tomatoes, beans and potatoes in a garden behind her house. "
    "Every summer she gave baskets of vegetables to the neighbors and kept the seeds in paper bags. "
    "She said that good soil, patience and a little rain were all a garden needed. "
    "I still think of her whenever I smell fresh earth after a storm.",
)


@dataclass(frozen=True)
class Clip:
    samples: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int
    text: str

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.sample_rate)


@dataclass(frozen=True)
class ReferenceVoice:
    name: str
    description: str
    reference: Clip
    held_out: Clip


@dataclass(frozen=True)
class VoiceRecipe:
    name: str
    description: str
    synthesiser: str  # "flite:<voice>", "festival:<voice>", "espeak:<voice>"
    sox_effects: tuple[str, ...] = ()  # applied after synthesis, e.g. ("pitch", "-300")


VOICE_RECIPES: tuple[VoiceRecipe, ...] = (
    VoiceRecipe("slt", "flite slt, US female", "flite:slt"),
    VoiceRecipe("rms", "flite rms, US male", "flite:rms"),
    VoiceRecipe("awb", "flite awb, Scottish male", "flite:awb"),
    VoiceRecipe("kal", "festival kal diphone, US male", "festival:voice_kal_diphone"),
    VoiceRecipe("espeak-f3", "espeak-ng en-us+f3, formant female", "espeak:en-us+f3"),
    VoiceRecipe(
        "slt-low", "flite slt, sox pitch -4 st (pitch and formants lowered)", "flite:slt", ("pitch", "-400")
    ),
)


def _run(command: list[str], *, stdin: str | None = None) -> None:
    subprocess.run(command, input=stdin, text=True, check=True, capture_output=True)


def _synthesise_raw(synthesiser: str, text: str, wav_path: Path) -> None:
    kind, _, voice = synthesiser.partition(":")
    if kind == "flite":
        _run(["flite", "-voice", voice, "-t", text, "-o", str(wav_path)])
    elif kind == "festival":
        _run(["text2wave", "-eval", f"({voice})", "-o", str(wav_path)], stdin=text)
    elif kind == "espeak":
        # -s 160 words/min: espeak's default 175 is faster than the other voices.
        _run(["espeak-ng", "-v", voice, "-s", "160", "-w", str(wav_path), text])
    else:
        raise ValueError(f"unknown synthesiser {synthesiser!r}")


def _render(recipe: VoiceRecipe, text: str, wav_path: Path) -> None:
    raw = wav_path.with_suffix(".raw.wav")
    _synthesise_raw(recipe.synthesiser, text, raw)
    if recipe.sox_effects:
        _run(["sox", str(raw), str(wav_path), *recipe.sox_effects])
        raw.unlink()
    else:
        raw.replace(wav_path)


def _load(path: Path, text: str) -> Clip:
    import soundfile

    samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    mono = samples.mean(axis=1)
    peak = float(np.max(np.abs(mono))) or 1.0
    return Clip(samples=(0.9 * mono / peak).astype(np.float32), sample_rate=int(rate), text=text)


def default_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / "voice-studio-reference-voices"


def make_clip(recipe: VoiceRecipe, text: str, cache_dir: Path | None = None) -> Clip:
    """One clip of ``recipe`` saying ``text``; rendered once, then read from the cache."""
    cache_dir = cache_dir or default_cache_dir()
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha1(repr((recipe, text)).encode()).hexdigest()[:16]
    path = cache_dir / f"{recipe.name}-{key}.wav"
    if not path.exists():
        _render(recipe, text, path)
    return _load(path, text)


def long_reference(voice: ReferenceVoice, cache_dir: Path | None = None) -> Clip:
    """The voice's reference followed by EXTRA_REFERENCE_TEXTS in the same voice, as one clip."""
    recipe = next(r for r in VOICE_RECIPES if r.name == voice.name)
    parts = [voice.reference] + [make_clip(recipe, text, cache_dir) for text in EXTRA_REFERENCE_TEXTS]
    rate = voice.reference.sample_rate
    if any(part.sample_rate != rate for part in parts):
        raise RuntimeError(f"{voice.name}: its clips differ in sample rate")
    return Clip(
        samples=np.concatenate([part.samples for part in parts]),
        sample_rate=rate,
        text=" ".join(part.text for part in parts),
    )


def reference_voices(
    recipes: tuple[VoiceRecipe, ...] = VOICE_RECIPES, cache_dir: Path | None = None
) -> list[ReferenceVoice]:
    missing = [tool for tool in ("flite", "text2wave", "espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(
            f"missing tools {missing}: apt-get install flite festival festvox-kallpc16k espeak-ng sox"
        )
    return [
        ReferenceVoice(
            name=recipe.name,
            description=recipe.description,
            reference=make_clip(recipe, REFERENCE_TEXT, cache_dir),
            held_out=make_clip(recipe, HELD_OUT_TEXT, cache_dir),
        )
        for recipe in recipes
    ]


if __name__ == "__main__":
    for voice in reference_voices():
        print(
            f"{voice.name:10s} ref {voice.reference.duration:5.1f} s  held-out {voice.held_out.duration:5.1f} s"
            f"  @ {voice.reference.sample_rate} Hz  {voice.description}"
        )
