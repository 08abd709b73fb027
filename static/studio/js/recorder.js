// The microphone recorder shared by the new-voice page and the consent step: a live scrolling waveform
// (wavesurfer's record plugin), a timer, an input level meter, and one Record/Stop button.
import WaveSurfer from "../../vendor/wavesurfer/wavesurfer.esm.js";
import RecordPlugin from "../../vendor/wavesurfer/plugins/record.esm.js";
import { formatClock } from "./format.js";

// Raw microphone: browsers' voice processing (echo cancellation, noise suppression, gain control)
// changes the timbre the clone learns from and the consent check compares against.
export const MIC_CONSTRAINTS = { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 };

export function extensionFor(type) {
  if (type.includes("webm")) return "webm";
  if (type.includes("ogg")) return "ogg";
  if (type.includes("mp4") || type.includes("aac")) return "m4a";
  if (type.includes("wav")) return "wav";
  return "audio";
}

/**
 * Wire a recorder's markup. `elements`: {wave, idle, button, timer, levelFill, levelMeter, error}
 * (the markup of templates/voices/new.html's recorder). `onRecorded(blob)` gets each recording;
 * `canStart()` may refuse a new recording by returning false (it says why where it sees fit).
 * Returns {isRecording(), stop()}.
 */
export function setupRecorder(elements, { onRecorded, canStart = () => true }) {
  const { wave, idle, button, timer, levelFill, levelMeter, error } = elements;
  const ws = WaveSurfer.create({
    container: wave,
    height: 96,
    waveColor: "#a5b4fc",
    progressColor: "#a5b4fc",
    cursorWidth: 0,
    interact: false,
    barWidth: 2,
    barGap: 1,
    barRadius: 2,
  });
  const recorder = ws.registerPlugin(
    RecordPlugin.create({ renderRecordedAudio: false, scrollingWaveform: true, scrollingWaveformWindow: 8 }),
  );
  let meter = null;

  const setRecordingState = (on) => {
    button.classList.toggle("is-recording", on);
    button.setAttribute("aria-pressed", String(on));
    button.querySelector("[data-label]").textContent = on ? "Stop" : "Record";
    timer.classList.toggle("is-recording", on);
    idle.hidden = on;
    if (!on) timer.textContent = "0:00";
  };

  /** A live input level (peak, in dBFS mapped to 0..100) from an AnalyserNode on the mic stream. */
  const startMeter = (stream) => {
    stopMeter();
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    context.createMediaStreamSource(stream).connect(analyser);
    const data = new Float32Array(analyser.fftSize);
    let frame = 0;
    let shown = 0;
    const tick = () => {
      analyser.getFloatTimeDomainData(data);
      let peak = 0;
      for (const value of data) peak = Math.max(peak, Math.abs(value));
      const level = peak > 0 ? Math.min(Math.max((20 * Math.log10(peak) + 60) / 60, 0), 1) : 0;
      shown = Math.max(level, shown * 0.92); // fast attack, slow release: readable
      levelFill.style.width = `${(shown * 100).toFixed(1)}%`;
      if (frame++ % 10 === 0) levelMeter.setAttribute("aria-valuenow", String(Math.round(shown * 100)));
      meter.raf = requestAnimationFrame(tick);
    };
    meter = { context, raf: requestAnimationFrame(tick) };
  };

  const stopMeter = () => {
    if (!meter) return;
    cancelAnimationFrame(meter.raf);
    meter.context.close();
    meter = null;
    levelFill.style.width = "0";
    levelMeter.setAttribute("aria-valuenow", "0");
  };

  const showError = (message) => {
    error.textContent = message;
    error.hidden = !message;
  };

  recorder.on("record-progress", (ms) => {
    timer.textContent = formatClock(ms / 1000);
  });
  recorder.on("record-end", (blob) => {
    ws.empty(); // the recording moves on to the page (a sample, or the consent clip)
    stopMeter();
    recorder.stopMic();
    setRecordingState(false);
    onRecorded(blob);
  });

  button.addEventListener("click", async () => {
    showError("");
    if (recorder.isRecording()) {
      recorder.stopRecording();
      return;
    }
    if (!canStart()) return;
    try {
      const stream = await recorder.startMic(MIC_CONSTRAINTS);
      startMeter(stream);
      await recorder.startRecording(MIC_CONSTRAINTS);
      setRecordingState(true);
    } catch (failure) {
      stopMeter();
      const denied = failure && (failure.name === "NotAllowedError" || failure.name === "SecurityError");
      showError(
        denied
          ? "The browser did not allow the microphone. Allow it in the address bar, or upload a file instead."
          : `The microphone could not be opened (${failure && failure.message ? failure.message : failure}). You can upload a file instead.`,
      );
    }
  });

  button.disabled = false; // the template renders it disabled until this handler exists
  return {
    isRecording: () => recorder.isRecording(),
    stop: () => recorder.isRecording() && recorder.stopRecording(),
  };
}
