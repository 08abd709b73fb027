"""The browser studio end to end: record and clone a voice, generate speech, errors, the admin widget."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.slow

BUILT_IN_ID = "voice_builtin_joe"
CLONE_TIMEOUT = 240  # seconds, on a busy 2-core machine


def record(page, seconds: float) -> None:
    """Record from the fake microphone (espeak-ng speech) for about ``seconds``."""
    button = page.locator("#record-button")
    button.click()
    # The page presses the button once the microphone is open: getUserMedia and the audio graph took
    # over 5 s (Playwright's default) on a loaded 2-core CI machine.
    expect(button).to_have_attribute("aria-pressed", "true", timeout=20_000)
    page.wait_for_function(
        "s => { const [m, x] = document.getElementById('record-timer').textContent.split(':');"
        " return Number(m) * 60 + Number(x) >= s; }",
        arg=int(seconds),
        timeout=(seconds + 15) * 1000,
    )
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")


def sample_duration(sample) -> float:
    expect(sample).to_have_attribute("data-duration", re.compile(r"\d"))
    return float(sample.get_attribute("data-duration"))


def drag_region_start(page, sample, fraction: float) -> None:
    """Drag the left edge of the sample's region (inside wavesurfer's shadow DOM) by ``fraction`` of the wave."""
    wave = sample.locator("[data-wave]").bounding_box()
    handle = sample.locator('[part~="region-handle-left"]').bounding_box()
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x + wave["width"] * fraction * step / 10, y)
    page.mouse.up()


def progress_states(page, timeout: float) -> list[dict]:
    """Every distinct state the progress card shows, until the page reloads into the finished voice."""
    states: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = page.evaluate(
                """() => {
                    const card = document.getElementById('clone-progress');
                    const voice = document.getElementById('voice');
                    return {voice: voice && voice.dataset.status, card: card && {...card.dataset,
                            width: card.querySelector('.progress-bar__fill').style.width}};
                }"""
            )
        except Exception:  # the page is reloading
            time.sleep(0.1)
            continue
        if state["card"] and (not states or states[-1] != state["card"]):
            states.append(state["card"])
            if len(states) == 3:
                screenshot(page, "03-cloning-progress")
        if state["voice"] in ("AVAILABLE", "FAILED") and not state["card"]:
            return states
        if state["card"] and state["card"].get("status") == "FAILED":
            return states
        time.sleep(0.1)
    raise AssertionError(f"cloning did not finish in {timeout} s; states seen: {states}")


def test_record_trim_upload_and_clone_a_voice(page, upload_wav):
    sign_in(page)
    screenshot(page, "01-library")
    page.get_by_role("link", name="New voice").first.click()
    page.get_by_role("textbox", name="Name").fill("Browser voice")

    record(page, 6)
    recorded = page.locator(".sample").nth(0)
    assert sample_duration(recorded) > 4
    expect(recorded.locator(".player")).to_have_class(re.compile("is-ready"))

    drag_region_start(page, recorded, 0.15)
    expect(recorded.locator("[data-trim]")).to_contain_text("Keeping")
    assert float(recorded.get_attribute("data-trim-start")) > 0.4

    page.locator("#file-input").set_input_files(str(upload_wav))
    uploaded = page.locator(".sample").nth(1)
    assert sample_duration(uploaded) > 8
    uploaded.locator("[data-emotion]").select_option("calm")
    expect(page.locator("#total")).to_have_class(re.compile("is-enough"))
    screenshot(page, "02-new-voice")

    page.get_by_role("button", name="Clone voice").click()
    page.wait_for_url(re.compile(r"/voices/voice_"))
    states = progress_states(page, CLONE_TIMEOUT)

    running = [s for s in states if s.get("status") == "RUNNING" and 0 < float(s["percent"]) < 100]
    steps = list(dict.fromkeys(s["step"] for s in running))
    assert len(steps) >= 2, states
    percents = [float(s["percent"]) for s in running]
    assert percents == sorted(percents), states
    expect(page.locator("#voice")).to_have_attribute("data-status", "AVAILABLE", timeout=120_000)
    gauge = page.locator("[data-similarity]")
    assert 0 < float(gauge.get_attribute("data-similarity")) <= 1
    page.locator("#preview-player").scroll_into_view_if_needed()  # players load once in view
    expect(page.locator("#preview-player")).to_have_class(re.compile("is-ready"))
    expect(page.locator(".sample-list li")).to_have_count(2)
    # Right after cloning, the page offers the next step: the speaker's consent. The speaker names
    # themselves (never the account's name), and the phrase appears once they have.
    expect(page).to_have_url(re.compile(r"#consent-step$"))
    expect(page.locator("#consent-speaker")).to_have_value("")
    expect(page.locator("#consent-phrase")).to_have_text(
        "Type the speaker’s name to see the sentence to read."
    )
    page.locator("#consent-speaker").fill("Jordan Lee")
    expect(page.locator("#consent-phrase")).to_have_text(
        re.compile(r"^I, Jordan Lee, agree .* Code \d \d \d \d\.$")
    )
    screenshot(page, "04-voice-page")
    assert page.js_errors == []


def test_record_waits_for_the_page_script_instead_of_losing_the_click(page):
    """Record works only once recorder.js has wired it, so until then it is disabled: a click then
    waits rather than vanishing (CI's phone journey clicked too early on a loaded machine)."""
    sign_in(page)
    held = []
    page.route("**/recorder*.js", lambda route: held.append(route))
    page.goto("/voices/new", wait_until="commit")
    button = page.locator("#record-button")
    expect(button).to_be_visible()
    page.wait_for_timeout(500)  # the page has parsed and drawn the button; its script is held
    assert held, "the recorder script was not requested"
    expect(button).to_be_disabled()
    for route in held:
        route.continue_()
    record(page, 2)
    expect(page.locator(".sample")).to_have_count(1)


def test_generate_speech_with_emotion_speed_pitch_and_similarity(page):
    sign_in(page)
    page.goto("/speech")
    page.get_by_role("combobox", name="Voice", exact=True).select_option(BUILT_IN_ID)
    page.get_by_role("textbox", name="Text", exact=True).fill(
        "Hello from the studio. This sentence is spoken a little faster and higher."
    )
    page.get_by_role("combobox", name="Emotion").select_option("happy")
    speed = page.get_by_role("slider", name="Speed")
    speed.focus()
    for _ in range(10):  # 1.0 → 1.5 in steps of 0.05, with the keyboard
        speed.press("ArrowRight")
    pitch = page.get_by_role("slider", name="Pitch")
    pitch.focus()
    for _ in range(3):
        pitch.press("ArrowRight")
    similarity = page.get_by_role("slider", name="Similarity")
    similarity.focus()
    for _ in range(4):  # 0.8 (the default) → 0.6
        similarity.press("ArrowLeft")
    expect(page.locator("#speed-value")).to_have_text("1.5×")
    expect(page.locator("#pitch-value")).to_have_text("+3 st")
    expect(page.locator("#similarity_boost-value")).to_have_text("60 %")
    page.get_by_role("combobox", name="Format").select_option("ogg")
    page.get_by_role("combobox", name="Sample rate").select_option("22050")
    screenshot(page, "05-speech-form")

    page.get_by_role("button", name="Generate", exact=True).click()
    player = page.locator("#result-player")
    expect(player).to_have_class(re.compile("is-ready"), timeout=120_000)
    assert float(player.get_attribute("data-duration")) > 0.5
    expect(page.locator("[data-result-meta]")).to_contain_text("happy")
    expect(page.locator("[data-result-meta]")).to_contain_text("similarity 60 %")
    screenshot(page, "06-speech-result")

    with page.expect_download() as download_info:
        page.locator("#download-link").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".ogg")
    with open(download.path(), "rb") as handle:
        assert handle.read(4) == b"OggS"
    expect(page.locator("#recent .speech-item").first).to_contain_text("This sentence is spoken")

    # Batch: several lines, one job, a list of files.
    page.get_by_role("tab", name="Batch").click()
    page.get_by_role("textbox", name="One text per line").fill("First line.\n\nSecond line, a bit longer.")
    expect(page.locator("[data-batch-count]")).to_have_text("2")
    page.get_by_role("button", name="Generate batch").click()
    files = page.locator("#batch-files li")
    expect(files).to_have_count(2, timeout=120_000)
    expect(files.nth(1)).to_contain_text("Second line")
    expect(files.nth(0).get_by_role("link", name=re.compile(r"Download 001\.ogg"))).to_be_visible()
    screenshot(page, "06b-speech-batch")
    assert page.js_errors == []


def test_every_page_renders_on_desktop_and_phone(page):
    page.goto("/voices/new")
    expect(page).to_have_url(re.compile(r"/login\?next=/voices/new"))
    screenshot(page, "00-sign-in")
    sign_in(page)

    pages = {
        "library": "/",
        "new-voice": "/voices/new",
        "built-in-voice": f"/voices/{BUILT_IN_ID}",
        "speech": "/speech",
        "history": "/history",
    }
    for width, height, suffix in [(1280, 900, "desktop"), (390, 844, "phone")]:
        page.set_viewport_size({"width": width, "height": height})
        for name, url in pages.items():
            page.goto(url)
            expect(page.locator("h1")).to_be_visible()
            # Nothing may stick out sideways (the page scrolls only vertically).
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (name, suffix)
            screenshot(page, f"10-{name}-{suffix}")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/keys")
    page.get_by_label("Key name").fill("render server")
    page.get_by_role("button", name="Create key").click()
    raw_key = page.locator("#raw-key").inner_text()
    assert raw_key.startswith("vs_")
    screenshot(page, "11-keys-created")
    page.get_by_role("button", name="Revoke key render server").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Revoke").click()
    expect(page.locator(".alert--success")).to_contain_text("was revoked")
    expect(page.locator("tr.is-revoked")).to_have_count(1)
    page.goto("/keys")
    assert raw_key not in page.content()
    assert page.js_errors == []
