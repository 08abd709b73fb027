"""static/studio/js/follow-job.js in Chromium: a progress socket that drops is reopened with backoff, and
the page resumes from the new socket's snapshot. The server side is played by Playwright (routes for
the page and GET /v1/jobs/<id>, ``route_web_socket`` for the socket), so the drops come exactly when
the test says."""

from __future__ import annotations

import json
import time

import pytest

from bench import servers

pytestmark = pytest.mark.slow

ORIGIN = "http://studio.test"
JOB = "job_reconnect"
PAGE = f"""<!doctype html><html><body><script type="module">
import {{ watchJob, reconnectDelay }} from "/static/studio/js/follow-job.js";
window.updates = []; window.states = [];
window.delays = [0, 1, 2, 3, 4, 5, 6].map((attempt) => reconnectDelay(attempt, () => 1));
window.shortest = reconnectDelay(0, () => 0);
watchJob("{JOB}", (job, event) => window.updates.push([event, job.status, job.percent]),
         (state) => window.states.push(state));
</script></body></html>"""


def job(status: str, percent: float) -> dict:
    return {"id": JOB, "status": status, "percent": percent, "step": "analyse", "eta_seconds": None}


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    yield page
    context.close()


def serve(page, polls: list[float]) -> None:
    static = servers.REPO_ROOT / "static"

    def handle(route) -> None:
        path = route.request.url.removeprefix(ORIGIN)
        if path == "/":
            route.fulfill(body=PAGE, content_type="text/html")
        elif path.startswith("/static/"):
            route.fulfill(path=str(static / path.removeprefix("/static/")), content_type="text/javascript")
        elif path == f"/v1/jobs/{JOB}":
            polls.append(time.monotonic())
            route.fulfill(json=job("RUNNING", 40.0))
        else:
            route.fulfill(status=404)

    page.route(f"{ORIGIN}/**", handle)


def test_a_dropped_socket_is_reopened_with_backoff_and_resumes_from_the_snapshot(page) -> None:
    polls: list[float] = []
    connections: list[float] = []

    def on_socket(ws) -> None:
        connections.append(time.monotonic())
        ws.send(json.dumps({"event": "snapshot", "job": job("RUNNING", 20.0 * len(connections))}))
        if len(connections) <= 2:
            ws.close(code=1011, reason="server restarting")  # as daphne did after 5 s idle on redis-py 8
        else:
            ws.send(json.dumps({"event": "final", "job": job("SUCCEEDED", 100.0)}))

    page.route_web_socket(f"ws://studio.test/ws/jobs/{JOB}/", on_socket)
    serve(page, polls)
    page.goto(f"{ORIGIN}/")
    page.wait_for_function("window.updates.some(([event]) => event === 'final')")

    updates = page.evaluate("window.updates")
    assert [u for u in updates if u[0] == "snapshot"] == [
        ["snapshot", "RUNNING", 20.0], ["snapshot", "RUNNING", 40.0], ["snapshot", "RUNNING", 60.0]
    ]  # fmt: skip
    assert updates[-1] == ["final", "SUCCEEDED", 100.0]
    assert len(connections) == 3 and len(polls) == 2  # one poll per drop, while waiting
    gaps = [later - earlier for earlier, later in zip(connections, connections[1:], strict=False)]
    assert 0.4 < gaps[0] < gaps[1]  # backoff: the second wait is longer than the first
    assert any(state.startswith("Reconnecting in") for state in page.evaluate("window.states"))
    assert page.evaluate("window.delays") == [1000, 2000, 4000, 8000, 16000, 30000, 30000]
    assert page.evaluate("window.shortest") == 500  # jitter: between half and all of the step
    time.sleep(1.5)
    assert len(connections) == 3  # final: no more sockets
    assert page.js_errors == []


def test_a_refused_socket_is_not_retried_and_polling_takes_over(page) -> None:
    polls: list[float] = []
    connections: list[float] = []

    def on_socket(ws) -> None:
        connections.append(time.monotonic())
        ws.close(code=4404, reason="not found")

    page.route_web_socket(f"ws://studio.test/ws/jobs/{JOB}/", on_socket)
    serve(page, polls)
    page.goto(f"{ORIGIN}/")
    page.wait_for_function("window.updates.filter(([event]) => event === 'poll').length >= 2")
    assert len(connections) == 1
    assert "Checking every few seconds" in page.evaluate("window.states")
