"""Where an instant clone's time goes: every step of the studio's clone job, timed one by one.

    python bench/clone_steps.py                      # slt, rms, kal; transcript from ASR
    python bench/clone_steps.py --voices slt --given-transcript

Drives the same functions, in the same order, as ``voices/cloning.py`` (decode -> detect speech ->
clean up -> analyse -> prepare engine -> preview -> similarity), without Django or a database: the
sample is a WAV file's bytes (as uploaded), the preview is rendered, watermarked and encoded as the
studio does, the similarity is ``engines.similarity.voice_similarity``. Prints wall and process-CPU
seconds per step, median over the voices, for two flows:

- "before": language ID inside ``transcribe`` for each sample (no declared language), then again
  on the longest sample for the analysis (two Whisper base detections);
- "after": one detection on the longest sample, reused as the transcription language (what
  ``voices/cloning.py`` does now).

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
    from audio.speech_activity import keep_speech, speech_segments

    steps = Steps()
    audio = steps.run("decode", lambda: decode(data, target_rate=REFERENCE_RATE).samples)

    def detect_speech():
        segments = speech_segments(audio, REFERENCE_RATE)
        return keep_speech(audio, REFERENCE_RATE, segments)

    speech = steps.run("detect speech", detect_speech)
    speech = steps.run("clean up", normalize_loudness, speech, REFERENCE_RATE)
    audio16 = resample(speech, REFERENCE_RATE, ANALYSIS_RATE)

    def analyse_before():
        snr_db(audio16, ANALYSIS_RATE, speech_segments(audio16, ANALYSIS_RATE))
        embedding = speaker_embedding(audio16, ANALYSIS_RATE)
        text = transcript or transcribe(audio16, ANALYSIS_RATE, language=None).text
        detect_language(audio16, ANALYSIS_RATE)
        return text, embedding

    def analyse_after():
        language, _ = detect_language(audio16, ANALYSIS_RATE)
        snr_db(audio16, ANALYSIS_RATE, speech_segments(audio16, ANALYSIS_RATE))
        embedding = speaker_embedding(audio16, ANALYSIS_RATE)
        text = transcript or transcribe(audio16, ANALYSIS_RATE, language=language).text
        return text, embedding

    text, embedding = steps.run("analyse", analyse_before if flow == "before" else analyse_after)
    artifacts = steps.run(
        "prepare engine", engine.prepare, [Reference(speech, REFERENCE_RATE, text, "en")], tier="instant"
    )

    def preview():
        spoken = engine.synthesize(artifacts, PREVIEW_TEXT, SynthesisOptions(language="en"))
        samples = resample(spoken.samples, spoken.sample_rate, 44100)
        marked = watermark.embed(samples, 44100)
        encode(marked, 44100, fmt="mp3")

    steps.run("preview", preview)
    steps.run("similarity", voice_similarity, engine, artifacts, [embedding], SynthesisOptions(language="en"))
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
    for flow in ("before", "after"):  # warm every model up outside the timings
        clone(engine, wav_bytes(first.samples, first.sample_rate), "", flow)
    results: dict[str, dict[str, list[tuple[float, float]]]] = {
        "before": defaultdict(list),
        "after": defaultdict(list),
    }
    for voice in voices:
        data = wav_bytes(voice.reference.samples, voice.reference.sample_rate)
        transcript = voice.reference.text if args.given_transcript else ""
        for flow in ("before", "after"):
            for step, value in clone(engine, data, transcript, flow).items():
                results[flow][step].append(value)
    print(
        f"{'step':16s} {'before wall':>11s} {'cpu':>6s} {'after wall':>11s} {'cpu':>6s}   (median of {len(voices)})"
    )
    totals = {flow: [0.0, 0.0] for flow in results}
    for step in results["before"]:
        cells = []
        for flow in ("before", "after"):
            wall = statistics.median(v[0] for v in results[flow][step])
            cpu = statistics.median(v[1] for v in results[flow][step])
            totals[flow][0] += wall
            totals[flow][1] += cpu
            cells.append(f"{wall:11.2f} {cpu:6.2f}")
        print(f"{step:16s} {' '.join(cells)}")
    print(
        f"{'total':16s} {totals['before'][0]:11.2f} {totals['before'][1]:6.2f} "
        f"{totals['after'][0]:11.2f} {totals['after'][1]:6.2f}"
    )


if __name__ == "__main__":
    main()
