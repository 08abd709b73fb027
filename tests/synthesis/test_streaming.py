"""The pieces of streamed speech: the encoder that sends audio as it comes, and the engine's chunks made
ahead on their own thread (end to end: tests/e2e/test_api_dropin.py)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from audio.codec import decode
from audio.output import OutputStream
from errors import InvalidInput
from synthesis.streaming import _made_ahead


def tone(seconds: float, rate: int = 22050) -> np.ndarray:
    return (0.3 * np.sin(2 * np.pi * 220 * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("mp3", None), ("wav", None), ("pcm", "audio/pcm;rate=24000")]
)
def test_chunks_sent_one_by_one_join_into_one_playable_file(fmt, content_type):
    stream = OutputStream(fmt=fmt, sample_rate=24000, watermark=False)
    data = stream.header() + b"".join(stream.chunk(tone(s), 22050) for s in (1.0, 0.4, 1.5)) + stream.finish()
    audio = decode(data, content_type=content_type, target_rate=None)
    assert audio.sample_rate == 24000
    assert audio.duration == pytest.approx(2.9, abs=0.1) and stream.duration == pytest.approx(2.9, abs=0.01)


def test_a_format_that_cannot_be_sent_in_pieces_is_refused():
    with pytest.raises(InvalidInput) as refused:
        OutputStream(fmt="flac", sample_rate=24000)
    assert refused.value.field == "output_format" and "mp3, pcm, wav" in refused.value.message


def test_chunks_made_ahead_keep_their_order_and_the_first_goes_out_alone():
    made: list[int] = []

    def engine():
        for index in range(5):
            made.append(index)
            yield index

    received = []
    for chunk in _made_ahead(engine()):
        if chunk == 0:
            threading.Event().wait(0.2)
            assert made == [0]  # the engine waits until the first chunk is out
        received.append(chunk)
    assert received == [0, 1, 2, 3, 4]


def test_an_engine_error_reaches_the_consumer_and_stopping_early_ends_the_thread():
    def failing():
        yield 1
        raise InvalidInput("nothing to say", field="text")

    with pytest.raises(InvalidInput):
        list(_made_ahead(failing()))

    before = threading.active_count()
    chunks = _made_ahead(iter(range(100)))
    assert next(chunks) == 0
    chunks.close()
    assert threading.active_count() <= before
