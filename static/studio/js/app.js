// Loaded on every page: confirmation dialogs, self-submitting filters, waveform players.
import { mountPlayers } from "./player.js";

/** Forms with data-confirm="…" ask first, in the page's <dialog>. */
function setupConfirmations() {
  const dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm || form.dataset.confirmed) return;
    event.preventDefault();
    dialog.querySelector(".confirm-dialog__title").textContent = form.dataset.confirmTitle || "Are you sure?";
    dialog.querySelector(".confirm-dialog__text").textContent = form.dataset.confirm;
    dialog.querySelector('button[value="confirm"]').textContent = form.dataset.confirmButton || "Delete";
    dialog.returnValue = "";
    dialog.showModal();
    dialog.addEventListener(
      "close",
      () => {
        if (dialog.returnValue === "confirm") {
          form.dataset.confirmed = "true";
          form.requestSubmit();
        }
      },
      { once: true },
    );
  });
}

/** Filter forms (data-autosubmit) apply as soon as a choice changes; the search applies on Enter. */
function setupAutosubmit() {
  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    form.addEventListener("change", (event) => {
      if (event.target.matches("select")) form.requestSubmit();
    });
  }
}

/** Buttons with data-copy="<element id>" copy that element's text (the new API key). */
function setupCopyButtons() {
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", async () => {
      const status = document.querySelector("[data-copy-status]");
      try {
        await navigator.clipboard.writeText(document.getElementById(button.dataset.copy).textContent);
        status.textContent = "Copied to the clipboard.";
      } catch {
        status.textContent = "Select the key and copy it: the browser did not allow clipboard access.";
      }
    });
  }
}

setupConfirmations();
setupCopyButtons();
setupAutosubmit();
mountPlayers(document);
