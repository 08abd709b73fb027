// The speech page: generate one text (the page's form → a job followed over the websocket) or a batch
// (POST /v1/speech/batch), then play and download the result; the recent generations refresh below.
import { followJob } from "./follow-job.js";
import { plainMessage, requestJSON } from "./http.js";
import { mountPlayer, mountPlayers, unmountPlayer } from "./player.js";

const form = document.getElementById("speech-form");
const $ = (id) => document.getElementById(id);
const progressCard = $("speech-progress");
// The limits the server enforces (text length, batch size, slider ranges), as the server gives them.
const config = JSON.parse($("speech-config").textContent);
let busy = false;

// --- Controls ----------------------------------------------------------------------------------------

function setupControls() {
  const text = $("id_text");
  const counter = $("text-counter");
  const max = config.maxChars;
  const count = () => {
    counter.querySelector("[data-count]").textContent = String(text.value.length);
    counter.classList.toggle("counter--over", text.value.length >= max);
  };
  text.addEventListener("input", count);
  count();

  const speed = $("id_speed");
  const pitch = $("id_pitch");
  const showSpeed = () => {
    $("speed-value").textContent = `${Number(speed.value).toFixed(2).replace(/0$/, "")}×`;
    speed.setAttribute("aria-valuetext", `${speed.value} times`);
  };
  const showPitch = () => {
    const value = Number(pitch.value);
    $("pitch-value").textContent = `${value > 0 ? "+" : ""}${value} st`;
    pitch.setAttribute("aria-valuetext", `${value > 0 ? "plus " : value < 0 ? "minus " : ""}${Math.abs(value)} semitones`);
  };
  speed.addEventListener("input", showSpeed);
  pitch.addEventListener("input", showPitch);
  showSpeed();
  showPitch();
  for (const name of ["stability", "similarity_boost"]) {
    const input = $(`id_${name}`);
    const show = () => {
      const percent = `${Math.round(Number(input.value) * 100)} %`;
      $(`${name}-value`).textContent = percent;
      input.setAttribute("aria-valuetext", percent);
    };
    input.addEventListener("input", show);
    show();
  }

  const batch = $("batch-text");
  const lines = () => {
    const count = batchLines().length;
    const shown = document.querySelector("[data-batch-count]");
    shown.textContent = String(count);
    shown.classList.toggle("counter--over", count > config.maxBatch);
  };
  batch.addEventListener("input", lines);
  lines();
}

function batchLines() {
  return $("batch-text")
    .value.split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

/** Tabs: click, or arrow keys between them (the ARIA tabs pattern). */
function setupTabs() {
  const tabs = [...form.querySelectorAll('[role="tab"]')];
  const select = (tab) => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      $(other.getAttribute("aria-controls")).hidden = !selected;
    }
  };
  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = tabs[(index + step + tabs.length) % tabs.length];
      select(next);
      next.focus();
      event.preventDefault();
    });
  });
}

// --- Errors ------------------------------------------------------------------------------------------

function clearErrors() {
  $("speech-form-error").hidden = true;
  for (const box of form.querySelectorAll(".field--invalid")) box.classList.remove("field--invalid");
  for (const error of form.querySelectorAll(".field__error")) error.hidden = true;
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
}

const API_FIELDS = { voice_id: "voice" };

function showFieldError(field, message) {
  const name = API_FIELDS[field] || field;
  const box = name && form.querySelector(`.field[data-field="${name}"]`);
  let target;
  if (box) {
    box.classList.add("field--invalid");
    box.querySelector("input, select, textarea")?.setAttribute("aria-invalid", "true");
    target = box.querySelector(".field__error");
  } else {
    target = $("speech-form-error");
  }
  target.textContent = message;
  target.hidden = false;
  return target;
}

function showError(error) {
  let first = null;
  if (error.fieldErrors) {
    for (const [field, messages] of Object.entries(error.fieldErrors)) {
      const target = showFieldError(field === "__all__" ? "" : field, messages.map((m) => m.message).join(" "));
      first = first || target;
    }
  } else {
    first = showFieldError(error.field || "", error.message);
  }
  if (first) {
    first.tabIndex = -1;
    first.focus({ preventScroll: true });
    first.scrollIntoView({ block: "center", behavior: "smooth" });
  }
}

// --- Generate ----------------------------------------------------------------------------------------

/** Show the progress card and follow the job in it; resolves with the final job. */
function follow(title, job) {
  progressCard.querySelector("h2").textContent = title;
  progressCard.hidden = false;
  progressCard.scrollIntoView({ block: "nearest", behavior: "smooth" });
  return followJob(progressCard, job);
}

function setBusy(on) {
  busy = on;
  for (const button of [$("generate-button"), $("batch-button")]) {
    button.disabled = on;
    button.setAttribute("aria-busy", String(on));
  }
}

async function generate(event) {
  event.preventDefault();
  if (busy) return;
  clearErrors();
  if (!$("id_text").value.trim()) {
    showFieldError("text", "Type the text to speak.");
    $("id_text").focus();
    return;
  }
  setBusy(true);
  $("speech-result").hidden = true;
  $("batch-result").hidden = true;
  try {
    const { job } = await requestJSON(form.action, { method: "POST", body: new FormData(form) });
    const final = await follow("Generating speech…", job);
    if (final.status === "FAILED") throw { message: `Generation failed: ${plainMessage(final.error)}` };
    await showResult(final.result.speech_id);
    refreshRecent();
  } catch (error) {
    showError(error);
  } finally {
    progressCard.hidden = true;
    setBusy(false);
  }
}

async function showResult(speechId) {
  const speech = await requestJSON(`/v1/speech/${encodeURIComponent(speechId)}`);
  const section = $("speech-result");
  const player = $("result-player");
  unmountPlayer(player);
  player.dataset.src = speech.audio_url;
  player.dataset.speechId = speech.id;
  const similarity = ` · similarity ${Math.round(speech.similarity_boost * 100)} %`;
  section.querySelector("[data-result-meta]").textContent =
    `${speech.duration.toFixed(1)} s · ${speech.emotion} · speed ${speech.speed}× · pitch ${speech.pitch > 0 ? "+" : ""}${speech.pitch} st${similarity} · ${speech.sample_rate / 1000} kHz`;
  const download = $("download-link");
  download.href = `${speech.audio_url}?download=1`;
  download.querySelector("[data-format]").textContent = speech.format.toUpperCase();
  section.hidden = false;
  mountPlayer(player);
  player.querySelector("[data-play]").focus({ preventScroll: true });
}

async function refreshRecent() {
  try {
    const response = await fetch(form.dataset.historyUrl, { credentials: "same-origin" });
    if (!response.ok) return;
    const recent = $("recent");
    recent.innerHTML = await response.text();
    mountPlayers(recent);
  } catch {
    // The list is a convenience; the history page has everything.
  }
}

// --- Batch -------------------------------------------------------------------------------------------

async function generateBatch() {
  if (busy) return;
  clearErrors();
  const lines = batchLines();
  if (!lines.length || lines.length > config.maxBatch) {
    showFieldError("texts", lines.length ? `That is ${lines.length} lines; a batch takes at most ${config.maxBatch}.` : "Paste at least one line of text.");
    $("batch-text").focus();
    return;
  }
  const data = new FormData(form);
  const body = {
    voice_id: data.get("voice"),
    texts: lines.map((text) => ({ text })),
    emotion: data.get("emotion"),
    speed: Number(data.get("speed")),
    pitch: Number(data.get("pitch")),
    stability: Number(data.get("stability")),
    similarity_boost: Number(data.get("similarity_boost")),
    output_format: data.get("output_format"),
    sample_rate: Number(data.get("sample_rate")),
  };
  setBusy(true);
  $("batch-result").hidden = true;
  $("speech-result").hidden = true;
  try {
    const batch = await requestJSON("/v1/speech/batch", { method: "POST", json: body });
    const final = await follow(`Generating ${lines.length} file${lines.length === 1 ? "" : "s"}…`, { id: batch.batch_id });
    if (final.status === "FAILED") throw { message: `The batch failed: ${plainMessage(final.error)}` };
    showBatch(await requestJSON(`/v1/speech/batch/${encodeURIComponent(batch.batch_id)}`));
    refreshRecent();
  } catch (error) {
    // Batch item errors name the line ("texts[2].text"): show them under the batch box.
    if (error.field && error.field.startsWith("texts")) error = { ...error, field: "texts", message: error.message };
    showError(error);
  } finally {
    progressCard.hidden = true;
    setBusy(false);
  }
}

function showBatch(batch) {
  const list = $("batch-files");
  list.replaceChildren();
  for (const file of batch.files) {
    const item = document.createElement("li");
    const name = document.createElement("strong");
    name.textContent = `${file.filename}.${file.format}`;
    const text = document.createElement("span");
    text.className = "batch-files__text";
    text.textContent = file.text;
    const seconds = document.createElement("span");
    seconds.className = "muted small";
    seconds.textContent = `${file.duration.toFixed(1)} s`;
    const download = document.createElement("a");
    download.className = "button button--secondary button--small";
    download.href = `${file.audio_url}?download=1`;
    download.setAttribute("download", "");
    download.textContent = "Download";
    download.setAttribute("aria-label", `Download ${file.filename}.${file.format}`);
    item.append(name, text, seconds, download);
    list.append(item);
  }
  const section = $("batch-result");
  section.querySelector("[data-batch-id]").textContent = `${batch.files.length} files · batch ${batch.batch_id}`;
  section.hidden = false;
  section.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

setupControls();
setupTabs();
form.addEventListener("submit", generate);
$("batch-button").addEventListener("click", generateBatch);
