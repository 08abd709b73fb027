"""The new-voice page's "Preview first": hear the voice say your words, then keep it without a second wait."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.slow

PREVIEW_TIMEOUT = 240_000  # ms, a clone's work on a busy 2-core machine


def test_preview_first_then_keep_the_voice(page, upload_wav):
    sign_in(page)
    page.get_by_role("link", name="New voice").first.click()
    page.get_by_role("textbox", name="Name", exact=True).fill("Previewed voice")
    for _ in range(2):  # one upload is just under the instant tier's 10 s of speech
        page.locator("#file-input").set_input_files(str(upload_wav))
    expect(page.locator(".sample")).to_have_count(2)
    expect(page.locator("#total")).to_have_class(re.compile("is-enough"))

    page.locator("#preview-first summary").click()
    page.locator("#preview-text").fill("Would you keep this voice for your audiobook?")
    page.locator("#preview-stability").fill("0.8")
    page.get_by_role("button", name="Preview", exact=True).click()
    page.wait_for_function(
        "() => !document.getElementById('preview-button').disabled", timeout=PREVIEW_TIMEOUT, polling=500
    )
    errors = page.locator("[role=alert]:visible").all_inner_texts()
    assert page.locator("#preview-audio").is_visible(), (errors, page.locator("#preview-status").inner_text())
    expect(page.locator("#preview-status")).to_contain_text("Clone voice")
    assert page.evaluate("document.getElementById('preview-audio').src").startswith("http")
    screenshot(page, "preview-first")

    page.get_by_role("button", name="Clone voice").click()
    page.wait_for_url(re.compile(r"/voices/voice_"))
    # Saved from the preview: available at once, no second clone.
    expect(page.locator("#voice")).to_have_attribute("data-status", "AVAILABLE", timeout=30_000)
    assert page.js_errors == []
