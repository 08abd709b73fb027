from django.contrib import admin
from django.db import models

from synthesis.models import Job, Speech
from voices.widgets import WaveformAudioWidget


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "owner", "voice", "status", "step", "percent", "created_at", "finished_at"]
    list_filter = ["kind", "status", "queue"]
    search_fields = ["id", "owner__username", "voice__id", "error"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Speech)
class SpeechAdmin(admin.ModelAdmin):
    formfield_overrides = {models.FileField: {"widget": WaveformAudioWidget}}  # a waveform player
    list_display = ["id", "owner", "voice", "format", "sample_rate", "duration", "created_at"]
    list_filter = ["format", "emotion", "engine"]
    search_fields = ["id", "text", "owner__username", "voice__id"]
    raw_id_fields = ["voice", "job", "owner"]
