// Live job progress: the websocket ws/jobs/<id>/ (a snapshot first, then progress events, then "final"),
// with polling of GET /v1/jobs/<id> as the fallback when the socket cannot be used.
import { formatEta, requestJSON } from "./http.js";

const FINAL = new Set(["SUCCEEDED", "FAILED"]);
const POLL_MS = 1500;

/**
 * Follow a job until it is final. `onUpdate(job, event)` runs for the snapshot and every event.
 * `onState(text)` says how the page is connected. Returns {stop()}.
 */
export function watchJob(jobId, onUpdate, onState = () => {}) {
  let finished = false;
  let socket = null;
  let pollTimer = null;

  const handle = (job, event) => {
    if (finished) return;
    onUpdate(job, event);
    if (FINAL.has(job.status)) stop();
  };
  const stop = () => {
    finished = true;
    clearTimeout(pollTimer);
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close();
  };
  const poll = async () => {
    if (finished) return;
    try {
      handle(await requestJSON(`/v1/jobs/${encodeURIComponent(jobId)}`), "poll");
      onState("Checking every few seconds");
    } catch {
      onState("Reconnecting…");
    }
    if (!finished) pollTimer = setTimeout(poll, POLL_MS);
  };

  try {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${window.location.host}/ws/jobs/${encodeURIComponent(jobId)}/`);
    socket.addEventListener("open", () => onState("Live"));
    socket.addEventListener("message", (message) => {
      const data = JSON.parse(message.data);
      if (data.job) handle(data.job, data.event);
    });
    socket.addEventListener("close", () => {
      if (!finished) poll(); // the socket went away early: fall back to polling the row
    });
  } catch {
    poll();
  }
  return { stop };
}

/** Renders a job into a progress card: bar, percent, step name, ETA and the list of named steps. */
export class ProgressView {
  constructor(root) {
    this.root = root;
    this.bar = root.querySelector('[role="progressbar"]');
    this.fill = root.querySelector(".progress-bar__fill");
    this.percentText = root.querySelector("[data-percent-text]");
    this.stepText = root.querySelector("[data-step-text]");
    this.etaText = root.querySelector("[data-eta-text]");
    this.steps = [...root.querySelectorAll(".steps [data-step]")];
  }

  update(job) {
    const percent = Math.round(job.percent || 0);
    const running = job.status === "RUNNING";
    this.root.dataset.status = job.status;
    this.root.dataset.step = job.step || "";
    this.root.dataset.percent = String(job.percent || 0);
    this.fill.style.width = `${percent}%`;
    this.bar.setAttribute("aria-valuenow", String(percent));
    // No percent to show yet (queued, or a one-step job): an animated bar says "working".
    this.bar.classList.toggle("is-indeterminate", !FINAL.has(job.status) && percent === 0);
    if (this.percentText) this.percentText.textContent = `${percent}%`;
    if (this.stepText) {
      this.stepText.textContent =
        job.status === "QUEUED" ? "waiting for the worker" : job.status === "SUCCEEDED" ? "done" : job.step || "starting";
    }
    if (this.etaText) {
      this.etaText.textContent = running ? formatEta(job.eta_seconds) : job.status === "QUEUED" ? "queued" : "";
    }
    const current = this.steps.findIndex((li) => li.dataset.step === job.step);
    this.steps.forEach((li, index) => {
      const done = job.status === "SUCCEEDED" || (current >= 0 && index < current);
      li.classList.toggle("is-done", done);
      li.classList.toggle("is-current", running && index === current);
      li.classList.toggle("is-failed", job.status === "FAILED" && index === current);
      if (index === current && running) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    });
  }
}
