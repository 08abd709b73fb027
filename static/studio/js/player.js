// The one audio player (templates/includes/player.html): a play button, the waveform (click, drag or
// arrow keys to seek) and the time, on wavesurfer.js. The studio's pages, the new-voice editor, the
// consent clip and the admin's waveform widget all mount it here.
import WaveSurfer from "../../vendor/wavesurfer/wavesurfer.esm.js";
import { formatClock } from "./format.js";

const REGIONS_URL = "../../vendor/wavesurfer/plugins/regions.esm.js";
// The kept part of a sample is tinted; what the trim cuts away is veiled, so it reads as "not used".
export const KEPT_COLOR = "rgba(79, 70, 229, 0.14)";
export const CUT_COLOR = "rgba(255, 255, 255, 0.72)";

function colour(root, name, fallback) {
  const value = getComputedStyle(root).getPropertyValue(name).trim();
  return value || fallback;
}

/** wavesurfer options in the player's colours (read from the custom properties around `root`). */
export function waveOptions(root, extra = {}) {
  return {
    waveColor: colour(root, "--wave", "#a5b4fc"),
    progressColor: colour(root, "--wave-progress", "#4f46e5"),
    cursorColor: colour(root, "--wave-cursor", "#1e1b4b"),
    cursorWidth: 2,
    barWidth: 2,
    barGap: 1,
    barRadius: 2,
    normalize: true,
    dragToSeek: true,
    ...extra,
  };
}

/** "1.2 / 3.4 s" for short clips (whole seconds say little there), "0:42 / 2:10" for longer ones. */
export function playerTime(current, duration) {
  if (duration < 60) return `${current.toFixed(1)} / ${duration.toFixed(1)} s`;
  return `${formatClock(current)} / ${formatClock(duration)}`;
}

/**
 * Veils for the parts of a waveform a trim cuts away: two non-interactive regions before and after
 * [start, end]. Returns {update(start, end, duration)}.
 */
export function trimVeils(regions) {
  let before = null;
  let after = null;
  const veil = (start, end) =>
    regions.addRegion({ start, end, color: CUT_COLOR, drag: false, resize: false, id: `cut-${start}` });
  return {
    update(start, end, duration) {
      before?.remove();
      after?.remove();
      before = start > 0.01 ? veil(0, start) : null;
      after = end < duration - 0.01 ? veil(end, duration) : null;
      for (const region of [before, after]) {
        if (region && region.element) {
          region.element.style.pointerEvents = "none";
          region.element.dataset.cut = "true";
        }
      }
    },
  };
}

async function trimPlugin(root) {
  const { default: RegionsPlugin } = await import(REGIONS_URL);
  const regions = RegionsPlugin.create();
  const start = Number(root.dataset.trimStart || 0);
  const onReady = (ws, duration) => {
    const end = root.dataset.trimEnd === undefined ? duration : Math.min(Number(root.dataset.trimEnd), duration);
    regions.addRegion({ start, end, color: KEPT_COLOR, drag: false, resize: false });
    trimVeils(regions).update(start, end, duration);
  };
  return { regions, onReady };
}

/**
 * Turn a `.player` element into a player; returns the WaveSurfer instance (once per element).
 * Options: url (instead of data-src, e.g. a blob URL), plugins, onReady(ws, duration), onPlay(ws)
 * (what the play button does; default play/pause), autoplay.
 */
export function mountPlayer(root, { url, plugins = [], onReady, onPlay, autoplay = false } = {}) {
  if (root.wavesurfer) return root.wavesurfer;
  const wave = root.querySelector("[data-wave]");
  const button = root.querySelector("[data-play]");
  const time = root.querySelector("[data-time]");
  const status = root.querySelector("[data-status]");
  const small = root.classList.contains("player--small");
  const height = Number(root.dataset.height || (small ? 40 : 64));
  const ws = WaveSurfer.create(waveOptions(root, { container: wave, height, url: url || root.dataset.src, plugins }));
  root.wavesurfer = ws;
  root.dataset.mounted = "true";
  root.classList.remove("is-ready", "is-error", "is-playing");
  root.classList.add("is-loading");
  if (status) status.textContent = "Loading…";

  const label = root.dataset.label || "audio";
  let duration = 0;
  const showTime = (current) => {
    if (time) time.textContent = playerTime(current, duration);
    wave.setAttribute("aria-valuenow", current.toFixed(1));
    wave.setAttribute("aria-valuetext", `${formatClock(current)} of ${formatClock(duration)}`);
  };
  wave.tabIndex = 0;
  wave.setAttribute("role", "slider");
  wave.setAttribute("aria-label", `Position in ${label}`);
  wave.setAttribute("aria-valuemin", "0");
  if (!root.dataset.keysBound) {
    root.dataset.keysBound = "true";
    wave.addEventListener("keydown", (event) => {
      const current = root.wavesurfer;
      if (!current) return;
      const steps = { ArrowLeft: -2, ArrowRight: 2, PageDown: -10, PageUp: 10 };
      const length = current.getDuration() || 0;
      if (event.key in steps) current.setTime(Math.min(Math.max(current.getCurrentTime() + steps[event.key], 0), length));
      else if (event.key === "Home") current.setTime(0);
      else if (event.key === "End") current.setTime(length);
      else if (event.key === " " || event.key === "Enter") current.playPause();
      else return;
      event.preventDefault();
    });
  }

  ws.on("decode", (seconds) => {
    duration = seconds;
    root.dataset.duration = seconds.toFixed(3);
    root.classList.remove("is-loading");
    root.classList.add("is-ready");
    wave.setAttribute("aria-valuemax", seconds.toFixed(1));
    showTime(0);
    if (onReady) onReady(ws, seconds);
    if (autoplay) (onPlay ? onPlay(ws) : ws.play())?.catch?.(() => {});
  });
  ws.on("timeupdate", showTime);
  ws.on("error", () => {
    root.classList.remove("is-loading");
    root.classList.add("is-error");
    if (status) status.textContent = "This audio could not be loaded.";
  });
  const playing = (on) => {
    root.classList.toggle("is-playing", on);
    if (button) button.setAttribute("aria-label", `${on ? "Pause" : "Play"} ${label}`);
  };
  ws.on("play", () => playing(true));
  ws.on("pause", () => playing(false));
  ws.on("finish", () => playing(false));
  if (button && !root.dataset.buttonBound) {
    root.dataset.buttonBound = "true";
    button.setAttribute("aria-label", `Play ${label}`);
    button.addEventListener("click", () => {
      const current = root.wavesurfer;
      if (!current) return;
      if (root._onPlay && !current.isPlaying()) root._onPlay(current);
      else current.playPause();
    });
  }
  root._onPlay = onPlay || null;
  return ws;
}

/** Unmount a player so it can show other audio (mountPlayer again). */
export function unmountPlayer(root) {
  if (!root.wavesurfer) return;
  root.wavesurfer.destroy();
  delete root.wavesurfer;
  delete root.dataset.mounted;
  delete root.dataset.duration;
  root.classList.remove("is-ready", "is-error", "is-playing", "is-loading");
  const time = root.querySelector("[data-time]");
  if (time) time.textContent = "";
}

/** Mount a player as the page wants it: trimmed samples get their kept part and veils. */
async function mountFromMarkup(root, options = {}) {
  if (root.dataset.trimStart === undefined && root.dataset.trimEnd === undefined) return mountPlayer(root, options);
  root.dataset.mounted = "pending"; // the plugin loads first: do not mount twice meanwhile
  const { regions, onReady } = await trimPlugin(root);
  delete root.dataset.mounted;
  return mountPlayer(root, { ...options, plugins: [regions], onReady });
}

/**
 * Mount the players in `scope` as their markup asks (data-load): "view" (default) once scrolled into
 * view, so a page loads no audio it does not show; "click" only when played, for long lists;
 * "script" never here (a page script mounts it).
 */
export function mountPlayers(scope = document) {
  const players = [...scope.querySelectorAll(".player[data-src]:not([data-mounted])")];
  const onView = [];
  for (const player of players) {
    const mode = player.dataset.load || "view";
    if (mode === "click") {
      if (player.dataset.clickBound) continue;
      player.dataset.clickBound = "true";
      player.querySelector("[data-play]")?.addEventListener(
        "click",
        () => {
          if (!player.wavesurfer && player.dataset.mounted !== "pending") mountFromMarkup(player, { autoplay: true });
        },
        { once: true },
      );
    } else if (mode === "view") {
      onView.push(player);
    }
  }
  if (!onView.length) return;
  if (!("IntersectionObserver" in window)) {
    onView.forEach((player) => mountFromMarkup(player));
    return;
  }
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        if (!entry.target.dataset.mounted) mountFromMarkup(entry.target);
      }
    },
    { rootMargin: "100px" },
  );
  onView.forEach((player) => observer.observe(player));
}
