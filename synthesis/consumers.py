"""``ws/speech/``: send text, get audio back as it is made.

The client sends a JSON message with the speech request (``{"voice_id", "text", "output_format",
...}``, the same fields and aliases as ``POST /v1/speech/stream``); the server answers with binary
frames of audio, one per chunk, then ``{"event": "final", "duration", "chunks", "format",
"sample_rate"}``. A refused request or a failure is ``{"event": "error", "error": {code, message,
field}}``. One request at a time; send the next after its final event. The consumer's own channel is
the reply channel of the streaming job (``synthesis.streaming``).
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from rest_framework.exceptions import ValidationError

from errors import StudioError
from jobs.consumers import CLOSE_UNAUTHENTICATED


class SpeechStreamConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.busy = False
        await self.accept()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.busy:
            await self._error({"code": "busy", "message": "Wait for the final event of the last request."})
            return
        try:
            await self._start(content)
        except StudioError as exc:
            await self._error(exc.as_dict())
        except ValidationError as exc:
            from studio.api import _first_validation_error

            field, message = _first_validation_error(exc.detail)
            await self._error({"code": "invalid", "message": message, "field": field})
        else:
            self.busy = True

    @database_sync_to_async
    def _start(self, content: Any) -> None:
        from synthesis.api_speech import SpeechRequestSerializer, _params
        from synthesis.streaming import speech_stream_request
        from voices.selectors import voice_get

        body = SpeechRequestSerializer(data=content)
        body.is_valid(raise_exception=True)
        user = self.scope["user"]
        voice = voice_get(user, body.validated_data["voice_id"])
        speech_stream_request(
            owner=user, voice=voice, params=_params(body.validated_data), reply_channel=self.channel_name
        )

    async def _error(self, error: dict) -> None:
        await self.send_json({"event": "error", "error": error})

    async def speech_chunk(self, message: dict) -> None:
        await self.send(bytes_data=bytes(message["data"]))

    async def speech_end(self, message: dict) -> None:
        self.busy = False
        await self.send_json({"event": "final", **{k: v for k, v in message.items() if k != "type"}})

    async def speech_error(self, message: dict) -> None:
        self.busy = False
        await self._error(message["error"])
