"""Consent verification: does a recording say this voice's consent phrase, in the voice being cloned?

The studio shows the speaker a phrase with their name and a fresh 4-digit code ("I, Jane Doe, agree
that my voice may be cloned by Voice Studio. Code 4 7 1 9."). ``verify_consent`` checks, in order:

1. there is speech at all (Silero VAD) and the clip is not absurdly long (else nothing else runs);
2. it is not generated speech: the watermark every studio output carries (``audio.watermark``) must
   not be detected. A clone of the speaker reading the phrase would pass every check below, so a
   watermarked recording fails on that alone, with a reason of its own (the rest is still measured,
   for the record: a high similarity says someone replayed this very voice);
3. the words: Whisper's transcript (the multilingual base, primed with the name and studio but never
   the code: ``asr_prompt``; docs/decisions.md, "Consent hears its code") against the phrase, as a word error rate over everything except
   the name (ASR spells names any which way, so the name is a free slot of up to len(name)+2 words);
4. the code: its 4 digits must all be heard, in order (the code is what makes an old or someone
   else's consent recording useless here); when the transcript misses them, the phrase with the
   expected code must fit the recording better than with any code one digit away (``code_margin``;
   docs/decisions.md, "Consent scores its code");
5. no negation the phrase does not contain ("I, Jane Doe, do not agree ..." is a WER of only 6 %),
   in the transcript or by scoring: the phrase must fit the recording better than "do not agree" and
   the other refusals (``refusal_margin``);
6. the voice: cosine between the clip's d-vector (speech only, steady background noise gated out) and
   the mean of the samples' d-vectors, the samples first played through the clip's noise and the same
   gate (``_similarity``; docs/decisions.md, "Consent compares voices in the same noise").

Pure logic: no database, no files; models are loaded (once) by ``audio``. The caller stores
``ConsentEvidence.as_dict()`` and moves the voice to verified or failed.

Rates end to end (``python bench/consent_calibration.py rates``, about 1.5 h): false rejects by cause
and false accepts by impostor kind, over 12 speakers x 10 random codes, clean and at 20 dB SNR; the
numbers are in docs/decisions.md. The calibration below (``python bench/consent_calibration.py``,
~10 min): 12 offline speakers (flite kal, awb, rms, slt; espeak-ng en-us, en-us+f2,
en-gb-x-rp+m7, en-us+klatt4; flite voices pitch/formant-shifted by sox -5, -4, +4, +5 semitones), 3
sample sentences each, the open-voicefilter d-vector as ``_similarity`` computes it. The WER rows
predate the switch from tiny.en to the base model. Measured:

- cosine, same speaker (phrase vs samples): min 0.934, median 0.961, max 0.971 (n=12, clean);
- cosine, different speakers: min -0.03, median 0.25, p95 0.58, max 0.686 (n=132, clean: kal
  pitched down 4 semitones against awb pitched down 5);
- in 20 dB white noise (docs/decisions.md, "Consent compares voices in the same noise"), one
  reading per speaker against every speaker's samples: same speaker min 0.897, different speakers
  max 0.828 (the same low-pitched pair; the next is 0.742);
- WER, the phrase read by its speaker: min 0.00, median 0.25, max 0.44 (kal pitched down 4
  semitones, heard as "I, Jane Billie, the brief at my voice may be blown by voices who do you");
- WER, another sentence by the same speaker: 0.94 for every speaker.

Hence MIN_SIMILARITY 0.85: above the highest different-speaker cosine, clean or in noise (0.686,
0.828), and below the lowest same-speaker one (0.934, 0.897). Noise pushes both ends up, the
impostors' more than the genuine readings' floor, so 0.85 sits nearer the noisy impostor (0.02
above) than the noisy genuine floor (0.05 below), and well under every clean reading. MAX_WER 0.50
(0.06 above the worst genuine reading, 0.44 below another sentence; "I agree. Code 4 7 1 9." alone
scores 0.56 and fails). End to end, all 12 genuine readings pass; all 12 other-speaker, stale-code,
other-sentence and "do not agree" recordings fail, and so does silence.

Left out of the different-speaker set on purpose, and printed by the script: espeak-ng's accents of
its one default voice (en-us vs en-gb-scotland 0.91, vs en-029 0.90) are one synthetic person to
this model, and the same flite voice 2 semitones higher scores 0.73. Synthetic voices are more alike
than people (real different speakers measure ~0.35-0.6), so real impostors sit further below the
threshold; but real same-speaker recordings made on different microphones sit lower than 0.93 too,
and no real recordings were measured. The studio passes its settings ``STUDIO_CONSENT_MIN_SIMILARITY``
and ``STUDIO_CONSENT_MAX_WER`` (environment variables of the same names) to override them once real
recordings have been measured.

The watermark check uses the detector's own threshold (``watermark.DETECTION_THRESHOLD``, 0.5) on the
16 kHz clip; what it scores on studio output and on ordinary speech is in docs/decisions.md,
"Consent refuses generated speech".
"""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from audio.watermark import DETECTION_THRESHOLD
from errors import InvalidInput

if TYPE_CHECKING:
    from audio.asr import PhraseScorer

CODE_LENGTH = 4
MAX_WER = 0.50  # calibrated: see the docstring
# The expected code must be the likeliest of those tried (code_margin); docs/decisions.md, "Consent
# scores its code", has the margins of genuine readings and of readings of other codes.
CODE_MARGIN = 0.0
# The phrase must fit the recording better than any of _REFUSALS (refusal_margin): Whisper wrote
# "I, Jane Doe, do not agree ..." as "... how to read that my voice ...", which passed the WER.
REFUSAL_MARGIN = 0.0
# When the transcript misses the words (WER over MAX_WER), the phrase may still fit the recording
# nearly as well as what Whisper wrote (words_margin, mean log-probability per token): a garbled
# transcript of a reading in noise. Calibrated by bench/consent_calibration.py (docs/decisions.md,
# "Consent scores its words").
WORDS_MARGIN = -2.8  # genuine readings -1.90 at worst, other sentences -3.71 at best: midway
_REFUSALS = ("do not agree", "don't agree", "disagree", "never agree", "cannot agree", "won't agree")
MIN_SIMILARITY = 0.85  # cosine, the samples heard in the clip's noise; calibrated: see the docstring
MAX_REFERENCE_SECONDS = 60.0  # of the samples, compared with the clip: bounds the check's work
MIN_SPEECH_SECONDS = 1.0  # the phrase takes ~5 s to read; a cough or a click is not consent
MAX_CLIP_SECONDS = 60.0  # the phrase, not a podcast: keeps Whisper's work bounded

_PHRASE = "I, {name}, agree that my voice may be cloned by {studio}. Code {digits}."
_PHRASE_PATTERN = re.compile(
    r"^I, (?P<name>.+?), agree that my voice may be cloned by (?P<studio>.+)\. Code [\d ]+\.$"
)
_EXTRA_NAME_WORDS = 2  # "Jane Doe" may come back as "Jane. Do you" or "Jayne Dough"
# Words that turn the statement around ("I, Jane Doe, do not agree ...") cost WER only one insertion,
# so they fail the check on their own. Not "can't": Whisper hears espeak's "Jane Doe" as "can't go".
_NEGATIONS = frozenset({"not", "dont", "doesnt", "never", "disagree", "refuse", "cannot", "wont", "withdraw"})
# Whisper hears "four" as "for" and "two" as "to" ("Good for 7-1-9."); next to a digit, they are digits.
_DIGIT_HOMOPHONES = {
    "for": "4",
    "fore": "4",
    "to": "2",
    "too": "2",
    "oh": "0",
    "o": "0",
    "won": "1",
    "ate": "8",
}

VERIFIED = "verified"
FAILED = "failed"


@dataclass
class ConsentEvidence:
    """What was heard and measured, the verdict, and why; stored as JSON on the voice."""

    speech_seconds: float
    wer_threshold: float
    similarity_threshold: float  # cosine
    transcript: str = ""
    wer: float = 1.0  # over the phrase without the name, 0 = word for word
    words_ok: bool = False  # the WER is within its threshold, or the phrase scored (words_margin)
    digits_ok: bool = False
    # Set when the transcript missed the code: how much likelier the recording makes the phrase with
    # the expected code than with the likeliest other code tried (natural log; > CODE_MARGIN passes).
    code_margin: float | None = None
    # How much likelier the recording makes the phrase than its likeliest refusal ("do not agree"...);
    # at or under REFUSAL_MARGIN the refusal is added to ``negations``. None when not measured.
    refusal_margin: float | None = None
    # How much likelier the recording makes the phrase than the transcript, per token (natural log,
    # usually < 0: the transcript is Whisper's best guess); when the WER is over its threshold, words
    # over WORDS_MARGIN count as read. None when not measured.
    words_margin: float | None = None
    negations: list[str] = field(default_factory=list)  # "not", "never"... heard but not in the phrase
    similarity: float | None = None  # cosine to the samples' mean d-vector; None when not measured
    watermark_confidence: float | None = None  # the watermark detector's score, 0..1; None when not measured
    watermark_threshold: float = DETECTION_THRESHOLD  # at or above it the clip is generated speech
    decision: str = FAILED  # VERIFIED | FAILED
    reason: str = ""  # what happened, in words the user can act on
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def verified(self) -> bool:
        return self.decision == VERIFIED

    @property
    def generated(self) -> bool:
        """Whether the clip carries the studio's watermark: generated speech, not a live reading."""
        return self.watermark_confidence is not None and self.watermark_confidence >= self.watermark_threshold

    def decide(self, failures: list[str]) -> ConsentEvidence:
        self.decision = FAILED if failures else VERIFIED
        self.reason = (
            " ".join(failures) or "The recording says the consent phrase in the voice of the samples."
        )
        return self

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["generated"] = self.generated
        data["checked_at"] = self.checked_at.isoformat()
        return data


# --- the phrase --------------------------------------------------------------------------------


def new_consent_code() -> str:
    """A fresh code of 4 random digits (leading zeros allowed)."""
    return "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))


def consent_phrase(speaker_name: str, code: str, studio_name: str = "Voice Studio") -> str:
    """The sentence the speaker reads, e.g. "I, Jane Doe, agree that ... Code 4 7 1 9."."""
    name = " ".join(speaker_name.split())
    if not name or "," in name:
        raise InvalidInput("Enter the speaker's name, without commas.", field="speaker_name")
    return _PHRASE.format(name=name, studio=studio_name, digits=" ".join(_checked_code(code)))


def _checked_code(code: str) -> str:
    if len(code) != CODE_LENGTH or not code.isdigit():
        raise InvalidInput(f"A consent code is {CODE_LENGTH} digits.", field="code")
    return code


# --- verification ------------------------------------------------------------------------------


def verify_consent(
    clip_samples: np.ndarray,
    sample_rate: int,
    *,
    phrase: str,
    code: str,
    references: list[tuple[np.ndarray, int]],
    language: str = "en",
    max_wer: float = MAX_WER,
    min_similarity: float = MIN_SIMILARITY,
) -> ConsentEvidence:
    """Check a consent recording against the voice's samples (``references``: audio, sample rate);
    the evidence says what was heard, the verdict and why."""
    from audio import asr, speech_activity, watermark

    code = _checked_code(code)
    if not references:
        raise InvalidInput("Add voice samples before verifying consent: there is no voice to compare with.")
    samples = np.asarray(clip_samples, dtype=np.float32).reshape(-1)
    segments = speech_activity.speech_segments(samples, sample_rate)
    evidence = ConsentEvidence(
        speech_seconds=round(speech_activity.speech_duration(segments), 2),
        wer_threshold=max_wer,
        similarity_threshold=min_similarity,
    )
    unusable = _unusable_reason(samples.size / sample_rate, evidence.speech_seconds)
    if unusable:
        return evidence.decide([unusable])

    evidence.watermark_confidence = round(watermark.detect(samples, sample_rate).confidence, 4)
    evidence.transcript = asr.transcribe(
        samples, sample_rate, language=language, accurate=True, prompt=asr_prompt(phrase)
    ).text
    evidence.wer = round(phrase_error_rate(phrase, evidence.transcript), 4)
    evidence.digits_ok = code_heard(code, evidence.transcript)
    scorer = asr.PhraseScorer(samples, sample_rate, language)  # encodes the clip once, for every score
    margin = words_margin(scorer, phrase, evidence.transcript)
    evidence.words_margin = None if margin is None else round(margin, 3)
    evidence.words_ok = words_read(evidence)
    if not evidence.digits_ok:
        evidence.code_margin = round(code_margin(scorer, phrase, code, evidence.transcript), 2)
        evidence.digits_ok = evidence.code_margin > CODE_MARGIN
    evidence.negations = negations_heard(phrase, evidence.transcript)
    margin, refusal = refusal_margin(scorer, phrase)
    if margin is not None:
        evidence.refusal_margin = round(margin, 2)
        if margin <= REFUSAL_MARGIN and not evidence.negations:  # one reason is enough
            evidence.negations.append(refusal)
    evidence.similarity = round(_similarity(samples, sample_rate, segments, references), 4)
    return evidence.decide(_failures(evidence))


def asr_prompt(phrase: str) -> str:
    """The phrase's name and studio, as a glossary to prime Whisper's spelling; never the code.

    Not the phrase itself: primed with the very sentence it is about to hear, Whisper takes it as
    already said and writes only "Code 4701." (docs/decisions.md, "Consent hears its code"). And a
    prompt holding the expected digits would pull a stale code towards them.
    """
    match = _PHRASE_PATTERN.match(" ".join(phrase.split()))
    if match is None:
        return ""
    return f"{match['name']}, {match['studio']}."


def _unusable_reason(clip_seconds: float, speech_seconds: float) -> str:
    if clip_seconds > MAX_CLIP_SECONDS:
        return (
            f"The consent recording is {clip_seconds:.0f} s long. Record only the consent phrase "
            f"(under {MAX_CLIP_SECONDS:.0f} s)."
        )
    if speech_seconds < MIN_SPEECH_SECONDS:
        return "No speech was found in the consent recording. Check the microphone and read the phrase aloud."
    return ""


def _similarity(
    clip: np.ndarray, rate: int, segments: list, references: list[tuple[np.ndarray, int]]
) -> float:
    """Cosine between the clip's d-vector and the mean of the samples', the samples heard in the clip's
    noise (docs/decisions.md, "Consent compares voices in the same noise").

    The clip's steady background (hiss, fan) is measured on its quietest frames and gated out, since
    a consent reading has too little background around its speech for ``remove_noise``. The gate
    brings a reading in 20 dB of white noise back towards the voice, not all the way: noise and gate
    leave their mark on the d-vector. So each sample gets the same: noise of the clip's spectrum, at
    the clip's noise-to-signal ratio (seeded, so a verdict is reproducible), then the same gate.
    Compared like with like, a genuine reading in hiss scores as it would clean; on a clean clip the
    added noise is next to nothing and so is the change.
    """
    from audio.codec import resample
    from audio.embedding import MODEL_RATE, cosine, speaker_embedding
    from audio.processing import denoise, noise_like, quietest_frames
    from audio.speech_activity import keep_speech, speech_segments

    rate, clip = MODEL_RATE, resample(clip, rate, MODEL_RATE)  # each side at the embedder's rate, as decoded
    noise = quietest_frames(clip, rate)
    speech = keep_speech(denoise(clip, rate, noise), rate, segments)
    noise_ratio = _rms(noise) / max(_rms(clip), 1e-12)
    budget = int(MAX_REFERENCE_SECONDS * rate)
    embeddings = []
    for index, (audio, audio_rate) in enumerate(references):
        sample = resample(np.asarray(audio, dtype=np.float32).reshape(-1), audio_rate, rate)[:budget]
        budget -= sample.size
        if sample.size == 0:
            break
        noisy = sample + noise_like(noise, sample.size, seed=index) * (noise_ratio * _rms(sample))
        gated = denoise(noisy, rate, quietest_frames(noisy, rate))
        voiced = keep_speech(gated, rate, speech_segments(gated, rate))
        embeddings.append(speaker_embedding(voiced if voiced.size else gated, rate))
    references_mean = np.mean([e / (np.linalg.norm(e) + 1e-12) for e in embeddings], axis=0)
    return cosine(speaker_embedding(speech, rate), references_mean)


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0


def _failures(evidence: ConsentEvidence) -> list[str]:
    """Every check that failed, as sentences the user can act on (all of them, so one retry fixes all).

    Generated speech is the one failure said alone: no better reading of the phrase would fix it.
    """
    if evidence.generated:
        return [
            "This recording was made by a speech generator: it carries the watermark this studio puts on "
            f"all the speech it generates (detector confidence {evidence.watermark_confidence:.2f}). "
            "Consent must be the speaker reading the phrase live, into a microphone."
        ]
    failures = []
    if not evidence.words_ok:
        failures.append(
            f"The recording did not match the consent phrase (WER {evidence.wer:.0%}). "
            "Read the phrase exactly as shown."
        )
    if evidence.negations:
        words = ", ".join(f'"{word}"' for word in evidence.negations)
        failures.append(
            f"The recording says {words}, which is not in the consent phrase. Read it exactly as shown."
        )
    if not evidence.digits_ok:
        failures.append(
            "The code was not heard. Read its four digits clearly, one by one, in the order shown."
        )
    if evidence.similarity is not None and evidence.similarity < evidence.similarity_threshold:
        failures.append(
            f"The consent recording's voice does not match the samples (similarity {evidence.similarity:.2f}, "
            f"need {evidence.similarity_threshold:.2f}). The person in the samples must record the consent."
        )
    return failures


# --- matching words ----------------------------------------------------------------------------


def phrase_error_rate(phrase: str, transcript: str) -> float:
    """Word error rate of ``transcript`` against ``phrase``, with the speaker's name as a free slot.

    The name may be heard as any 0..len(name)+2 words at no cost (more count as insertions); the
    rate is over the phrase's other words, code digits included. Phrases not built by
    ``consent_phrase`` are compared word for word.
    """
    from audio.asr import normalize_words

    hypothesis = heard_words(transcript)
    match = _PHRASE_PATTERN.match(" ".join(phrase.split()))
    if match is None:
        before, name, after = normalize_words(phrase), [], []
    else:
        before = normalize_words(phrase[: match.start("name")])
        name = normalize_words(match["name"])
        after = normalize_words(phrase[match.end("name") :])
    if not before and not after:
        return 0.0 if not hypothesis else 1.0
    return _slot_edit_distance(before, after, hypothesis, len(name) + _EXTRA_NAME_WORDS) / (
        len(before) + len(after)
    )


def _slot_edit_distance(before: list[str], after: list[str], hypothesis: list[str], free_words: int) -> int:
    """min over i <= j of dist(before, hyp[:i]) + slot(hyp[i:j]) + dist(after, hyp[j:])."""
    to_prefix = _distances_to_prefixes(before, hypothesis)  # [i] = dist(before, hyp[:i])
    from_suffix = _distances_to_prefixes(after[::-1], hypothesis[::-1])[::-1]  # [j] = dist(after, hyp[j:])
    size = len(hypothesis)
    return min(
        to_prefix[i] + max(0, j - i - free_words) + from_suffix[j]
        for i in range(size + 1)
        for j in range(i, size + 1)
    )


def _distances_to_prefixes(reference: list[str], hypothesis: list[str]) -> list[int]:
    """Edit distance from ``reference`` to every prefix of ``hypothesis`` (the DP's last row)."""
    row = list(range(len(hypothesis) + 1))  # reference empty: j insertions
    for i, word in enumerate(reference, 1):
        previous, row = row, [i]
        for j, heard in enumerate(hypothesis, 1):
            row.append(min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (word != heard)))
    return row


def words_read(evidence: ConsentEvidence) -> bool:
    """The phrase's words were read: the transcript is close enough, or the phrase scores nearly as
    well against the recording as the transcript does."""
    if evidence.wer <= evidence.wer_threshold:
        return True
    return evidence.words_margin is not None and evidence.words_margin > WORDS_MARGIN


def words_margin(scorer: PhraseScorer, phrase: str, transcript: str) -> float | None:
    """Mean log-probability per token of the phrase, minus that of the transcript, on the recording.

    Whisper's one best transcript of a reading in noise can be far from the words ("The brief at my
    voice may be blown by voices 2-0" for "... agree that my voice may be cloned by Voice Studio ..."),
    while the phrase itself still fits the recording nearly as well; a recording of other words makes
    the phrase fit far worse than what was heard. None when nothing was heard.
    """
    if not heard_words(transcript):
        return None
    phrase_score, heard_score = scorer.log_probabilities([phrase, transcript], per_token=True)
    return phrase_score - heard_score


def negations_heard(phrase: str, transcript: str) -> list[str]:
    """Negating words in the transcript that the phrase itself does not contain, in order heard."""
    from audio.asr import normalize_words

    expected = set(normalize_words(phrase))
    found = [word for word in heard_words(transcript) if word in _NEGATIONS and word not in expected]
    return list(dict.fromkeys(found))


def code_margin(scorer: PhraseScorer, phrase: str, code: str, transcript: str) -> float:
    """How much better the phrase with ``code`` fits the recording than with any other code tried.

    Whisper's one best transcript misses digits a listener would hear ("Code 0 5 4 3" written as
    "called 488."), yet the model still finds the expected digits likeliest when asked to compare.
    Tried: every code one digit away from ``code`` (a reading of an older code that shares three
    digits is one of them) and the four digits the transcript heard, if it heard four. Positive when
    the expected code fits best; a reading of another code scores below zero, as its own code is
    tried or is one digit nearer to it than ``code``.
    """
    heard = "".join(word for word in heard_words(transcript) if word.isdigit())
    candidates = [code, *_one_digit_away(code)]
    if len(heard) == CODE_LENGTH and heard not in candidates:
        candidates.append(heard)
    scores = scorer.log_probabilities([_with_code(phrase, candidate) for candidate in candidates])
    return scores[0] - max(scores[1:])


def refusal_margin(scorer: PhraseScorer, phrase: str) -> tuple[float | None, str]:
    """How much better the phrase fits the recording than its likeliest refusal, and that refusal.

    The transcript alone misses a spoken "do not" when Whisper hears other words in its place; asked
    to compare, the model tells "agree" from "do not agree" by 4.5-7 (genuine readings) against -10
    to -14 (refusals), in natural log. (None, "") for a phrase without " agree " to turn around.
    """
    if " agree " not in phrase:
        return None, ""
    texts = [phrase, *(phrase.replace(" agree ", f" {refusal} ", 1) for refusal in _REFUSALS)]
    scores = scorer.log_probabilities(texts)
    best = int(np.argmax(scores[1:]))
    return scores[0] - scores[1 + best], _REFUSALS[best]


def _one_digit_away(code: str) -> list[str]:
    return [
        code[:index] + digit + code[index + 1 :]
        for index in range(len(code))
        for digit in "0123456789"
        if digit != code[index]
    ]


def _with_code(phrase: str, code: str) -> str:
    """The phrase with its code replaced (phrases not built by ``consent_phrase`` get it appended)."""
    digits = " ".join(code)
    replaced, count = re.subn(r"Code [\d ]+\.$", f"Code {digits}.", phrase.strip())
    return replaced if count else f"{phrase.strip()} Code {digits}."


def code_heard(code: str, transcript: str) -> bool:
    """Whether all the code's digits occur in the transcript's digits, in order."""
    heard = iter(word for word in heard_words(transcript) if word.isdigit())
    return all(digit in heard for digit in code)  # `in` consumes the iterator: an in-order match


def heard_words(transcript: str) -> list[str]:
    """The transcript as normalised words, with digit homophones next to digits read as digits."""
    from audio.asr import normalize_words

    words = normalize_words(transcript)
    changed = True
    while changed:  # "for to 1 9": "to" becomes 2 first, then "for" sits next to a digit
        changed = False
        for index, word in enumerate(words):
            neighbours = words[max(0, index - 1) : index] + words[index + 1 : index + 2]
            if word in _DIGIT_HOMOPHONES and any(n.isdigit() for n in neighbours):
                words[index] = _DIGIT_HOMOPHONES[word]
                changed = True
    return words
