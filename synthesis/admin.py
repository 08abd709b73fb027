from django.contrib import admin
from django.db import models

from studio.widgets import WaveformAudioWidget
from synthesis.models import Speech


@admin.register(Speech)
class SpeechAdmin(admin.ModelAdmin):
    formfield_overrides = {models.FileField: {"widget": WaveformAudioWidget}}  # a waveform player
    list_display = ["id", "owner", "voice", "format", "sample_rate", "duration", "created_at"]
    list_filter = ["format", "emotion", "engine"]
    search_fields = ["id", "text", "owner__username", "voice__id"]
    raw_id_fields = ["voice", "job", "owner"]
