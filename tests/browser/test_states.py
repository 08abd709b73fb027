"""Voice states a creator can trust, at both widths: the library card, the voice page, the speech
picker and the API say the same thing (cloning, needs consent, ready, suspended with the moderator's
reason, failed, expiring); cards play their preview; the voice page loads no audio it does not show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench import servers
from tests.browser.conftest import no_sideways_scroll, screenshot, sign_in, studio_shell

pytestmark = pytest.mark.slow

USER, PASSWORD = "sam", "sam-browser-password"
REASON = "The samples are a broadcast recording of a public figure."

# One voice per state, owned by USER, put there through the services the worker and the admin use;
# only what no service can do at once here (a verified consent, a deletion date near, a clone
# mid-way) is written to the rows directly.
SEED = """
from datetime import timedelta
from pathlib import Path
from django.core.files.base import ContentFile
from django.utils import timezone
from studio.services import user_ensure
from voices.models import Voice, VoiceConsent, VoiceSample
from voices.services.moderation import voice_moderate
from voices.services.clone import voice_clone_failed, voice_clone_succeeded
from voices.services.voice import voice_create
from jobs.models import Job

owner, _ = user_ensure(username={user!r}, password={password!r})
moderator, _ = user_ensure(username="moderator", is_staff=True)
audio = Path({wav!r}).read_bytes()

def samples(voice, **trim):
    for index in range(2):
        sample = VoiceSample(voice=voice, original_name=f"take-{{index + 1}}.wav", format="wav", duration=9.0, **trim)
        sample.file.save("original.wav", ContentFile(audio), save=True)

def cloned(name, **trim):
    voice = voice_create(owner=owner, name=name)
    samples(voice, **trim)
    voice_clone_succeeded(voice_id=voice.id, analysis={{"quality": "good"}}, similarity_score=0.86, preview=audio, preview_format="wav")
    return voice

def verified(voice):
    VoiceConsent.objects.create(voice=voice, speaker_name="Sam Rivera", code="4712", phrase="...", status="verified",
                                checked_at=timezone.now(), evidence={{"decision": "verified"}}, reason="Passed.")
    Voice.objects.filter(pk=voice.pk).update(verification="verified")
    voice.refresh_from_db()
    return voice

ready = verified(cloned("Ready voice", trim_start=1.0, trim_end=6.5))
needs = cloned("Needs consent voice")
suspended = verified(cloned("Suspended voice"))
voice_moderate(voice=suspended, actor=moderator, action="suspend", reason={reason!r})
expiring = verified(cloned("Expiring voice"))
Voice.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() + timedelta(days=5))
failed = voice_create(owner=owner, name="Failed voice")
voice_clone_failed(voice_id=failed.id, error="Internal error while running the clone job (ValueError).")
cloning = voice_create(owner=owner, name="Cloning voice")
samples(cloning)
Voice.objects.filter(pk=cloning.pk).update(status="PROCESSING", progress_step="prepare engine", progress_percent=42.0)
# A heartbeat that does not go stale during the module: a stale one (30 s) would have the sweep hand this
# made-up job to the studio's worker, which clones the voice for real and makes it AVAILABLE midway.
Job.objects.create(kind="clone", owner=owner, voice_id=cloning.id, status="RUNNING", step="prepare engine", percent=42.0,
                   started_at=timezone.now(), heartbeat_at=timezone.now() + timedelta(days=1))
for voice in (ready, needs, suspended, expiring, failed, cloning):
    print(voice.name.split()[0].lower(), voice.id)
"""


@pytest.fixture(scope="module")
def voices(studio: servers.Studio, upload_wav: Path) -> dict[str, str]:
    lines = studio_shell(
        studio, SEED.format(user=USER, password=PASSWORD, wav=str(upload_wav), reason=REASON)
    )
    return dict(line.split() for line in lines[-6:])


def card(page, name: str):
    return page.locator(".voice-card", has=page.get_by_role("link", name=name, exact=True))


def test_library_cards_show_each_state_and_why(page, voices, width):
    sign_in(page, USER, PASSWORD)
    expected = {
        "Ready voice": ("Ready", None),
        "Needs consent voice": ("Needs consent", "has not recorded the consent phrase"),
        "Suspended voice": ("Suspended", REASON),
        "Expiring voice": ("Expiring", "unless you renew it"),
        "Failed voice": ("Failed", "tell the administrator"),
        "Cloning voice": ("Cloning", "Learning the voice · 42% done."),
        "Joe (studio base voice)": ("Ready", None),
    }
    for name, (label, detail) in expected.items():
        shown = card(page, name)
        expect(shown.locator('[data-role="state-badge"]')).to_have_text(label)
        if detail:
            expect(shown.locator("[data-card-detail]")).to_contain_text(detail)
    # Nothing says AVAILABLE any more: that was the row's status, not what the voice can do.
    expect(page.locator("main")).not_to_contain_text("Available")
    expect(card(page, "Failed voice")).not_to_contain_text("ValueError")
    assert no_sideways_scroll(page)
    screenshot(page, f"30-library-states-{width}")
    assert page.js_errors == []


def test_a_library_card_plays_its_preview(page, voices, width):
    sign_in(page, USER, PASSWORD)
    player = card(page, "Ready voice").locator(".player")
    expect(player).not_to_have_attribute("data-mounted", "true")  # nothing loaded before the click
    with page.expect_response(re.compile(rf"/v1/voices/{voices['ready']}/preview")):
        player.get_by_role("button", name="Play the preview of Ready voice").click()
    expect(player).to_have_class(re.compile("is-playing"))
    expect(page).to_have_url(re.compile(r"/$"))  # the click played; it did not open the voice
    assert page.js_errors == []


@pytest.mark.parametrize(
    ("key", "label", "action"),
    [
        ("ready", "Ready", "Generate speech"),
        ("needs", "Needs consent", "Record consent"),
        ("suspended", "Suspended", None),
        ("expiring", "Expiring", "Generate speech"),
        ("failed", "Failed", None),
        ("cloning", "Cloning", None),
    ],
)
def test_the_voice_page_says_the_state_and_offers_only_what_works(page, voices, width, key, label, action):
    sign_in(page, USER, PASSWORD)
    page.goto(f"/voices/{voices[key]}")
    hero = page.locator("#voice")
    expect(hero.locator('[data-role="state-badge"]')).to_have_text(label)
    if action:
        expect(hero.locator("[data-hero-action]")).to_have_text(re.compile(action))
    else:
        expect(hero.locator("[data-hero-action]")).to_have_count(0)
    if key == "suspended":
        expect(hero.locator("[data-state-detail]")).to_have_text(
            f"A moderator suspended this voice: {REASON}"
        )
    if key == "expiring":
        expect(hero.get_by_role("button", name=re.compile(r"Renew for \d+ days"))).to_be_visible()
    if key == "cloning":
        expect(page.locator("#clone-progress [data-step-text]")).to_have_text("learning the voice")
    if key == "failed":
        expect(page.locator("#clone-failed")).to_contain_text("Something went wrong in the studio")
    assert no_sideways_scroll(page)
    screenshot(page, f"31-voice-{key}-{width}")
    assert page.js_errors == []


def test_the_speech_picker_offers_only_voices_that_can_speak(page, voices, width):
    sign_in(page, USER, PASSWORD)
    page.goto(f"/speech?voice={voices['needs']}")
    offered = page.locator("#id_voice option").evaluate_all("options => options.map(o => o.textContent)")
    assert sorted(offered) == ["Expiring voice", "Joe (studio base voice)", "Ready voice"]
    notice = page.locator("#voice-not-ready")
    expect(notice).to_contain_text("“Needs consent voice” can’t speak yet.")
    expect(notice.get_by_role("link", name="Open its page")).to_have_attribute(
        "href", f"/voices/{voices['needs']}#consent-step"
    )
    page.locator(".not-ready > summary").click()
    listed = page.locator(".not-ready__list li")
    expect(listed).to_have_count(4)
    expect(listed.filter(has_text="Suspended voice")).to_contain_text(REASON)
    assert no_sideways_scroll(page)
    screenshot(page, f"32-speech-picker-{width}")
    assert page.js_errors == []


def test_the_api_gives_the_same_state(page, voices, studio):
    key = servers.api_key_create(studio.env, USER)
    for name, code in [("ready", "ready"), ("needs", "needs_consent"), ("suspended", "suspended"),
                       ("expiring", "expiring"), ("failed", "failed"), ("cloning", "cloning")]:  # fmt: skip
        status, body = servers.api_call(studio, key, "GET", f"/v1/voices/{voices[name]}")
        assert status == 200 and body["state"]["code"] == code, body
        assert body["state"]["can_speak"] == (code in ("ready", "expiring"))


def test_the_voice_page_loads_sample_audio_only_when_shown(page, voices, width):
    sign_in(page, USER, PASSWORD)
    audio: list[str] = []
    page.on("request", lambda r: audio.append(r.url) if "/samples/" in r.url else None)
    page.goto(f"/voices/{voices['ready']}")
    page.wait_for_load_state("networkidle")
    assert audio == [], "sample audio loaded before it was scrolled to"

    samples = page.locator(".sample-list .player")
    samples.first.scroll_into_view_if_needed()
    expect(samples.first).to_have_class(re.compile("is-ready"))
    # The trim is shown: the kept part, and the cut parts veiled so they do not read as used.
    veils = samples.first.locator("[data-wave]").evaluate(
        "wave => [...wave.querySelector('div').shadowRoot.querySelectorAll('[data-cut]')].length"
    )
    assert veils == 2
    assert len(audio) >= 1
    assert page.js_errors == []


def test_a_verified_consent_takes_one_line(page, voices, width):
    sign_in(page, USER, PASSWORD)
    page.goto(f"/voices/{voices['ready']}")
    consent = page.locator("#trust .trust__block--consent .trust__status")
    expect(consent).to_contain_text("Consent verified")
    expect(page.locator("#consent-step")).to_have_count(0)
    evidence = page.locator("#trust .trust__evidence")
    expect(evidence).not_to_have_attribute("open", "")  # the evidence is one click away
    # One line on a laptop (the button's height); a phone may wrap the button below.
    lines = 1 if width == "desktop" else 2
    assert consent.bounding_box()["height"] <= lines * 40, consent.bounding_box()
