from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import models
from django.http import HttpRequest
from django.template.response import TemplateResponse

from errors import InvalidInput, StudioError
from studio.widgets import PLAYER_MEDIA, WaveformAudioWidget, audio_player, staff_audio_url
from voices.models import Voice, VoiceConsent, VoiceEvent, VoiceSample
from voices.services.moderation import voice_moderate
from voices.services.voice import EDITABLE_FIELDS, voice_create, voice_delete, voice_update

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

    @property
    def media(self) -> forms.Media:
        return super().media + PLAYER_MEDIA

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Recording")
    def clip(self, consent: VoiceConsent) -> str:
        """The studio's player without a file input (the clip is evidence: it is not replaced)."""
        url = staff_audio_url(consent.file)
        if url is None:
            return "—"
        return audio_player(url, label=f"consent clip of {consent.speaker_name}", height=40)


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


class ModerationReasonForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        help_text="The owner reads this on the voice page, and it stays in the audit log.",
    )


def _moderation_action(action: str, description: str):
    """An admin action that first asks the moderator why (the owner reads the reason), then calls
    the moderation service for each selected voice; the service decides which reasons are required."""

    def run(modeladmin, request: HttpRequest, queryset):
        form = ModerationReasonForm(request.POST if request.POST.get("apply") else None)
        if form.is_bound and form.is_valid():
            done, refused = 0, []
            for voice in queryset:
                try:
                    voice_moderate(
                        voice=voice, actor=request.user, action=action, reason=form.cleaned_data["reason"]
                    )
                    done += 1
                except InvalidInput as exc:
                    if exc.field != "reason":
                        refused.append(f"{voice.name}: {exc.message}")
                        continue
                    form.add_error("reason", exc.message)  # nothing was changed: ask again
                    break
                except StudioError as exc:
                    refused.append(f"{voice.name}: {exc.message}")
            if not form.errors:
                for message in refused:
                    modeladmin.message_user(request, message, level=messages.WARNING)
                modeladmin.message_user(request, f"{description}: {done} voice(s).")
                return None
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": f"{description}: why?",
            "opts": modeladmin.model._meta,
            "voices": list(queryset),
            "form": form,
            "action": run.__name__,
            "description": description,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/voices/voice/moderate.html", context)

    run.__name__ = f"moderate_{action}"
    run.short_description = f"{description}…"
    return run


@admin.register(Voice)
class VoiceAdmin(admin.ModelAdmin):
    formfield_overrides = AUDIO_FILE_WIDGETS
    list_display = [
        "name", "preview_player", "id", "owner", "type", "status", "visibility", "verification",
        "moderation", "similarity_score", "created_at",
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

    @property
    def media(self) -> forms.Media:
        return super().media + PLAYER_MEDIA

    @admin.display(description="Preview")
    def preview_player(self, voice: Voice) -> str:
        """Listen from the queue: the audio loads only when played."""
        url = staff_audio_url(voice.preview)
        if url is None:
            return "—"
        return audio_player(url, label=f"preview of {voice.name}", load="click", download=False)

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
