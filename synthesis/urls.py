from django.urls import path

from synthesis import api_speech, api_stream

urlpatterns = [
    path("speech", api_speech.speech_view, name="speech"),
    path("speech/batch", api_speech.BatchCreateView.as_view(), name="speech-batch"),
    path("speech/stream", api_stream.speech_stream_view, name="speech-stream"),
    path("speech/batch/<str:batch_id>", api_speech.BatchDetailView.as_view(), name="speech-batch-detail"),
    path("speech/<str:speech_id>", api_speech.SpeechDetailView.as_view(), name="speech-detail"),
    path("speech/<str:speech_id>/audio", api_speech.SpeechAudioView.as_view(), name="speech-audio"),
    path("audio/speech", api_speech.openai_speech_view, name="openai-speech"),
]
