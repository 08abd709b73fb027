from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from errors import InvalidInput, PayloadTooLarge
from voices.fetch import fetch_url, is_public_address

BODY = b"RIFF" + bytes(range(256)) * 40
LIMIT = 100_000


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        port = self.server.server_address[1]
        routes = {
            "/audio.wav": lambda: self._send(200, BODY, "audio/wav"),
            "/missing": lambda: self._send(404, b"nope", "text/plain"),
            "/to-relative": lambda: self._redirect("/audio.wav"),
            "/to-loopback": lambda: self._redirect(f"http://127.0.0.1:{port}/audio.wav"),
            "/loop": lambda: self._redirect("/loop"),
            "/echo-host": lambda: self._send(200, self.headers["Host"].encode(), "text/plain"),
            "/declared-big": lambda: self._send(200, b"x" * (LIMIT + 1), "audio/wav"),
            "/streamed-big": self._stream_forever,
            "/trickle": self._trickle,
            "/hang": self._hang,
        }
        routes.get(self.path, lambda: self._send(404, b"", "text/plain"))()

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _stream_forever(self) -> None:
        # No Content-Length: the size limit has to be enforced while reading.
        self.send_response(200)
        self.send_header("Content-Type", "audio/wav")
        self.end_headers()
        try:
            for _ in range(1000):
                self.wfile.write(b"x" * 16384)
        except OSError:
            pass

    def _trickle(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "500")
        self.end_headers()
        try:
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    def _hang(self) -> None:
        time.sleep(3)


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def _fetch(url: str, **kwargs: object):
    options = {"max_bytes": LIMIT, "timeout": 5.0, "allowed_hosts": ("localhost",)} | kwargs
    return fetch_url(url, **options)  # type: ignore[arg-type]


def test_it_downloads_from_an_allowed_host(server):
    fetched = _fetch(f"http://localhost:{server}/audio.wav")

    assert fetched.data == BODY
    assert fetched.content_type == "audio/wav"
    assert fetched.final_url == f"http://localhost:{server}/audio.wav"


def test_it_follows_redirects_on_the_allowed_host(server):
    fetched = _fetch(f"http://localhost:{server}/to-relative")

    assert fetched.data == BODY
    assert fetched.final_url == f"http://localhost:{server}/audio.wav"


def test_a_redirect_to_a_loopback_address_is_refused(server):
    with pytest.raises(InvalidInput, match="private or local") as error:
        _fetch(f"http://localhost:{server}/to-loopback")
    assert error.value.field == "audio_url"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/audio.wav",
        "http://localhost:{port}/audio.wav",
        "http://[::1]:{port}/audio.wav",
        "http://[::ffff:127.0.0.1]:{port}/audio.wav",
        "http://0.0.0.0:{port}/audio.wav",
        "http://2130706433:{port}/audio.wav",  # 127.0.0.1 written as one number
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/audio.wav",
        "http://192.168.1.1/audio.wav",
        "http://224.0.0.1/audio.wav",
    ],
)
def test_it_refuses_local_private_and_metadata_addresses(server, url):
    with pytest.raises(InvalidInput, match="private or local") as error:
        fetch_url(url.format(port=server), max_bytes=LIMIT, timeout=5.0)
    assert error.value.field == "audio_url"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/a.wav",
        "gopher://example.com/",
        "javascript:alert(1)",
        "a.wav",
        "http://",
    ],
)
def test_it_refuses_anything_but_http_urls(url):
    with pytest.raises(InvalidInput) as error:
        fetch_url(url, max_bytes=LIMIT, timeout=5.0)
    assert error.value.field == "audio_url"


def test_a_body_declared_too_large_is_refused(server):
    with pytest.raises(PayloadTooLarge):
        _fetch(f"http://localhost:{server}/declared-big")


def test_a_streamed_body_is_cut_off_at_the_limit(server):
    with pytest.raises(PayloadTooLarge, match="0.1 MB"):
        _fetch(f"http://localhost:{server}/streamed-big")


@pytest.mark.parametrize("path", ["/trickle", "/hang"])
def test_a_slow_server_hits_the_total_timeout(server, path):
    started = time.monotonic()

    with pytest.raises(InvalidInput, match="1 s"):
        _fetch(f"http://localhost:{server}{path}", timeout=1.0)

    assert time.monotonic() - started < 2.0


def test_an_error_status_is_reported(server):
    with pytest.raises(InvalidInput, match="404"):
        _fetch(f"http://localhost:{server}/missing")


def test_endless_redirects_are_refused(server):
    with pytest.raises(InvalidInput, match="more than 5"):
        _fetch(f"http://localhost:{server}/loop")


def test_tls_failures_are_reported_as_invalid_input(server):
    with pytest.raises(InvalidInput, match="localhost"):
        _fetch(f"https://localhost:{server}/audio.wav")


def _fake_dns(monkeypatch, answers: dict[str, list[list[str]]]) -> list[str]:
    """Answer getaddrinfo for made-up names from ``answers`` (one list per lookup), the rest as usual."""
    lookups: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        addresses = answers[host][min(len(lookups), len(answers[host]) - 1)]
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def test_it_connects_to_the_checked_address_without_a_second_lookup(server, monkeypatch):
    # A rebinding DNS server answers differently the second time; there must be no second time.
    lookups = _fake_dns(monkeypatch, {"rebind.test": [["127.0.0.1"], ["10.255.255.1"]]})

    fetched = _fetch(f"http://rebind.test:{server}/echo-host", allowed_hosts=("rebind.test",))

    assert lookups == ["rebind.test"]
    assert fetched.data == f"rebind.test:{server}".encode()  # Host header keeps the name


@pytest.mark.parametrize("addresses", [["10.1.2.3"], ["93.184.216.34", "127.0.0.1"]])
def test_a_name_resolving_to_any_private_address_is_refused(monkeypatch, addresses):
    _fake_dns(monkeypatch, {"intranet.test": [addresses]})

    with pytest.raises(InvalidInput, match="private or local"):
        fetch_url("http://intranet.test/audio.wav", max_bytes=LIMIT, timeout=5.0)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("192.0.2.1", False),  # documentation range
        ("255.255.255.255", False),
        ("::", False),
        ("fd00::1", False),  # unique local
        ("fe80::1", False),
        ("ff02::1", False),
        ("::ffff:10.0.0.1", False),
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
    ],
)
def test_only_public_unicast_addresses_count_as_public(address, public):
    assert is_public_address(ipaddress.ip_address(address)) is public
