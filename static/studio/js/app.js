// Loaded on every page: the phone menu, confirmation dialogs, self-submitting filters, players.
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

/** On a phone the main links fold behind a Menu button (without JavaScript they simply wrap). */
function setupNavMenu() {
  const header = document.querySelector(".site-header");
  const toggle = header && header.querySelector(".nav-toggle");
  if (!toggle) return;
  toggle.hidden = false;
  header.classList.add("has-nav-toggle");
  const setOpen = (open) => {
    header.classList.toggle("is-open", open);
    toggle.setAttribute("aria-expanded", String(open));
  };
  toggle.addEventListener("click", () => setOpen(!header.classList.contains("is-open")));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && header.classList.contains("is-open")) {
      setOpen(false);
      toggle.focus();
    }
  });
}

setupNavMenu();
setupConfirmations();
setupCopyButtons();
setupAutosubmit();
mountPlayers(document);
