// The voice page: live cloning progress (reloads into the finished voice, at its consent step), and
// the consent step. The sample players (trims shown, the cut parts veiled) load as they scroll into view.
import { setupConsentStep } from "./consent-step.js";
import { followJob } from "./follow-job.js";
import { plainMessage } from "./http.js";

async function followCloning() {
  const card = document.getElementById("clone-progress");
  if (!card) return;
  const snapshot = document.getElementById("clone-job");
  const job = snapshot ? JSON.parse(snapshot.textContent) : { id: card.dataset.jobId };
  const state = card.querySelector("[data-live-state]");
  const final = await followJob(card, job);
  if (final.status === "SUCCEEDED") {
    state.textContent = "Done — loading the voice…";
    // The finished voice opens at its consent step: the next thing the owner has to do.
    setTimeout(() => {
      window.location.hash = "consent-step";
      window.location.reload();
    }, 600);
    return;
  }
  state.textContent = "Stopped";
  document.getElementById("voice").dataset.status = "FAILED";
  const badge = document.querySelector('#voice [data-role="state-badge"]');
  if (badge) {
    badge.className = "badge badge--failed";
    badge.textContent = "Failed";
  }
  const failed = document.getElementById("clone-failed");
  failed.querySelector("[data-error-text]").textContent = plainMessage(final.error) || "The cloning stopped with an error.";
  failed.hidden = false;
  failed.querySelector("a")?.focus();
}

followCloning();
setupConsentStep();
