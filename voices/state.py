"""What a voice can do right now, in words a creator can trust: the one state the library card, the
voice page, the speech picker and the API show.

cloning · needs consent · ready · suspended (with the moderator's reason) · failed · expiring

It is derived from the voice's own columns (no queries), in the same order of precedence as the
speech gate ``voices.services.voice_assert_usable``: ``can_speak`` is True exactly when that gate lets
the voice speak (tests/voices/test_state.py holds the two together). The step names of the cloning and
consent jobs, as a person reads them, live here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.dateformat import format as date_format

from errors import StudioError
from voices.models import Voice

# Every state, in the order the library's filter offers them, with the label its badge shows.
STATES = {
    "ready": "Ready",
    "needs_consent": "Needs consent",
    "cloning": "Cloning",
    "expiring": "Expiring",
    "suspended": "Suspended",
    "failed": "Failed",
}
# A voice this close to its deletion date says so (and offers to renew it) while it still speaks.
EXPIRING_WITHIN = timedelta(days=14)

CLONE_STEP_LABELS = {
    "decode": "Reading the audio",
    "detect speech": "Finding the speech",
    "clean up": "Cleaning up",
    "analyse": "Analysing the voice",
    "prepare engine": "Learning the voice",
    "preview": "Recording a preview",
    "similarity": "Checking the likeness",
    "language": "Checking the language",
    "transcripts": "Writing down the words",
}
CONSENT_STEP_LABELS = {"transcribe": "Listening to the recording", "compare voices": "Comparing the voices"}

# A crash's message names an exception class: the page says what the person can do instead.
_INTERNAL_ERROR = re.compile(r"^Internal error while running the (\w+) job \(\w+\)\.?$")


@dataclass(frozen=True)
class VoiceState:
    code: str  # cloning | needs_consent | ready | suspended | failed | expiring
    label: str  # the badge: "Needs consent"
    detail: str  # one plain sentence: why, and what happens next
    can_speak: bool
    tone: str  # the badge's colour: progress | wait | ok | bad

    def as_dict(self) -> dict[str, str | bool]:
        return {"code": self.code, "label": self.label, "detail": self.detail, "can_speak": self.can_speak}


def plain_error(message: str) -> str:
    """A job's error message as a page shows it."""
    match = _INTERNAL_ERROR.match(message.strip())
    if match:
        return (
            f"Something went wrong in the studio while running the {match.group(1)}. "
            "Try again; if it keeps happening, tell the administrator."
        )
    return message.strip()


def voice_state(voice: Voice, *, now: datetime | None = None) -> VoiceState:
    if voice.status == Voice.Status.FAILED:
        error = plain_error(voice.error) or "The cloning stopped with an error."
        return VoiceState("failed", "Failed", f"Cloning failed: {error}", False, "bad")
    if voice.status == Voice.Status.PENDING:
        return VoiceState("cloning", "Cloning", "Waiting for the worker to start cloning.", False, "progress")
    if voice.status == Voice.Status.PROCESSING:
        step = CLONE_STEP_LABELS.get(voice.progress_step, "Cloning")
        detail = f"{step} · {voice.progress_percent:.0f}% done."
        return VoiceState("cloning", "Cloning", detail, False, "progress")
    blocked = _moderation_block(voice)
    if blocked is not None:
        return blocked
    if not voice.is_built_in and voice.verification != Voice.Verification.VERIFIED:
        detail = {
            Voice.Verification.PENDING: "Its speaker has not recorded the consent phrase yet.",
            Voice.Verification.FAILED: "The consent recording did not pass. The speaker can record it again.",
            Voice.Verification.REVOKED: "Consent was revoked. The speaker has to record the phrase again.",
        }[Voice.Verification(voice.verification)]
        return VoiceState("needs_consent", "Needs consent", detail, False, "wait")
    conflict = _licence_conflict(voice)
    if conflict:
        return VoiceState("needs_consent", "Needs consent", conflict, False, "wait")
    now = now or timezone.now()
    if voice.expires_at is not None and voice.expires_at - now <= EXPIRING_WITHIN:
        when = date_format(timezone.localtime(voice.expires_at), "j M Y")
        return VoiceState("expiring", "Expiring", f"Deleted on {when} unless you renew it.", True, "wait")
    return VoiceState("ready", "Ready", "Ready to speak.", True, "ok")


def _moderation_block(voice: Voice) -> VoiceState | None:
    if voice.moderation not in (Voice.Moderation.SUSPENDED, Voice.Moderation.REJECTED):
        return None
    verb = "suspended" if voice.moderation == Voice.Moderation.SUSPENDED else "rejected"
    reason = voice.moderation_reason.strip() or "No reason was given."
    return VoiceState(
        "suspended", verb.capitalize(), f"A moderator {verb} this voice: {reason}", False, "bad"
    )


def _licence_conflict(voice: Voice) -> str:
    from engines import get_engine

    if voice.license != Voice.License.COMMERCIAL:
        return ""
    try:
        engine = get_engine(voice.engine)
    except StudioError:
        return ""
    if engine.license.commercial_use:
        return ""
    return (
        f"It is licensed for commercial use, but the {engine.label} engine allows non-commercial use only. "
        "Record the consent again with a personal licence."
    )
