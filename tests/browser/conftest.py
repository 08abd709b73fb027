"""Browser tests: Playwright driving Debian's Chromium (never ``playwright install``) against a real
``python manage.py studio`` on a free port, with a fake microphone that plays espeak-ng speech.

Every process a fixture starts is killed at teardown. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bench import servers

CHROMIUM = "/usr/bin/chromium"
ADMIN_PASSWORD = "browser-admin-password"
SCREENSHOTS = servers.REPO_ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# About 15 s of speech: enough for the instant tier (10 s) on its own.
MIC_TEXT = (
    "Good morning everyone, and welcome to the studio. Today we are going to record a few sentences so that "
    "the computer can learn how my voice sounds. I will speak clearly and calmly, at my usual pace, and I "
    "will try not to rush through the words. Thank you for listening."
)
# The two widths every page is checked at: a laptop and a phone.
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
UPLOAD_TEXT = (
    "The quick brown fox jumps over the lazy dog. I enjoy long walks when the weather is warm, and on rainy "
    "days I read a good book by the window, with a cup of tea."
)


def _espeak_wav(text: str, path: Path, *, rate: int) -> Path:
    """Speech by espeak-ng, as mono 16-bit WAV at ``rate`` (the fake capture device wants 48 kHz)."""
    raw = path.with_suffix(".espeak.wav")
    subprocess.run(["espeak-ng", "-v", "en-us+m3", "-s", "150", "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(path)], check=True)
    raw.unlink()
    return path


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        pytest.skip("espeak-ng and sox are needed for the browser tests (scripts/test installs them)")
    return tmp_path_factory.mktemp("audio")


@pytest.fixture(scope="session")
def mic_wav(audio_dir: Path) -> Path:
    return _espeak_wav(MIC_TEXT, audio_dir / "microphone.wav", rate=48000)


@pytest.fixture(scope="session")
def upload_wav(audio_dir: Path) -> Path:
    return _espeak_wav(UPLOAD_TEXT, audio_dir / "second-take.wav", rate=22050)


@pytest.fixture(scope="session")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Studio]:
    root = tmp_path_factory.mktemp("browser-studio")
    env = servers.embedded_env(root / "data", admin_password=ADMIN_PASSWORD)
    studio = servers.studio_embedded_start(env, root / "logs")
    yield studio
    studio.kill()


# Module scope, not session: while sync_playwright() is open, the main thread has a running event loop,
# and every later test that calls asyncio.run() (channel layer, websocket clients) would fail.
@pytest.fixture(scope="module")
def microphone(mic_wav: Path) -> Path:
    """What the fake microphone plays (in a loop); a test module may override it."""
    return mic_wav


@pytest.fixture(scope="module")
def browser(microphone: Path) -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is needed for the browser tests (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={microphone}",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, studio: servers.Studio) -> Iterator:
    context = browser.new_context(base_url=studio.base_url, viewport={"width": 1280, "height": 900})
    context.grant_permissions(["microphone"], origin=studio.base_url)
    page = context.new_page()
    page.set_default_timeout(60_000)  # generous: a busy machine is slow, not wrong
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    yield page
    context.close()


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def width(request, page) -> str:
    """Run the test at both widths: "desktop" (1280×800) or "phone" (390×844)."""
    page.set_viewport_size(request.param)
    return "phone" if request.param is PHONE else "desktop"


def studio_shell(studio: servers.Studio, code: str) -> list[str]:
    """Run ``code`` in the studio's Django (manage.py shell): fixtures that put voices in a state
    through the services. Returns the lines it printed."""
    done = servers.manage(studio.env, "shell", "-c", code)
    return [
        line for line in done.stdout.splitlines() if line and "objects imported automatically" not in line
    ]


def user_create(studio: servers.Studio, username: str, password: str) -> None:
    studio_shell(
        studio,
        f"from studio.services import user_ensure; user_ensure(username={username!r}, password={password!r})",
    )


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def outside_requests(page, base_url: str) -> list[str]:
    """Collect every request the page makes to another host (the list fills as the page runs)."""
    seen: list[str] = []
    host = urlsplit(base_url).netloc

    def check(url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("data", "blob") and parts.netloc != host:
            seen.append(url)

    page.on("request", lambda request: check(request.url))
    page.on("websocket", lambda socket: check(socket.url))
    return seen


def sign_in(page, username: str = "admin", password: str = ADMIN_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # The sticky header belongs at the top of a full-page shot (and a smooth scroll may still be running).
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
    page.screenshot(path=str(path), full_page=full_page)
    return path
