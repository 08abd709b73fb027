"""How much a voice's similarity score moves when the same samples are cloned again.

    python bench/similarity_spread.py                       # 6 speakers x 5 clones, ~4 min of CPU
    python bench/similarity_spread.py --voices slt,kal --clones 3

Each reference voice (bench/reference_voices.py: flite, festival and espeak-ng speakers) is cloned
with the offline engine's instant tier from its ~30 s reference and transcript, as the clone job
does it (speech kept, loudness normalised, d-vectors of the samples), ``--clones`` times. Every
clone is scored two ways:

- "preview": the score before issue 18, the one preview sentence rendered with the engine's random
  sampling, watermarked and measured against the samples;
- "score": what the studio shows now, ``engines.similarity.voice_similarity`` (fixed sentences,
  rendered reproducibly).

Per speaker it prints min, max and spread (max - min) of each, and the median wall time of the
clone's prepare, preview and score steps. No Django: audio/ and engines/ run on their own. Its runs
before and after ``prepare`` was made reproducible are in docs/engines.md, "The similarity score".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from audio.codec import resample  # noqa: E402
from audio.embedding import cosine, similarity_score, speaker_embedding  # noqa: E402
from audio.output import render_output  # noqa: E402
from audio.processing import normalize_loudness  # noqa: E402
from audio.speech_activity import keep_speech, speech_segments  # noqa: E402
from bench.reference_voices import VOICE_RECIPES, reference_voices  # noqa: E402
from engines.base import Reference, SynthesisOptions  # noqa: E402
from engines.offline import OfflineEngine  # noqa: E402
from engines.similarity import voice_similarity  # noqa: E402

REFERENCE_RATE = 22050  # voices.cloning.REFERENCE_RATE
ANALYSIS_RATE = 16000  # voices.ingest.ANALYSIS_RATE
PREVIEW_TEXT = "Hello! This is a preview of my cloned voice. I can read anything you type, in any mood."


def prepared_sample(samples: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """The sample as the clone job hands it to the engine, and its d-vector."""
    audio = resample(samples, rate, REFERENCE_RATE)
    audio = normalize_loudness(
        keep_speech(audio, REFERENCE_RATE, speech_segments(audio, REFERENCE_RATE)), REFERENCE_RATE
    )
    return audio, speaker_embedding(resample(audio, REFERENCE_RATE, ANALYSIS_RATE), ANALYSIS_RATE)


def preview_score(engine: OfflineEngine, artifacts: dict, embedding: np.ndarray) -> float:
    """The score as it was: the watermarked MP3 preview's d-vector against the samples'."""
    spoken = engine.synthesize(artifacts, PREVIEW_TEXT, SynthesisOptions())
    preview = render_output(spoken.samples, spoken.sample_rate, fmt="mp3", sample_rate=44100)
    clip = speaker_embedding(resample(preview.samples, preview.sample_rate, ANALYSIS_RATE), ANALYSIS_RATE)
    return round(similarity_score(cosine(clip, embedding)), 3)


def timed(function, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201 - a bench helper
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--voices", default=",".join(r.name for r in VOICE_RECIPES))
    parser.add_argument("--clones", type=int, default=5)
    args = parser.parse_args()
    wanted = args.voices.split(",")
    voices = reference_voices(tuple(r for r in VOICE_RECIPES if r.name in wanted))
    engine = OfflineEngine()
    print(f"{'speaker':10s} {'preview min':>11s} {'max':>6s} {'spread':>6s}   {'score min':>9s} {'max':>6s} "
          f"{'spread':>6s}   {'prepare s':>9s} {'preview s':>9s} {'score s':>7s}")  # fmt: skip
    warm = voices[0].reference
    audio, embedding = prepared_sample(warm.samples, warm.sample_rate)
    artifacts = engine.prepare([Reference(audio, REFERENCE_RATE, warm.text, "en")])
    preview_score(engine, artifacts, embedding)  # loads Piper, the watermarker, the VAD outside the timings
    for voice in voices:
        audio, embedding = prepared_sample(voice.reference.samples, voice.reference.sample_rate)
        old, new, times = [], [], {"prepare": [], "preview": [], "score": []}
        for _ in range(args.clones):
            reference = Reference(audio, REFERENCE_RATE, voice.reference.text, "en")
            artifacts, seconds = timed(engine.prepare, [reference], tier="instant")
            times["prepare"].append(seconds)
            score, seconds = timed(preview_score, engine, artifacts, embedding)
            old.append(score)
            times["preview"].append(seconds)
            score, seconds = timed(voice_similarity, engine, artifacts, [embedding], SynthesisOptions())
            new.append(score)
            times["score"].append(seconds)
        print(
            f"{voice.name:10s} {min(old):11.3f} {max(old):6.3f} {max(old) - min(old):6.3f}   "
            f"{min(new):9.3f} {max(new):6.3f} {max(new) - min(new):6.3f}   "
            + " ".join(
                f"{statistics.median(times[k]):{w}.2f}"
                for k, w in (("prepare", 9), ("preview", 9), ("score", 7))
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
