from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile

import limits
from audio.codec import (
    content_type_for,
    decode,
    encode,
    extension_for,
    resample,
    sniff_format,
)
from errors import InvalidAudio, InvalidInput, StudioError, UnsupportedMediaType


class _NonSeekable(io.RawIOBase):
    """A write-only stream: the muxer cannot go back to write a duration, like a live MediaRecorder."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, chunk: bytes) -> int:  # type: ignore[override]
        self.data += bytes(chunk)
        return len(chunk)


def _av_encode(samples: np.ndarray, rate: int, container: str, codec: str, *, live: bool = False) -> bytes:
    import av

    out: io.BytesIO | _NonSeekable = _NonSeekable() if live else io.BytesIO()
    encoded_rate = 48000 if codec == "libopus" else rate
    with av.open(out, mode="w", format=container) as muxer:
        stream = muxer.add_stream(codec, rate=encoded_rate)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(samples[np.newaxis, :], format="flt", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            muxer.mux(packet)
        for packet in stream.encode(None):
            muxer.mux(packet)
    return bytes(out.data) if isinstance(out, _NonSeekable) else out.getvalue()


@pytest.fixture(scope="module")
def speech(speak) -> np.ndarray:
    return speak("The quick brown fox jumps over the lazy dog.", rate=22050)


@pytest.mark.parametrize("fmt", ["wav", "mp3", "flac", "ogg", "aac"])
@pytest.mark.parametrize("rate", limits.OUTPUT_RATES)
def test_every_format_round_trips_at_every_output_rate(speech, fmt, rate):
    data = encode(speech, 22050, fmt=fmt, out_rate=rate)

    decoded = decode(data, target_rate=None)

    assert sniff_format(data) == fmt
    assert decoded.format == fmt
    assert decoded.sample_rate == rate
    # ADTS cannot say how many priming samples the AAC encoder added (1024 + padding): up to ~0.13 s.
    assert decoded.duration == pytest.approx(len(speech) / 22050, abs=0.15 if fmt == "aac" else 0.06)
    assert decoded.samples.dtype == np.float32 and decoded.samples.ndim == 1


@pytest.mark.parametrize(
    ("rate", "opus_rate"), [(16000, 16000), (22050, 24000), (44100, 48000), (48000, 48000)]
)
def test_opus_is_ogg_opus_at_the_next_rate_opus_runs_at(speech, rate, opus_rate):
    data = encode(speech, 22050, fmt="opus", out_rate=rate)

    info = soundfile.info(io.BytesIO(data))

    assert data[:4] == b"OggS" and data[28:36] == b"OpusHead"
    assert (info.subtype, info.samplerate) == ("OPUS", opus_rate)
    assert info.duration == pytest.approx(len(speech) / 22050, abs=0.06)


def test_pcm_is_raw_little_endian_16_bit_that_reads_back_as_audio_pcm(speech):
    data = encode(speech, 22050, fmt="pcm", out_rate=24000)

    decoded = decode(data, content_type="audio/pcm;rate=24000", target_rate=None)

    assert len(data) == 2 * round(len(speech) * 24000 / 22050)
    assert decoded.sample_rate == 24000
    assert np.corrcoef(decoded.samples, resample(speech, 22050, 24000))[0, 1] > 0.999
    assert content_type_for("pcm") == "audio/pcm"


def test_decoding_resamples_to_16_khz_by_default(speech):
    decoded = decode(encode(speech, 22050, fmt="flac"))

    assert decoded.sample_rate == 16000
    assert decoded.duration == pytest.approx(len(speech) / 22050, abs=0.01)
    assert np.corrcoef(decoded.samples, resample(speech, 22050, 16000))[0, 1] > 0.99


@pytest.mark.parametrize(
    ("container", "codec", "expected"),
    [("webm", "libopus", "webm"), ("ogg", "libopus", "ogg"), ("mp4", "aac", "m4a")],
)
def test_it_decodes_browser_and_phone_formats(speech, container, codec, expected):
    data = _av_encode(speech, 22050, container, codec)

    decoded = decode(data)

    assert decoded.format == expected
    assert decoded.duration == pytest.approx(len(speech) / 22050, abs=0.08)
    assert np.abs(decoded.samples).max() > 0.1


def test_it_decodes_a_live_webm_recording_without_duration(speech):
    data = _av_encode(speech, 22050, "webm", "libopus", live=True)

    decoded = decode(data)

    assert decoded.format == "webm"
    assert decoded.duration == pytest.approx(len(speech) / 22050, abs=0.05)


def test_it_downmixes_stereo_to_mono(signals):
    left = signals.tone(1.0, 16000)
    buffer = io.BytesIO()
    soundfile.write(buffer, np.stack([left, np.zeros_like(left)], axis=1), 16000, format="WAV")

    decoded = decode(buffer.getvalue())

    assert np.abs(decoded.samples).max() == pytest.approx(0.15, abs=0.01)


def test_it_reads_raw_big_endian_l16_with_channels(signals):
    tone = signals.tone(0.5, 8000)
    interleaved = np.repeat(np.round(tone * 32767).astype(">i2"), 2)

    decoded = decode(interleaved.tobytes(), content_type="audio/L16; rate=8000; channels=2", target_rate=None)

    assert decoded.format == "pcm" and decoded.sample_rate == 8000
    assert decoded.duration == pytest.approx(0.5)
    np.testing.assert_allclose(decoded.samples, tone, atol=1e-4)


def test_it_reads_little_endian_pcm_and_resamples(signals):
    tone = signals.tone(1.0, 24000)
    data = np.round(tone * 32767).astype("<i2").tobytes()

    decoded = decode(data, content_type="audio/pcm;rate=24000")

    assert decoded.sample_rate == 16000 and decoded.duration == pytest.approx(1.0)
    assert np.abs(decoded.samples).max() == pytest.approx(0.3, abs=0.01)


def test_raw_pcm_without_a_rate_is_refused():
    with pytest.raises(InvalidAudio, match="rate=16000"):
        decode(b"\x00\x01" * 100, content_type="audio/L16")


def test_it_rejects_empty_bytes():
    with pytest.raises(InvalidAudio, match="empty"):
        decode(b"")


def test_it_rejects_bytes_that_are_not_audio():
    with pytest.raises(InvalidAudio, match="WAV, MP3, FLAC"):
        decode(b"<html><body>Not found</body></html>" * 20, content_type="audio/wav")


def test_a_declared_non_audio_type_is_an_unsupported_media_type():
    with pytest.raises(UnsupportedMediaType, match="text/html"):
        decode(b"<html><body>Not found</body></html>", content_type="text/html; charset=utf-8")


def test_a_wav_with_no_samples_is_refused():
    buffer = io.BytesIO()
    soundfile.write(buffer, np.zeros(0, dtype=np.float32), 16000, format="WAV")

    with pytest.raises(InvalidAudio, match="no audio"):
        decode(buffer.getvalue())


def test_audio_longer_than_the_limit_is_refused(speech):
    for data in (encode(speech, 22050, fmt="wav"), _av_encode(speech, 22050, "webm", "libopus", live=True)):
        with pytest.raises(InvalidAudio, match="too long"):
            decode(data, max_seconds=1.0)


def test_truncated_and_damaged_files_never_leak_codec_errors(speech):
    rng = np.random.default_rng(7)
    blobs = {fmt: encode(speech, 22050, fmt=fmt) for fmt in ("wav", "mp3", "flac", "ogg", "opus", "aac")}
    blobs["webm"] = _av_encode(speech, 22050, "webm", "libopus")
    blobs["m4a"] = _av_encode(speech, 22050, "mp4", "aac")
    for fmt, blob in blobs.items():
        for cut in (4, 12, 40, 300, len(blob) // 2):
            damaged = bytearray(blob)
            for position in rng.integers(cut, len(blob), 40):
                damaged[int(position)] = int(rng.integers(0, 256))
            for data in (blob[:cut], bytes(damaged), blob[:cut] + rng.bytes(3000)):
                try:
                    decoded = decode(data)
                except StudioError:
                    continue
                assert decoded.samples.size > 0, fmt
        with pytest.raises(InvalidAudio):
            decode(blob[:12])


def test_random_bytes_are_refused_as_invalid_audio():
    rng = np.random.default_rng(3)
    for size in (1, 3, 17, 512, 4096):
        with pytest.raises(InvalidAudio):
            decode(rng.bytes(size))


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "wav"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "mp3"),
        (b"\xff\xfb\x90\x64\x00\x00", "mp3"),
        (b"fLaC\x00\x00\x00\x22", "flac"),
        (b"OggS\x00\x02\x00\x00", "ogg"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81", "webm"),
        (b"\x00\x00\x00\x20ftypM4A ", "m4a"),
        (b"\xff\xf1\x50\x80\x00\x1f", "aac"),  # ADTS AAC shares the sync bits but is not MP3
        (b"hello world", None),
        (b"", None),
    ],
)
def test_it_sniffs_containers_from_magic_bytes(head, fmt):
    assert sniff_format(head) == fmt


def test_encoding_clips_instead_of_wrapping_around(signals):
    loud = signals.tone(0.5, 16000, level=2.0)

    decoded = decode(encode(loud, 16000, fmt="wav"), target_rate=None)

    assert decoded.samples.max() == pytest.approx(1.0, abs=1e-3)
    assert decoded.samples.min() == pytest.approx(-1.0, abs=1e-3)


def test_it_refuses_to_encode_an_unknown_format(signals):
    with pytest.raises(InvalidInput) as error:
        encode(signals.tone(0.1), 16000, fmt="aiff")
    assert error.value.field == "format"


def test_formats_have_content_types_and_extensions():
    assert [content_type_for(fmt) for fmt in ("wav", "mp3", "flac", "ogg", "opus", "aac", "pcm")] == [
        "audio/wav",
        "audio/mpeg",
        "audio/flac",
        "audio/ogg",
        "audio/ogg; codecs=opus",
        "audio/aac",
        "audio/pcm",
    ]
    assert extension_for("mp3") == ".mp3"


def test_resampling_keeps_a_tone_in_band(signals):
    resampled = resample(signals.tone(1.0, 44100, frequency=1000.0), 44100, 16000)

    spectrum = np.abs(np.fft.rfft(resampled))
    assert len(resampled) == 16000
    assert np.argmax(spectrum) == 1000


# --- decode bombs: a few hundred KB of FLAC that claim gigabytes of PCM ---------------------------


def _silent_flac(rate: int, seconds: int, channels: int = 1) -> bytes:
    """FLAC of digital silence: it compresses ~3000:1, which is what makes it a decode bomb."""
    buffer = io.BytesIO()
    with soundfile.SoundFile(
        buffer, "w", samplerate=rate, channels=channels, format="FLAC", subtype="PCM_16"
    ) as out:
        block = np.zeros((rate * 10, channels), dtype=np.int16)
        for _ in range(seconds // 10):
            out.write(block)
    return buffer.getvalue()


def _numpy_peak_bytes(call) -> int:
    """Peak bytes numpy allocated during ``call()`` (numpy reports its buffers to tracemalloc)."""
    import tracemalloc

    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_sample_rate_no_microphone_records_is_refused_from_the_header():
    bomb = _silent_flac(384000, 10)

    with pytest.raises(InvalidAudio, match="sample rate 384000 Hz is out of range"):
        decode(bomb)


def test_a_header_with_too_many_channels_is_refused():
    buffer = io.BytesIO()
    soundfile.write(buffer, np.zeros((1600, 9), dtype=np.float32), 16000, format="WAV")

    with pytest.raises(InvalidAudio, match="9 channels"):
        decode(buffer.getvalue())


def test_a_stated_length_over_the_limit_is_refused_before_decoding():
    bomb = _silent_flac(48000, 600)

    # 600 s at 48 kHz is 115 MB of float32; the header says so before any of it is decoded.
    peak = _numpy_peak_bytes(lambda: pytest.raises(InvalidAudio, decode, bomb, max_seconds=60))

    assert peak < 2_000_000


def test_ten_minutes_at_192_khz_decode_into_no_more_than_the_output():
    bomb = _silent_flac(192000, 600)  # 360 KB
    decoded = None

    def run():
        nonlocal decoded
        decoded = decode(bomb, target_rate=16000)

    peak = _numpy_peak_bytes(run)

    assert decoded is not None and decoded.duration == pytest.approx(600, abs=0.1)
    output = decoded.samples.nbytes  # 38 MB at 16 kHz; the file's own rate would be 460 MB
    assert peak < output + 8_000_000
