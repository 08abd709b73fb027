"""Decode whatever audio a user sends into float32 mono PCM, and encode generated speech for download.

The container is recognised from the bytes, never from a file name or a declared content type:
browsers label MediaRecorder output inconsistently and users rename files. libsndfile (``soundfile``)
reads WAV, FLAC, OGG and MP3 quickly; PyAV's bundled FFmpeg handles the rest (WebM/Opus from Chrome's
MediaRecorder, M4A/AAC) and is the fallback when libsndfile refuses a file. Raw PCM has no header, so
it is the one case where the content type decides: ``audio/L16;rate=16000`` (big-endian, RFC 2586)
or ``audio/pcm;rate=16000`` (little-endian).

Every failure surfaces as a studio error with a message the user can act on: ``InvalidAudio`` for
bytes we cannot read as audio, ``UnsupportedMediaType`` when the declared type is not audio at all.

Decoding is bounded before it allocates, because a few MB of FLAC can hold half an hour at 384 kHz
(gigabytes of float PCM): the sample rate, channel count and stated duration are checked from the
header, then the audio is read in blocks of ``_BLOCK_FRAMES`` frames, mixed to mono and streamed through
a resampler (PyAV's ``AudioResampler``, frame by frame) into one output buffer at the target rate.
Memory is therefore the encoded bytes plus ``max_seconds * rate * 4`` bytes of output (115 MB for
30 minutes at 16 kHz) plus a block, whatever rate the file claims.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from errors import InvalidAudio, InvalidInput, StudioError, UnsupportedMediaType

if TYPE_CHECKING:
    from av import AudioFrame
    from av.audio.stream import AudioStream
    from av.container import InputContainer

FORMATS = ("wav", "mp3", "flac", "ogg", "opus", "aac", "pcm")
# Rates the Opus codec runs at; other rates are resampled to the next one up (48 kHz at most).
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)

ACCEPTED_FORMATS = (
    "WAV, MP3, FLAC, OGG (Vorbis or Opus), WebM/Opus, M4A/AAC, or raw 16-bit PCM sent as "
    "audio/pcm;rate=NNNN (little-endian) or audio/L16;rate=NNNN (big-endian)"
)

_CONTENT_TYPES = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "webm": "audio/webm",
    "m4a": "audio/mp4",
    "opus": "audio/ogg; codecs=opus",
    "aac": "audio/aac",
    # Raw PCM out is 16-bit little-endian (what OpenAI's "pcm" is); audio/L16 would say big-endian.
    "pcm": "audio/pcm",
}
_NAMES = {
    "wav": "WAV",
    "mp3": "MP3",
    "flac": "FLAC",
    "ogg": "OGG",
    "webm": "WebM",
    "m4a": "M4A",
    "opus": "Ogg Opus",
    "aac": "AAC",
    "pcm": "raw PCM",
}
# libsndfile decodes these itself (and faster than FFmpeg); anything else goes to PyAV.
_SOUNDFILE_FORMATS = frozenset({"wav", "flac", "ogg", "mp3"})
# Containers whose signature cannot be confused with raw PCM samples.
_STRONG_SIGNATURES = frozenset({"wav", "flac", "ogg", "webm", "m4a", "aac"})
# Frames read (and resampled) at a time: 65536 frames of 8 channels is 2 MB of float32.
_BLOCK_FRAMES = 65536
# What a header may claim. Microphones and recorders stop at 192 kHz (voice needs 16); a higher rate is
# refused before a sample is decoded: half an hour at 384 kHz fits in 2.6 MB of FLAC and costs ~30 s of
# CPU to resample, for nothing a voice needs.
MAX_SAMPLE_RATE = 192000
MIN_SAMPLE_RATE = 1000
MAX_CHANNELS = 8
# Headerless 16-bit PCM content types and their byte order (RFC 2586: L16 is big-endian).
_RAW_TYPES = {"audio/l16": ">i2", "audio/pcm": "<i2", "audio/x-pcm": "<i2", "audio/raw": "<i2"}


@dataclass
class Decoded:
    samples: np.ndarray  # float32, mono
    sample_rate: int
    format: str  # the container found in the bytes ("wav", "mp3", ..., "webm", "m4a", "pcm")
    duration: float  # seconds of decoded audio


@dataclass(frozen=True)
class _RawPcm:
    rate: int
    channels: int
    dtype: str  # numpy dtype of one sample


def content_type_for(fmt: str) -> str:
    """The MIME type to serve a file of format ``fmt`` with."""
    try:
        return _CONTENT_TYPES[fmt]
    except KeyError:
        raise InvalidInput(f"Unknown audio format {fmt!r}.", field="format") from None


def extension_for(fmt: str) -> str:
    """The file name extension (with the dot) for format ``fmt``."""
    content_type_for(fmt)  # validates fmt
    return "." + fmt


def sniff_format(data: bytes) -> str | None:
    """The container in ``data`` from its magic bytes, or None when it is not one we know."""
    head = bytes(data[:12])
    if head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if head[4:8] == b"ftyp":
        return "m4a"
    if head[:3] == b"ID3" or _is_mp3_frame_header(head[:4]):
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "aac"  # ADTS: 12 sync bits, then layer 00 (which MPEG audio never uses)
    return None


def _is_mp3_frame_header(head: bytes) -> bool:
    # 11 sync bits, then a valid MPEG version, layer, bitrate and sample-rate index. Checking the
    # fields (not just the sync) keeps random bytes and ADTS AAC (layer bits 00) from passing.
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version = (head[1] >> 3) & 0b11
    layer = (head[1] >> 1) & 0b11
    bitrate_index = head[2] >> 4
    rate_index = (head[2] >> 2) & 0b11
    return version != 0b01 and layer != 0b00 and bitrate_index != 0b1111 and rate_index != 0b11


def decode(
    data: bytes,
    *,
    content_type: str | None = None,
    target_rate: int | None = 16000,
    max_seconds: float | None = 1800,
) -> Decoded:
    """Decode ``data`` to float32 mono at ``target_rate`` (None keeps the file's own rate).

    ``content_type`` only matters for headerless PCM (``audio/L16;rate=...``) and for choosing the
    error: bytes we cannot recognise raise ``UnsupportedMediaType`` when the declared type is not
    audio at all, ``InvalidAudio`` otherwise. Audio longer than ``max_seconds`` is refused: from the
    header when it states a length, else as soon as the decoded part passes the limit. The output
    never holds more than ``max_seconds`` at the output rate (see the module docstring).
    """
    if not data:
        raise InvalidAudio(
            f"The file is empty. Send a recording in one of these formats: {ACCEPTED_FORMATS}."
        )
    fmt = sniff_format(data)
    raw = _raw_pcm_params(content_type)
    if raw is not None and fmt not in _STRONG_SIGNATURES:
        fmt = "pcm"
        samples, rate = _decode_raw_pcm(data, raw, target_rate, max_seconds)
    elif fmt is None:
        raise _unrecognised(content_type)
    else:
        samples, rate = _decode_container(data, fmt, target_rate, max_seconds)
    return _checked(samples, rate, fmt, max_seconds)


def _checked(samples: np.ndarray, rate: int, fmt: str, max_seconds: float | None) -> Decoded:
    if samples.size == 0:
        raise InvalidAudio(f"The {_NAMES[fmt]} file contains no audio (it is 0 seconds long).")
    duration = samples.size / rate
    if max_seconds is not None and duration > max_seconds:
        raise _too_long(duration, max_seconds)
    return Decoded(samples=samples, sample_rate=rate, format=fmt, duration=duration)


def _check_header(rate: int, channels: int, *, label: str) -> None:
    """Refuse what a header claims before anything is decoded (a rate or channel count is cheap to
    state and expensive to decode)."""
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise InvalidAudio(
            f"{label} sample rate {rate} Hz is out of range; use a sample rate between "
            f"{MIN_SAMPLE_RATE} and {MAX_SAMPLE_RATE} Hz."
        )
    if not 1 <= channels <= MAX_CHANNELS:
        raise InvalidAudio(f"{label} has {channels} channels; send 1 to {MAX_CHANNELS} channels.")


def _unrecognised(content_type: str | None) -> StudioError:
    declared = (content_type or "").split(";")[0].strip().lower()
    message = f"This is not audio we can read. Send {ACCEPTED_FORMATS}."
    if declared and not declared.startswith(("audio/", "video/", "application/octet-stream")):
        return UnsupportedMediaType(f"{declared!r} is not an audio type. Send {ACCEPTED_FORMATS}.")
    return InvalidAudio(message)


def _too_long(seconds: float, max_seconds: float) -> InvalidAudio:
    return InvalidAudio(
        f"The recording is too long ({_minutes(seconds)}); the limit is {_minutes(max_seconds)}. "
        "Trim it or split it into several samples."
    )


def _minutes(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


def _undecodable(fmt: str) -> InvalidAudio:
    return InvalidAudio(
        f"The {_NAMES[fmt]} file could not be decoded; it may be damaged or cut short. "
        f"Re-export or re-record it as {ACCEPTED_FORMATS}."
    )


# --- streaming into the output buffer ----------------------------------------------------------


class _Sink:
    """Mono blocks at the input rate in, float32 at the output rate collected in one buffer.

    The buffer is sized from the header's frame count when there is one (so a long file is one
    allocation, never a list of blocks plus their concatenation) and refuses to grow past
    ``max_seconds`` at the output rate.
    """

    def __init__(
        self, in_rate: int, out_rate: int, max_seconds: float | None, expected_frames: int | None = None
    ) -> None:
        self.in_rate, self.out_rate = in_rate, out_rate
        self.max_seconds = max_seconds
        self.limit = math.inf if max_seconds is None else int(max_seconds * out_rate) + 1
        expected = int((expected_frames or 0) * out_rate / in_rate) + out_rate // 10
        self.buffer = np.empty(int(min(max(expected, out_rate), self.limit)), dtype=np.float32)
        self.size = 0
        self.resampler = None
        if in_rate != out_rate:
            import av

            self.resampler = av.AudioResampler(format="flt", layout="mono", rate=out_rate)

    def add(self, block: np.ndarray) -> None:
        """Add mono float samples at the input rate."""
        if block.size == 0:
            return
        if self.resampler is None:
            self._store(block)
            return
        import av

        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(block, dtype=np.float32)[np.newaxis, :], format="flt", layout="mono"
        )
        frame.sample_rate = self.in_rate
        for out in self.resampler.resample(frame):
            self._store(out.to_ndarray().reshape(-1))

    def add_resampled(self, block: np.ndarray) -> None:
        """Add mono float samples already at the output rate (PyAV's own resampler made them)."""
        self._store(block)

    def finish(self) -> np.ndarray:
        if self.resampler is not None:
            for out in self.resampler.resample(None):
                self._store(out.to_ndarray().reshape(-1))
        return self.buffer[: self.size]

    def _store(self, block: np.ndarray) -> None:
        end = self.size + block.size
        if end > self.limit:
            raise _too_long(end / self.out_rate, self.max_seconds or 0)
        if end > self.buffer.size:
            grown = np.empty(int(min(max(end, self.buffer.size * 3 // 2), self.limit)), dtype=np.float32)
            grown[: self.size] = self.buffer[: self.size]
            self.buffer = grown
        # Damaged streams can decode to NaN or infinities: cleaned here, a block at a time (cleaning the
        # whole buffer at the end would allocate masks as large as the audio).
        self.buffer[self.size : end] = np.nan_to_num(block, nan=0.0, posinf=1.0, neginf=-1.0)
        self.size = end


# --- raw PCM -----------------------------------------------------------------------------------


def _raw_pcm_params(content_type: str | None) -> _RawPcm | None:
    """Parse ``audio/L16;rate=16000[;channels=2]`` (big-endian, RFC 2586) or ``audio/pcm;rate=...``
    (little-endian, what WAV holds and most APIs send); ``endianness=big|little`` overrides either."""
    if not content_type:
        return None
    kind, *params = (part.strip() for part in content_type.split(";"))
    dtype = _RAW_TYPES.get(kind.lower())
    if dtype is None:
        return None
    values = dict(_param(p) for p in params if "=" in p)
    endianness = values.get("endianness", "").lower().removesuffix("-endian")
    if endianness:
        if endianness not in ("big", "little"):
            raise InvalidAudio(f"{kind} endianness={endianness!r}: use big or little.")
        dtype = ">i2" if endianness == "big" else "<i2"
    rate = _int_param(values, "rate", kind, default=None)
    channels = _int_param(values, "channels", kind, default=1)
    _check_header(rate, channels, label=kind)
    return _RawPcm(rate=rate, channels=channels, dtype=dtype)


def is_raw_pcm_type(content_type: str | None) -> bool:
    """Whether ``content_type`` declares headerless 16-bit PCM (with or without its rate)."""
    return (content_type or "").split(";")[0].strip().lower() in _RAW_TYPES


def _param(text: str) -> tuple[str, str]:
    key, _, value = text.partition("=")
    return key.strip().lower(), value.strip().strip('"')


def _int_param(values: dict[str, str], name: str, kind: str, *, default: int | None) -> int:
    if name not in values:
        if default is None:
            raise InvalidAudio(f"Raw {kind} audio needs its sample rate, e.g. {kind};rate=16000.")
        return default
    try:
        return int(values[name])
    except ValueError:
        raise InvalidAudio(f"{kind} {name}={values[name]!r} is not a whole number.") from None


def _decode_raw_pcm(
    data: bytes, raw: _RawPcm, target_rate: int | None, max_seconds: float | None
) -> tuple[np.ndarray, int]:
    frame_bytes = 2 * raw.channels
    frames = len(data) // frame_bytes
    if max_seconds is not None and frames / raw.rate > max_seconds:
        raise _too_long(frames / raw.rate, max_seconds)
    # A stream cut mid-frame leaves a partial sample at the end; drop it rather than refuse the upload.
    ints = np.frombuffer(data, dtype=raw.dtype, count=frames * raw.channels).reshape(frames, raw.channels)
    rate = int(target_rate or raw.rate)
    sink = _Sink(raw.rate, rate, max_seconds, expected_frames=frames)
    for start in range(0, frames, _BLOCK_FRAMES):
        sink.add(ints[start : start + _BLOCK_FRAMES].astype(np.float32).mean(axis=1) / 32768.0)
    return sink.finish(), rate


# --- containers --------------------------------------------------------------------------------


def _decode_container(
    data: bytes, fmt: str, target_rate: int | None, max_seconds: float | None
) -> tuple[np.ndarray, int]:
    decoders: list[Callable[[], tuple[np.ndarray, int]]] = []
    if fmt in _SOUNDFILE_FORMATS:
        decoders.append(lambda: _decode_with_soundfile(data, target_rate, max_seconds))
    decoders.append(lambda: _decode_with_av(data, target_rate, max_seconds))
    empty: tuple[np.ndarray, int] | None = None
    for attempt in decoders:
        try:
            samples, rate = attempt()
        except StudioError:
            raise
        except Exception:  # noqa: BLE001 - codec libraries raise anything; fall through to the next
            continue
        if samples.size:
            return samples, rate
        empty = (samples, rate)
    if empty is not None:
        return empty  # a well-formed file with no samples: _checked says so in plain words
    raise _undecodable(fmt)


def _decode_with_soundfile(
    data: bytes, target_rate: int | None, max_seconds: float | None
) -> tuple[np.ndarray, int]:
    import soundfile

    with soundfile.SoundFile(io.BytesIO(data)) as audio:
        rate = int(audio.samplerate)
        _check_header(rate, int(audio.channels), label=f"The {audio.format} file's")
        if max_seconds is not None and audio.frames > 0 and audio.frames / rate > max_seconds:
            raise _too_long(audio.frames / rate, max_seconds)
        sink = _Sink(rate, int(target_rate or rate), max_seconds, expected_frames=max(audio.frames, 0))
        for block in audio.blocks(blocksize=_BLOCK_FRAMES, dtype="float32", always_2d=True):
            # Zero NaNs from damaged streams before they poison the channel average.
            sink.add(np.nan_to_num(block, copy=False).mean(axis=1))
    return sink.finish(), sink.out_rate


def _decode_with_av(
    data: bytes, target_rate: int | None, max_seconds: float | None
) -> tuple[np.ndarray, int]:
    import av

    with av.open(io.BytesIO(data), mode="r") as container:
        if not container.streams.audio:
            raise InvalidAudio("The file has no audio track. Send a file with sound in it.")
        stream = container.streams.audio[0]
        source_rate = int(stream.codec_context.sample_rate or 0)
        _check_header(source_rate, int(stream.codec_context.layout.nb_channels or 1), label="The file's")
        # Live MediaRecorder files carry no duration, so this early check is best effort; the sink
        # enforces the limit for them as it fills.
        stated = container.duration / 1e6 if container.duration else None
        if max_seconds is not None and stated and stated > max_seconds + 1:
            raise _too_long(stated, max_seconds)
        rate = int(target_rate or source_rate)
        sink = _Sink(rate, rate, max_seconds, expected_frames=int(stated * rate) if stated else None)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for frame in _frames(container, stream):
            for out in resampler.resample(frame):
                sink.add_resampled(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            sink.add_resampled(out.to_ndarray().reshape(-1))
    return sink.finish(), rate


def _frames(container: InputContainer, stream: AudioStream) -> Iterator[AudioFrame]:
    """Decoded frames, skipping damaged packets the way the ffmpeg command line does.

    A recording cut off mid-packet (a closed browser tab) still yields the audio before the damage.
    """
    import av

    try:
        for packet in container.demux(stream):
            try:
                yield from packet.decode()
            except av.error.InvalidDataError:
                continue
    except av.error.FFmpegError:
        return


# --- resampling and encoding -------------------------------------------------------------------


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Band-limited resampling (polyphase, Kaiser window) from ``src_rate`` to ``dst_rate``."""
    samples = np.asarray(samples, dtype=np.float32)
    if src_rate == dst_rate or samples.size == 0:
        return samples
    from scipy.signal import resample_poly

    divisor = math.gcd(int(src_rate), int(dst_rate))
    out = resample_poly(samples, int(dst_rate) // divisor, int(src_rate) // divisor)
    return out.astype(np.float32, copy=False)


def encode(
    samples: np.ndarray,
    sample_rate: int,
    *,
    fmt: str,
    out_rate: int | None = None,
    bitrate: int = 128000,
) -> bytes:
    """Encode mono float PCM as ``fmt`` (one of FORMATS), resampled to ``out_rate`` first.

    Samples are clipped to [-1, 1] so a hot signal saturates instead of wrapping around in 16-bit
    PCM. ``bitrate`` applies to MP3 and AAC; OGG Vorbis uses libsndfile's default VBR quality.
    ``opus`` is Ogg Opus at ``encoded_rate`` (Opus runs at 8/12/16/24/48 kHz only); ``pcm`` is raw
    16-bit little-endian samples with no header.
    """
    if fmt not in FORMATS:
        raise InvalidInput(
            f"Unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}.", field="format"
        )
    samples = np.asarray(samples, dtype=np.float32).reshape(-1)
    if samples.size == 0:
        raise InvalidAudio("There is no audio to encode.")
    rate = encoded_rate(fmt, int(out_rate or sample_rate))
    samples = np.clip(np.nan_to_num(resample(samples, sample_rate, rate)), -1.0, 1.0)
    try:
        if fmt == "mp3":
            return _encode_with_av(samples, rate, "mp3", "libmp3lame", bitrate)
        if fmt == "aac":
            return _encode_with_av(samples, rate, "adts", "aac", bitrate)
        if fmt == "pcm":
            return pcm16(samples)
        return _encode_with_soundfile(samples, rate, fmt)
    except StudioError:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. a sample rate the encoder cannot take
        raise InvalidInput(f"Could not encode {fmt} at {rate} Hz: {exc}", field="sample_rate") from exc


def encoded_rate(fmt: str, rate: int) -> int:
    """The rate a ``fmt`` file asked for at ``rate`` really has (Opus takes only its own rates)."""
    if fmt != "opus":
        return rate
    return next((opus_rate for opus_rate in OPUS_RATES if opus_rate >= rate), OPUS_RATES[-1])


def pcm16(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] as raw 16-bit little-endian PCM."""
    clipped = np.clip(np.nan_to_num(np.asarray(samples, dtype=np.float32)), -1.0, 1.0)
    return (clipped * 32767.0).round().astype("<i2").tobytes()


def _encode_with_soundfile(samples: np.ndarray, rate: int, fmt: str) -> bytes:
    import soundfile

    container, subtype = {
        "wav": ("WAV", "PCM_16"),
        "flac": ("FLAC", "PCM_16"),
        "ogg": ("OGG", "VORBIS"),
        "opus": ("OGG", "OPUS"),
    }[fmt]
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format=container, subtype=subtype)
    return buffer.getvalue()


def _encode_with_av(samples: np.ndarray, rate: int, container_format: str, codec: str, bitrate: int) -> bytes:
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = "mono"
        stream.bit_rate = bitrate
        frame = av.AudioFrame.from_ndarray(samples[np.newaxis, :], format="flt", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()
