"""The studio's web server: daphne, with two changes.

* **Bodies are checked while they arrive.** Daphne reads a whole request body (to a temporary file, then
  into the application's queue, in memory) before it calls the application, so an ASGI middleware alone
  cannot refuse a body before it is read. Here the request line and headers decide first
  (``studio.gate.body_limit``): a declared length over the route's limit, or a body over 64 KB with no
  credentials at all, is answered at once (413 / 401, ``Connection: close``) and nothing of the body is
  kept; a chunked body is counted as it comes and cut off at the limit. Credentials themselves are
  checked against the database by the ASGI gate, before the application reads the (bounded) body.
* **Requests waiting for a job are answered at shutdown.** On SIGTERM daphne cancels every running
  application; a client waiting on ``POST /v1/speech`` lost its connection with no answer. Here the
  ``drain`` coroutine the caller passes runs first (the studio command passes one that makes the
  waiting views answer 202 with the job to poll: ``jobs.waiting``), then daphne's own shutdown goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from daphne import server as daphne_server
from daphne.http_protocol import HTTPFactory, WebRequest
from twisted.internet import defer

from studio import gate


class GuardedRequest(WebRequest):
    """A daphne request that refuses its body from the headers, or as soon as it passes the limit."""

    _refused = False
    _limit: int | None = None
    _received = 0

    def gotLength(self, length: int | None) -> None:
        # Called once the headers are in, before any of the body (twisted's HTTPChannel).
        path = unquote(self.channel._path.split(b"?", 1)[0].decode("latin-1"))
        headers = {
            name.decode("latin-1").lower(): b",".join(values).decode("latin-1")
            for name, values in self.requestHeaders.getAllRawHeaders()
        }
        self._limit = gate.body_limit(path, headers)
        refusal = gate.header_refusal(path, headers)
        super().gotLength(0 if refusal else length)
        if refusal is not None:
            self._refuse(refusal)

    def handleContentChunk(self, data: bytes) -> None:
        if self._refused:
            return
        self._received += len(data)
        if self._limit is not None and self._received > self._limit:
            self._refuse(gate.too_large(self._limit))
            return
        super().handleContentChunk(data)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        if self._refused:  # answered already
            return
        # Twisted parses form and multipart bodies itself, into ``self.args`` (which daphne never reads):
        # a second copy of every upload in memory, and a bare "400 Bad Request" with no body for a
        # malformed multipart body. Hidden from it here; Django parses the body (and answers in JSON).
        self._content_type = self.requestHeaders.getRawHeaders(b"content-type")
        self.requestHeaders.removeHeader(b"content-type")
        super().requestReceived(command, path, version)

    def process(self) -> Any:
        content_type = getattr(self, "_content_type", None)
        if content_type is not None:
            self.requestHeaders.setRawHeaders(b"content-type", content_type)
        return super().process()

    def _refuse(self, refusal: gate.Refusal) -> None:
        self._refused = True
        # No "100 Continue" after the answer: the client must not start sending the body.
        self.requestHeaders.removeHeader(b"expect")
        body = refusal.body()
        lines = [f"HTTP/1.1 {refusal.status} {HTTPStatus(refusal.status).phrase}".encode()]
        lines += [name + b": " + value for name, value in refusal.response_headers(body)]
        self.channel.transport.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        self.channel.transport.loseConnection()


class GuardedHTTPFactory(HTTPFactory):
    def buildProtocol(self, addr: Any) -> Any:
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = GuardedRequest
        return protocol


class StudioServer(daphne_server.Server):
    """daphne's ``Server`` with ``GuardedRequest`` and the shutdown answer (see the module docstring)."""

    def __init__(self, *args: Any, drain: Callable[[], Awaitable[None]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.drain = drain

    def run(self) -> None:
        # daphne.server.Server.run builds its factory from the module's ``HTTPFactory`` name.
        daphne_server.HTTPFactory = GuardedHTTPFactory
        super().run()

    def kill_all_applications(self) -> defer.Deferred:
        if self.drain is None:
            return super().kill_all_applications()
        drained = defer.Deferred.fromFuture(asyncio.ensure_future(self.drain()))
        drained.addBoth(lambda _: super(StudioServer, self).kill_all_applications())
        return drained
