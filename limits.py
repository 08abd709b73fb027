"""Every limit a user can hit, defined once.

Services and engines check against these; serializers, forms and admin fields take their bounds from
here; the pages get them as JSON (``studio.context.studio_limits``, read by static/studio/js/limits.js).
Django-free, like ``errors``: the engines below the web layer use them too.
"""

from __future__ import annotations

from dataclasses import dataclass

from errors import InvalidInput


@dataclass(frozen=True)
class Range:
    """A closed interval of allowed values, with the sentence that names it."""

    low: float
    high: float
    unit: str = ""

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def describe(self) -> str:
        low, high = _number(self.low), _number(self.high)
        if self.low < 0 < self.high:
            high = f"+{high}"
        return f"between {low} and {high}{' ' + self.unit if self.unit else ''}"

    def check(self, value: float, *, field: str) -> float:
        """``value`` as a float, or InvalidInput naming ``field`` and the range."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidInput(f"{field} must be a number {self.describe()}.", field=field) from None
        if number != number or number not in self:  # NaN fails too
            raise InvalidInput(f"{field} must be {self.describe()}.", field=field)
        return number

    def as_dict(self) -> dict[str, float]:
        return {"min": self.low, "max": self.high}


def _number(value: float) -> str:
    return f"{value:g}"


# --- Speech -----------------------------------------------------------------------------------------
TEXT_MAX_CHARS = 5000  # per generation (the vendors' common limit)
BATCH_MAX_TEXTS = 100
BATCH_FILENAME_MAX_CHARS = 80
SPEED = Range(0.5, 2.0)  # × the voice's natural rate
PITCH = Range(-12.0, 12.0, "semitones")
STABILITY = Range(0.0, 1.0)
SIMILARITY_BOOST = Range(0.0, 1.0)
DEFAULT_STABILITY = 0.5
# Likeness to the reference against clear words. bench/offline_engine.py, two runs on six voices
# (similarity score / WER): 1.0 gives 0.89 / 6.1-6.5 %, 0.8 gives 0.88 / 2.0-2.6 %, 0.6 gives 0.83 / 2 %.
DEFAULT_SIMILARITY_BOOST = 0.8
EMOTIONS = ("neutral", "happy", "sad", "angry", "excited", "calm")
# opus is Ogg Opus (at the next rate Opus runs at: 16, 24 or 48 kHz), pcm raw 16-bit little-endian.
OUTPUT_FORMATS = ("mp3", "wav", "flac", "ogg", "opus", "aac", "pcm")
OUTPUT_RATES = (16000, 22050, 24000, 44100, 48000)
DEFAULT_OUTPUT_FORMAT = "mp3"
DEFAULT_OUTPUT_RATE = 44100

# --- Voices -----------------------------------------------------------------------------------------
NAME_MAX_CHARS = 100
DESCRIPTION_MAX_CHARS = 1000
SPEAKER_NAME_MAX_CHARS = 100
LIST_ITEM_MAX_CHARS = 32  # one language or dialect code
METADATA_MAX_BYTES = 16 * 1024
TIERS = ("instant", "standard", "premium", "professional")
# Seconds of detected speech each tier needs and accepts (all samples together).
TIER_SPEECH_SECONDS: dict[str, Range] = {
    "instant": Range(10.0, 300.0, "s"),
    "standard": Range(60.0, 900.0, "s"),
    "premium": Range(300.0, 1800.0, "s"),
    "professional": Range(900.0, 4 * 3600.0, "s"),
}
# The instant tier learns from at most this much speech, shared among the samples in proportion, each
# keeping at least INSTANT_SAMPLE_SHARE_SECONDS (an emotion-tagged sample keeps its say); the rest is
# transcribed after the voice is usable. The offline engine came out no closer from 80-96 s than from
# ~30 s, while the time to a usable voice grew with the audio: 3.0 -> 9.0 s (docs/engines.md, "Time
# to a usable voice").
INSTANT_LEARN_SECONDS = 30.0
INSTANT_SAMPLE_SHARE_SECONDS = 4.0
# A preview speaks before consent is recorded: a sentence or two, not a way to make long speech.
PREVIEW_TEXT_MAX_CHARS = 300
TRIM_MIN_SECONDS = 0.5  # a trimmed region shorter than this is a slip of the mouse
SAMPLE_MAX_SECONDS = 1800  # one uploaded sample, decoded (the professional tier's 4 h take several)
CONSENT_MAX_SECONDS = 120  # the consent recording: one sentence, with room to breathe
WATERMARK_DETECT_MAX_SECONDS = 300  # enough of any clip to find the mark; 38 MB decoded at 32 kHz

# --- Requests ---------------------------------------------------------------------------------------
# Every JSON body: 4 MB holds a full batch (100 texts of 5000 characters); audio uploads have their own
# limit (settings.STUDIO_MAX_REQUEST_BYTES). Nesting deeper than this is no request we understand.
JSON_BODY_MAX_BYTES = 4 * 1024 * 1024
JSON_MAX_DEPTH = 32
# A body sent with no credentials at all (the login form is the only one that needs none).
ANONYMOUS_BODY_MAX_BYTES = 64 * 1024
LIST_OFFSET_MAX = 1_000_000_000

# --- Fair use of the workers (jobs/fairness.py) -----------------------------------------------------
# A user's unfinished jobs (queued or running) at once, and the worker time they may stand for. Work is
# measured in worker seconds: speech by its text (the offline engine spoke 5000 characters in 210 s on
# two cores: 0.042 s a character), the other kinds by a typical run.
USER_MAX_ACTIVE_JOBS = 20
USER_MAX_QUEUED_WORKER_SECONDS = 900.0
SPEECH_WORKER_SECONDS_PER_CHAR = 0.042
SPEECH_WORKER_SECONDS_PER_JOB = 2.0  # loading the voice, encoding, storing
CLONE_WORKER_SECONDS = 60.0
CONSENT_WORKER_SECONDS = 10.0
# The demo job (it only proves the plumbing): its waiting (chunks x pace) is capped for everyone but staff.
DEMO_MAX_WAIT_SECONDS = 20.0


def choice(value: str, allowed: tuple[str, ...], *, field: str) -> str:
    """``value`` if it is one of ``allowed``, else InvalidInput naming them."""
    if value not in allowed:
        raise InvalidInput(f"{field} must be one of {', '.join(map(str, allowed))}.", field=field)
    return value


def as_dict() -> dict[str, object]:
    """The limits the pages need, as JSON-ready values."""
    return {
        "textMaxChars": TEXT_MAX_CHARS,
        "batchMaxTexts": BATCH_MAX_TEXTS,
        "speed": SPEED.as_dict(),
        "pitch": PITCH.as_dict(),
        "stability": STABILITY.as_dict(),
        "similarityBoost": SIMILARITY_BOOST.as_dict(),
        "defaultStability": DEFAULT_STABILITY,
        "defaultSimilarityBoost": DEFAULT_SIMILARITY_BOOST,
        "emotions": list(EMOTIONS),
        "outputFormats": list(OUTPUT_FORMATS),
        "outputRates": list(OUTPUT_RATES),
        "nameMaxChars": NAME_MAX_CHARS,
        "speakerNameMaxChars": SPEAKER_NAME_MAX_CHARS,
        "descriptionMaxChars": DESCRIPTION_MAX_CHARS,
        "tiers": {tier: TIER_SPEECH_SECONDS[tier].as_dict() for tier in TIERS},
        "trimMinSeconds": TRIM_MIN_SECONDS,
        "previewTextMaxChars": PREVIEW_TEXT_MAX_CHARS,
    }
