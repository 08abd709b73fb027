from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

import limits
from studio.api import (
    CommaListField,
    LanguageField,
    PageQuerySerializer,
    StrictSerializer,
    absolute_url,
    page_serializer,
)
from voices.models import Voice, VoicePreview, VoiceSample
from voices.selectors import OWNERS
from voices.state import STATES


class VoiceSampleSerializer(serializers.ModelSerializer):
    audio_url = serializers.SerializerMethodField()

    class Meta:
        model = VoiceSample
        fields = [
            "id", "original_name", "format", "duration", "speech_duration", "transcript", "language",
            "emotion", "trim_start", "trim_end", "audio_url", "created_at",
        ]  # fmt: skip

    def get_audio_url(self, sample: VoiceSample) -> str:
        return absolute_url(
            self.context.get("request"), reverse("voice-sample-audio", args=[sample.voice_id, sample.id])
        )


class ProgressSerializer(serializers.Serializer):
    step = serializers.CharField()
    percent = serializers.FloatField()
    eta_seconds = serializers.FloatField(allow_null=True)


class EngineTermsSerializer(serializers.Serializer):
    engine = serializers.CharField()
    license = serializers.CharField()
    commercial_use = serializers.BooleanField()
    notes = serializers.CharField()


class VoiceStateSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=list(STATES))
    label = serializers.CharField()
    detail = serializers.CharField()
    can_speak = serializers.BooleanField()


class VoiceSerializer(serializers.ModelSerializer):
    """A voice as the API shows it. Other users (a public voice) see what its page shows them: the
    owner's samples (file names, transcripts), metadata, training options and errors stay the owner's.
    The viewer is ``context["viewer"]``, else the user of ``context["request"]``; without one those
    fields are blanked too."""

    # Blanked, not left out, so the shape is the same for everyone (the OpenAPI schema describes one).
    OWNER_ONLY = {"samples": [], "metadata": {}, "training_options": {}, "error": "", "moderation_reason": ""}

    state = serializers.SerializerMethodField()
    voice_id = serializers.CharField(source="id", read_only=True, help_text="The same as id.")
    progress = serializers.SerializerMethodField()
    engine_terms = serializers.SerializerMethodField()
    preview_url = serializers.SerializerMethodField()
    owner = serializers.SerializerMethodField()
    samples = VoiceSampleSerializer(many=True, read_only=True)

    class Meta:
        model = Voice
        fields = [
            "id", "voice_id", "name", "description", "owner", "language", "languages", "dialects", "gender",
            "age", "avatar_url", "type", "visibility", "status", "state", "progress", "error", "engine", "tier",
            "stability", "training_options", "analysis", "similarity_score", "preview_url", "metadata", "license",
            "verification", "moderation", "moderation_reason", "engine_terms", "expires_at", "samples",
            "created_at", "updated_at",
        ]  # fmt: skip

    @extend_schema_field(VoiceStateSerializer)
    def get_state(self, voice: Voice) -> dict:
        """What the voice can do right now, as the studio's pages say it (voices/state.py)."""
        return voice.state.as_dict()

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, voice: Voice) -> dict:
        return {
            "step": voice.progress_step,
            "percent": round(voice.progress_percent, 1),
            "eta_seconds": voice.progress_eta_seconds,
        }

    def get_preview_url(self, voice: Voice) -> str | None:
        if not voice.preview:
            return None
        return absolute_url(self.context.get("request"), reverse("voice-preview", args=[voice.id]))

    @extend_schema_field(EngineTermsSerializer)
    def get_engine_terms(self, voice: Voice) -> dict:
        from engines import get_engine

        terms = get_engine(voice.engine).license
        return {
            "engine": voice.engine,
            "license": terms.name,
            "commercial_use": terms.commercial_use,
            "notes": terms.notes,
        }

    def get_owner(self, voice: Voice) -> str | None:
        return voice.owner.get_username() if voice.owner_id else None

    def to_representation(self, voice: Voice) -> dict:
        data = super().to_representation(voice)
        viewer = self.context.get("viewer") or getattr(self.context.get("request"), "user", None)
        if voice.owner_id is not None and (viewer is None or viewer.pk != voice.owner_id):
            data.update({field: type(blank)() for field, blank in self.OWNER_ONLY.items()})
        return data


class CloneResponseSerializer(VoiceSerializer):
    job = serializers.JSONField(
        allow_null=True, help_text="The cloning job (null when saved from a preview)."
    )

    class Meta(VoiceSerializer.Meta):
        fields = [*VoiceSerializer.Meta.fields, "job"]


class VoiceUpdateSerializer(StrictSerializer):
    """PATCH body. Field values are validated by the service, so every front door agrees."""

    name = serializers.CharField(required=False, allow_blank=True, max_length=limits.NAME_MAX_CHARS)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=limits.DESCRIPTION_MAX_CHARS
    )
    visibility = serializers.CharField(required=False)
    metadata = serializers.JSONField(required=False)
    language = LanguageField(required=False)
    languages = CommaListField(child=LanguageField(), required=False)
    dialects = CommaListField(child=serializers.CharField(), required=False)
    gender = serializers.CharField(required=False, allow_blank=True, max_length=20)
    age = serializers.CharField(required=False, allow_blank=True, max_length=20)
    avatar_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    stability = serializers.FloatField(
        required=False, min_value=limits.STABILITY.low, max_value=limits.STABILITY.high
    )


class UpperChoiceField(serializers.ChoiceField):
    """PUBLIC, public and Public are the same choice (the vendors differ in case)."""

    def to_internal_value(self, data):
        return super().to_internal_value(data.upper() if isinstance(data, str) else data)


class VoiceListQuerySerializer(PageQuerySerializer):
    language = LanguageField(
        required=False, help_text="A whole language code (en matches en-US voices, e does not)."
    )
    owner = serializers.ChoiceField(choices=OWNERS, required=False, help_text="mine, built-in or shared")
    type = serializers.ChoiceField(choices=Voice.Type.choices, required=False)
    visibility = UpperChoiceField(choices=Voice.Visibility.choices, required=False)
    status = UpperChoiceField(choices=Voice.Status.choices, required=False)
    search = serializers.CharField(required=False, max_length=limits.NAME_MAX_CHARS)


VoicePageSerializer = page_serializer(VoiceSerializer, "VoicePage")


class VoicePreviewSerializer(serializers.ModelSerializer):
    preview_id = serializers.CharField(source="id", read_only=True)
    audio_url = serializers.SerializerMethodField()

    class Meta:
        model = VoicePreview
        fields = [
            "id", "preview_id", "status", "error", "text", "stability", "language", "engine", "tier",
            "analysis", "similarity_score", "audio_url", "voice_id", "created_at", "expires_at",
        ]  # fmt: skip

    def get_audio_url(self, preview: VoicePreview) -> str | None:
        if not preview.audio:
            return None
        return absolute_url(self.context.get("request"), reverse("voice-preview-audio", args=[preview.id]))
