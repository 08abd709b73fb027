// Following a background job on a page: the one place that knows how. The websocket ws/jobs/<id>/
// sends a snapshot of the job, then progress events, then "final". A socket that closes early (a
// deploy restarts the server, a proxy drops idle connections, the laptop sleeps) is reopened with
// exponential backoff, and the new socket's snapshot brings the page up to date; between attempts the
// page polls GET /v1/jobs/<id> once per attempt, so it never goes stale. A progress card
// (templates/includes/job_progress.html) shows the percent, the step in words, an honest time left
// (eta.js) and the list of steps.
import { EtaEstimate } from "./eta.js";
import { requestJSON } from "./http.js";

const FINAL = new Set(["SUCCEEDED", "FAILED"]);
const RECONNECT_FIRST_MS = 1000;
const RECONNECT_MAX_MS = 30000;
// A socket that stayed open this long was healthy: the next drop starts the backoff from the beginning.
const RECONNECT_RESET_AFTER_MS = 10000;
// Close codes that reconnecting cannot fix (jobs/consumers.py): polling alone takes over.
const CLOSE_FOR_GOOD = new Set([4401, 4404]);
const POLL_MS = 1500;
// Steps every kind of job may report besides its own (the card names its own in data-step-labels).
const COMMON_STEPS = { "": "starting", done: "done", "requeued after a restart": "restarting after an interruption" };

/** The wait before reconnect attempt `attempt` (0, 1, 2...): doubling from 1 s up to 30 s, with jitter
 * so that hundreds of pages dropped by one restart do not all come back in the same instant. */
export function reconnectDelay(attempt, random = Math.random) {
  const base = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** attempt);
  return Math.round(base * (0.5 + random() / 2));
}

/**
 * Follow a job until it is final. `onUpdate(job, event)` runs for the snapshot and every event;
 * `onState(text)` says how the page is connected. Returns {stop()}.
 */
export function watchJob(jobId, onUpdate, onState = () => {}) {
  let finished = false;
  let socket = null;
  let timer = null;
  let attempt = 0;
  let openedAt = 0;
  const path = `/ws/jobs/${encodeURIComponent(jobId)}/`;

  const handle = (job, event) => {
    if (finished) return;
    onUpdate(job, event);
    if (FINAL.has(job.status)) stop();
  };
  const stop = () => {
    finished = true;
    clearTimeout(timer);
    window.removeEventListener("online", reconnectNow);
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close();
  };
  const pollOnce = async () => {
    try {
      handle(await requestJSON(`/v1/jobs/${encodeURIComponent(jobId)}`), "poll");
      return true;
    } catch {
      return false;
    }
  };
  const pollForever = async () => {
    if (finished) return;
    onState((await pollOnce()) ? "Checking every few seconds" : "Reconnecting…");
    if (!finished) timer = setTimeout(pollForever, POLL_MS);
  };
  const scheduleReconnect = async () => {
    if (finished) return;
    if (openedAt && Date.now() - openedAt > RECONNECT_RESET_AFTER_MS) attempt = 0;
    openedAt = 0;
    const delay = reconnectDelay(attempt++);
    onState(`Reconnecting in ${Math.ceil(delay / 1000)} s…`);
    await pollOnce(); // the state meanwhile (and maybe the final one: then nothing reconnects)
    if (!finished) timer = setTimeout(open, delay);
  };
  function reconnectNow() {
    if (finished || (socket && socket.readyState <= WebSocket.OPEN)) return;
    clearTimeout(timer);
    open();
  }
  function open() {
    if (finished) return;
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    try {
      socket = new WebSocket(`${scheme}://${window.location.host}${path}`);
    } catch {
      pollForever(); // no websockets here at all
      return;
    }
    const current = socket;
    current.addEventListener("open", () => {
      openedAt = Date.now();
      onState("Live");
    });
    current.addEventListener("message", (message) => {
      const data = JSON.parse(message.data);
      if (data.job) handle(data.job, data.event); // the snapshot first: the page resumes from it
    });
    current.addEventListener("close", (event) => {
      if (finished || current !== socket) return;
      if (CLOSE_FOR_GOOD.has(event.code)) pollForever();
      else scheduleReconnect();
    });
  }

  window.addEventListener("online", reconnectNow);
  open();
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
