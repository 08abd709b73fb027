from django.urls import path

from voices import api, api_clone, api_trust

urlpatterns = [
    path("voices", api.VoiceListView.as_view(), name="voice-list"),
    path("voices/clone", api_clone.voice_clone_view, name="voice-clone"),
    path("voices/preview", api.voice_preview_create_view, name="voice-preview-create"),
    path(
        "voices/previews/<str:preview_id>", api.VoicePreviewDetailView.as_view(), name="voice-preview-detail"
    ),
    path(
        "voices/previews/<str:preview_id>/audio",
        api.VoicePreviewAudioView.as_view(),
        name="voice-preview-audio",
    ),
    path("voices/<str:voice_id>", api.VoiceDetailView.as_view(), name="voice-detail"),
    path("voices/<str:voice_id>/consent", api_trust.VoiceConsentView.as_view(), name="voice-consent"),
    path("voices/<str:voice_id>/renew", api_trust.VoiceRenewView.as_view(), name="voice-renew"),
    path("voices/<str:voice_id>/events", api_trust.VoiceEventsView.as_view(), name="voice-events"),
    path("watermark/detect", api_trust.WatermarkDetectView.as_view(), name="watermark-detect"),
    path("voices/<str:voice_id>/preview", api.VoicePreviewView.as_view(), name="voice-preview"),
    path(
        "voices/<str:voice_id>/samples/<str:sample_id>/audio",
        api.VoiceSampleAudioView.as_view(),
        name="voice-sample-audio",
    ),
]
