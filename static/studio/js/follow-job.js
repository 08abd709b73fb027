// Following a background job on a page: the one place that knows how. The websocket ws/jobs/<id>/
// sends a snapshot of the job, then progress events, then "final"; when the socket cannot be used the
// page polls GET /v1/jobs/<id> instead. A progress card (templates/includes/job_progress.html) shows
// the percent, the step in words, an honest time left (eta.js) and the list of steps.
import { EtaEstimate } from "./eta.js";
import { requestJSON } from "./http.js";

const FINAL = new Set(["SUCCEEDED", "FAILED"]);
const POLL_MS = 1500;
// Steps every kind of job may report besides its own (the card names its own in data-step-labels).
const COMMON_STEPS = { "": "starting", done: "done", "requeued after a restart": "restarting after an interruption" };

/**
 * Follow a job until it is final. `onUpdate(job, event)` runs for the snapshot and every event;
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

/** Renders a job into a progress card: bar, percent, the step in words, time left, the list of steps. */
export class ProgressView {
  constructor(root) {
    this.root = root;
    this.bar = root.querySelector('[role="progressbar"]');
    this.fill = root.querySelector(".progress-bar__fill");
    this.percentText = root.querySelector("[data-percent-text]");
    this.stepText = root.querySelector("[data-step-text]");
    this.etaText = root.querySelector("[data-eta-text]");
    this.steps = [...root.querySelectorAll(".steps [data-step]")];
    const card = root.querySelector("[data-step-labels]") || root;
    this.labels = { ...COMMON_STEPS, ...JSON.parse(card.dataset.stepLabels || "{}") };
    for (const li of this.steps) this.labels[li.dataset.step] = li.textContent.trim();
    const initial = root.querySelector("[data-eta-initial]")?.dataset.etaInitial ?? "about a minute";
    this.eta = new EtaEstimate({ initial });
    this.ticker = null;
  }

  /** The step as a person reads it ("learning the voice"), never the raw name. */
  stepLabel(job) {
    if (job.status === "QUEUED") return "waiting for the worker";
    if (job.status === "SUCCEEDED") return "done";
    const label = this.labels[job.step || ""];
    return (label || job.step || "working").toLowerCase();
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
    if (this.stepText) this.stepText.textContent = this.stepLabel(job);
    if (this.etaText) {
      this.etaText.textContent = this.eta.update(job);
      this.tick(running);
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

  /** The countdown moves every second between events. */
  tick(running) {
    if (!running) {
      clearInterval(this.ticker);
      this.ticker = null;
      return;
    }
    if (this.ticker) return;
    this.ticker = setInterval(() => {
      this.etaText.textContent = this.eta.text();
    }, 1000);
  }
}

/**
 * Follow `job` (a job payload, or just {id}) in the progress card `root`: the card shows every update
 * and its [data-live-state] says how the page is connected. `onUpdate(job)` sees every update too.
 * Resolves with the final job (SUCCEEDED or FAILED).
 */
export function followJob(root, job, { onUpdate = () => {} } = {}) {
  const view = new ProgressView(root);
  const state = root.querySelector("[data-live-state]");
  if (job.status) view.update(job);
  return new Promise((resolve) => {
    watchJob(
      job.id,
      (update) => {
        view.update(update);
        onUpdate(update);
        if (FINAL.has(update.status)) resolve(update);
      },
      (text) => {
        if (state) state.textContent = text;
      },
    );
  });
}
