from django.urls import path

from voices.consumers import VoiceConsumer

websocket_urlpatterns = [
    path("ws/voices/<str:voice_id>/", VoiceConsumer.as_asgi()),
]
