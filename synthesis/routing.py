from django.urls import path

from synthesis.consumers import JobConsumer, VoiceConsumer

websocket_urlpatterns = [
    path("ws/jobs/<str:job_id>/", JobConsumer.as_asgi()),
    path("ws/voices/<str:voice_id>/", VoiceConsumer.as_asgi()),
]
