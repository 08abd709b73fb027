"""Loudness, noise reduction and recording-quality measures for voice samples.

Loudness follows ITU-R BS.1770 (pyloudnorm). Normalising to a quiet target such as −23 LUFS is a plain
gain; louder targets (−16 LUFS for web playback) push speech peaks past full scale, so a peak limiter
runs and the loudness is corrected again.
"""

from __future__ import annotations

import math

import numpy as np

Segment = tuple[float, float]

PEAK_CEILING = 10 ** (-1.0 / 20)  # −1 dBFS: headroom for MP3/OGG encoders, which overshoot peaks
_MIN_LOUDNESS_SECONDS = 0.4  # one BS.1770 gating block
_LIMITER_SECONDS = 0.005
_FRAME_SECONDS = 0.02
_MIN_NOISE_SECONDS = 0.5  # less background than this is too little to measure it directly
_SPEECH_MARGIN_SECONDS = 0.1  # VAD edges blur into the speech; keep them out of the noise estimate
_MAX_SNR_DB = 100.0
_DENOISE_FFT = 1024  # digital silence between words has no noise to divide by
_ANALYSIS_RATE = 16000  # the rate voices are analysed at (voices/ingest.py)

# quality_label thresholds on snr_db, in dB. Studio recordings reach 35+, a quiet room with a decent
# microphone 25–35, laptop microphones with a fan or street noise 15–25; below 15 the noise is
# plainly audible and a cloned voice reproduces it.
QUALITY_THRESHOLDS = (("excellent", 35.0), ("good", 25.0), ("fair", 15.0))
CLEAN_SNR_DB = QUALITY_THRESHOLDS[0][1]  # remove_noise leaves recordings this clean as they are


def loudness_lufs(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness (LUFS). ``-inf`` for silence.

    BS.1770 needs at least one 400 ms block; a shorter clip is measured by repeating it, which keeps
    its loudness (a repeated signal has the same mean power).
    """
    import pyloudnorm

    audio = np.asarray(samples, dtype=np.float64).reshape(-1)
    if audio.size == 0 or not np.any(audio):
        return -math.inf
    needed = math.ceil(_MIN_LOUDNESS_SECONDS * rate) + 1
    if audio.size < needed:
        audio = np.tile(audio, math.ceil(needed / audio.size))
    return float(pyloudnorm.Meter(rate).integrated_loudness(audio))


def normalize_loudness(samples: np.ndarray, rate: int, target_lufs: float = -23.0) -> np.ndarray:
    """``samples`` at ``target_lufs`` integrated loudness, peaks kept under −1 dBFS.

    Silence comes back unchanged. When the target cannot be reached without limiting the peaks hard
    the result lands a little under it rather than distorting.
    """
    audio = np.asarray(samples, dtype=np.float32).reshape(-1)
    for _ in range(4):
        measured = loudness_lufs(audio, rate)
        if not math.isfinite(measured):
            return audio.copy()
        if abs(measured - target_lufs) < 0.05:
            break
        audio = _limit_peaks(audio * np.float32(10 ** ((target_lufs - measured) / 20)), rate)
    return np.clip(audio, -PEAK_CEILING, PEAK_CEILING).astype(np.float32)


def _limit_peaks(audio: np.ndarray, rate: int) -> np.ndarray:
    """A look-ahead limiter: a smooth gain that never lets a sample exceed PEAK_CEILING.

    The per-sample gain needed is spread with a minimum filter twice as wide as the smoothing window,
    so after smoothing the gain is still at or below what every sample needs (no overshoot), and it
    changes over ~5 ms instead of clipping the waveform.
    """
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    magnitude = np.abs(audio)
    if magnitude.max(initial=0.0) <= PEAK_CEILING:
        return audio
    needed = np.minimum(1.0, PEAK_CEILING / np.maximum(magnitude, 1e-12))
    width = max(1, int(_LIMITER_SECONDS * rate))
    gain = uniform_filter1d(minimum_filter1d(needed, size=2 * width + 1), size=width + 1 - width % 2)
    return (audio * gain).astype(np.float32)


def denoise(samples: np.ndarray, rate: int, noise: np.ndarray) -> np.ndarray:
    """Remove steady background noise (hiss, hum, fan) by stationary spectral gating.

    The noise spectrum comes from ``noise``, background recorded with the speech: estimated from the
    speech itself the gate takes vowels for noise and removes the voice (docs/decisions.md, "Noise
    removal measures the background"). It does not remove one-off sounds.
    """
    import noisereduce

    audio = np.asarray(samples, dtype=np.float32).reshape(-1)
    if audio.size <= 2 * _DENOISE_FFT or not np.any(audio):
        return audio.copy()  # too short to tell noise from speech; leave it as recorded
    cleaned = noisereduce.reduce_noise(
        y=audio, sr=rate, y_noise=noise, stationary=True, n_fft=_DENOISE_FFT, n_jobs=1
    )
    return np.asarray(cleaned, dtype=np.float32)


def remove_noise(recording: np.ndarray, rate: int, segments: list[Segment]) -> tuple[np.ndarray, str]:
    """The speech of ``recording`` (``keep_speech``), its steady background removed where that helps,
    and what was done.

    The noise is measured on the background between and around ``segments``, so it is taken before
    the pauses are cut. The speech comes back untouched ("skipped: ...") when there is under 0.5 s of
    background to measure, when the recording is already clean (SNR in the "excellent" band: the gate
    then removes nothing audible and only risks the voice), or when the SNR the analysis reports would
    come out lower.
    """
    from audio.speech_activity import keep_speech

    audio = np.asarray(recording, dtype=np.float32).reshape(-1)
    speech = keep_speech(audio, rate, segments)
    quiet = _background(audio, rate, segments)
    if quiet.size < _MIN_NOISE_SECONDS * rate:
        return speech, "skipped: no background to measure"
    if snr_db(audio, rate, segments) >= CLEAN_SNR_DB:
        return speech, "skipped: already clean"
    cleaned = keep_speech(denoise(audio, rate, quiet), rate, segments)
    if speech_snr_db(cleaned, rate) < speech_snr_db(speech, rate):
        return speech, "skipped: it did not help"
    return cleaned, "applied"


def quietest_frames(samples: np.ndarray, rate: int, fraction: float = 0.1) -> np.ndarray:
    """The quietest ``fraction`` of the recording's 20 ms frames, joined: a noise sample for ``denoise``
    when a clip is too short, or too full of speech, to have background around its speech (a consent
    reading: the gaps between words and the stop closures). On a clean clip it is near silence, and
    the gate removes next to nothing."""
    audio = np.asarray(samples, dtype=np.float32).reshape(-1)
    size = max(1, int(_FRAME_SECONDS * rate))
    powers = _frame_powers(audio, rate)
    if powers.size == 0:
        return audio[:0]
    frames = audio[: powers.size * size].reshape(powers.size, size)
    return frames[powers <= np.quantile(powers, fraction)].reshape(-1)


def noise_like(noise: np.ndarray, size: int, seed: int = 0) -> np.ndarray:
    """``size`` samples of Gaussian noise with the average spectrum of ``noise`` and unit RMS.

    Seeded, so a check that adds it (consent's noise-matched voice check) gives the same verdict on
    the same recording. Silence (or nothing) as ``noise`` gives silence.
    """
    frame = _DENOISE_FFT
    audio = np.asarray(noise, dtype=np.float64).reshape(-1)
    if audio.size < frame or size <= 0 or not np.any(audio):
        return np.zeros(max(size, 0), dtype=np.float32)
    frames = audio[: audio.size // frame * frame].reshape(-1, frame) * np.hanning(frame)
    spectrum = np.sqrt(np.mean(np.abs(np.fft.rfft(frames, axis=1)) ** 2, axis=0))
    white = np.fft.rfft(np.random.default_rng(seed).standard_normal(size))
    shape = np.interp(np.linspace(0.0, 1.0, white.size), np.linspace(0.0, 1.0, spectrum.size), spectrum)
    shaped = np.fft.irfft(white * shape, n=size)
    return (shaped / (np.sqrt(np.mean(shaped**2)) + 1e-12)).astype(np.float32)


def speech_snr_db(samples: np.ndarray, rate: int) -> float:
    """The SNR a voice's analysis reports for a sample: ``snr_db`` at 16 kHz, speech found by VAD."""
    from audio.codec import resample
    from audio.speech_activity import speech_segments

    audio = resample(np.asarray(samples, dtype=np.float32).reshape(-1), rate, _ANALYSIS_RATE)
    return snr_db(audio, _ANALYSIS_RATE, speech_segments(audio, _ANALYSIS_RATE))


def _background(audio: np.ndarray, rate: int, segments: list[Segment]) -> np.ndarray:
    """The samples of the frames ``snr_db`` counts as background, joined."""
    size = max(1, int(_FRAME_SECONDS * rate))
    quiet = ~_frames_in(segments, rate, audio.size // size, margin=_SPEECH_MARGIN_SECONDS)
    return audio[: quiet.size * size].reshape(-1, size)[quiet].reshape(-1)


def snr_db(samples: np.ndarray, rate: int, segments: list[Segment]) -> float:
    """Signal-to-noise ratio (dB) of speech against the background.

    Speech power comes from the frames inside ``segments``, noise power from the frames outside them
    (a margin away from the segment edges). When the recording has less than 0.5 s of background, the
    noise floor is the 10th percentile of all frame powers: even continuous speech has quiet frames
    between syllables. No speech gives 0 dB; digital silence caps the ratio at 100 dB.
    """
    powers = _frame_powers(np.asarray(samples, dtype=np.float64).reshape(-1), rate)
    speech = _frames_in(segments, rate, len(powers), margin=0.0)
    if powers.size == 0 or not speech.any():
        return 0.0
    background = ~_frames_in(segments, rate, len(powers), margin=_SPEECH_MARGIN_SECONDS)
    if background.sum() * _FRAME_SECONDS >= _MIN_NOISE_SECONDS:
        noise = float(powers[background].mean())
    else:
        noise = float(np.percentile(powers, 10))
    signal = max(float(powers[speech].mean()) - noise, 0.0)
    if noise <= 0.0:
        return _MAX_SNR_DB
    if signal <= 0.0:
        return 0.0
    return float(min(10 * math.log10(signal / noise), _MAX_SNR_DB))


def _frame_powers(audio: np.ndarray, rate: int) -> np.ndarray:
    size = max(1, int(_FRAME_SECONDS * rate))
    count = audio.size // size
    return (audio[: count * size].reshape(count, size) ** 2).mean(axis=1)


def _frames_in(segments: list[Segment], rate: int, count: int, *, margin: float) -> np.ndarray:
    inside = np.zeros(count, dtype=bool)
    for start, end in segments:
        first = max(int((start - margin) / _FRAME_SECONDS), 0)
        last = min(math.ceil((end + margin) / _FRAME_SECONDS), count)
        inside[first:last] = True
    return inside


def quality_label(snr_db: float) -> str:
    """The label for a recording's SNR: excellent ≥ 35 dB, good ≥ 25, fair ≥ 15, else poor."""
    for label, threshold in QUALITY_THRESHOLDS:
        if snr_db >= threshold:
            return label
    return "poor"
