// The time a job has left, as a person reads it: "about a minute" until the job's own pace is known,
// then a countdown that never goes up (a new, later estimate does not push it back), and past the
// countdown an honest "taking longer than expected". No DOM: tests import it directly.

// The pace counts once this much of the job is done: the first steps of a clone (decode, detect
// speech, clean up) are much faster than the model steps, so an earlier estimate is far too short.
const KNOWN_AFTER_PERCENT = 40;
const KNOWN_AFTER_SECONDS = 20;
const KNOWN_AFTER_SECONDS_PERCENT = 20;
const ALMOST_DONE_GRACE = 10; // seconds past the countdown still called "almost done"

/** "about 2 min left", "about a minute left", "about 30 s left", "a few seconds left". */
export function remainingText(seconds) {
  if (seconds > 90) return `about ${Math.round(seconds / 60)} min left`;
  if (seconds > 50) return "about a minute left";
  if (seconds > 10) return `about ${Math.ceil(seconds / 10) * 10} s left`;
  return "a few seconds left";
}

export class EtaEstimate {
  /** `initial`: what to say before the pace is known ("" says nothing). `clock()`: seconds. */
  constructor({ initial = "about a minute", clock = () => performance.now() / 1000 } = {}) {
    this.initial = initial;
    this.clock = clock;
    this.anchor = null; // {at, percent}: the first running update this page saw
    this.deadline = null; // when the job should be done, in clock() seconds; only ever moves earlier
    this.status = "QUEUED";
  }

  /** Take a job update ({status, percent, eta_seconds}); returns the text to show now. */
  update(job, at = this.clock()) {
    this.status = job.status;
    if (job.status !== "RUNNING") return this.text(at);
    const percent = Number(job.percent) || 0;
    if (!this.anchor) this.anchor = { at, percent };
    const estimate = this.estimate(percent, job.eta_seconds, at);
    if (estimate !== null) {
      const deadline = at + estimate;
      this.deadline = this.deadline === null ? deadline : Math.min(this.deadline, deadline);
    }
    return this.text(at);
  }

  /** Seconds left by this page's own measurement, or the server's after a reload; null: not yet known. */
  estimate(percent, serverEta, at) {
    if (percent >= 100) return 0;
    const elapsed = at - this.anchor.at;
    const done = percent - this.anchor.percent;
    const enough = percent >= KNOWN_AFTER_PERCENT || (elapsed >= KNOWN_AFTER_SECONDS && percent >= KNOWN_AFTER_SECONDS_PERCENT);
    if (!enough) return null;
    const own = done > 0 && elapsed >= 3 ? ((100 - percent) * elapsed) / done : null;
    const server = Number.isFinite(serverEta) && serverEta !== null ? serverEta : null;
    if (own === null) return server;
    // The more cautious of the two: a countdown that has to be shortened later reads better than
    // one that runs out early.
    return server === null ? own : Math.max(own, server);
  }

  /** The text for `at` (call it every second for a live countdown). */
  text(at = this.clock()) {
    if (this.status === "QUEUED") return "waiting to start";
    if (this.status === "SUCCEEDED" || this.status === "FAILED") return "";
    if (this.deadline === null) return this.initial ? `${this.initial} left` : "";
    const left = this.deadline - at;
    if (left > 0) return remainingText(left);
    return -left <= ALMOST_DONE_GRACE ? "almost done" : "taking longer than expected";
  }
}
