"""The new-voice page at both widths: audio first, then the name, the rest folded; Clone waits for the
tier's minimum and says why; trimmed-away audio is veiled; a damaged file gets a plain answer. And the
time-left wording (eta.js), which must never go up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench import servers
from tests.browser.conftest import no_sideways_scroll, screenshot, sign_in, user_create
from tests.browser.test_studio import drag_region_start, record, sample_duration

pytestmark = pytest.mark.slow

USER, PASSWORD = "noor", "noor-browser-password"


@pytest.fixture(scope="module")
def noor(studio: servers.Studio) -> str:
    user_create(studio, USER, PASSWORD)
    return USER


def open_new_voice(page) -> None:
    sign_in(page, USER, PASSWORD)
    page.goto("/voices/new")


def test_audio_comes_first_then_the_name_and_the_rest_is_folded(page, noor, width):
    open_new_voice(page)
    record_button = page.get_by_role("button", name="Record")
    name = page.get_by_role("textbox", name="Name")
    assert record_button.bounding_box()["y"] < name.bounding_box()["y"]
    if width == "phone":
        assert record_button.bounding_box()["y"] < 844, "the recorder is below the first screen"
    expect(page.locator("#more-options")).not_to_have_attribute("open", "")
    expect(page.get_by_role("combobox", name="Tier")).to_be_hidden()
    clone = page.get_by_role("button", name="Clone voice")
    expect(clone).to_be_disabled()
    expect(page.locator("#total-hint")).to_have_text(
        "Record or add at least 10.0 s of speech for the instant tier."
    )
    page.locator("#more-options > summary").click()
    expect(page.get_by_role("combobox", name="Tier")).to_be_visible()
    assert no_sideways_scroll(page)
    screenshot(page, f"50-new-voice-{width}")
    assert page.js_errors == []


def test_clone_waits_for_the_tiers_minimum_and_says_why(page, noor, width, upload_wav):
    open_new_voice(page)
    clone = page.get_by_role("button", name="Clone voice")
    record(page, 2)
    sample_duration(page.locator(".sample").nth(0))
    expect(clone).to_be_disabled()
    expect(page.locator("#total-hint")).to_have_text(
        re.compile(r"^Add about [\d.]+ s more: the instant tier needs at least 10\.0 s of speech\.$")
    )
    expect(clone).to_have_attribute(
        "aria-describedby", "total-hint"
    )  # the reason is the button's description
    page.locator("#file-input").set_input_files(str(upload_wav))
    sample_duration(page.locator(".sample").nth(1))
    expect(clone).to_be_enabled()
    expect(page.locator("#total-hint")).to_contain_text("Enough for the instant tier")
    screenshot(page, f"51-new-voice-enough-{width}")
    assert page.js_errors == []


def test_trimmed_away_audio_is_veiled(page, noor, width, upload_wav):
    open_new_voice(page)
    page.locator("#file-input").set_input_files(str(upload_wav))
    sample = page.locator(".sample").nth(0)
    sample_duration(sample)
    wave = sample.locator("[data-wave]")

    def veils(count: int) -> None:
        """Wait (the veils are redrawn after the region moves) until ``count`` parts are veiled."""
        wave.evaluate(
            """(wave, count) => new Promise((resolve, reject) => {
                const deadline = Date.now() + 10000;
                const check = () => {
                    const found = wave.querySelector('div').shadowRoot.querySelectorAll('[data-cut]').length;
                    if (found === count) resolve();
                    else if (Date.now() > deadline) reject(new Error(`${found} veiled parts, not ${count}`));
                    else requestAnimationFrame(check);
                };
                check();
            })""",
            count,
        )

    veils(0)
    wave.scroll_into_view_if_needed()  # the mouse drags what is on screen
    drag_region_start(page, sample, 0.2)
    expect(sample.locator("[data-trim]")).to_contain_text("Keeping")
    veils(1)
    sample.get_by_role("button", name="Move the end a quarter second earlier").click()
    veils(2)
    screenshot(page, f"52-trim-veiled-{width}")
    assert page.js_errors == []


def test_a_damaged_file_gets_a_plain_answer(page, noor, width, tmp_path: Path):
    broken = tmp_path / "interview.mp3"
    broken.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 40)
    open_new_voice(page)
    page.locator("#file-input").set_input_files(str(broken))
    expect(page.locator(".sample .player")).to_have_class(re.compile("is-error"))
    # The browser cannot measure it: the studio will, so Clone may go ahead, and the page says so.
    expect(page.locator("#total-hint")).to_contain_text("The browser cannot measure one file")
    expect(page.locator("#total-seconds")).to_have_text("0.0 s")
    page.get_by_role("textbox", name="Name").fill("Interview voice")
    page.get_by_role("button", name="Clone voice").click()
    error = page.locator(".sample [data-error]")
    expect(error).to_be_visible(timeout=60_000)
    expect(error).to_contain_text("interview.mp3")
    expect(error).to_contain_text("WAV, MP3, FLAC, OGG, WebM or M4A")
    for developer_words in ("L16", "NNNN", "/v1/", "raw 16-bit PCM"):
        expect(error).not_to_contain_text(developer_words)
    screenshot(page, f"53-damaged-file-{width}")
    assert page.js_errors == []


def texts_for(page, updates: list[tuple[float, str, float, float | None]]) -> list[str]:
    """Feed eta.js a job's updates (seconds, status, percent, the server's eta) on a fake clock."""
    page.goto("/login")
    return page.evaluate(
        """async (updates) => {
            const { EtaEstimate } = await import('/static/studio/js/eta.js');
            let now = 0;
            const eta = new EtaEstimate({ initial: 'about a minute', clock: () => now });
            return updates.map(([at, status, percent, serverEta]) => {
                now = at;
                return eta.update({ status, percent, eta_seconds: serverEta });
            });
        }""",
        updates,
    )


def seconds_in(text: str) -> float | None:
    minutes = re.search(r"about (\d+) min", text)
    if minutes:
        return 60 * float(minutes.group(1))
    if "about a minute" in text:
        return 60
    found = re.search(r"about (\d+) s", text)
    return float(found.group(1)) if found else (5 if "few seconds" in text else None)


def test_the_time_left_says_about_a_minute_until_the_pace_is_known_then_never_goes_up(page, noor):
    # A clone of about 50 s whose first steps are quick: the server's estimate grows (6 → 28 → 33 s),
    # as it did when the issue was filed.
    updates = [
        (0, "QUEUED", 0, None), (1, "RUNNING", 0, None), (2, "RUNNING", 6, 6), (4, "RUNNING", 19, 12),
        (9, "RUNNING", 31, 28), (16, "RUNNING", 43, 33), (24, "RUNNING", 57, 30), (31, "RUNNING", 70, 14),
        (38, "RUNNING", 82, 9), (45, "RUNNING", 92, 4), (52, "RUNNING", 97, 1), (70, "RUNNING", 99, 1),
        (71, "SUCCEEDED", 100, 0),
    ]  # fmt: skip
    texts = texts_for(page, updates)
    assert texts[0] == "waiting to start"
    assert texts[1:5] == ["about a minute left"] * 4  # the first quick steps say nothing about the pace
    numbers = [seconds_in(text) for text in texts[5:] if seconds_in(text) is not None]
    assert numbers and numbers == sorted(numbers, reverse=True), texts
    assert texts[-2] == "taking longer than expected" and texts[-1] == ""


def test_the_time_left_counts_down_between_updates(page, noor):
    page.goto("/login")
    texts = page.evaluate(
        """async () => {
            const { EtaEstimate } = await import('/static/studio/js/eta.js');
            let now = 0;
            const eta = new EtaEstimate({ clock: () => now });
            now = 30; eta.update({ status: 'RUNNING', percent: 0 });
            now = 60; eta.update({ status: 'RUNNING', percent: 50, eta_seconds: 40 });
            return [75, 95, 104, 130].map((at) => { now = at; return eta.text(); });
        }"""
    )
    assert texts == ["about 30 s left", "a few seconds left", "almost done", "taking longer than expected"]
