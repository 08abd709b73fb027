"""Download a user-supplied audio URL without letting it reach inside our network (SSRF).

A URL is only fetched when its host resolves to public internet addresses: loopback, private, link-local
(including the cloud metadata service at 169.254.169.254), multicast, reserved and unspecified ranges —
also when wrapped in IPv6 (IPv4-mapped, 6to4, NAT64) — are refused. The connection then goes to the
very address that was checked, so a DNS server that answers differently the second time (DNS
rebinding) gains nothing; the Host header and TLS SNI/certificate check still use the URL's host name.
Redirects are followed by hand, each hop checked the same way; size and total time are capped.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

from errors import InvalidInput, PayloadTooLarge

FIELD = "audio_url"
MAX_REDIRECTS = 5
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_USER_AGENT = "VoiceStudio/0.1 (audio sample fetch)"
# Embedded-IPv4 prefixes: an address inside them reaches the IPv4 address it wraps.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class FetchedFile:
    data: bytes
    content_type: str | None
    final_url: str


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str  # IDNA-encoded, IPv6 without brackets
    port: int
    path: str  # path and query, as sent on the request line


def fetch_url(url: str, *, max_bytes: int, timeout: float, allowed_hosts: Iterable[str] = ()) -> FetchedFile:
    """GET ``url`` (http or https) and return its body, refusing anything but public addresses.

    ``allowed_hosts`` names hosts (exact, case-insensitive) exempt from the address check — for tests
    and for deliberately trusted internal servers. It applies per hop: a redirect to another name or
    address is checked again. Raises ``InvalidInput`` (field ``audio_url``) for refused, failing or
    slow URLs and ``PayloadTooLarge`` when the body exceeds ``max_bytes``.
    """
    deadline = time.monotonic() + timeout
    trusted = {host.strip("[]").lower() for host in allowed_hosts}
    for _hop in range(MAX_REDIRECTS + 1):
        target = _parse(url)
        addresses = _resolve(target, trusted, deadline, timeout)
        connection = _connection(target, addresses, deadline)
        try:
            response = _send(connection, target, deadline, timeout)
            if response.status in _REDIRECT_STATUSES:
                url = _redirect_location(response, target)
                continue
            if not 200 <= response.status < 300:
                raise InvalidInput(
                    f"Could not download the audio: {target.host} answered {response.status} {response.reason}.",
                    field=FIELD,
                )
            data = _read_body(response, connection, max_bytes, deadline, timeout)
            return FetchedFile(
                data=data, content_type=response.getheader("Content-Type"), final_url=target.url
            )
        finally:
            connection.close()
    raise InvalidInput(f"The audio URL redirects more than {MAX_REDIRECTS} times.", field=FIELD)


def _parse(url: str) -> _Target:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise InvalidInput("The audio URL is not a valid URL.", field=FIELD) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidInput("The audio URL must start with http:// or https://.", field=FIELD)
    if not parts.hostname:
        raise InvalidInput("The audio URL has no host name.", field=FIELD)
    try:
        host = parts.hostname.encode("idna").decode("ascii") if not _is_ip(parts.hostname) else parts.hostname
    except UnicodeError:
        raise InvalidInput("The audio URL's host name is not valid.", field=FIELD) from None
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    return _Target(
        url=url, scheme=scheme, host=host, port=port or (443 if scheme == "https" else 80), path=path
    )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolve(target: _Target, trusted: set[str], deadline: float, timeout: float) -> list[str]:
    """The target's addresses, each one checked; the connection uses exactly these."""
    infos = _getaddrinfo(target.host, target.port, _remaining(deadline, timeout))
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise InvalidInput(f"The audio URL's host {target.host} could not be found.", field=FIELD)
    if target.host.lower() not in trusted:
        for address in addresses:
            if not is_public_address(ipaddress.ip_address(address.split("%")[0])):
                raise InvalidInput(
                    f"The audio URL's host {target.host} is a private or local network address; "
                    "use a link to a file on the public internet.",
                    field=FIELD,
                )
    return addresses


def _getaddrinfo(host: str, port: int, timeout: float) -> list[tuple]:  # type: ignore[type-arg]
    # getaddrinfo has no timeout of its own; a worker thread lets a hanging DNS server count against
    # the caller's deadline (the thread finishes on its own later).
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fetch-dns")
    future = pool.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    pool.shutdown(wait=False)
    try:
        return future.result(timeout=timeout)
    except FutureTimeout:
        raise InvalidInput(f"Looking up {host} took too long.", field=FIELD) from None
    except OSError:
        raise InvalidInput(f"The audio URL's host {host} could not be found.", field=FIELD) from None


def is_public_address(ip: IPAddress) -> bool:
    """Whether ``ip`` is a unicast address on the public internet (also through IPv6 wrappers)."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(embedded)
    return ip.is_global and not (
        ip.is_multicast
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local)
    )


def _connection(target: _Target, addresses: list[str], deadline: float) -> http.client.HTTPConnection:
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = http.client.HTTPSConnection(
            target.host, target.port, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(target.host, target.port)
    # http.client opens its socket through this hook; pointing it at the checked addresses (instead of
    # resolving the name again) is what defeats DNS rebinding. Host header and SNI still use the name.
    connection._create_connection = _pinned_connector(addresses)  # type: ignore[attr-defined]
    return connection


def _pinned_connector(addresses: list[str]) -> Callable[..., socket.socket]:
    def create_connection(
        address: tuple[str, int], timeout: float | None = None, source_address: tuple[str, int] | None = None
    ) -> socket.socket:
        error: OSError | None = None
        for ip in addresses:
            try:
                return socket.create_connection((ip, address[1]), timeout, source_address)
            except OSError as exc:
                error = exc
        assert error is not None
        raise error

    return create_connection


def _send(
    connection: http.client.HTTPConnection, target: _Target, deadline: float, timeout: float
) -> http.client.HTTPResponse:
    connection.timeout = _remaining(deadline, timeout)
    headers = {"User-Agent": _USER_AGENT, "Accept": "audio/*, application/octet-stream;q=0.9, */*;q=0.5"}
    try:
        connection.request("GET", target.path, headers=headers)
        return connection.getresponse()
    except TimeoutError:
        raise _too_slow(target, timeout) from None
    except ssl.SSLCertVerificationError:
        raise InvalidInput(f"{target.host} presented an invalid HTTPS certificate.", field=FIELD) from None
    except (OSError, http.client.HTTPException) as exc:
        raise InvalidInput(f"Could not download the audio from {target.host}: {exc}.", field=FIELD) from None


def _redirect_location(response: http.client.HTTPResponse, target: _Target) -> str:
    location = response.getheader("Location")
    if not location:
        raise InvalidInput(f"{target.host} redirected without saying where to.", field=FIELD)
    return urljoin(target.url, location)


def _read_body(
    response: http.client.HTTPResponse,
    connection: http.client.HTTPConnection,
    max_bytes: int,
    deadline: float,
    timeout: float,
) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    body = bytearray()
    try:
        while True:
            if connection.sock is not None:
                connection.sock.settimeout(_remaining(deadline, timeout))
            chunk = response.read1(_CHUNK)  # whatever has arrived, so a trickle cannot outlast the deadline
            if not chunk:
                return bytes(body)
            body += chunk
            if len(body) > max_bytes:
                raise _too_large(max_bytes)
            if time.monotonic() > deadline:
                raise TimeoutError
    except TimeoutError:
        raise InvalidInput(
            f"Downloading the audio took longer than {timeout:g} s; host the file somewhere faster or upload it.",
            field=FIELD,
        ) from None
    except (OSError, http.client.HTTPException) as exc:
        raise InvalidInput(f"The download of the audio broke off: {exc}.", field=FIELD) from None


def _remaining(deadline: float, timeout: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise InvalidInput(
            f"Downloading the audio took longer than {timeout:g} s; host the file somewhere faster or upload it.",
            field=FIELD,
        )
    return left


def _too_slow(target: _Target, timeout: float) -> InvalidInput:
    return InvalidInput(f"{target.host} did not answer within {timeout:g} s.", field=FIELD)


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The file at the audio URL is larger than the {max_bytes / 1_000_000:g} MB limit.", field=FIELD
    )
