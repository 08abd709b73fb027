from django.contrib import admin
from django.http import HttpRequest

from voices import services
from voices.models import Voice, VoiceSample


class VoiceSampleInline(admin.TabularInline):
    model = VoiceSample
    extra = 0
    fields = ["id", "original_name", "file", "format", "duration", "speech_duration", "emotion", "transcript"]
    readonly_fields = ["id", "format", "duration", "speech_duration"]


@admin.register(Voice)
class VoiceAdmin(admin.ModelAdmin):
    list_display = [
        "name", "id", "owner", "type", "status", "visibility", "verification", "moderation",
        "similarity_score", "created_at",
    ]  # fmt: skip
    list_filter = ["status", "type", "visibility", "verification", "moderation", "language", "engine"]
    search_fields = ["id", "name", "owner__username", "description"]
    readonly_fields = [
        "id", "status", "progress_step", "progress_percent", "progress_eta_seconds", "error", "analysis",
        "similarity_score", "created_at", "updated_at",
    ]  # fmt: skip
    inlines = [VoiceSampleInline]
    raw_id_fields = ["owner"]

    def get_readonly_fields(self, request: HttpRequest, obj: Voice | None = None) -> list[str]:
        # Owner, type and engine are chosen at creation; later changes go through the services.
        return self.readonly_fields + (["owner", "type", "engine", "tier"] if obj else [])

    def save_model(self, request: HttpRequest, obj: Voice, form, change: bool) -> None:
        data = form.cleaned_data
        editable = {f: data[f] for f in services.EDITABLE_FIELDS if f in data and f != "name"}
        if change:
            changed = {f: editable[f] for f in form.changed_data if f in editable}
            if "name" in form.changed_data:
                changed["name"] = data["name"]
            services.voice_update(voice=Voice.objects.get(pk=obj.pk), **changed)
            return
        created = services.voice_create(
            owner=data.get("owner"), name=data["name"], type=data["type"], engine=data["engine"],
            tier=data["tier"], **editable,
        )  # fmt: skip
        obj.pk = created.pk
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: Voice) -> None:
        services.voice_delete(voice=obj)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for voice in queryset:
            services.voice_delete(voice=voice)


@admin.register(VoiceSample)
class VoiceSampleAdmin(admin.ModelAdmin):
    list_display = ["id", "voice", "original_name", "format", "duration", "emotion", "created_at"]
    list_filter = ["format", "emotion", "language"]
    search_fields = ["id", "voice__name", "voice__id", "transcript"]
    raw_id_fields = ["voice"]
