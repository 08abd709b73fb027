from __future__ import annotations

from django.contrib.admin.utils import quote
from django.core.files.base import ContentFile
from django.urls import reverse

from voices.models import Voice, VoiceSample


def sample_for(voice: Voice, data: bytes = b"RIFF....WAVE", **fields) -> VoiceSample:
    sample = VoiceSample(voice=voice, original_name="take-1.wav", format="wav", duration=12.0, **fields)
    sample.file.save("original.wav", ContentFile(data), save=False)
    sample.save()
    return sample


def admin_change_url(obj) -> str:
    # The admin unquotes ids in its URLs: "voice_23ab" taken raw reads as "voice#ab", a missing voice.
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[quote(obj.pk)])
