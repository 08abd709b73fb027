from __future__ import annotations

from django.conf import settings
from django.db import models

from engines.base import DEFAULT_SIMILARITY_BOOST
from studio.ids import prefixed_id


def new_speech_id() -> str:
    return prefixed_id("speech")


def speech_upload_to(speech: Speech, filename: str) -> str:
    return f"speech/{speech.owner_id}/{speech.id}/{filename}"


class Speech(models.Model):
    """One generated audio file: the user's history."""

    id = models.CharField(primary_key=True, max_length=40, default=new_speech_id, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="speeches")
    voice = models.ForeignKey("voices.Voice", null=True, on_delete=models.SET_NULL, related_name="speeches")
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="speeches"
    )
    text = models.TextField()
    filename = models.CharField(max_length=200, blank=True)
    engine = models.CharField(max_length=32, blank=True)
    language = models.CharField(max_length=16, blank=True)
    emotion = models.CharField(max_length=16, default="neutral")
    speed = models.FloatField(default=1.0)
    pitch = models.FloatField(default=0.0)
    stability = models.FloatField(default=0.5)
    similarity_boost = models.FloatField(default=DEFAULT_SIMILARITY_BOOST)
    format = models.CharField(max_length=8, default="mp3")
    sample_rate = models.PositiveIntegerField(default=44100)
    file = models.FileField(upload_to=speech_upload_to, blank=True, max_length=300)
    duration = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.id}: {self.text[:40]}"
