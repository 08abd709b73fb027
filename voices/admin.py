from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.html import format_html

from voices.models import Voice, VoiceConsent, VoiceEvent, VoiceSample
from voices.services.moderation import voice_moderate
from voices.services.voice import EDITABLE_FIELDS, voice_create, voice_delete, voice_update
from studio.widgets import WaveformAudioWidget

# Audio files (samples, previews) show a waveform player above the file input.
AUDIO_FILE_WIDGETS = {models.FileField: {"widget": WaveformAudioWidget}}


class VoiceSampleInline(admin.TabularInline):
    formfield_overrides = AUDIO_FILE_WIDGETS
    model = VoiceSample
    extra = 0
    fields = ["id", "original_name", "file", "format", "duration", "speech_duration", "emotion", "transcript"]
    readonly_fields = ["id", "format", "duration", "speech_duration"]


class VoiceConsentInline(admin.TabularInline):
    """Consent recordings, read-only: a moderator listens to the clip next to the check's evidence."""

    model = VoiceConsent
    extra = 0
    can_delete = False
    fields = [
        "id", "status", "speaker_name", "license", "clip", "reason", "evidence", "checked_at", "revoked_at",
    ]  # fmt: skip
    readonly_fields = fields

    class Media:
        css = WaveformAudioWidget.Media.css
        js = WaveformAudioWidget.Media.js

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Recording")
    def clip(self, consent: VoiceConsent) -> str:
        """The widget's waveform player without its file input (the clip is evidence: it is not replaced)."""
        url = WaveformAudioWidget().audio_url(consent.file)
        if url is None:
            return "—"
        label = f"consent clip of {consent.speaker_name}"
        return format_html(
            '<div class="waveform-widget" data-src="{url}" data-height="40" data-label="{label}">'
            '<div class="waveform-widget__player">'
            '<button type="button" class="waveform-widget__play" data-play aria-label="Play {label}">▶</button>'
            '<div class="waveform-widget__wave" data-wave><span class="waveform-widget__status">Loading waveform…</span></div>'
            '<span class="waveform-widget__time" data-time>0:00</span>'
            '<a class="waveform-widget__download" href="{url}" download>Download</a>'
            "</div></div>",
            url=url,
            label=label,
        )


class VoiceEventInline(admin.TabularInline):
    """The audit trail, newest first."""

    model = VoiceEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "from_state", "to_state", "actor", "reason"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ModerationQueueFilter(admin.SimpleListFilter):
    title = "moderation queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("waiting", "Waiting for review"),
            ("verification_failed", "Verification failed"),
            ("new", "New (last 7 days)"),
        ]

    def queryset(self, request, queryset):
        from datetime import timedelta

        from django.utils import timezone

        if self.value() == "waiting":
            return queryset.filter(moderation=Voice.Moderation.PENDING_REVIEW, type=Voice.Type.CLONED)
        if self.value() == "verification_failed":
            return queryset.filter(verification=Voice.Verification.FAILED)
        if self.value() == "new":
            return queryset.filter(created_at__gte=timezone.now() - timedelta(days=7), type=Voice.Type.CLONED)
        return queryset


def _moderation_action(action: str, description: str):
    def run(modeladmin, request: HttpRequest, queryset) -> None:
        from django.contrib import messages

        from errors import StudioError

        reason = request.POST.get("reason", "") or f"{action} in the admin moderation queue"
        done = 0
        for voice in queryset:
            try:
                voice_moderate(voice=voice, actor=request.user, action=action, reason=reason)
                done += 1
            except StudioError as exc:
                modeladmin.message_user(request, f"{voice.name}: {exc.message}", level=messages.WARNING)
        modeladmin.message_user(request, f"{description}: {done} voice(s).")

    run.__name__ = f"moderate_{action}"
    run.short_description = description
    return run


@admin.register(Voice)
class VoiceAdmin(admin.ModelAdmin):
    formfield_overrides = AUDIO_FILE_WIDGETS
    list_display = [
        "name", "id", "owner", "type", "status", "visibility", "verification", "moderation",
        "similarity_score", "created_at",
    ]  # fmt: skip
    list_filter = [
        ModerationQueueFilter,
        "status",
        "type",
        "visibility",
        "verification",
        "moderation",
        "language",
        "engine",
    ]
    actions = [
        _moderation_action("approve", "Approve"),
        _moderation_action("reject", "Reject"),
        _moderation_action("suspend", "Suspend"),
        _moderation_action("reinstate", "Reinstate"),
    ]
    search_fields = ["id", "name", "owner__username", "description"]
    readonly_fields = [
        "id", "status", "progress_step", "progress_percent", "progress_eta_seconds", "error", "analysis",
        "similarity_score", "created_at", "updated_at", "verification", "moderation", "moderation_reason",
        "license", "expires_at",
    ]  # fmt: skip
    inlines = [VoiceSampleInline, VoiceConsentInline, VoiceEventInline]
    raw_id_fields = ["owner"]

    def get_readonly_fields(self, request: HttpRequest, obj: Voice | None = None) -> list[str]:
        # Owner, type and engine are chosen at creation; later changes go through the services.
        return self.readonly_fields + (["owner", "type", "engine", "tier"] if obj else [])

    def save_model(self, request: HttpRequest, obj: Voice, form, change: bool) -> None:
        data = form.cleaned_data
        editable = {f: data[f] for f in EDITABLE_FIELDS if f in data and f != "name"}
        if change:
            changed = {f: editable[f] for f in form.changed_data if f in editable}
            if "name" in form.changed_data:
                changed["name"] = data["name"]
            voice_update(voice=Voice.objects.get(pk=obj.pk), actor=request.user, **changed)
            return
        created = voice_create(
            owner=data.get("owner"), name=data["name"], type=data["type"], engine=data["engine"],
            tier=data["tier"], **editable,
        )  # fmt: skip
        obj.pk = created.pk
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: Voice) -> None:
        voice_delete(voice=obj, actor=request.user, reason="deleted in the admin")

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for voice in queryset:
            voice_delete(voice=voice, actor=request.user, reason="deleted in the admin")


@admin.register(VoiceSample)
class VoiceSampleAdmin(admin.ModelAdmin):
    formfield_overrides = AUDIO_FILE_WIDGETS
    list_display = ["id", "voice", "original_name", "format", "duration", "emotion", "created_at"]
    list_filter = ["format", "emotion", "language"]
    search_fields = ["id", "voice__name", "voice__id", "transcript"]
    raw_id_fields = ["voice"]
