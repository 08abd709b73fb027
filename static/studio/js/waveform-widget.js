// Django admin: waveform players for WaveformAudioWidget (studio/widgets.py).
import WaveSurfer from "../../vendor/wavesurfer/wavesurfer.esm.js";

function clock(seconds) {
  const whole = Math.floor(seconds || 0);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

function mount(root) {
  if (root.dataset.mounted) return;
  root.dataset.mounted = "true";
  const wave = root.querySelector("[data-wave]");
  const button = root.querySelector("[data-play]");
  const time = root.querySelector("[data-time]");
  const ws = WaveSurfer.create({
    container: wave,
    url: root.dataset.src,
    height: Number(root.dataset.height || 56),
    waveColor: "#9fb8c9",
    progressColor: "#417690",
    cursorColor: "#205067",
    barWidth: 2,
    barGap: 1,
    barRadius: 2,
    normalize: true,
    dragToSeek: true,
  });
  root.wavesurfer = ws;
  let duration = 0;
  wave.tabIndex = 0;
  wave.setAttribute("role", "slider");
  wave.setAttribute("aria-label", `Position in ${root.dataset.label}`);
  wave.addEventListener("keydown", (event) => {
    const steps = { ArrowLeft: -2, ArrowRight: 2 };
    if (event.key in steps) {
      ws.setTime(Math.min(Math.max(ws.getCurrentTime() + steps[event.key], 0), duration));
      event.preventDefault();
    } else if (event.key === " ") {
      ws.playPause();
      event.preventDefault();
    }
  });
  ws.on("ready", (seconds) => {
    duration = seconds;
    root.classList.add("is-ready");
    root.dataset.duration = seconds.toFixed(3);
    time.textContent = `0:00 / ${clock(seconds)}`;
  });
  ws.on("timeupdate", (t) => {
    time.textContent = `${clock(t)} / ${clock(duration)}`;
  });
  ws.on("error", () => {
    root.classList.add("is-error");
    root.querySelector(".waveform-widget__status").textContent = "The audio could not be loaded.";
  });
  ws.on("play", () => (button.textContent = "❚❚"));
  ws.on("pause", () => (button.textContent = "▶"));
  ws.on("finish", () => (button.textContent = "▶"));
  button.addEventListener("click", () => ws.playPause());
}

document.querySelectorAll(".waveform-widget[data-src]").forEach(mount);
