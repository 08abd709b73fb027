"""The admin at both widths: moderation actions ask why and the owner reads the answer; the audio
widgets are the studio's own player (sample pages, consent clips, previews in the queue)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.admin.utils import quote
from playwright.sync_api import expect

from bench import servers
from tests.browser.conftest import screenshot, sign_in, studio_shell

pytestmark = pytest.mark.slow

OWNER, PASSWORD = "quinn", "quinn-browser-password"
REASON = "The consent clip is read by someone other than the speaker of the samples."

SEED = """
from pathlib import Path
from django.core.files.base import ContentFile
from studio.services import user_ensure
from voices.models import VoiceSample
from voices.services.clone import voice_clone_succeeded
from voices.services.voice import voice_create

owner, _ = user_ensure(username={owner!r}, password={password!r})
audio = Path({wav!r}).read_bytes()
for name in ("Quinn narrator", "Quinn radio"):
    voice = voice_create(owner=owner, name=name)
    sample = VoiceSample(voice=voice, original_name="take-1.wav", format="wav", duration=10.0)
    sample.file.save("original.wav", ContentFile(audio), save=True)
    voice_clone_succeeded(voice_id=voice.id, analysis={{}}, similarity_score=0.8, preview=audio, preview_format="wav")
    print(voice.id, sample.id)
"""


@pytest.fixture(scope="module")
def quinn(studio: servers.Studio, upload_wav: Path) -> dict[str, list[str]]:
    lines = studio_shell(studio, SEED.format(owner=OWNER, password=PASSWORD, wav=str(upload_wav)))
    narrator, radio = (line.split() for line in lines[-2:])
    return {"narrator": narrator, "radio": radio}


def test_suspending_asks_why_and_the_owner_reads_it(page, quinn, width):
    voice_id = quinn["radio"][0] if width == "desktop" else quinn["narrator"][0]
    sign_in(page)
    page.goto(f"/admin/voices/voice/?q={voice_id}")
    page.locator(f'input[name="_selected_action"][value="{voice_id}"]').check()
    page.locator('select[name="action"]').select_option(label="Suspend…")
    page.get_by_role("button", name="Go").click()

    reason = page.get_by_role("textbox", name="Reason")
    expect(reason).to_be_visible()
    screenshot(page, f"60-admin-suspend-why-{width}")
    page.get_by_role("button", name="Suspend").click()  # no reason: the service refuses, nothing changes
    expect(page.locator(".errorlist")).to_contain_text(
        "Say why you suspend this voice: the owner will read it."
    )
    reason.fill(REASON)
    page.get_by_role("button", name="Suspend").click()
    expect(page.locator(".messagelist")).to_contain_text("Suspend: 1 voice(s).")

    page.context.clear_cookies()
    sign_in(page, OWNER, PASSWORD)
    page.goto(f"/voices/{voice_id}")
    expect(page.locator('#voice [data-role="state-badge"]')).to_have_text("Suspended")
    expect(page.locator("#voice [data-state-detail]")).to_have_text(
        f"A moderator suspended this voice: {REASON}"
    )
    expect(page.locator("main")).not_to_contain_text("admin moderation queue")
    assert page.js_errors == []


def test_the_admin_plays_audio_with_the_studios_player(page, quinn, width, studio):
    voice_id, sample_id = quinn["narrator"]
    sign_in(page)
    page.goto(f"/admin/voices/voicesample/{quote(sample_id)}/change/")
    player = page.locator(".waveform-widget .player")
    expect(player).to_have_class(re.compile("is-ready"))
    assert float(player.get_attribute("data-duration")) > 5
    player.get_by_role("button", name=re.compile("^Play ")).click()
    expect(player).to_have_class(re.compile("is-playing"))
    screenshot(page, f"61-admin-sample-{width}")

    # The queue plays a voice's preview from the list, fetching it only when asked.
    page.goto(f"/admin/voices/voice/?q={voice_id}")
    preview = page.locator("td.field-preview_player .player")
    expect(preview).not_to_have_attribute("data-mounted", "true")
    preview.get_by_role("button", name=re.compile("Play the preview|Play preview")).click()
    expect(preview).to_have_class(re.compile("is-playing"))
    screenshot(page, f"62-admin-queue-{width}", full_page=False)
    assert page.js_errors == []
