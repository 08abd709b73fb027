"""What the clone options "remove noise" and "enhance quality" do to a voice's SNR and similarity.

    python bench/noise_options.py                       # slt, rms, kal, espeak-f3: off vs now
    python bench/noise_options.py --flows before,after  # and issue 16's cleanup (11 min at load ~6)
    python bench/noise_options.py --voices slt,rms --conditions clean,white5
    python bench/noise_options.py --no-engine --flows after,always --conditions white40,white30,pink30

Each test speaker's ~30 s reference clip (``bench/reference_voices.py``), with 0.5 s of lead-in and
tail as a microphone records before and after the talking, is cloned clean and with seeded white or
pink noise added at a set SNR (against the mean power of the speech). Every clone runs the steps of
``voices/cloning.py`` without Django (WAV bytes → decode → detect speech → clean up → analyse →
prepare the offline engine → preview → similarity, the transcript given) and reports what the job
stores: the SNR estimate and quality label of the analysis, and the similarity score of the
watermarked preview against the samples ("sim"). "held" is the preview's score against a different
clip of the same speaker with no noise: whether the clone sounds like the person, not like the
samples. "print" is the cleaned samples' score against the clean recording (deterministic): whether
the cleanup took the voice print towards the speaker or away. The engine's base voice samples
(Piper's noise_scale), so "sim" and "held" move from run to run even from identical references (by
up to 0.05 on clean, 0.15 on noisy ones, docs/decisions.md): read the means and the print.

Both options take one path (``_clean_up`` checks either), so "on" is measured once for both. Flows:

- "before": the cleanup of issue 16, stationary spectral gating with the noise estimated from the
  whole clip *after* the pauses were cut out, i.e. mostly from speech;
- "after": ``audio.processing.remove_noise``, what ``voices/cloning.py`` runs now;
- "always": the same without its "already clean" skip (what the threshold saves clean recordings).
"""

from __future__ import annotations

import argparse
import io
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.reference_voices import reference_voices  # noqa: E402
from engines.base import Reference, SynthesisOptions  # noqa: E402
from engines.offline import OfflineEngine  # noqa: E402

REFERENCE_RATE = 22050  # voices/cloning.py
ANALYSIS_RATE = 16000  # voices/ingest.py
PREVIEW_RATE = 44100
PREVIEW_TEXT = "Hello! This is a preview of my cloned voice. I can read anything you type, in any mood."
LEAD_SECONDS = 0.5
CONDITIONS = {
    "clean": None,  # as synthesised: digital silence, 16-bit quantisation noise
    "white40": ("white", 40.0),  # a quiet room
    "pink15": ("pink", 15.0),  # a fan or traffic
    "white15": ("white", 15.0),
    "white5": ("white", 5.0),
    "white30": ("white", 30.0),  # not run by default: around the "already clean" threshold
    "pink30": ("pink", 30.0),
}
DEFAULT_CONDITIONS = "clean,white40,pink15,white15,white5"


@dataclass
class Result:
    snr: float
    quality: str
    voice_print: float
    similarity: float = math.nan
    held_out: float = math.nan
    note: str = ""


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, np.clip(samples, -1, 1), rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def noise(kind: str, size: int, seed: int) -> np.ndarray:
    """Unit-power white or pink (1/f power) noise."""
    white = np.random.default_rng(seed).standard_normal(size)
    if kind == "pink":
        spectrum = np.fft.rfft(white)
        spectrum[1:] /= np.sqrt(np.arange(1, spectrum.size))
        spectrum[0] = 0
        white = np.fft.irfft(spectrum, n=size)
    return white / np.sqrt(np.mean(white**2))


def recording(samples: np.ndarray, rate: int, condition: tuple[str, float] | None, seed: int) -> np.ndarray:
    """The clip with lead-in and tail, and the noise of ``condition`` at its SNR against the speech."""
    from audio.speech_activity import speech_segments

    lead = np.zeros(int(LEAD_SECONDS * rate), dtype=np.float32)
    audio = np.concatenate([lead, samples, lead]).astype(np.float64)
    if condition is None:
        return (audio * 0.5).astype(np.float32)
    kind, snr = condition
    speech = np.concatenate([audio[int(a * rate) : int(b * rate)] for a, b in speech_segments(audio, rate)])
    level = np.sqrt(np.mean(speech**2) / 10 ** (snr / 10))
    noisy = audio + level * noise(kind, audio.size, seed)
    return (0.5 * noisy / np.max(np.abs(noisy))).astype(np.float32)


def clean_up_before(audio: np.ndarray, segments: list, speech: np.ndarray) -> tuple[np.ndarray, str]:
    """Issue 16's cleanup: noisereduce's stationary gate fed only the trimmed speech."""
    import noisereduce

    cleaned = noisereduce.reduce_noise(y=speech, sr=REFERENCE_RATE, stationary=True, n_fft=1024, n_jobs=1)
    return np.asarray(cleaned, dtype=np.float32), "applied"


def clean_up_after(audio: np.ndarray, segments: list, speech: np.ndarray) -> tuple[np.ndarray, str]:
    """``voices/cloning.py``'s cleanup: the gate fed the background, used only where it helps."""
    from audio.processing import remove_noise

    return remove_noise(audio, REFERENCE_RATE, segments)


def clean_up_always(audio: np.ndarray, segments: list, speech: np.ndarray) -> tuple[np.ndarray, str]:
    """``remove_noise`` without its "already clean" skip: what the gate does to a clean recording."""
    from audio import processing

    threshold, processing.CLEAN_SNR_DB = processing.CLEAN_SNR_DB, math.inf
    try:
        return processing.remove_noise(audio, REFERENCE_RATE, segments)
    finally:
        processing.CLEAN_SNR_DB = threshold


FLOWS = {"before": clean_up_before, "after": clean_up_after, "always": clean_up_always}


def clone(
    engine: OfflineEngine | None,
    data: bytes,
    text: str,
    prints: tuple[np.ndarray, np.ndarray],
    flow: str | None,
) -> Result:
    """One clone as ``voices/cloning.py`` runs it; ``flow`` None is the options off. ``prints`` are the
    clean reference's and the held-out clip's d-vectors; without ``engine``, only the analysis."""
    from audio.codec import decode, resample
    from audio.embedding import cosine, similarity_score, speaker_embedding
    from audio.output import render_output
    from audio.processing import normalize_loudness, quality_label, speech_snr_db
    from audio.speech_activity import keep_speech, speech_segments

    audio = decode(data, target_rate=REFERENCE_RATE).samples
    segments = speech_segments(audio, REFERENCE_RATE)
    speech = keep_speech(audio, REFERENCE_RATE, segments)
    note = ""
    if flow is not None:
        speech, note = FLOWS[flow](audio, segments, speech)
    speech = normalize_loudness(speech, REFERENCE_RATE)
    audio16 = resample(speech, REFERENCE_RATE, ANALYSIS_RATE)
    snr = speech_snr_db(audio16, ANALYSIS_RATE)
    embedding = speaker_embedding(audio16, ANALYSIS_RATE)
    clean, held_out = prints
    voice_print = round(similarity_score(cosine(embedding, clean)), 3)
    if engine is None:
        return Result(snr, quality_label(snr), voice_print, note=note)
    artifacts = engine.prepare([Reference(speech, REFERENCE_RATE, text, "en")], tier="instant")
    spoken = engine.synthesize(artifacts, PREVIEW_TEXT, SynthesisOptions(language="en"))
    preview = render_output(spoken.samples, spoken.sample_rate, fmt="mp3", sample_rate=PREVIEW_RATE)
    preview_embedding = speaker_embedding(
        resample(preview.samples, preview.sample_rate, ANALYSIS_RATE), ANALYSIS_RATE
    )
    return Result(
        snr=snr,
        quality=quality_label(snr),
        voice_print=voice_print,
        similarity=round(similarity_score(cosine(preview_embedding, embedding)), 3),
        held_out=round(similarity_score(cosine(preview_embedding, held_out)), 3),
        note=note,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--voices", default="slt,rms,kal,espeak-f3")
    parser.add_argument("--conditions", default=DEFAULT_CONDITIONS, help=", ".join(CONDITIONS))
    parser.add_argument("--flows", default="after", help="cleanups to compare with the options off")
    parser.add_argument("--no-engine", action="store_true", help="the analysis only: SNR and voice print")
    args = parser.parse_args()
    from audio.codec import resample
    from audio.embedding import speaker_embedding

    names = args.voices.split(",")
    voices = [v for v in reference_voices() if v.name in names]
    flows = [None, *args.flows.split(",")]
    engine = None if args.no_engine else OfflineEngine()
    started = time.perf_counter()
    header = f"{'voice':10s} {'audio':8s}" + "".join(
        f" | {flow or 'off':>6s} SNR  qual print  sim  held" for flow in flows
    )
    print(header)
    table: dict[tuple[str, str | None], list[Result]] = {}
    for seed, voice in enumerate(voices):  # the noise is seeded by the voice's place in --voices
        clip, held = voice.reference, voice.held_out
        prints = tuple(
            speaker_embedding(resample(c.samples, c.sample_rate, ANALYSIS_RATE), ANALYSIS_RATE)
            for c in (clip, held)
        )
        for condition in args.conditions.split(","):
            data = wav_bytes(
                recording(clip.samples, clip.sample_rate, CONDITIONS[condition], seed), clip.sample_rate
            )
            cells, notes = [], []
            for flow in flows:
                result = clone(engine, data, clip.text, prints, flow)
                table.setdefault((condition, flow), []).append(result)
                cells.append(
                    f" | {result.snr:10.1f} {result.quality[:4]:>5s} {result.voice_print:5.2f}"
                    f" {result.similarity:4.2f} {result.held_out:5.2f}"
                )
                if result.note:
                    notes.append(f"{flow}: {result.note}")
            print(f"{voice.name:10s} {condition:8s}{''.join(cells)}   {'; '.join(notes)}", flush=True)
    print("\nmean over the voices")
    for condition in args.conditions.split(","):
        cells = []
        for flow in flows:
            results = table[(condition, flow)]
            cells.append(
                f" | {statistics.mean(r.snr for r in results):10.1f} {'':>5s}"
                f" {statistics.mean(r.voice_print for r in results):5.2f}"
                f" {statistics.mean(r.similarity for r in results):4.2f}"
                f" {statistics.mean(r.held_out for r in results):5.2f}"
            )
        print(f"{'':10s} {condition:8s}{''.join(cells)}")
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
