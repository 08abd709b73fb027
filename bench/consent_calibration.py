"""Measure the numbers behind audio/consent.py's thresholds and audio/watermark.py's claims.

    python bench/consent_calibration.py              # consent: WER and cosine distributions
    python bench/consent_calibration.py watermark    # watermark: timings, confidences, SNR
    python bench/consent_calibration.py generated    # the consent check's watermark test, ~1 min
    python bench/consent_calibration.py rates [CONFIG] [CODES] [IMPOSTOR_CODES] [--voice-only] [--from N]
        # false-reject / false-accept rates of verify_consent over 12 speakers x CODES random codes,
        # clean and with white noise at 20 dB SNR; CONFIG is "shipped" (default), "tiny" (tiny.en,
        # no prompt: before issue 18) or "base" (multilingual base, no prompt); --voice-only verifies
        # only the genuine readings and other speakers (no stale codes, other text, refusals or code
        # re-checks); --from N verifies from speaker N on (0-based), every clip the same as in a full run

Speakers are offline synthetic voices (flite, espeak-ng) and sox-transformed copies of them, because
no recordings of real people ship with the project. Each speaker reads three sample sentences (the
"voice samples"), the consent phrase with its code, the phrase with a stale code, and a different
sentence. Needs the Debian packages flite, espeak-ng and sox.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")


@dataclass(frozen=True)
class Speaker:
    name: str
    synth: str  # "flite" or "espeak-ng"
    voice: str
    sox_effects: tuple[str, ...] = ()


# Four flite voices, four espeak-ng voices, and four pitch/formant-shifted flite copies (sox `pitch`
# moves formants with the pitch, so a 4-5 semitone shift sounds like another person).
SPEAKERS = (
    Speaker("flite-kal", "flite", "kal"),
    Speaker("flite-awb", "flite", "awb"),
    Speaker("flite-rms", "flite", "rms"),
    Speaker("flite-slt", "flite", "slt"),
    Speaker("espeak-us", "espeak-ng", "en-us"),
    Speaker("espeak-us-f2", "espeak-ng", "en-us+f2"),
    Speaker("espeak-rp-m7", "espeak-ng", "en-gb-x-rp+m7"),
    Speaker("espeak-klatt4", "espeak-ng", "en-us+klatt4"),
    Speaker("awb-low", "flite", "awb", ("pitch", "-500")),
    Speaker("kal-low", "flite", "kal", ("pitch", "-400")),
    Speaker("slt-high", "flite", "slt", ("pitch", "400")),
    Speaker("rms-high", "flite", "rms", ("pitch", "500")),
)

# Pairs left out of the "different speaker" set on purpose, measured and printed for the record:
# espeak-ng's accents of its one default voice are one synthetic person to the d-vector model, and
# a 2-semitone shift is the same person speaking a little higher.
BORDERLINE_PAIRS = (
    (Speaker("espeak-us", "espeak-ng", "en-us"), Speaker("espeak-scotland", "espeak-ng", "en-gb-scotland")),
    (Speaker("espeak-us", "espeak-ng", "en-us"), Speaker("espeak-caribbean", "espeak-ng", "en-029")),
    (Speaker("flite-awb", "flite", "awb"), Speaker("awb-+2st", "flite", "awb", ("pitch", "200"))),
)

SAMPLE_SENTENCES = (
    "The morning train was late again, so I walked along the river and watched the boats go by.",
    "Please remember to water the plants on the balcony while I am away next week.",
    "Our team finished the project two days early, and everyone celebrated with pizza.",
)
OTHER_SENTENCE = "I would like to order a large coffee with oat milk and a blueberry muffin, please."
SPEAKER_NAME = "Jane Doe"
CODE = "4719"
STALE_CODE = "8206"


def synthesize(speaker: Speaker, text: str) -> tuple[np.ndarray, int]:
    """Mono float32 speech from an offline synthesiser, through sox effects if any."""
    import soundfile

    with tempfile.TemporaryDirectory() as tmp:
        raw, out = Path(tmp, "raw.wav"), Path(tmp, "out.wav")
        if speaker.synth == "flite":
            subprocess.run(["flite", "-voice", speaker.voice, "-t", text, "-o", str(raw)], check=True)
        else:
            subprocess.run(["espeak-ng", "-v", speaker.voice, "-w", str(raw), text], check=True)
        if speaker.sox_effects:
            subprocess.run(["sox", str(raw), str(out), *speaker.sox_effects], check=True)
            raw = out
        samples, rate = soundfile.read(raw, dtype="float32")
    return samples, rate


def describe(values: list[float]) -> str:
    array = np.asarray(values)
    return (
        f"n={array.size:3d}  min {array.min():.3f}  p5 {np.percentile(array, 5):.3f}  "
        f"median {np.median(array):.3f}  p95 {np.percentile(array, 95):.3f}  max {array.max():.3f}"
    )


# --- consent ---------------------------------------------------------------------------------------


def calibrate_consent() -> None:
    from audio import consent

    phrase = consent.consent_phrase(SPEAKER_NAME, CODE)
    stale = consent.consent_phrase(SPEAKER_NAME, STALE_CODE)
    print(f"phrase: {phrase!r}\n")
    references: dict[str, list[tuple[np.ndarray, int]]] = {}
    clips: dict[str, dict[str, tuple[np.ndarray, int]]] = {}
    for speaker in SPEAKERS:
        references[speaker.name] = [synthesize(speaker, text) for text in SAMPLE_SENTENCES]
        clips[speaker.name] = {
            "right": synthesize(speaker, phrase),
            "stale code": synthesize(speaker, stale),
            "other text": synthesize(speaker, OTHER_SENTENCE),
            "refusal": synthesize(speaker, phrase.replace("agree", "do not agree")),
        }
    same, other, right_wer, other_wer = _measure(consent, phrase, references, clips)
    _report(consent, same, other, right_wer, other_wer)
    _report_borderline(phrase)
    _run_verifications(consent, phrase, references, clips)


def _report_borderline(phrase: str) -> None:
    print("borderline pairs (not in the sets above): cosine of B's consent clip to A's samples")
    for a, b in BORDERLINE_PAIRS:
        refs = [synthesize(a, text) for text in SAMPLE_SENTENCES]
        print(f"  {a.name} ← {b.name}: {_voice_similarity(synthesize(b, phrase), refs):.3f}")


def _measure(consent, phrase, references, clips):  # noqa: ANN001, ANN202 - a bench script
    from audio import asr

    same: list[float] = []
    other: list[tuple[float, str, str]] = []
    right_wer: list[float] = []
    other_wer: list[float] = []
    for name, by_kind in clips.items():
        for ref_name, refs in references.items():
            cos = _voice_similarity(by_kind["right"], refs)
            (same.append(cos) if ref_name == name else other.append((cos, name, ref_name)))
        heard = asr.transcribe(*by_kind["right"], language="en").text
        right_wer.append(consent.phrase_error_rate(phrase, heard))
        print(f"{name:14s} heard {heard!r}  WER {right_wer[-1]:.2f}  code {consent.code_heard(CODE, heard)}")
        heard_other = asr.transcribe(*by_kind["other text"], language="en").text
        other_wer.append(consent.phrase_error_rate(phrase, heard_other))
    return same, other, right_wer, other_wer


def _voice_similarity(clip: tuple[np.ndarray, int], references: list[tuple[np.ndarray, int]]) -> float:
    """verify_consent's voice check alone: the clip against the samples heard in its noise."""
    from audio import consent, speech_activity

    samples, rate = clip
    return consent._similarity(samples, rate, speech_activity.speech_segments(samples, rate), references)


def _report(consent, same, other, right_wer, other_wer) -> None:  # noqa: ANN001
    print("\ncosine, consent clip vs mean of the speaker's samples")
    print(f"  same speaker       {describe(same)}")
    print(f"  different speaker  {describe([c for c, _a, _b in other])}")
    print("  closest different pairs:", ", ".join(f"{a}→{b} {c:.3f}" for c, a, b in sorted(other)[-5:]))
    print("WER against the phrase (name as a free slot)")
    print(f"  right phrase       {describe(right_wer)}")
    print(f"  another sentence   {describe(other_wer)}")
    print(
        f"\nthresholds in audio/consent.py: MAX_WER {consent.MAX_WER}, MIN_SIMILARITY {consent.MIN_SIMILARITY}"
    )
    print(
        f"  margins: similarity {min(same) - consent.MIN_SIMILARITY:+.3f} above / "
        f"{consent.MIN_SIMILARITY - max(c for c, _a, _b in other):+.3f} below; "
        f"WER {consent.MAX_WER - max(right_wer):+.3f} / {min(other_wer) - consent.MAX_WER:+.3f}"
    )


def _run_verifications(consent, phrase, references, clips) -> None:  # noqa: ANN001
    """The four cases (and two more ways to be wrong) end to end through verify_consent."""
    names = list(clips)
    outcomes: dict[str, list[str]] = {
        case: [] for case in ("right", "other speaker", "stale code", "other text", "refusal")
    }
    started = time.perf_counter()
    for index, name in enumerate(names):
        impostor = names[(index + 1) % len(names)]
        cases = {
            "right": (clips[name]["right"], references[name]),
            "other speaker": (clips[impostor]["right"], references[name]),
            "stale code": (clips[name]["stale code"], references[name]),
            "other text": (clips[name]["other text"], references[name]),
            "refusal": (clips[name]["refusal"], references[name]),
        }
        for case, ((samples, rate), refs) in cases.items():
            evidence = consent.verify_consent(samples, rate, phrase=phrase, code=CODE, references=refs)
            outcomes[case].append(evidence.decision)
            if case == "right" and not evidence.verified:
                print(f"  {name} was refused: {evidence.reason}")
    silent = consent.verify_consent(
        np.zeros(16000 * 5, np.float32),
        16000,
        phrase=phrase,
        code=CODE,
        references=references[names[0]],
    )
    per_call = (time.perf_counter() - started) / (len(outcomes) * len(names) + 1)
    print(f"\nverify_consent end to end ({per_call:.2f} s per call on this machine)")
    for case, decisions in outcomes.items():
        print(f"  {case:14s} " + " ".join(decisions).replace("verified", "V").replace("failed", "F"))
    print(f"  silence        {silent.decision}: {silent.reason}")


# --- watermark -------------------------------------------------------------------------------------


def measure_watermark() -> None:
    from audio import codec, watermark

    print("availability:", watermark.availability())
    started = time.perf_counter()
    watermark.embed(np.zeros(16000, np.float32) + 1e-3, 16000)
    print(f"first call (import torch + load model): {time.perf_counter() - started:.2f} s")
    for speaker in (SPEAKERS[0], SPEAKERS[3], SPEAKERS[4], SPEAKERS[8]):
        samples, rate = synthesize(speaker, " ".join(SAMPLE_SENTENCES))
        samples = samples[: rate * 10]
        _watermark_row(watermark, codec, speaker.name, samples, rate)
    samples, rate = synthesize(SPEAKERS[4], " ".join(SAMPLE_SENTENCES))
    _watermark_row(
        watermark, codec, "espeak-us@48k", codec.resample(samples[: rate * 10], rate, 48000), 48000
    )


def _watermark_row(watermark, codec, label, samples, rate) -> None:  # noqa: ANN001
    embed_s, marked = _timed(lambda: watermark.embed(samples, rate))
    detect_s, found = _timed(lambda: watermark.detect(marked, rate))
    clean = watermark.detect(samples, rate).confidence
    mp3 = codec.decode(codec.encode(marked, rate, fmt="mp3", bitrate=64000), target_rate=None)
    after_mp3 = watermark.detect(mp3.samples, mp3.sample_rate).confidence
    clean_mp3 = codec.decode(codec.encode(samples, rate, fmt="mp3", bitrate=64000), target_rate=None)
    after_16k = watermark.detect(codec.resample(marked, rate, 16000), 16000).confidence
    snr = 10 * np.log10(np.sum(samples**2) / np.sum((marked - samples) ** 2))
    per10 = 10 * rate / samples.size
    print(
        f"{label:14s} {samples.size / rate:4.1f} s @ {rate}: embed {embed_s * per10:.2f} s/10 s, "
        f"detect {detect_s * per10:.2f} s/10 s | marked {found.confidence:.3f}, clean {clean:.3f}, "
        f"mp3-64k {after_mp3:.3f} (clean mp3 {watermark.detect(clean_mp3.samples, clean_mp3.sample_rate).confidence:.3f}), "
        f"16 kHz {after_16k:.3f} | SNR {snr:.1f} dB"
    )


def measure_generated() -> None:
    """The detector's confidence as the consent check sees clips (decoded to 16 kHz): live readings
    of every speaker against the studio's own speech of the same sentences, marked and not."""
    from audio import codec, watermark
    from audio.consent import consent_phrase
    from audio.output import render_output
    from engines.base import SynthesisOptions
    from engines.offline import OfflineEngine
    from voices.services.consent import CHECK_RATE

    texts = (*SAMPLE_SENTENCES, consent_phrase(SPEAKER_NAME, CODE))
    live = []
    for speaker in SPEAKERS:
        for text in texts:
            samples, rate = synthesize(speaker, text)
            live.append(watermark.detect(codec.resample(samples, rate, CHECK_RATE), CHECK_RATE).confidence)
    print(f"live readings (not marked):   {describe(live)}  at or above the threshold: {_over(live)}")
    engine = OfflineEngine()
    marked, unmarked, mp3 = [], [], []
    for text in texts:
        spoken = engine.synthesize({}, text, SynthesisOptions())
        for flag, found in ((True, marked), (False, unmarked)):
            output = render_output(
                spoken.samples, spoken.sample_rate, fmt="wav", sample_rate=44100, watermark=flag
            )
            clip = codec.decode(output.data, target_rate=CHECK_RATE)
            found.append(watermark.detect(clip.samples, CHECK_RATE).confidence)
        output = render_output(spoken.samples, spoken.sample_rate, fmt="mp3", sample_rate=44100)
        clip = codec.decode(output.data, target_rate=CHECK_RATE)
        mp3.append(watermark.detect(clip.samples, CHECK_RATE).confidence)
    print(f"studio speech, marked (wav):  {describe(marked)}  at or above the threshold: {_over(marked)}")
    print(f"studio speech, marked (mp3):  {describe(mp3)}  at or above the threshold: {_over(mp3)}")
    print(f"the same speech, unmarked:    {describe(unmarked)}  at or above the threshold: {_over(unmarked)}")


def _over(confidences: list[float]) -> str:
    from audio.watermark import DETECTION_THRESHOLD

    return f"{sum(c >= DETECTION_THRESHOLD for c in confidences)}/{len(confidences)}"


def _timed(call):  # noqa: ANN001, ANN202
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


# --- rates -----------------------------------------------------------------------------------------

NOISE_SNR_DB = 20.0
CROSS_CODES = 2  # other codes each genuine reading is re-checked against (each costs ~1.5 s of scoring)
# How the bench makes verify_consent transcribe: (accurate, keep verify_consent's prompt).
ASR_CONFIGS = {"tiny": (False, False), "base": (True, False), "shipped": (True, True)}
GENUINE_CAUSES = ("watermark", "no speech", "WER", "negation", "code", "similarity")
IMPOSTORS = ("other speaker", "stale code", "other text", "refusal")


def _with_noise(samples: np.ndarray, rng: np.random.Generator, snr_db: float = NOISE_SNR_DB) -> np.ndarray:
    power = float(np.mean(samples.astype(np.float64) ** 2))
    noise = rng.standard_normal(samples.size) * np.sqrt(power / 10 ** (snr_db / 10))
    return (samples + noise).astype(np.float32)


def _use_asr_config(config: str) -> None:
    """Make verify_consent's transcription the configuration's, whatever verify_consent asks for."""
    from audio import asr

    accurate, keep_prompt = ASR_CONFIGS[config]
    original = asr.transcribe

    def transcribe(samples, rate, language=None, *, prompt=None, **_asked):  # noqa: ANN001, ANN202
        return original(samples, rate, language, accurate=accurate, prompt=prompt if keep_prompt else None)

    asr.transcribe = transcribe


def _causes(evidence) -> list[str]:  # noqa: ANN001
    if evidence.generated:
        return ["watermark"]
    if evidence.similarity is None:
        return ["no speech"]
    causes = []
    if not evidence.words_ok:
        causes.append("WER")
    if evidence.negations:
        causes.append("negation")
    if not evidence.digits_ok:
        causes.append("code")
    if evidence.similarity < evidence.similarity_threshold:
        causes.append("similarity")
    return causes


def _recheck(consent, evidence, scorer, phrase: str, code: str):  # noqa: ANN001, ANN202
    """The verdict on the same transcript and voice had the studio expected ``phrase``/``code``.

    Valid because verify_consent's prompt holds no code: the transcript does not depend on it. The
    code is scored against the clip as verify_consent does when the transcript misses it.
    """
    from copy import copy

    again = copy(evidence)
    again.wer = round(consent.phrase_error_rate(phrase, evidence.transcript), 4)
    again.words_margin = consent.words_margin(scorer, phrase, evidence.transcript)
    again.words_ok = consent.words_read(again)
    again.digits_ok = consent.code_heard(code, evidence.transcript)
    again.code_margin = None
    if not again.digits_ok:
        again.code_margin = consent.code_margin(scorer, phrase, code, evidence.transcript)
        again.digits_ok = again.code_margin > consent.CODE_MARGIN
    again.negations = consent.negations_heard(phrase, evidence.transcript)
    return again.decide(consent._failures(again))


def _near_code(code: str, rng) -> str:  # noqa: ANN001
    """A code one digit away from ``code`` (an older code sharing three digits: the hardest impostor)."""
    index = rng.randrange(len(code))
    digit = rng.choice([d for d in "0123456789" if d != code[index]])
    return code[:index] + digit + code[index + 1 :]


def measure_rates(
    config: str = "shipped",
    n_codes: int = 10,
    n_impostor_codes: int = 2,
    *,
    kinds: tuple[str, ...] = ("genuine", *IMPOSTORS),
    first_speaker: int = 0,
) -> None:
    """Verify the clips of ``kinds`` of the speakers from ``first_speaker`` on; the others are still
    made (and their noise drawn) so every clip is the one a full run verifies."""
    import random

    from audio import asr, consent

    _use_asr_config(config)
    rng = random.Random(18)
    noise_rng = np.random.default_rng(18)
    names = [speaker.name for speaker in SPEAKERS]
    references = {s.name: [synthesize(s, text) for text in SAMPLE_SENTENCES] for s in SPEAKERS}
    conditions = ("clean", f"noise {NOISE_SNR_DB:.0f} dB")
    genuine = {c: {"n": 0, "refused": 0, **dict.fromkeys(GENUINE_CAUSES, 0)} for c in conditions}
    cross_kinds = ("stale code (cross)", "code 1 digit off")
    accepted = {c: {kind: [0, 0] for kind in (*IMPOSTORS, *cross_kinds)} for c in conditions}
    started, calls, records = time.perf_counter(), 0, []
    for index, speaker in enumerate(SPEAKERS):
        codes = ["".join(rng.choice("0123456789") for _ in range(4)) for _ in range(n_codes)]
        transcripts: dict[str, list] = {c: [] for c in conditions}
        for number, code in enumerate(codes):
            phrase = consent.consent_phrase(SPEAKER_NAME, code)
            clips = {"genuine": (speaker, phrase)}
            if number < n_impostor_codes:
                stale = "".join(rng.choice("0123456789") for _ in range(4))
                other = SPEAKERS[(index + 1 + number) % len(SPEAKERS)]
                clips |= {
                    "other speaker": (other, phrase),
                    "stale code": (speaker, consent.consent_phrase(SPEAKER_NAME, stale)),
                    "other text": (speaker, OTHER_SENTENCE),
                    "refusal": (speaker, phrase.replace("agree", "do not agree")),
                }
            for kind, (reader, text) in clips.items():
                samples, rate = synthesize(reader, text)
                for condition in conditions:
                    clip = samples if condition == "clean" else _with_noise(samples, noise_rng)
                    if index < first_speaker or kind not in kinds:
                        continue
                    evidence = consent.verify_consent(
                        clip, rate, phrase=phrase, code=code, references=references[speaker.name]
                    )
                    calls += 1
                    records.append(
                        {"speaker": speaker.name, "kind": kind, "condition": condition, "code": code}
                        | evidence.as_dict()
                    )
                    if kind == "genuine":
                        row = genuine[condition]
                        row["n"] += 1
                        row["refused"] += not evidence.verified
                        for cause in _causes(evidence) if not evidence.verified else ():
                            row[cause] += 1
                        if not evidence.verified:
                            print(
                                f"  refused {speaker.name} {condition} code {code} ({', '.join(_causes(evidence))}; "
                                f"sim {evidence.similarity}, wm {evidence.watermark_confidence}): {evidence.transcript!r}"
                            )
                        transcripts[condition].append((code, evidence, clip, rate))
                    else:
                        accepted[condition][kind][0] += evidence.verified
                        accepted[condition][kind][1] += 1
                        if evidence.verified:
                            print(f"  ACCEPTED {kind} {speaker.name} {condition}: {evidence.transcript!r}")
        # Every genuine reading, checked as if the studio expected another code: CROSS_CODES of the
        # speaker's other codes, and one code one digit off.
        for condition in conditions:
            read = {code: rest for code, *rest in transcripts[condition]}
            for code in codes:  # the rng draws happen for every reading, verified or not
                others = rng.sample(sorted({c for c in codes if c != code}), CROSS_CODES)
                near = _near_code(code, rng)
                if code not in read or "stale code" not in kinds:
                    continue
                evidence, clip, rate = read[code]
                scorer = asr.PhraseScorer(clip, rate)  # encoded once for the reading's re-checks
                for kind, other_code in [*((cross_kinds[0], c) for c in others), (cross_kinds[1], near)]:
                    verdict = _recheck(
                        consent,
                        evidence,
                        scorer,
                        consent.consent_phrase(SPEAKER_NAME, other_code),
                        other_code,
                    )
                    accepted[condition][kind][0] += verdict.verified
                    accepted[condition][kind][1] += 1
                    if verdict.verified:
                        print(
                            f"  ACCEPTED {kind} {speaker.name} {condition}: read {code}, expected {other_code}"
                        )
        print(f"{speaker.name}: done ({time.perf_counter() - started:.0f} s)", flush=True)
    elapsed = time.perf_counter() - started
    if os.environ.get("BENCH_DUMP"):  # every verdict, to re-score transcripts without re-running Whisper
        Path(os.environ["BENCH_DUMP"]).write_text(json.dumps(records, indent=1, default=str))
    _print_rates(config, genuine, accepted, len(names), n_codes, elapsed, calls)
    _print_margins(records)


def _print_margins(records: list[dict]) -> None:
    """The scored checks' margins (natural log) per kind of clip: how far each side is from 0."""
    print("\nmargins (phrase with the expected code / phrase vs its likeliest refusal), min .. max")
    for kind in ("genuine", *IMPOSTORS):
        for field in ("code_margin", "refusal_margin", "words_margin"):
            values = sorted(r[field] for r in records if r["kind"] == kind and r.get(field) is not None)
            if values:
                print(f"  {kind:14s} {field:15s} n={len(values):3d}  {values[0]:7.2f} .. {values[-1]:7.2f}")
    print("\nvoice similarity (cosine, the samples heard in the clip's noise), min .. max")
    for kind in ("genuine", "other speaker"):
        for condition in dict.fromkeys(r["condition"] for r in records):
            values = sorted(
                r["similarity"]
                for r in records
                if r["kind"] == kind and r["condition"] == condition
                if r.get("similarity") is not None
            )
            if values:
                print(f"  {kind:14s} {condition:14s} n={len(values):3d}  {values[0]:.3f} .. {values[-1]:.3f}")


def _print_rates(config, genuine, accepted, n_speakers, n_codes, elapsed, calls) -> None:  # noqa: ANN001
    print(
        f"\nconfig {config!r}: {n_speakers} speakers x {n_codes} codes; {calls} verify_consent calls, "
        f"{elapsed:.0f} s ({elapsed / calls:.2f} s per call)"
    )
    header = "  ".join(f"{cause:>10s}" for cause in GENUINE_CAUSES)
    print(f"{'genuine':16s} {'FRR':>12s}  {header}")
    for condition, row in genuine.items():
        causes = "  ".join(f"{row[cause]:>10d}" for cause in GENUINE_CAUSES)
        print(
            f"{condition:16s} {row['refused']:>3d}/{row['n']:<3d} {row['refused'] / row['n']:5.1%}  {causes}"
        )
    print(f"\n{'false accepts':16s} " + "  ".join(f"{kind:>20s}" for kind in next(iter(accepted.values()))))
    for condition, kinds in accepted.items():
        print(f"{condition:16s} " + "  ".join(f"{f'{a}/{n}':>20s}" for a, n in kinds.values()))


def main() -> None:
    missing = [tool for tool in ("flite", "espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"missing Debian packages: {', '.join(missing)} (apt-get install -y {' '.join(missing)})")
    import django

    django.setup()
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # one INFO line per transcription
    if sys.argv[1:] == ["watermark"]:
        measure_watermark()
    elif sys.argv[1:] == ["generated"]:
        measure_generated()
    elif sys.argv[1:2] == ["rates"]:
        arguments, first, voice_only = sys.argv[2:], 0, False
        if "--from" in arguments:  # resume: verify from this speaker (0-based) on
            at = arguments.index("--from")
            first, arguments = int(arguments[at + 1]), arguments[:at] + arguments[at + 2 :]
        if "--voice-only" in arguments:  # only the clips the voice check decides; no code re-checks
            voice_only, arguments = True, [a for a in arguments if a != "--voice-only"]
        config, *numbers = arguments or ["shipped"]
        kinds = ("genuine", "other speaker") if voice_only else ("genuine", *IMPOSTORS)
        measure_rates(config, *(int(n) for n in numbers), kinds=kinds, first_speaker=first)
    else:
        calibrate_consent()


if __name__ == "__main__":
    main()
