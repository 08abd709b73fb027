from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

from studio.ids import prefixed_id

if TYPE_CHECKING:
    from voices.state import VoiceState


def new_voice_id() -> str:
    return prefixed_id("voice")


def new_sample_id() -> str:
    return prefixed_id("sample")


def sample_upload_to(sample: VoiceSample, filename: str) -> str:
    return f"voices/{sample.voice_id}/samples/{sample.id}/{filename}"


def voice_file_upload_to(voice: Voice, filename: str) -> str:
    return f"voices/{voice.id}/{filename}"


class Voice(models.Model):
    class Type(models.TextChoices):
        BUILT_IN = "built-in"
        CLONED = "cloned"

    class Visibility(models.TextChoices):
        PUBLIC = "PUBLIC"
        PRIVATE = "PRIVATE"

    class Status(models.TextChoices):
        PENDING = "PENDING"
        PROCESSING = "PROCESSING"
        AVAILABLE = "AVAILABLE"
        FAILED = "FAILED"

    class Tier(models.TextChoices):
        INSTANT = "instant"
        STANDARD = "standard"
        PREMIUM = "premium"
        PROFESSIONAL = "professional"

    class License(models.TextChoices):
        PERSONAL = "personal"
        COMMERCIAL = "commercial"

    class Verification(models.TextChoices):
        PENDING = "pending"
        VERIFIED = "verified"
        FAILED = "failed"
        REVOKED = "revoked"

    class Moderation(models.TextChoices):
        PENDING_REVIEW = "pending_review"
        APPROVED = "approved"
        REJECTED = "rejected"
        SUSPENDED = "suspended"

    id = models.CharField(primary_key=True, max_length=40, default=new_voice_id, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="voices"
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, max_length=1000)
    language = models.CharField(max_length=16, default="en")
    languages = models.JSONField(default=list, blank=True)
    dialects = models.JSONField(default=list, blank=True)
    gender = models.CharField(max_length=20, blank=True)
    age = models.CharField(max_length=20, blank=True)
    avatar_url = models.URLField(blank=True, max_length=500)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.CLONED)
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    engine = models.CharField(max_length=32, default="offline")
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.INSTANT)
    training_options = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # The stability speech uses when a request does not say (chosen on a preview, or at clone time).
    stability = models.FloatField(default=0.5)

    # Progress of the current (or last) cloning job, mirrored from the job row for the API.
    progress_step = models.CharField(max_length=64, blank=True)
    progress_percent = models.FloatField(default=0)
    progress_eta_seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)

    analysis = models.JSONField(default=dict, blank=True)
    similarity_score = models.FloatField(null=True, blank=True)
    preview = models.FileField(upload_to=voice_file_upload_to, blank=True, max_length=300)

    license = models.CharField(max_length=12, choices=License.choices, default=License.PERSONAL)
    verification = models.CharField(max_length=10, choices=Verification.choices, default=Verification.PENDING)
    moderation = models.CharField(
        max_length=16, choices=Moderation.choices, default=Moderation.PENDING_REVIEW
    )
    moderation_reason = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"]), models.Index(fields=["visibility", "type"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"

    @property
    def is_built_in(self) -> bool:
        return self.type == self.Type.BUILT_IN

    @property
    def state(self) -> VoiceState:
        """What the voice can do right now (voices/state.py): the one answer every page and the API give."""
        from voices.state import voice_state

        return voice_state(self)


class VoiceSample(models.Model):
    id = models.CharField(primary_key=True, max_length=40, default=new_sample_id, editable=False)
    voice = models.ForeignKey(Voice, on_delete=models.CASCADE, related_name="samples")
    file = models.FileField(upload_to=sample_upload_to, max_length=300)
    original_name = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=16, blank=True)
    duration = models.FloatField(default=0)
    speech_duration = models.FloatField(null=True, blank=True)
    transcript = models.TextField(blank=True)
    language = models.CharField(max_length=16, blank=True)
    emotion = models.CharField(max_length=16, default="neutral")
    # Optional trim chosen by the user (seconds into the original file).
    trim_start = models.FloatField(null=True, blank=True)
    trim_end = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.original_name or self.id} ({self.duration:.1f} s)"


def consent_upload_to(consent: VoiceConsent, filename: str) -> str:
    return f"voices/{consent.voice_id}/consent/{consent.id}/{filename}"


def new_consent_id() -> str:
    return prefixed_id("consent")


class VoiceConsent(models.Model):
    """The speaker's recorded consent: a server-made phrase with a one-time code, said in their voice."""

    class Status(models.TextChoices):
        AWAITING_RECORDING = "awaiting_recording"
        CHECKING = "checking"
        VERIFIED = "verified"
        FAILED = "failed"
        REVOKED = "revoked"

    id = models.CharField(primary_key=True, max_length=40, default=new_consent_id, editable=False)
    voice = models.ForeignKey(Voice, on_delete=models.CASCADE, related_name="consents")
    speaker_name = models.CharField(max_length=100)
    code = models.CharField(max_length=8)
    phrase = models.TextField()
    license = models.CharField(max_length=12, choices=Voice.License.choices, default=Voice.License.PERSONAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AWAITING_RECORDING)
    file = models.FileField(upload_to=consent_upload_to, blank=True, max_length=300)
    evidence = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.speaker_name}: {self.status}"


class VoiceEvent(models.Model):
    """Audit log: every state change of a voice (kept after the voice is deleted)."""

    voice = models.ForeignKey(Voice, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    voice_ref = models.CharField(max_length=40, db_index=True, help_text="The voice id, kept after deletion.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=40, blank=True)
    to_state = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.voice_ref} {self.action}: {self.from_state} → {self.to_state}"


def new_preview_id() -> str:
    return prefixed_id("preview")


def preview_upload_to(preview: VoicePreview, filename: str) -> str:
    return f"previews/{preview.id}/{filename}"


class VoicePreview(models.Model):
    """A voice tried before it is kept: reference audio analysed and prepared, one clip spoken.

    No voice exists until the owner saves it (``POST /v1/voices/clone`` with ``preview_id``), which
    reuses the samples, the analysis and the engine's artifacts stored here. Unsaved previews expire
    (``expires_at``); the periodic purge removes them with their files (all under ``previews/<id>/``).
    """

    Status = Voice.Status

    id = models.CharField(primary_key=True, max_length=40, default=new_preview_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="previews")
    status = models.CharField(max_length=12, choices=Voice.Status.choices, default=Voice.Status.PENDING)
    error = models.TextField(blank=True)
    text = models.TextField()
    stability = models.FloatField(default=0.5)
    language = models.CharField(max_length=16, default="en")
    engine = models.CharField(max_length=32, default="offline")
    tier = models.CharField(max_length=16, choices=Voice.Tier.choices, default=Voice.Tier.INSTANT)
    training_options = models.JSONField(default=dict, blank=True)
    # The stored reference samples: [{"file": storage name, "original_name", "format", "duration",
    # "speech_duration", "transcript", "language", "emotion", "trim_start", "trim_end"}, ...]
    samples = models.JSONField(default=list, blank=True)
    analysis = models.JSONField(default=dict, blank=True)
    similarity_score = models.FloatField(null=True, blank=True)
    audio = models.FileField(upload_to=preview_upload_to, blank=True, max_length=300)
    job_id = models.CharField(max_length=40, blank=True)
    voice_id = models.CharField(max_length=40, blank=True, help_text="The voice it was saved as.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"
