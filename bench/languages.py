"""Per-language benchmark of the offline engine: intelligibility, likeness and speed, every language.

    python bench/languages.py                              # en es it pt fr, 4 speakers each
    python bench/languages.py --languages es,it --speakers 2
    python bench/languages.py --languages en --english-base kokoro   # Kokoro instead of joe for English

Speakers per language are espeak-ng voices under sox transforms (``language_voices.py``). For each:
clone (prepare) its ~30 s reference with the transcript and language, then say the language's two
test sentences pairs (~20 s). Measured: speaker similarity to a *held-out* clip (d-vector cosine and
the studio's 0..1 score), WER by the project's multilingual ASR (Whisper base, ``audio.asr`` with
``accurate=True``), clone seconds, real-time factor (wall and process CPU), and the time to the first
streamed chunk. The "base" row is the unconverted base voice saying the same sentences (the floor).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from audio import asr, embedding  # noqa: E402
from bench.language_voices import TEXTS, language_voices  # noqa: E402
from bench.offline_engine import speaker  # noqa: E402
from engines.base import Audio, Reference, SynthesisOptions  # noqa: E402
from engines.offline import OfflineEngine, bases, preparation  # noqa: E402
from engines.offline.base_voice import Prosody  # noqa: E402


@dataclasses.dataclass
class Row:
    language: str
    voice: str
    variant: str
    cosine: float
    score: float
    wer: float
    clone_s: float = float("nan")
    rtf: float = float("nan")
    rtf_cpu: float = float("nan")
    first_s: float = float("nan")  # time to the first streamed chunk


def wer_of(language: str, spoken: list[Audio]) -> float:
    errors = words = 0
    for text, audio in zip(TEXTS[language].tests, spoken, strict=True):
        heard = asr.transcribe(audio.samples, audio.sample_rate, language=language, accurate=True).text
        count = len(asr.normalize_words(text))
        errors += asr.word_error_rate(text, heard) * count
        words += count
    return errors / words


def judged(language: str, voice, variant: str, spoken: list[Audio], **extra: float) -> Row:
    held_out = speaker(voice.held_out.samples, voice.held_out.sample_rate)
    cosine = float(np.mean([embedding.cosine(speaker(a.samples, a.sample_rate), held_out) for a in spoken]))
    return Row(
        language,
        voice.name,
        variant,
        cosine,
        embedding.similarity_score(cosine),
        wer_of(language, spoken),
        **extra,
    )


def first_chunk_seconds(
    engine: OfflineEngine, artifacts: dict, text: str, options: SynthesisOptions
) -> float:
    start = time.perf_counter()
    stream = engine.stream(artifacts, text, options)
    next(stream)
    seconds = time.perf_counter() - start
    stream.close()
    return seconds


def bench_language(engine: OfflineEngine, language: str, speakers: int, tier: str) -> list[Row]:
    tests = TEXTS[language].tests
    options = SynthesisOptions(language=language)
    base = bases.for_language(language, preparation.TIER_SETTINGS[tier].english_base)
    base_audio = [Audio(base.speak(text, Prosody(), language), 22050) for text in tests]
    rows = []
    for voice in language_voices(language, speakers):
        reference = Reference(
            voice.reference.samples, voice.reference.sample_rate, voice.reference.text, language
        )
        wall = time.perf_counter()
        artifacts = engine.prepare([reference], tier=tier)
        clone_s = time.perf_counter() - wall
        spoken, wall_total, cpu_total = [], 0.0, 0.0
        for text in tests:
            wall, cpu = time.perf_counter(), time.process_time()
            spoken.append(engine.synthesize(artifacts, text, options))
            wall_total += time.perf_counter() - wall
            cpu_total += time.process_time() - cpu
        seconds = sum(a.duration for a in spoken)
        first = first_chunk_seconds(engine, artifacts, " ".join(tests), options)
        rows.append(judged(language, voice, "base", base_audio))
        rows.append(
            judged(
                language,
                voice,
                "offline",
                spoken,
                clone_s=clone_s,
                rtf=wall_total / seconds,
                rtf_cpu=cpu_total / seconds,
                first_s=first,
            )
        )
        print_rows(rows[-2:], header=len(rows) == 2)
    return rows


def _fmt(value: float, spec: str) -> str:
    return "-" if value != value else format(value, spec)


def print_rows(rows: list[Row], header: bool = True) -> None:
    if header:
        print(
            f"{'lang':4s} {'voice':12s} {'variant':8s} {'cos':>6s} {'score':>6s} {'WER%':>6s} "
            f"{'clone s':>8s} {'RTF':>6s} {'(cpu)':>6s} {'first s':>7s}"
        )
    for r in rows:
        print(
            f"{r.language:4s} {r.voice:12s} {r.variant:8s} {r.cosine:6.3f} {r.score:6.3f} {100 * r.wer:6.1f} "
            f"{_fmt(r.clone_s, '8.2f')} {_fmt(r.rtf, '6.3f')} {_fmt(r.rtf_cpu, '6.3f')} {_fmt(r.first_s, '7.2f')}",
            flush=True,
        )


def print_summary(rows: list[Row]) -> None:
    print(
        "\nlang variant   score mean/worst  cos mean/worst   WER% mean/worst  clone s med  RTF med (cpu)  first s"
    )
    for language in dict.fromkeys(r.language for r in rows):
        for variant in ("base", "offline"):
            members = [r for r in rows if r.language == language and r.variant == variant]
            score, cos, wer = ([getattr(r, k) for r in members] for k in ("score", "cosine", "wer"))
            timing = ""
            if variant == "offline":
                timing = (
                    f"  {statistics.median(r.clone_s for r in members):10.2f}"
                    f"  {statistics.median(r.rtf for r in members):6.3f} ({statistics.median(r.rtf_cpu for r in members):.3f})"
                    f"  {statistics.median(r.first_s for r in members):6.2f}"
                )
            print(
                f"{language:4s} {variant:8s}  {np.mean(score):.3f} / {min(score):.3f}   "
                f"{np.mean(cos):.3f} / {min(cos):.3f}    {100 * np.mean(wer):5.1f} / {100 * max(wer):5.1f}{timing}"
            )


def allow_french() -> None:
    """French is not offered (see bases.py); measure it anyway by adding it to Kokoro's list here."""
    bases.KOKORO = dataclasses.replace(bases.KOKORO, languages=(*bases.KOKORO.languages, "fr"))
    bases.BASES[bases.KOKORO.id] = bases.KOKORO
    OfflineEngine.languages = (*OfflineEngine.languages, "fr")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--languages", default="en,es,it,pt,fr")
    parser.add_argument("--speakers", type=int, default=4)
    parser.add_argument("--tier", default="instant")
    parser.add_argument("--english-base", choices=("joe", "kokoro"), default="joe")
    args = parser.parse_args()
    english_base = bases.JOE.id if args.english_base == "joe" else bases.KOKORO.id
    preparation.TIER_SETTINGS[args.tier] = dataclasses.replace(
        preparation.TIER_SETTINGS[args.tier], english_base=english_base
    )
    if "fr" in args.languages.split(","):
        allow_french()
    engine = OfflineEngine()
    # Load the models outside the timings (model loading is not part of clone time).
    for language in args.languages.split(","):
        base = bases.for_language(language, english_base)
        base.speak("Warm up.", Prosody(), language)
    asr.transcribe(np.zeros(16000, dtype=np.float32), 16000, language="es", accurate=True)
    rows = []
    for language in args.languages.split(","):
        rows += bench_language(engine, language, args.speakers, args.tier)
    print()
    print_rows(rows)
    print_summary(rows)


if __name__ == "__main__":
    main()
