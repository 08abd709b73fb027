// The new-voice page: record (record plugin) or upload samples, trim them (regions plugin), tag them,
// then post everything to the clone endpoint the API uses (POST /v1/voices/clone) with the session.
import RegionsPlugin from "../../vendor/wavesurfer/plugins/regions.esm.js";
import { formatClock, formatSeconds } from "./format.js";
import { followJob } from "./follow-job.js";
import { csrfToken, errorFrom, requestJSON } from "./http.js";
import { KEPT_COLOR, mountPlayer, trimVeils } from "./player.js";
import { extensionFor, setupRecorder } from "./recorder.js";

const config = JSON.parse(document.getElementById("voice-new-config").textContent);
const form = document.getElementById("voice-form");
const $ = (id) => document.getElementById(id);
const SAMPLE_FIELDS = new Set(["file", "files", "emotions", "transcripts", "trim_starts", "trim_ends", "audio_url", "samples"]);

/** @type {Array<{id:number, blob:Blob, name:string, el:HTMLElement, ws:any, region:any, duration:number|null}>} */
const samples = [];
let nextId = 1;
let recordings = 0;
let submitting = false;

// --- Samples ---------------------------------------------------------------------------------------

function addSample(blob, name, source, preset = {}) {
  if (samples.length >= config.maxSamples) {
    showSamplesError(`You can add at most ${config.maxSamples} samples. Remove one first.`);
    return null;
  }
  if (blob.size > config.maxUploadBytes) {
    showSamplesError(`${name} is ${(blob.size / 1e6).toFixed(1)} MB; the limit is ${(config.maxUploadBytes / 1e6).toFixed(0)} MB per file.`);
    return null;
  }
  clearSamplesError();
  const id = nextId++;
  const el = $("sample-template").content.firstElementChild.cloneNode(true);
  el.dataset.sampleId = String(id);
  el.querySelector("[data-name]").textContent = name;
  el.querySelector("[data-source]").textContent = source;
  for (const key of ["emotion", "transcript"]) {
    const control = el.querySelector(`[data-${key}]`);
    control.id = `sample-${id}-${key}`;
    el.querySelector(`label[data-for="${key}"]`).htmlFor = control.id;
  }
  if (preset.emotion) el.querySelector("[data-emotion]").value = preset.emotion;
  if (preset.transcript) el.querySelector("[data-transcript]").value = preset.transcript;
  $("samples").append(el);

  const regions = RegionsPlugin.create();
  const veils = trimVeils(regions);
  const url = URL.createObjectURL(blob);
  const player = el.querySelector(".player");
  const sample = { id, blob, name, el, ws: null, region: null, duration: null, url };
  // What the trim cuts away is veiled, so it does not look like part of the sample.
  sample.showVeils = () => sample.region && veils.update(sample.region.start, sample.region.end, sample.duration);
  samples.push(sample);

  sample.ws = mountPlayer(player, {
    url,
    plugins: [regions],
    // Play plays the kept part only: what the studio will use.
    onPlay: () => (sample.region ? sample.region.play(true) : sample.ws.play()),
    onReady: (ws, duration) => {
      sample.duration = duration;
      el.dataset.duration = duration.toFixed(3);
      const start = clamp(preset.trimStart ?? 0, 0, duration);
      const end = clamp(preset.trimEnd ?? duration, start, duration);
      sample.region = regions.addRegion({ start, end, color: KEPT_COLOR, drag: true, resize: true, minLength: config.minTrimSeconds });
      sample.region.on("update", () => {
        showTrim(sample);
        sample.showVeils();
      });
      sample.region.on("update-end", () => sampleChanged(sample));
      sampleChanged(sample);
    },
  });
  sample.ws.on("error", () => {
    player.querySelector("[data-status]").textContent = "The browser cannot draw this file; it is still sent and the studio checks it.";
    clearSampleError(sample);
    updateTotal();
  });
  el.querySelector("[data-remove]").addEventListener("click", () => removeSample(sample));
  el.querySelector("[data-reset-trim]").addEventListener("click", () => {
    if (!sample.region || !sample.duration) return;
    sample.region.setOptions({ start: 0, end: sample.duration });
    sampleChanged(sample);
  });
  for (const button of el.querySelectorAll("[data-nudge]")) {
    button.addEventListener("click", () => {
      if (!sample.region) return;
      const [side, delta] = button.dataset.nudge.split(":");
      const { start, end } = sample.region;
      const shortest = config.minTrimSeconds;
      if (side === "start") sample.region.setOptions({ start: clamp(start + Number(delta), 0, end - shortest) });
      else sample.region.setOptions({ end: clamp(end + Number(delta), start + shortest, sample.duration) });
      sampleChanged(sample);
    });
  }
  updateList();
  return sample;
}

function clamp(value, low, high) {
  return Math.min(Math.max(value, low), high);
}

function isTrimmed(sample) {
  return !!sample.region && (sample.region.start > 0.01 || sample.region.end < sample.duration - 0.01);
}

function position(seconds) {
  return seconds < 60 ? seconds.toFixed(1) : formatClock(seconds);
}

function showTrim(sample) {
  const trim = sample.el.querySelector("[data-trim]");
  if (!sample.region) {
    trim.textContent = "";
    return;
  }
  const { start, end } = sample.region;
  trim.textContent = isTrimmed(sample)
    ? `Keeping ${position(start)}–${position(end)} s (${(end - start).toFixed(1)} s of ${sample.duration.toFixed(1)} s)`
    : `${sample.duration.toFixed(1)} s`;
  sample.el.dataset.trimStart = start.toFixed(3);
  sample.el.dataset.trimEnd = end.toFixed(3);
}

function sampleChanged(sample) {
  showTrim(sample);
  sample.showVeils();
  clearSampleError(sample);
  updateTotal();
}

function removeSample(sample) {
  const index = samples.indexOf(sample);
  samples.splice(index, 1);
  sample.ws.destroy();
  URL.revokeObjectURL(sample.url);
  sample.el.remove();
  updateList();
  // Keep keyboard users in place: focus the next sample's remove button, or the file picker.
  const next = samples[index] || samples[index - 1];
  (next ? next.el.querySelector("[data-remove]") : $("file-input")).focus();
}

function updateList() {
  if (previewId) forgetPreview();
  $("samples-empty").hidden = samples.length > 0;
  $("samples-count").textContent = `${samples.length} of ${config.maxSamples}`;
  updateTotal();
}

function selectedTier() {
  return form.elements.tier.value;
}

function updateTotal() {
  const tier = selectedTier();
  const { min, max } = config.tiers[tier];
  const total = samples.reduce((sum, s) => sum + (s.region ? s.region.end - s.region.start : 0), 0);
  const unknown = samples.filter((s) => s.duration === null && s.el.querySelector(".player.is-error")).length;
  const loading = samples.some((s) => s.duration === null && !s.el.querySelector(".player.is-error"));
  $("total-seconds").textContent = formatSeconds(total);
  $("total-fill").style.width = `${Math.min(total / min, 1) * 100}%`;
  const enough = total >= min;
  $("total").classList.toggle("is-enough", enough);
  let hint;
  if (loading) hint = "Measuring the audio…";
  else if (total > max) hint = `That is more than the ${tier} tier accepts (${formatSeconds(max)}). Choose a higher tier under More options, or remove audio.`;
  else if (enough) hint = `Enough for the ${tier} tier (at least ${formatSeconds(min)} of speech).`;
  else if (unknown) hint = `The browser cannot measure ${unknown === 1 ? "one file" : `${unknown} files`}; the studio measures ${unknown === 1 ? "it" : "them"} when you clone.`;
  else if (!samples.length) hint = `Record or add at least ${formatSeconds(min)} of speech for the ${tier} tier.`;
  else hint = `Add about ${formatSeconds(min - total)} more: the ${tier} tier needs at least ${formatSeconds(min)} of speech.`;
  $("total-hint").textContent = hint;
  // Clone waits for enough audio; files the browser cannot read go to the studio, which measures them.
  const button = $("submit-button");
  if (!submitting) button.disabled = loading || total > max || (!enough && !unknown);
}

// --- Recording ---------------------------------------------------------------------------------------

let recorder = null;

function startRecorder() {
  recorder = setupRecorder(
    {
      wave: $("record-wave"),
      idle: $("record-idle"),
      button: $("record-button"),
      timer: $("record-timer"),
      levelFill: $("level-fill"),
      levelMeter: $("level-meter"),
      error: $("record-error"),
    },
    {
      canStart: () => {
        if (samples.length < config.maxSamples) return true;
        showSamplesError(`You can add at most ${config.maxSamples} samples. Remove one first.`);
        return false;
      },
      onRecorded: (blob) => {
        recordings += 1;
        const sample = addSample(blob, `Recording ${recordings}.${extensionFor(blob.type)}`, "Recorded");
        if (sample) sample.el.querySelector("[data-play]").focus();
      },
    },
  );
}

// --- Uploads -------------------------------------------------------------------------------------------

function setupUploads() {
  const input = $("file-input");
  const zone = $("dropzone");
  input.addEventListener("change", () => {
    addFiles(input.files);
    input.value = ""; // choosing the same file again still adds it
  });
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add("is-dragover");
    });
  }
  for (const type of ["dragleave", "drop"]) {
    zone.addEventListener(type, () => zone.classList.remove("is-dragover"));
  }
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    addFiles(event.dataTransfer.files);
  });
}

function addFiles(files) {
  for (const file of files) {
    if (file.type && !file.type.startsWith("audio/") && !file.type.startsWith("video/webm")) {
      showSamplesError(`${file.name} is not an audio file.`);
      continue;
    }
    addSample(file, file.name, "Uploaded");
  }
}

// --- Errors ------------------------------------------------------------------------------------------

function showSamplesError(message) {
  const box = $("samples-error");
  box.textContent = message;
  box.hidden = false;
  return box;
}

function clearSamplesError() {
  $("samples-error").hidden = true;
}

function clearSampleError(sample) {
  sample.el.classList.remove("sample--invalid");
  sample.el.querySelector("[data-error]").hidden = true;
}

function clearErrors() {
  $("form-error").hidden = true;
  clearSamplesError();
  for (const field of form.querySelectorAll(".field--invalid")) {
    field.classList.remove("field--invalid");
    field.querySelector(".field__error").hidden = true;
    field.querySelector("[aria-invalid]")?.removeAttribute("aria-invalid");
  }
  samples.forEach(clearSampleError);
}

/** Put the server's message next to what caused it: a field, one sample, or the samples as a whole. */
function showError(error) {
  const field = (error.field || "").split(".")[0];
  const sampleMatch = field.match(/^samples\[(\d+)\]$/);
  let target;
  if (sampleMatch && samples[Number(sampleMatch[1])]) {
    const sample = samples[Number(sampleMatch[1])];
    sample.el.classList.add("sample--invalid");
    target = sample.el.querySelector("[data-error]");
    target.textContent = error.message;
    target.hidden = false;
  } else if (form.querySelector(`.field[data-field="${field}"]`)) {
    const box = form.querySelector(`.field[data-field="${field}"]`);
    box.classList.add("field--invalid");
    box.querySelector("input, select, textarea")?.setAttribute("aria-invalid", "true");
    target = box.querySelector(".field__error");
    target.textContent = error.message;
    target.hidden = false;
  } else if (SAMPLE_FIELDS.has(field) || ["too_short", "too_long", "invalid_audio"].includes(error.code)) {
    target = showSamplesError(error.message);
  } else {
    target = $("form-error");
    target.textContent = error.message;
    target.hidden = false;
  }
  const folded = target.closest("details");
  if (folded) folded.open = true; // an error under "More options" must be seen
  target.tabIndex = -1;
  target.scrollIntoView({ block: "center", behavior: "smooth" });
  target.focus({ preventScroll: true });
}

// --- Submit --------------------------------------------------------------------------------------------

function buildBody() {
  const body = new FormData();
  const data = new FormData(form);
  for (const key of ["name", "language", "description", "visibility", "tier"]) body.append(key, data.get(key) || "");
  for (const key of ["normalize_volume", "remove_noise", "enhance_quality"]) {
    body.append(key, form.elements[key].checked ? "true" : "false");
  }
  const trimmed = samples.some(isTrimmed);
  for (const sample of samples) {
    body.append("files", sample.blob, sample.name);
    body.append("emotions", sample.el.querySelector("[data-emotion]").value);
    body.append("transcripts", sample.el.querySelector("[data-transcript]").value);
    if (trimmed) {
      // The trim lists are positional, so every sample gets one; an untrimmed sample keeps all of it.
      // 86400 (a day) stands for "to the end" where the browser could not measure the file.
      body.append("trim_starts", sample.region ? sample.region.start.toFixed(3) : "0");
      body.append("trim_ends", sample.region ? sample.region.end.toFixed(3) : "86400");
    }
  }
  return body;
}

/** POST with XMLHttpRequest for its upload progress; resolves to the JSON body or rejects with StudioError. */
function post(url, body, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "blob";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.upload.addEventListener("load", () => onProgress(1));
    xhr.addEventListener("load", async () => {
      const response = new Response(xhr.response, { status: xhr.status });
      if (xhr.status >= 200 && xhr.status < 300) resolve(await response.json());
      else reject(await errorFrom(response));
    });
    xhr.addEventListener("error", () =>
      reject({ message: "The studio could not be reached. Check the connection and try again.", field: null }),
    );
    xhr.send(body);
  });
}

// --- Preview first: hear the voice before keeping it (POST /v1/voices/preview, then clone with preview_id)

let previewId = null;

function forgetPreview() {
  previewId = null;
  $("preview-audio").hidden = true;
  $("preview-status").textContent = "";
}

function previewBody() {
  const body = buildBody();
  for (const key of ["name", "description", "visibility"]) body.delete(key); // given when the voice is kept
  body.append("text", $("preview-text").value);
  body.append("stability", $("preview-stability").value);
  return body;
}

async function preview() {
  clearErrors();
  if (!samples.length) {
    showError({ field: "file", message: "Add at least one sample: record one, or choose audio files." });
    return;
  }
  const button = $("preview-button");
  const status = $("preview-status");
  button.disabled = true;
  status.textContent = "Making the preview… (about as long as a clone)";
  try {
    const made = await post(config.previewUrl || "/v1/voices/preview", previewBody(), () => {});
    if (made.status !== "AVAILABLE") throw { message: made.error || "The preview is still being made; try again.", field: null };
    previewId = made.preview_id;
    const audio = $("preview-audio");
    audio.src = made.audio_url;
    audio.hidden = false;
    const score = made.similarity_score === null ? "" : ` Likeness ${Math.round(made.similarity_score * 100)} %.`;
    status.textContent = `Listen, then press “Clone voice” to keep it.${score}`;
  } catch (error) {
    status.textContent = "";
    showError(error);
  } finally {
    button.disabled = false;
  }
}

function keepPreviewBody() {
  const data = new FormData(form);
  const body = new FormData();
  body.append("preview_id", previewId);
  for (const key of ["name", "description", "visibility"]) body.append(key, data.get(key) || "");
  return body;
}

async function submit(event) {
  event.preventDefault();
  clearErrors();
  if (recorder && recorder.isRecording()) {
    showSamplesError("Stop the recording first.");
    return;
  }
  if (!form.elements.namedItem("name").value.trim()) {
    showError({ field: "name", message: "Give the voice a name." });
    return;
  }
  if (!samples.length) {
    showError({ field: "file", message: "Add at least one sample: record one, or choose audio files." });
    return;
  }
  const button = $("submit-button");
  const status = $("submit-status");
  submitting = true;
  button.disabled = true;
  button.textContent = "Uploading…";
  try {
    const voice = await post(config.cloneUrl, previewId ? keepPreviewBody() : buildBody(), (fraction) => {
      button.textContent = fraction < 1 ? `Uploading… ${Math.round(fraction * 100)}%` : "Checking the audio…";
    });
    status.textContent = "Cloning started.";
    if (config.retry) {
      // The fixed voice replaces the failed attempt.
      await requestJSON(config.retry.deleteUrl, { method: "DELETE" }).catch(() => {});
    }
    window.location.assign(`/voices/${encodeURIComponent(voice.id)}`);
  } catch (error) {
    submitting = false;
    button.textContent = "Clone voice";
    status.textContent = "";
    updateTotal();
    showError(error);
  }
}

// --- Fixing a failed voice: load its stored samples back into the editor ------------------------------

async function loadRetrySamples() {
  if (!config.retry) return;
  for (const stored of config.retry.samples) {
    try {
      const response = await fetch(stored.url, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const blob = await response.blob();
      addSample(blob, stored.name, "Earlier sample", stored);
    } catch {
      showSamplesError(`${stored.name} could not be loaded again; add it once more.`);
    }
  }
}

// --- Clones already running: followed live (coming Back or reloading during a clone lands here) -------

function followRunningClones() {
  for (const card of document.querySelectorAll("[data-clone-running]")) {
    const snapshot = document.getElementById(card.dataset.jobId);
    const job = snapshot ? JSON.parse(snapshot.textContent) : { id: card.dataset.jobId };
    followJob(card, job).then((final) => {
      const state = card.querySelector("[data-live-state]");
      state.textContent = final.status === "SUCCEEDED" ? "Done" : "Stopped";
      const link = document.createElement("a");
      link.href = card.dataset.voiceUrl;
      link.className = "button button--primary button--small";
      link.textContent = final.status === "SUCCEEDED" ? "Record its consent" : "See what went wrong";
      card.querySelector(".panel__head").append(link);
    });
  }
}

// A page restored from the back/forward cache would show the state it was left in ("Uploading…"):
// load it afresh instead, with the clones that are running now.
window.addEventListener("pageshow", (event) => {
  if (event.persisted) window.location.reload();
});

followRunningClones();
startRecorder();
setupUploads();
form.elements.tier.addEventListener("change", updateTotal);
form.addEventListener("submit", submit);
$("preview-button").addEventListener("click", preview);
$("preview-stability").addEventListener("input", (event) => {
  $("preview-stability-value").textContent = event.target.value;
  forgetPreview();
});
$("preview-text").addEventListener("input", forgetPreview);
form.addEventListener("change", forgetPreview); // other samples or settings: the preview no longer fits
updateList();
loadRetrySamples();
