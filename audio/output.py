"""The one way audio leaves the studio: resampled, watermarked, encoded.

Previews, speech, batch files and streams all pass through ``render_output`` or ``OutputStream``, so
no output can skip the watermark. Whether to watermark is the caller's policy (the studio's
``STUDIO_WATERMARK``, read by ``studio.output``); ``watermark=False`` is for development only.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

import limits
from errors import InvalidInput

# Formats that can be sent piece by piece as the audio is made: MP3 frames and raw PCM join up as
# they are; a WAV stream is a header that says "length unknown" followed by raw PCM.
STREAM_FORMATS = ("mp3", "pcm", "wav")


@dataclass
class RenderedAudio:
    data: bytes
    format: str
    sample_rate: int
    duration: float
    samples: np.ndarray  # the watermarked PCM at ``sample_rate`` (for measurements, e.g. similarity)


def render_output(
    samples: np.ndarray, rate: int, *, fmt: str, sample_rate: int, watermark: bool = True
) -> RenderedAudio:
    """``samples`` (mono float, at ``rate``) as a ``fmt`` file at ``sample_rate``, watermarked.

    The result's ``sample_rate`` is the file's real rate: Opus files run at 16, 24 or 48 kHz.
    """
    from audio import watermark as marker
    from audio.codec import encode, encoded_rate, resample

    limits.choice(fmt, limits.OUTPUT_FORMATS, field="output_format")
    limits.choice(sample_rate, limits.OUTPUT_RATES, field="sample_rate")
    sample_rate = encoded_rate(fmt, sample_rate)
    samples = resample(np.asarray(samples, dtype=np.float32), rate, sample_rate)
    samples = marker.embed(samples, sample_rate, enabled=watermark)
    data = encode(samples, sample_rate, fmt=fmt)
    return RenderedAudio(data, fmt, sample_rate, len(samples) / sample_rate, samples)


class OutputStream:
    """Audio sent as it is made: each chunk resampled, watermarked and encoded on its own.

    ``header()`` first (a WAV header; nothing for the others), then ``chunk(samples, rate)`` for each
    piece the engine yields, then ``finish()`` (the MP3 encoder's last frames). One MP3 encoder runs
    across all chunks, so the stream has no gaps or repeated headers between them.
    """

    def __init__(self, *, fmt: str, sample_rate: int, watermark: bool = True) -> None:
        if fmt not in STREAM_FORMATS:
            raise InvalidInput(
                f"Streaming sends {', '.join(STREAM_FORMATS)}; {fmt!r} cannot be sent in pieces.",
                field="output_format",
            )
        limits.choice(sample_rate, limits.OUTPUT_RATES, field="sample_rate")
        self.format, self.sample_rate, self.watermark = fmt, sample_rate, watermark
        self.duration = 0.0
        self._encoder = _Mp3Encoder(sample_rate) if fmt == "mp3" else None

    def header(self) -> bytes:
        if self.format != "wav":
            return b""
        # RIFF and data sizes 0xFFFFFFFF: "until the stream ends", as streaming WAV players expect.
        byte_rate = self.sample_rate * 2
        return (
            b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, self.sample_rate, byte_rate, 2, 16)
            + b"data" + struct.pack("<I", 0xFFFFFFFF)
        )  # fmt: skip

    def chunk(self, samples: np.ndarray, rate: int) -> bytes:
        from audio import watermark as marker
        from audio.codec import pcm16, resample

        samples = resample(np.asarray(samples, dtype=np.float32).reshape(-1), rate, self.sample_rate)
        if samples.size == 0:
            return b""
        samples = np.clip(marker.embed(samples, self.sample_rate, enabled=self.watermark), -1.0, 1.0)
        self.duration += samples.size / self.sample_rate
        if self._encoder is not None:
            return self._encoder.encode(samples)
        return pcm16(samples)

    def finish(self) -> bytes:
        return self._encoder.flush() if self._encoder is not None else b""


class _Mp3Encoder:
    """LAME through PyAV's codec context, without a container: MP3 frames, which join into a file."""

    def __init__(self, rate: int, bitrate: int = 128000) -> None:
        import av

        self.rate = rate
        self.context = av.CodecContext.create("libmp3lame", "w")
        self.context.sample_rate = rate
        self.context.layout = "mono"
        self.context.format = "fltp"
        self.context.bit_rate = bitrate
        self.context.open()

    def encode(self, samples: np.ndarray) -> bytes:
        import av

        frame = av.AudioFrame.from_ndarray(
            samples[np.newaxis, :].astype(np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate = self.rate
        return b"".join(bytes(packet) for packet in self.context.encode(frame))

    def flush(self) -> bytes:
        return b"".join(bytes(packet) for packet in self.context.encode(None))
