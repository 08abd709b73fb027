from django.urls import path

from voices import api, api_clone

urlpatterns = [
    path("voices", api.VoiceListView.as_view(), name="voice-list"),
    path("voices/clone", api_clone.voice_clone_view, name="voice-clone"),
    path("voices/<str:voice_id>", api.VoiceDetailView.as_view(), name="voice-detail"),
    path("voices/<str:voice_id>/preview", api.VoicePreviewView.as_view(), name="voice-preview"),
    path(
        "voices/<str:voice_id>/samples/<str:sample_id>/audio",
        api.VoiceSampleAudioView.as_view(),
        name="voice-sample-audio",
    ),
]
