"""Where an instant clone's time goes: every step of the studio's clone job, timed one by one.

    python bench/clone_steps.py                      # slt, rms, kal; transcript from ASR
    python bench/clone_steps.py --voices slt --given-transcript

Drives the same functions, in the same order, as ``voices/cloning.py`` (decode -> detect speech ->
clean up -> analyse -> prepare engine, the voice AVAILABLE, then preview -> similarity -> language),
without Django or a database: the sample is a WAV file's bytes (as uploaded), the preview is
rendered, watermarked and encoded as the studio does, the similarity is
``engines.similarity.voice_similarity``. Prints wall and process-CPU seconds per step, median over
the voices, and the time to AVAILABLE, for two flows:

- "before" (until 2026-11-29): everything before AVAILABLE; the analysis runs Whisper base's
  language ID, the speaker embedding and a beam-5 transcript;
- "now" (``voices/cloning.py``): the analysis is the SNR and a greedy transcript; the speaker
  embedding (in "similarity") and the language ID run after the voice is AVAILABLE. A sample longer
  than ``limits.INSTANT_LEARN_SECONDS`` (kal's and rms's are, by 1-4 s) is learnt from its first 30 s
  and the rest transcribed in a last step, "transcripts".

``bench/clone_latency.py`` measures the same through the API of a running studio.

CPU seconds are the steadier number on a shared machine; the wall clock shows the overlap of the
engine's two threads.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

import limits  # noqa: E402
from bench.reference_voices import reference_voices  # noqa: E402
from engines.base import Reference, SynthesisOptions  # noqa: E402
from engines.offline import OfflineEngine  # noqa: E402
from engines.similarity import voice_similarity  # noqa: E402

REFERENCE_RATE = 22050  # voices/cloning.py
ANALYSIS_RATE = 16000
PREVIEW_TEXT = "Hello! This is a preview of my cloned voice. I can read anything you type, in any mood."


class Steps:
    def __init__(self) -> None:
        self.times: dict[str, tuple[float, float]] = {}

    def run(self, name: str, function, *args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function(*args, **kwargs)
        self.times[name] = (time.perf_counter() - wall, time.process_time() - cpu)
        return result


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def clone(engine: OfflineEngine, data: bytes, transcript: str, flow: str) -> dict[str, tuple[float, float]]:
    from audio import watermark
    from audio.asr import detect_language, transcribe
    from audio.codec import decode, encode, resample
    from audio.embedding import speaker_embedding
    from audio.processing import normalize_loudness, snr_db
    from audio.speech_activity import keep_speech, quiet_cut, speech_segments

    steps = Steps()
    audio = steps.run("decode", lambda: decode(data, target_rate=REFERENCE_RATE).samples)

    def detect_speech():
        segments = speech_segments(audio, REFERENCE_RATE)
        return keep_speech(audio, REFERENCE_RATE, segments)

    speech = steps.run("detect speech", detect_speech)
    speech = steps.run("clean up", normalize_loudness, speech, REFERENCE_RATE)
    audio16 = resample(speech, REFERENCE_RATE, ANALYSIS_RATE)

    embeddings = []  # "before" made it in the analysis, "now" in the similarity step

    def analyse_before():
        language, _ = detect_language(audio16, ANALYSIS_RATE)
        snr_db(audio16, ANALYSIS_RATE, speech_segments(audio16, ANALYSIS_RATE))
        embeddings.append(speaker_embedding(audio16, ANALYSIS_RATE))
        return transcript or transcribe(audio16, ANALYSIS_RATE, language=language).text

    # "now" learns from at most limits.INSTANT_LEARN_SECONDS of an untranscribed sample, as
    # voices/cloning.py's _share_learning does for one sample; the rest's transcript comes at the end.
    learned = len(speech)
    if flow == "now" and not transcript and len(speech) / REFERENCE_RATE > limits.INSTANT_LEARN_SECONDS + 1:
        learned = quiet_cut(speech, REFERENCE_RATE, limits.INSTANT_LEARN_SECONDS)

    def analyse_now():
        snr_db(audio16, ANALYSIS_RATE, speech_segments(audio16, ANALYSIS_RATE))
        part16 = audio16[: round(learned * ANALYSIS_RATE / REFERENCE_RATE)]
        return transcript or transcribe(part16, ANALYSIS_RATE, language="en", beam_size=1).text

    text = steps.run("analyse", analyse_before if flow == "before" else analyse_now)
    artifacts = steps.run(
        "prepare engine",
        engine.prepare,
        [Reference(speech[:learned], REFERENCE_RATE, text, "en")],
        tier="instant",
    )

    def preview():
        spoken = engine.synthesize(artifacts, PREVIEW_TEXT, SynthesisOptions(language="en"))
        samples = resample(spoken.samples, spoken.sample_rate, 44100)
        marked = watermark.embed(samples, 44100)
        encode(marked, 44100, fmt="mp3")

    steps.run("preview", preview)

    def similarity():
        embedding = embeddings[0] if embeddings else speaker_embedding(audio16, ANALYSIS_RATE)
        return voice_similarity(engine, artifacts, [embedding], SynthesisOptions(language="en"))

    steps.run("similarity", similarity)
    if flow == "now":
        steps.run("language", detect_language, audio16, ANALYSIS_RATE)
        if learned < len(speech):
            rest16 = audio16[round(learned * ANALYSIS_RATE / REFERENCE_RATE) :]
            steps.run("transcripts", transcribe, rest16, ANALYSIS_RATE, language="en", beam_size=1)
    return steps.times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--voices", default="slt,rms,kal")
    parser.add_argument("--given-transcript", action="store_true", help="the user typed the transcript")
    args = parser.parse_args()
    voices = [v for v in reference_voices() if v.name in args.voices.split(",")]
    engine = OfflineEngine()
    first = voices[0].reference
    flows = ("before", "now")
    for flow in flows:  # warm every model up outside the timings
        clone(engine, wav_bytes(first.samples, first.sample_rate), "", flow)
    results: dict[str, dict[str, list[tuple[float, float]]]] = {flow: defaultdict(list) for flow in flows}
    for voice in voices:
        data = wav_bytes(voice.reference.samples, voice.reference.sample_rate)
        transcript = voice.reference.text if args.given_transcript else ""
        for flow in flows:
            for step, value in clone(engine, data, transcript, flow).items():
                results[flow][step].append(value)
    print(
        f"{'step':16s} {'before wall':>11s} {'cpu':>6s} {'now wall':>11s} {'cpu':>6s}   (median of {len(voices)})"
    )
    totals = {flow: [0.0, 0.0] for flow in flows}
    available = {"before": "similarity", "now": "prepare engine"}  # the last step before AVAILABLE
    for step in results["now"]:
        cells = []
        for flow in flows:
            if step not in results[flow]:
                cells.append(f"{'-':>11s} {'-':>6s}")
                continue
            wall = statistics.median(v[0] for v in results[flow][step])
            cpu = statistics.median(v[1] for v in results[flow][step])
            totals[flow][0] += wall
            totals[flow][1] += cpu
            cells.append(f"{wall:11.2f} {cpu:6.2f}")
            if step == available[flow]:
                totals[flow + " available"] = list(totals[flow])
        print(f"{step:16s} {' '.join(cells)}")
    for label in ("available", "total"):
        cells = [totals[f"{flow} available" if label == "available" else flow] for flow in flows]
        print(
            f"{'to ' + label if label == 'available' else label:16s} "
            + " ".join(f"{w:11.2f} {c:6.2f}" for w, c in cells)
        )


if __name__ == "__main__":
    main()
