// The consent step of the voice page. The speaker names themselves; then the page asks the studio for
// the phrase (GET /v1/voices/<id>/consent) and shows it; the speaker records it (the new-voice page's
// recorder) or uploads it; the page posts it (POST, multipart), follows the check over ws/jobs/<id>/,
// shows the verdict and swaps in the refreshed trust panel. A verified consent shrinks to one line.
//
// No click is lost: the send button never greys out under the pointer. A click while the phrase is
// still on its way waits for it; a click with something missing says what.
import { followJob } from "./follow-job.js";
import { plainMessage, requestJSON } from "./http.js";
import { mountPlayer, unmountPlayer } from "./player.js";
import { extensionFor, setupRecorder } from "./recorder.js";

const $ = (id) => document.getElementById(id);
const NAME_DELAY_MS = 500; // ask for the phrase once the name has stopped changing

export function setupConsentStep() {
  const step = $("consent-step");
  if (!step) return;
  const config = JSON.parse($("consent-config").textContent);
  const form = $("consent-form");
  const phrase = $("consent-phrase");
  const nameInput = $("consent-speaker");
  const submitButton = $("consent-submit");
  const hint = $("consent-submit-hint");
  const progress = $("consent-progress");
  const result = $("consent-result");
  const emptyPhrase = phrase.textContent;
  let clip = null; // {blob, name, url, player}
  let shown = null; // {name, license} of the phrase on screen
  let pending = null; // {name, license, promise} of the phrase being asked for
  let nameTimer = null;
  let sending = false;

  const setState = (state) => {
    step.dataset.state = state;
    form.hidden = state !== "form";
    progress.hidden = state !== "checking";
    result.hidden = !["verified", "failed"].includes(state);
  };

  const showError = (message) => {
    const box = $("consent-error");
    box.textContent = message || "";
    box.hidden = !message;
  };

  const showNameError = (message) => {
    const error = $("consent-speaker-error");
    error.textContent = message || "";
    error.hidden = !message;
    nameInput.closest(".field").classList.toggle("field--invalid", !!message);
    if (message) nameInput.setAttribute("aria-invalid", "true");
    else nameInput.removeAttribute("aria-invalid");
  };

  const license = () => form.querySelector('input[name="license"]:checked')?.value || "personal";
  const wanted = () => ({ name: nameInput.value.trim(), license: license() });
  const same = (a, b) => !!a && !!b && a.name === b.name && a.license === b.license;

  /** What is still missing, in words; "" when the recording can be sent. */
  const missing = () => {
    if (!phrase.dataset.consentId) return nameInput.value.trim() ? "Waiting for the sentence…" : "Type the speaker’s name first.";
    if (!clip) return "Record or upload the sentence first.";
    return "";
  };

  const updateSubmit = () => {
    const gap = sending ? "Sending…" : missing();
    submitButton.setAttribute("aria-disabled", String(!!gap));
    hint.textContent = gap || "The check takes a few seconds.";
  };

  // --- The phrase --------------------------------------------------------------------------------

  function showEmptyPhrase() {
    phrase.textContent = emptyPhrase;
    phrase.dataset.consentId = "";
    phrase.dataset.empty = "";
    shown = null;
  }

  /** Ask for the phrase of the name and licence on screen, unless it is shown or on its way already. */
  function loadPhrase() {
    const want = wanted();
    if (!want.name) {
      pending = null; // an answer still on its way is for a name that is gone
      phrase.classList.remove("is-loading");
      if (clip) clearClip();
      showEmptyPhrase();
      updateSubmit();
      return Promise.resolve();
    }
    if (same(want, shown) && phrase.dataset.consentId) return Promise.resolve();
    if (pending && same(want, pending)) return pending.promise;
    const query = new URLSearchParams({ speaker_name: want.name, license: want.license });
    phrase.classList.add("is-loading");
    const request = { ...want };
    request.promise = (async () => {
      try {
        const body = await requestJSON(`${config.consentUrl}?${query}`);
        if (pending !== request) return;
        showNameError("");
        showError("");
        if (phrase.textContent !== body.phrase && clip) {
          clearClip(); // a recording of another phrase (an older code) cannot pass
          showError("The sentence changed, so the recording was discarded. Record the new sentence.");
        }
        phrase.textContent = body.phrase;
        phrase.dataset.consentId = body.consent_id;
        delete phrase.dataset.empty;
        shown = want;
      } catch (error) {
        if (pending !== request) return;
        showEmptyPhrase();
        if (error.field === "speaker_name") showNameError(error.message);
        else showError(error.message);
      } finally {
        if (pending === request) {
          pending = null;
          phrase.classList.remove("is-loading");
        }
        updateSubmit();
      }
    })();
    pending = request;
    updateSubmit();
    return request.promise;
  }

  nameInput.addEventListener("input", () => {
    clearTimeout(nameTimer);
    nameTimer = setTimeout(loadPhrase, NAME_DELAY_MS);
  });
  nameInput.addEventListener("change", () => {
    clearTimeout(nameTimer);
    loadPhrase(); // asks only if the name differs from the phrase's: leaving the field costs nothing
  });
  for (const radio of form.querySelectorAll('input[name="license"]')) {
    radio.addEventListener("change", loadPhrase);
  }

  // --- The recording -----------------------------------------------------------------------------

  const clipBox = $("consent-clip");

  function clearClip() {
    if (!clip) return;
    unmountPlayer(clip.player);
    URL.revokeObjectURL(clip.url);
    clip = null;
    clipBox.hidden = true;
    updateSubmit();
  }

  function setClip(blob, name, source) {
    clearClip();
    showError("");
    if (blob.size > config.maxUploadBytes) {
      showError(`${name} is ${(blob.size / 1e6).toFixed(1)} MB; the limit is ${(config.maxUploadBytes / 1e6).toFixed(0)} MB.`);
      return;
    }
    const player = clipBox.querySelector(".player");
    const url = URL.createObjectURL(blob);
    clip = { blob, name, url, player };
    clipBox.querySelector("[data-name]").textContent = name;
    clipBox.querySelector("[data-source]").textContent = source;
    clipBox.hidden = false;
    const ws = mountPlayer(player, { url });
    ws.on("error", () => {
      player.querySelector("[data-status]").textContent = "The browser cannot draw this file; it is still sent and checked.";
    });
    updateSubmit();
  }

  /** Recording or uploading needs the sentence on screen first. */
  const needPhrase = () => {
    if (phrase.dataset.consentId) return false;
    if (!nameInput.value.trim()) {
      showNameError("Type the speaker’s name first: the sentence to read appears then.");
      nameInput.focus();
    } else {
      showError("Wait a moment for the sentence to read.");
    }
    return true;
  };

  const recorder = setupRecorder(
    {
      wave: $("consent-record-wave"),
      idle: $("consent-record-idle"),
      button: $("consent-record-button"),
      timer: $("consent-record-timer"),
      levelFill: $("consent-level-fill"),
      levelMeter: $("consent-level-meter"),
      error: $("consent-record-error"),
    },
    {
      canStart: () => {
        if (needPhrase()) return false;
        clearClip();
        showError("");
        return true;
      },
      onRecorded: (blob) => {
        setClip(blob, `Consent recording.${extensionFor(blob.type)}`, "recorded just now");
        clipBox.querySelector("[data-play]").focus();
      },
    },
  );

  const fileInput = $("consent-file");
  fileInput.addEventListener("click", (event) => {
    if (needPhrase()) event.preventDefault();
  });
  fileInput.addEventListener("change", () => {
    const [file] = fileInput.files;
    fileInput.value = ""; // choosing the same file again still counts
    if (!file) return;
    if (file.type && !file.type.startsWith("audio/") && !file.type.startsWith("video/webm")) {
      showError(`${file.name} is not an audio file.`);
      return;
    }
    setClip(file, file.name, "uploaded");
  });

  // --- Sending and following the check -----------------------------------------------------------

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending) return;
    showError("");
    if (recorder.isRecording()) {
      showError("Stop the recording first.");
      return;
    }
    clearTimeout(nameTimer);
    await loadPhrase(); // the name may have changed a moment ago: its phrase first
    const gap = missing();
    if (gap) {
      showError(gap);
      return;
    }
    const body = new FormData();
    body.append("file", clip.blob, clip.name);
    sending = true;
    submitButton.textContent = "Sending…";
    updateSubmit();
    try {
      const answer = await requestJSON(config.consentUrl, { method: "POST", body });
      follow(answer.job);
    } catch (error) {
      showError(error.message);
      if (error.status === 409) {
        shown = null; // the phrase was used meanwhile (another tab): ask again
        loadPhrase();
      }
    } finally {
      sending = false;
      submitButton.textContent = "Send for verification";
      updateSubmit();
    }
  });

  async function follow(job) {
    setState("checking");
    progress.scrollIntoView({ block: "nearest" });
    finished(await followJob(progress, job));
  }

  async function finished(job) {
    const verified = job.status === "SUCCEEDED" && job.result && job.result.decision === "verified";
    step.querySelector("[data-consent-note]")?.remove(); // the older verdict, replaced by this one
    if (verified) {
      showVerified();
    } else {
      const reason = job.status === "FAILED" ? plainMessage(job.error) : job.result && job.result.reason;
      const box = result.querySelector("[data-result-box]");
      box.className = "alert alert--error";
      result.querySelector("[data-result-title]").textContent = "The recording did not pass the consent check";
      result.querySelector("[data-result-text]").textContent = reason || "The check stopped with an error.";
      result.querySelector("[data-result-speech]").hidden = true;
      result.querySelector("[data-result-retry]").hidden = false;
      setState("failed");
      result.focus();
    }
    await refreshTrustPanel();
  }

  /** Done: the step shrinks to one line, and the page's main action becomes "Generate speech". */
  function showVerified() {
    const box = result.querySelector("[data-result-box]");
    box.className = "consent-done";
    result.querySelector("[data-result-title]").textContent = "Consent verified";
    result.querySelector("[data-result-text]").textContent = `${shown ? shown.name : "The speaker"}, ${license()} licence. The voice can speak now.`;
    result.querySelector("[data-result-speech]").hidden = false;
    result.querySelector("[data-result-retry]").hidden = true;
    step.classList.add("consent-step--done");
    for (const selector of ["[data-step-head]", "[data-step-intro]"]) step.querySelector(selector).hidden = true;
    setState("verified");
    result.focus();
    const hero = document.querySelector("[data-hero-action]");
    if (hero) {
      hero.href = config.speechUrl;
      hero.textContent = "Generate speech";
    }
    const badge = document.querySelector('#voice [data-role="state-badge"]');
    if (badge) {
      badge.className = "badge badge--ok";
      badge.textContent = "Ready";
      badge.title = "Ready to speak.";
    }
    document.querySelector("#voice [data-state-detail]")?.remove();
  }

  async function refreshTrustPanel() {
    const panel = $("trust");
    if (!panel) return;
    try {
      const response = await fetch(config.trustUrl, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const template = document.createElement("template");
      template.innerHTML = (await response.text()).trim();
      const fresh = template.content.querySelector("#trust");
      if (fresh) panel.replaceWith(fresh);
    } catch {
      // The panel stays as it was; a reload shows the new state.
    }
  }

  result.querySelector("[data-result-retry]").addEventListener("click", async () => {
    clearClip();
    showError("");
    shown = null; // the used phrase cannot be used again: the next one has a fresh code
    phrase.textContent = "Asking the studio for a new sentence…";
    phrase.dataset.consentId = "";
    setState("form");
    await loadPhrase();
    $("consent-record-button").focus();
  });

  if (config.job) {
    setState("checking");
    follow(config.job);
  } else {
    setState("form");
    if (nameInput.value.trim()) loadPhrase();
    else updateSubmit();
  }
}
