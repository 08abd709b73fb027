// The consent step of the voice page: ask the studio for the phrase (GET /v1/voices/<id>/consent),
// record it (the new-voice page's recorder) or upload it, post it (POST, multipart), follow the check
// over ws/jobs/<id>/, then show the verdict and swap in the refreshed trust panel.
import WaveSurfer from "../../vendor/wavesurfer/wavesurfer.esm.js";
import { requestJSON } from "./http.js";
import { playerTime, waveOptions } from "./player.js";
import { ProgressView, watchJob } from "./progress.js";
import { extensionFor, setupRecorder } from "./recorder.js";

const $ = (id) => document.getElementById(id);
const NAME_DELAY_MS = 700; // ask for a new phrase once the name has stopped changing

export function setupConsentStep() {
  const step = $("consent-step");
  if (!step) return;
  const config = JSON.parse($("consent-config").textContent);
  const form = $("consent-form");
  const phrase = $("consent-phrase");
  const nameInput = $("consent-speaker");
  const submitButton = $("consent-submit");
  const progress = $("consent-progress");
  const result = $("consent-result");
  let clip = null; // {blob, name, url, ws}
  let phraseRequest = 0; // only the newest answer is shown
  let nameTimer = null;

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

  const updateSubmit = () => {
    const ready = !!clip && !!phrase.dataset.consentId;
    submitButton.disabled = !ready;
    $("consent-submit-hint").textContent = ready
      ? "The check takes a few seconds."
      : phrase.dataset.consentId
        ? "Record or upload the phrase first."
        : "Waiting for the phrase…";
  };

  // --- The phrase --------------------------------------------------------------------------------

  async function loadPhrase() {
    const request = ++phraseRequest;
    const name = nameInput.value.trim();
    if (!name) {
      showNameError("Enter the speaker’s name: it is part of the phrase.");
      return;
    }
    const query = new URLSearchParams({ speaker_name: name, license: license() });
    phrase.dataset.consentId = "";
    phrase.classList.add("is-loading");
    updateSubmit();
    try {
      const body = await requestJSON(`${config.consentUrl}?${query}`);
      if (request !== phraseRequest) return;
      showNameError("");
      if (phrase.textContent !== body.phrase && clip) {
        clearClip(); // a recording of another phrase (an older code) cannot pass
        showError("The phrase changed, so the recording was discarded. Record the new phrase.");
      }
      phrase.textContent = body.phrase;
      phrase.dataset.consentId = body.consent_id;
    } catch (error) {
      if (request !== phraseRequest) return;
      if (error.field === "speaker_name") showNameError(error.message);
      else showError(error.message);
      phrase.textContent = "No phrase yet: correct the name above.";
    } finally {
      if (request === phraseRequest) phrase.classList.remove("is-loading");
      updateSubmit();
    }
  }

  nameInput.addEventListener("input", () => {
    clearTimeout(nameTimer);
    nameTimer = setTimeout(loadPhrase, NAME_DELAY_MS);
  });
  nameInput.addEventListener("change", () => {
    clearTimeout(nameTimer);
    loadPhrase();
  });
  for (const radio of form.querySelectorAll('input[name="license"]')) {
    radio.addEventListener("change", loadPhrase);
  }

  // --- The recording -----------------------------------------------------------------------------

  const clipBox = $("consent-clip");

  function clearClip() {
    if (!clip) return;
    clip.ws.destroy();
    URL.revokeObjectURL(clip.url);
    clip = null;
    clipBox.hidden = true;
    clipBox.querySelector(".player").classList.remove("is-ready", "is-playing", "is-error");
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
    const wave = player.querySelector("[data-wave]");
    const time = player.querySelector("[data-time]");
    const url = URL.createObjectURL(blob);
    const ws = WaveSurfer.create(waveOptions({ container: wave, height: 48, url }));
    clip = { blob, name, url, ws };
    clipBox.querySelector("[data-name]").textContent = name;
    clipBox.querySelector("[data-source]").textContent = source;
    clipBox.hidden = false;
    let duration = 0;
    ws.on("decode", (seconds) => {
      duration = seconds;
      player.classList.add("is-ready");
      player.dataset.duration = seconds.toFixed(3);
      time.textContent = playerTime(0, seconds);
    });
    ws.on("timeupdate", (current) => {
      time.textContent = playerTime(current, duration);
    });
    ws.on("error", () => {
      player.classList.add("is-error");
      player.querySelector(".player__status").textContent = "The browser cannot draw this file; it is still sent and checked.";
    });
    ws.on("play", () => player.classList.add("is-playing"));
    ws.on("pause", () => player.classList.remove("is-playing"));
    ws.on("finish", () => player.classList.remove("is-playing"));
    updateSubmit();
  }

  clipBox.querySelector("[data-play]").addEventListener("click", () => clip && clip.ws.playPause());

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
    showError("");
    if (recorder.isRecording()) {
      showError("Stop the recording first.");
      return;
    }
    if (!clip || !phrase.dataset.consentId) return;
    const body = new FormData();
    body.append("file", clip.blob, clip.name);
    submitButton.disabled = true;
    submitButton.textContent = "Sending…";
    try {
      const answer = await requestJSON(config.consentUrl, { method: "POST", body });
      follow(answer.job);
    } catch (error) {
      showError(error.message);
      if (error.status === 409) loadPhrase(); // the phrase was used meanwhile (another tab): ask again
    } finally {
      submitButton.textContent = "Send for verification";
      updateSubmit();
    }
  });

  function follow(job) {
    setState("checking");
    const view = new ProgressView(progress);
    const state = progress.querySelector("[data-live-state]");
    view.update(job);
    progress.scrollIntoView({ block: "nearest" });
    watchJob(
      job.id,
      (update) => {
        view.update(update);
        if (update.status === "SUCCEEDED" || update.status === "FAILED") finished(update);
      },
      (text) => {
        state.textContent = text;
      },
    );
  }

  async function finished(job) {
    const verified = job.status === "SUCCEEDED" && job.result && job.result.decision === "verified";
    const reason = job.status === "FAILED" ? job.error : job.result && job.result.reason;
    const box = result.querySelector("[data-result-box]");
    box.className = `alert ${verified ? "alert--success" : "alert--error"}`;
    result.querySelector("[data-result-title]").textContent = verified
      ? "Consent verified"
      : "The recording did not pass the consent check";
    result.querySelector("[data-result-text]").textContent = verified
      ? `The ${license()} licence is recorded, and the voice can speak now.`
      : reason || "The check stopped with an error.";
    result.querySelector("[data-result-speech]").hidden = !verified;
    result.querySelector("[data-result-retry]").hidden = verified;
    step.querySelector("[data-consent-note]")?.remove(); // the older verdict, replaced by this one
    setState(verified ? "verified" : "failed");
    result.focus();
    if (verified) {
      const badge = step.querySelector("[data-step-badge]");
      badge.className = "badge badge--available";
      badge.textContent = "Done";
      step.querySelector("[data-step-intro]").hidden = true;
      const hero = document.querySelector("[data-hero-action]");
      if (hero) {
        hero.href = config.speechUrl;
        hero.textContent = "Generate speech";
      }
    }
    await refreshTrustPanel();
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
    phrase.textContent = "Asking the studio for a new phrase…";
    setState("form");
    await loadPhrase(); // the used phrase cannot be used again: this one has a fresh code
    $("consent-record-button").focus();
  });

  if (config.job) {
    setState("checking");
    follow(config.job);
  } else {
    setState("form");
    loadPhrase();
  }
}
