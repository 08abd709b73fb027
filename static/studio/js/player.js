// Waveform players (wavesurfer.js): a play button, the waveform (click or arrow keys to seek) and the time.
import WaveSurfer from "../../vendor/wavesurfer/wavesurfer.esm.js";
import { cssVar, formatClock } from "./http.js";

export function waveOptions(extra = {}) {
  return {
    waveColor: cssVar("--wave", "#a5b4fc"),
    progressColor: cssVar("--wave-progress", "#4f46e5"),
    cursorColor: "#1e1b4b",
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

/** Turn a `.player[data-src]` element into a player. Returns the WaveSurfer instance. */
export function mountPlayer(root, { plugins = [], onReady } = {}) {
  if (root.wavesurfer) return root.wavesurfer;
  const wave = root.querySelector("[data-wave]");
  const button = root.querySelector("[data-play]");
  const time = root.querySelector("[data-time]");
  const status = root.querySelector(".player__status");
  const height = Number(root.dataset.height || 64);
  const ws = WaveSurfer.create(waveOptions({ container: wave, height, url: root.dataset.src, plugins }));
  root.wavesurfer = ws;
  root.dataset.mounted = "true";

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
  wave.addEventListener("keydown", (event) => {
    const steps = { ArrowLeft: -2, ArrowRight: 2, PageDown: -10, PageUp: 10 };
    if (event.key in steps) {
      ws.setTime(Math.min(Math.max(ws.getCurrentTime() + steps[event.key], 0), duration));
    } else if (event.key === "Home") {
      ws.setTime(0);
    } else if (event.key === "End") {
      ws.setTime(duration);
    } else if (event.key === " " || event.key === "Enter") {
      ws.playPause();
    } else {
      return;
    }
    event.preventDefault();
  });

  ws.on("ready", (seconds) => {
    duration = seconds;
    root.dataset.duration = seconds.toFixed(3);
    root.classList.add("is-ready");
    wave.setAttribute("aria-valuemax", seconds.toFixed(1));
    showTime(0);
    if (onReady) onReady(ws, seconds);
  });
  ws.on("timeupdate", showTime);
  ws.on("error", () => {
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
  if (button) {
    button.setAttribute("aria-label", `Play ${label}`);
    button.addEventListener("click", () => ws.playPause());
  }
  return ws;
}

/** Mount every player in `scope` once it scrolls into view (long lists load audio lazily). */
export function mountPlayers(scope = document) {
  const players = [...scope.querySelectorAll(".player[data-src]:not([data-mounted])")];
  if (!players.length) return;
  if (!("IntersectionObserver" in window)) {
    players.forEach((player) => mountPlayer(player));
    return;
  }
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          mountPlayer(entry.target);
        }
      }
    },
    { rootMargin: "200px" },
  );
  players.forEach((player) => observer.observe(player));
}
