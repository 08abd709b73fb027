"""Every page with the network cable pulled, the API docs included; the favicon; phone layouts (the
menu, text first on Speech, tables as cards); plain keys; at both widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from bench import servers
from tests.browser.conftest import (
    no_sideways_scroll,
    outside_requests,
    screenshot,
    sign_in,
    studio_shell,
    user_create,
)

pytestmark = pytest.mark.slow

USER, PASSWORD = "robin", "robin-browser-password"
PAGES = ["/", "/voices/new", "/voices/voice_builtin_joe", "/speech", "/history", "/keys", "/v1/docs"]


@pytest.fixture(scope="module")
def robin(studio: servers.Studio) -> str:
    user_create(studio, USER, PASSWORD)
    return USER


def cut_the_cable(page, base_url: str) -> list[str]:
    """Refuse every request to another host, as an offline machine would; returns what was tried."""
    tried: list[str] = []

    def refuse(route) -> None:
        tried.append(route.request.url)
        route.abort("internetdisconnected")

    page.route(re.compile(rf"^(?!{re.escape(base_url)}|data:|blob:).*"), refuse)
    return tried


def test_every_page_works_offline(page, studio, robin, width):
    tried = cut_the_cable(page, studio.base_url)
    seen = outside_requests(page, studio.base_url)
    page.goto("/login")
    screenshot(page, f"40-sign-in-{width}")
    sign_in(page, USER, PASSWORD)
    for url in PAGES:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        if url == "/v1/docs":
            # Redoc drew the API from the schema, in its own fonts, from this host alone.
            expect(page.get_by_role("heading", name=re.compile("Voice Studio API"))).to_be_visible()
            expect(page.locator("h2", has_text="Clone a voice").first).to_be_visible()
            fonts = page.evaluate(
                "document.fonts.check('16px Montserrat') && document.fonts.check('16px Roboto')"
            )
            assert fonts, "the docs' fonts did not load from static/"
            screenshot(page, f"41-api-docs-{width}", full_page=False)
        else:
            expect(page.locator("h1")).to_be_visible()
            assert no_sideways_scroll(page), url
    assert tried == [] and seen == [], (tried, seen)
    assert page.js_errors == []


def test_the_favicon_is_served(page, studio):
    response = page.request.get(f"{studio.base_url}/favicon.ico")
    assert response.ok and response.headers["content-type"].startswith("image/svg+xml")
    page.goto("/login")
    icon = page.locator('link[rel="icon"]').get_attribute("href")
    assert page.request.get(studio.base_url + icon).ok


def test_the_phone_menu_holds_the_links_and_the_account(page, robin, width):
    sign_in(page, USER, PASSWORD)
    page.goto("/speech")
    menu = page.get_by_role("button", name="Menu")
    history = page.get_by_role("navigation", name="Main").get_by_role("link", name="History")
    if width == "desktop":
        expect(menu).to_be_hidden()
        expect(history).to_be_visible()
        return
    expect(history).to_be_hidden()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(history).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    screenshot(page, "42-phone-menu-open", full_page=False)
    page.keyboard.press("Escape")
    expect(history).to_be_hidden()
    expect(menu).to_be_focused()


def test_speech_puts_the_text_before_the_settings(page, robin, width):
    sign_in(page, USER, PASSWORD)
    page.goto("/speech")
    text = page.get_by_role("textbox", name="Text", exact=True).bounding_box()
    settings = page.get_by_role("heading", name="How it sounds").bounding_box()
    voice = page.get_by_role("combobox", name="Voice", exact=True).bounding_box()
    assert voice["y"] < text["y"]
    if width == "phone":
        assert text["y"] < settings["y"], (text, settings)
        assert text["y"] < 844, "the text box is below the first screen"
    else:
        assert settings["x"] > text["x"] + text["width"] - 1  # side by side
    # The sliders' limits are the server's: the page is given them, not written into the script.
    config = page.evaluate("JSON.parse(document.getElementById('speech-config').textContent)")
    assert config["ranges"]["speed"] == {"min": 0.5, "max": 2.0, "step": 0.05}
    pitch_min = page.get_by_role("slider", name="Pitch").get_attribute("min")
    assert float(pitch_min) == config["ranges"]["pitch"]["min"]
    screenshot(page, f"43-speech-{width}")


def test_a_key_without_a_name_is_numbered_and_the_table_fits(page, robin, width):
    sign_in(page, USER, PASSWORD)
    page.goto("/keys")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key-title")).to_have_text(re.compile(r"Your new key “Key \d+”"))
    page.get_by_label("Key name").fill("a build server with a rather long name for a key")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("tbody tr")).to_have_count(2 if width == "desktop" else 4)  # one session per width
    expect(page.locator("tbody")).not_to_contain_text("—")  # no unnamed key
    assert no_sideways_scroll(page)
    screenshot(page, f"44-keys-{width}")
    assert page.js_errors == []


def test_the_audit_log_shows_whole_reasons(page, studio, robin, width):
    reason = "A long reason a moderator gave, which the owner must be able to read in full on any screen."
    voice_id = studio_shell(
        studio,
        "from django.contrib.auth import get_user_model\n"
        "from voices.services.voice import voice_create\n"
        "from voices.services.moderation import voice_moderate\n"
        "from studio.services import user_ensure\n"
        f"owner = get_user_model().objects.get(username={USER!r})\n"
        "mod, _ = user_ensure(username='moderator', is_staff=True)\n"
        "voice = voice_create(owner=owner, name='Audited voice')\n"
        f"voice_moderate(voice=voice, actor=mod, action='suspend', reason={reason!r})\n"
        "print(voice.id)",
    )[-1]
    sign_in(page, USER, PASSWORD)
    page.goto(f"/voices/{voice_id}")
    cell = page.locator(".audit-log td", has_text=reason)
    expect(cell).to_be_visible()
    panel = page.locator("#trust").bounding_box()
    box = cell.bounding_box()
    assert box["x"] + box["width"] <= panel["x"] + panel["width"], (box, panel)  # not clipped
    assert no_sideways_scroll(page)
