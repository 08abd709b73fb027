from django.urls import path

from synthesis.consumers import SpeechStreamConsumer

websocket_urlpatterns = [
    path("ws/speech/", SpeechStreamConsumer.as_asgi()),
]
