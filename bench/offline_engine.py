"""Benchmark of the offline engine on reference voices made from Debian's synthesisers.

    python bench/offline_engine.py                  # all voices
    python bench/offline_engine.py --voices slt,kal --set neighbours=8 --set blend=0.3
    python bench/offline_engine.py --quick --tier standard  # base + offline rows, calibrated tier
    python bench/offline_engine.py --quick --transcript asr  # the reference's text heard by the ASR
    python bench/offline_engine.py --quick --also-tier standard  # instant and standard, same samples
    python bench/offline_engine.py --quick --renditions 3  # each text said 3 times: steadier WER

For each voice: clone (prepare) a ~30 s reference with its transcript, say TEST_TEXT (~15 s), and
measure clone time and synthesis real-time factor. Then say the three WER_TEXTS (TEST_TEXT and two
more, ~45 s in all) and measure similarity to a *held-out* clip of the same voice (d-vector cosine
and the studio's 0..1 similarity score, mean over the three) and intelligibility (Whisper tiny.en
WER over the ~180 words).
Rows: "base" is the unconverted Piper joe voice, "global" the warp + EQ + F0 transform alone,
"exemplar" adds the nearest-exemplar residual (the engine before the pull and spread steps),
"offline" is the full engine at the default similarity_boost (0.8), "boost 1.0" and "boost 0.6" the
same engine with that speech setting raised (more likeness, less clear) or lowered. Timings are wall clock; "cpu" is process CPU time over all threads (less
sensitive to other load on a shared machine; Piper and WORLD run on separate threads, so on two idle
cores wall time can be below CPU time). "conv15s" is the conversion alone (WORLD analysis, mapping,
WORLD synthesis) per 15 s of base-voice speech.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

# audio/ and engines/ need no Django: the repository root on the path is all.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from audio import asr, embedding, speech_activity  # noqa: E402
from bench.reference_voices import TEST_TEXT, WER_TEXTS, ReferenceVoice, reference_voices  # noqa: E402
from engines.base import Audio, Reference, SynthesisOptions  # noqa: E402
from engines.offline import OfflineEngine, base_voice, preparation, rendering  # noqa: E402
from engines.offline.profile import (  # noqa: E402
    profile_from_artifacts,
    profile_to_artifacts,
)
from engines.offline.prosody import plan_for  # noqa: E402


@dataclasses.dataclass
class Row:
    voice: str
    variant: str
    cosine: float
    score: float
    wer: float
    clone_s: float = float("nan")
    clone_cpu_s: float = float("nan")
    rtf: float = float("nan")
    rtf_cpu: float = float("nan")
    profile_kb: float = float("nan")
    convert_15s: float = float("nan")  # seconds to convert 15 s of base-voice speech (WORLD + mapping)


def speaker(samples: np.ndarray, rate: int) -> np.ndarray:
    """Embedding of the speech only: long pauses pull every embedding toward "silence"."""
    speech = speech_activity.keep_speech(samples, rate, speech_activity.speech_segments(samples, rate))
    return embedding.speaker_embedding(speech if len(speech) else samples, rate)


# How many times each voice says each of the WER_TEXTS (``--renditions``). The base voice's delivery
# is sampled, so one rendition's WER moves by a few words from run to run (4.5 <-> 11.7 % for one
# voice); the mean over N renditions moves about 1/sqrt(N) as much.
RENDITIONS = 1


def judged(voice: ReferenceVoice, variant: str, spoken: list[Audio], **timings: float) -> Row:
    """Mean similarity over the texts; WER over all their words together (every rendition's)."""
    held_out = speaker(voice.held_out.samples, voice.held_out.sample_rate)
    cosine = float(np.mean([embedding.cosine(speaker(a.samples, a.sample_rate), held_out) for a in spoken]))
    errors = words = 0
    for text, audio in zip(WER_TEXTS * (len(spoken) // len(WER_TEXTS)), spoken, strict=True):
        heard = asr.transcribe(audio.samples, audio.sample_rate, language="en").text
        count = len(asr.normalize_words(text))
        errors += asr.word_error_rate(text, heard) * count
        words += count
    return Row(voice.name, variant, cosine, embedding.similarity_score(cosine), errors / words, **timings)


def spoken(engine: OfflineEngine, artifacts: dict[str, bytes], **options) -> list[Audio]:
    return [
        engine.synthesize(artifacts, text, SynthesisOptions(**options)) for text in WER_TEXTS * RENDITIONS
    ]


def timed(function, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def bench_voice(
    engine: OfflineEngine,
    voice: ReferenceVoice,
    base_audio: list[Audio],
    tier: str = "instant",
    quick: bool = False,
    transcript: str = "given",
    also_tiers: tuple[str, ...] = (),
) -> list[Row]:
    reference = Reference(
        voice.reference.samples, voice.reference.sample_rate, reference_transcript(voice, transcript)
    )
    artifacts, clone_s, clone_cpu = timed(lambda: engine.prepare([reference], tier=tier))
    audio, synth_s, synth_cpu = timed(engine.synthesize, artifacts, TEST_TEXT, SynthesisOptions())
    profile = profile_from_artifacts(artifacts)
    plan = plan_for(profile, emotion="neutral", speed=1.0, pitch=0.0, stability=0.5)
    _, convert_s, _ = timed(rendering.convert, base_audio[0].samples, profile, plan)
    convert_15s = convert_s * 15.0 / base_audio[0].duration
    full = [audio, *spoken(engine, artifacts)[1:]]  # the timed TEST_TEXT rendition is the first
    offline = judged(
        voice,
        "offline",
        full,
        clone_s=clone_s,
        clone_cpu_s=clone_cpu,
        rtf=synth_s / audio.duration,
        rtf_cpu=synth_cpu / audio.duration,
        profile_kb=sum(len(b) for b in artifacts.values()) / 1024,
        convert_15s=convert_15s,
    )
    compared = []
    for other in also_tiers:
        other_artifacts, other_s, other_cpu = timed(lambda t=other: engine.prepare([reference], tier=t))
        compared.append(
            judged(voice, other, spoken(engine, other_artifacts), clone_s=other_s, clone_cpu_s=other_cpu)
        )
    if quick:
        return [judged(voice, "base", base_audio), offline, *compared]
    boosts = {boost: spoken(engine, artifacts, similarity_boost=boost) for boost in (1.0, 0.6)}
    profile.spectral.exemplars = dataclasses.replace(profile.spectral.exemplars, pull=0.0)
    profile.spectral.spread_strength = 0.0
    exemplar_only = spoken(engine, profile_to_artifacts(profile), similarity_boost=1.0)
    profile.spectral.exemplars = None
    global_only = spoken(engine, profile_to_artifacts(profile), similarity_boost=1.0)
    return [
        judged(voice, "base", base_audio),
        judged(voice, "global", global_only),
        judged(voice, "exemplar", exemplar_only),
        offline,
        *(judged(voice, f"boost {boost}", audios) for boost, audios in boosts.items()),
        *compared,
    ]


def reference_transcript(voice: ReferenceVoice, how: str) -> str:
    """The reference's text as the clone gets it: "given" (typed by the user), or heard by the
    studio's ASR with its beam search ("asr", what the clone job does) or greedily ("asr-greedy")."""
    if how == "given":
        return voice.reference.text
    beam = {"asr": 5, "asr-greedy": 1}[how]
    clip = voice.reference
    heard = asr.transcribe(clip.samples, clip.sample_rate, language="en", beam_size=beam).text
    print(
        f"{voice.name}: {how} transcript WER {100 * asr.word_error_rate(clip.text, heard):.1f} %", flush=True
    )
    return heard


def _fmt(value: float, spec: str) -> str:
    return "-" if value != value else format(value, spec)


def print_rows(rows: list[Row]) -> None:
    print(
        f"{'voice':10s} {'variant':9s} {'cos':>6s} {'score':>6s} {'WER%':>6s} {'clone s':>8s} "
        f"{'(cpu)':>6s} {'RTF':>6s} {'(cpu)':>6s} {'KB':>6s} {'conv15s':>7s}"
    )
    for r in rows:
        print(
            f"{r.voice:10s} {r.variant:9s} {r.cosine:6.3f} {r.score:6.3f} {100 * r.wer:6.1f} "
            f"{_fmt(r.clone_s, '8.2f')} {_fmt(r.clone_cpu_s, '6.2f')} {_fmt(r.rtf, '6.3f')} "
            f"{_fmt(r.rtf_cpu, '6.3f')} {_fmt(r.profile_kb, '6.0f')} {_fmt(r.convert_15s, '7.2f')}"
        )


def print_summary(rows: list[Row]) -> None:
    print("\nsummary        cos mean/median/worst     score mean/median/worst   WER% mean/worst")
    by_variant = {v: [r for r in rows if r.variant == v] for v in dict.fromkeys(r.variant for r in rows)}
    for variant, members in by_variant.items():
        cos, score, wer = ([getattr(r, k) for r in members] for k in ("cosine", "score", "wer"))
        print(
            f"{variant:10s}  {np.mean(cos):.3f} / {statistics.median(cos):.3f} / {min(cos):.3f}"
            f"       {np.mean(score):.3f} / {statistics.median(score):.3f} / {min(score):.3f}"
            f"        {100 * np.mean(wer):.1f} / {100 * max(wer):.1f}"
        )
    full, base = by_variant["offline"], by_variant["base"]
    print(
        f"\noffline vs base: cosine x{np.mean([r.cosine for r in full]) / np.mean([r.cosine for r in base]):.2f}"
        f" (+{np.mean([r.cosine for r in full]) - np.mean([r.cosine for r in base]):.3f})"
    )
    keys = (
        ("clone_s", "s"),
        ("clone_cpu_s", "s cpu"),
        ("rtf", ""),
        ("rtf_cpu", " cpu"),
        ("convert_15s", "s"),
    )
    for key, unit in keys:
        values = [getattr(r, key) for r in full]
        print(f"{key:12s} median {statistics.median(values):.3f}{unit}  worst {max(values):.3f}{unit}")


def apply_overrides(pairs: list[str], tier: str = "instant") -> None:
    """``--set name=value`` changes the tier's TrainingSettings, ``--set standard:name=value`` another
    tier's (for experiments)."""
    for pair in pairs:
        target, _, setting = pair.rpartition(":")
        name, _, value = setting.partition("=")
        settings = preparation.TIER_SETTINGS[target or tier]
        kind = type(getattr(settings, name))
        parsed = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
        preparation.TIER_SETTINGS[target or tier] = dataclasses.replace(settings, **{name: parsed})


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--voices", default="", help="comma-separated subset of voice names")
    parser.add_argument("--set", action="append", default=[], help="TrainingSettings override name=value")
    parser.add_argument("--tier", default="instant", help="instant, standard (calibrated), premium ...")
    parser.add_argument("--quick", action="store_true", help="only the base and offline rows (no variants)")
    parser.add_argument(
        "--also-tier",
        action="append",
        default=[],
        help="also clone the same reference at this tier (a row named after it), e.g. standard",
    )
    parser.add_argument(
        "--transcript",
        default="given",
        choices=["given", "asr", "asr-greedy"],
        help="the reference's text: known, or heard by the ASR (beam 5, as cloning does; or greedy)",
    )
    parser.add_argument(
        "--renditions",
        type=int,
        default=1,
        help="say each WER text this many times per voice and row (steadier WER; N times the time)",
    )
    args = parser.parse_args()
    global RENDITIONS
    RENDITIONS = args.renditions
    apply_overrides(args.set, args.tier)
    voices = [v for v in reference_voices() if not args.voices or v.name in args.voices.split(",")]
    engine = OfflineEngine()
    # Also loads Piper: model loading is not part of clone time.
    base_audio = [Audio(base_voice.speak(text), base_voice.sample_rate()) for text in WER_TEXTS * RENDITIONS]
    engine.synthesize(
        engine.prepare(
            [Reference(voices[0].held_out.samples, voices[0].held_out.sample_rate, voices[0].held_out.text)]
        ),
        "Warm up.",
        SynthesisOptions(),
    )
    rows = []
    for voice in voices:
        rows += bench_voice(
            engine, voice, base_audio, args.tier, args.quick, args.transcript, tuple(args.also_tier)
        )
        print_rows(rows[-((2 if args.quick else 6) + len(args.also_tier)) :])
    print()
    print_rows(rows)
    print_summary(rows)


if __name__ == "__main__":
    main()
