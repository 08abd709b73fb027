// The voice page: live cloning progress (reloads into the finished voice, at its consent step), sample
// trims shown as regions, and the consent step.
import RegionsPlugin from "../../vendor/wavesurfer/plugins/regions.esm.js";
import { setupConsentStep } from "./consent-step.js";
import { mountPlayer } from "./player.js";
import { ProgressView, watchJob } from "./progress.js";

// The voice's status as the job moves on (the badge was rendered when the page loaded).
const VOICE_STATUS = {
  QUEUED: ["PENDING", "pending", "Queued"],
  RUNNING: ["PROCESSING", "processing", "Cloning"],
  SUCCEEDED: ["AVAILABLE", "available", "Available"],
  FAILED: ["FAILED", "failed", "Failed"],
};

function showStatus(jobStatus) {
  const [status, modifier, label] = VOICE_STATUS[jobStatus] || VOICE_STATUS.QUEUED;
  const badge = document.querySelector('#voice [data-role="status-badge"]');
  if (badge) {
    badge.className = `badge badge--${modifier}`;
    badge.textContent = label;
  }
  // data-status stays what the server said until the page reloads into the finished voice.
  if (status === "FAILED") document.getElementById("voice").dataset.status = status;
}

function followCloning() {
  const card = document.getElementById("clone-progress");
  if (!card) return;
  const view = new ProgressView(card);
  const snapshot = document.getElementById("clone-job");
  if (snapshot) view.update(JSON.parse(snapshot.textContent));
  const state = card.querySelector("[data-live-state]");
  watchJob(
    card.dataset.jobId,
    (job) => {
      view.update(job);
      showStatus(job.status);
      if (job.status === "SUCCEEDED") {
        state.textContent = "Done — loading the voice…";
        // The finished voice opens at its consent step: the next thing the owner has to do.
        setTimeout(() => {
          window.location.hash = "consent-step";
          window.location.reload();
        }, 600);
      } else if (job.status === "FAILED") {
        state.textContent = "Stopped";
        const failed = document.getElementById("clone-failed");
        failed.querySelector("[data-error-text]").textContent = job.error || "The cloning job stopped with an error.";
        failed.hidden = false;
        failed.querySelector("a")?.focus();
      }
    },
    (text) => {
      state.textContent = text;
    },
  );
}

/** Samples stored with a trim show the kept part as a (fixed) region. */
function mountSamplePlayers() {
  for (const player of document.querySelectorAll(".sample-list .player[data-src]")) {
    const { trimStart, trimEnd } = player.dataset;
    if (trimStart === undefined && trimEnd === undefined) continue;
    const regions = RegionsPlugin.create();
    mountPlayer(player, {
      plugins: [regions],
      onReady: (ws, duration) => {
        regions.addRegion({
          start: Number(trimStart || 0),
          end: trimEnd === undefined ? duration : Number(trimEnd),
          color: "rgba(79, 70, 229, 0.14)",
          drag: false,
          resize: false,
        });
      },
    });
  }
}

// app.js mounts the other players lazily; mountPlayer() skips players mounted here first.
mountSamplePlayers();
followCloning();
setupConsentStep();
