"""Seconds from uploading a ~30 s sample to a voice that can be used, through the public API.

    python bench/clone_latency.py                        # the six reference voices, transcripts from ASR
    python bench/clone_latency.py --voices slt,kal --given-transcript
    python bench/clone_latency.py --long                 # also an ~80-95 s sample of each voice

Starts the embedded studio (bench/servers.py, one worker thread as a laptop runs it), then for each
reference voice (``reference_voices.py``, ~30 s each) POSTs ``/v1/voices/clone`` (multipart, English,
instant tier) and polls ``GET /v1/voices/{id}`` every 100 ms (faster polling takes CPU from the job: at 20 ms the embedded
studio answering the polls made the clone ~8 % slower). Measured from the start of the upload:

- **available**: the voice's status is AVAILABLE (speech requests for it are accepted from here);
- **complete**: its preview and similarity score are there too (the clone job has ended);
- the moment each job step was first seen (``progress.step``), for a step profile from the outside.

A warm-up clone (models load, first use) is not counted. Medians, and the worst voice.

``--long`` also clones each voice from one ~80-95 s sample (the reference and two more paragraphs,
``reference_voices.long_reference``) and prints how much longer it took than the ~30 s one: the
instant tier learns from at most ``limits.INSTANT_LEARN_SECONDS`` of speech, so the ratio should
stay near 1 for "available" (the rest is transcribed after it, so "complete" grows).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import servers  # noqa: E402
from bench.reference_voices import long_reference, reference_voices  # noqa: E402

POLL_SECONDS = 0.1


def wav_bytes(samples, rate: int) -> bytes:
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def clone(client: httpx.Client, name: str, wav: bytes, transcript: str) -> dict[str, float]:
    """Seconds from the upload's start to each event: "available", "complete", and every step seen."""
    data = {"name": name, "language": "en", "tier": "instant"}
    if transcript:
        data["transcripts"] = transcript
    started = time.monotonic()
    response = client.post("/v1/voices/clone", data=data, files={"file": ("take.wav", wav, "audio/wav")})
    if response.status_code != 202:
        raise RuntimeError(f"clone answered {response.status_code}: {response.text[:300]}")
    events = {"accepted": time.monotonic() - started}
    voice_id = response.json()["id"]
    while True:
        answer = client.get(f"/v1/voices/{voice_id}")
        if answer.status_code != 200:
            raise RuntimeError(f"GET voice answered {answer.status_code}: {answer.text[:300]}")
        body = answer.json()
        now = time.monotonic() - started
        step = (body.get("progress") or {}).get("step") or ""
        if step:
            events.setdefault(f"step {step}", now)
        if body["status"] == "FAILED":
            raise RuntimeError(f"{name}: {body.get('error')}")
        if body["status"] == "AVAILABLE":
            events.setdefault("available", now)
            if body.get("similarity_score") is not None and body.get("preview_url"):
                events["complete"] = now
                return events
        if now > 300:
            raise RuntimeError(f"{name}: not complete after 300 s ({body['status']}, {step})")
        time.sleep(POLL_SECONDS)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--voices", default="", help="comma-separated subset of the reference voices")
    parser.add_argument("--given-transcript", action="store_true", help="send each sample's transcript")
    parser.add_argument("--long", action="store_true", help="also clone an ~80-95 s sample of each voice")
    args = parser.parse_args()
    voices = [v for v in reference_voices() if not args.voices or v.name in args.voices.split(",")]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="studio-bench-clone-") as root:
        env = servers.embedded_env(Path(root) / "data")
        env["STUDIO_RATE_API"] = "100000/min"  # the bench polls every 100 ms
        studio = servers.studio_embedded_start(env, Path(root) / "logs")
        try:
            client = servers.api_client(studio)
            first = voices[0].reference
            clone(client, "warm-up", wav_bytes(first.samples, first.sample_rate), "")
            for voice in voices:
                clip = voice.reference
                transcript = clip.text if args.given_transcript else ""
                results[voice.name] = clone(
                    client, voice.name, wav_bytes(clip.samples, clip.sample_rate), transcript
                )
                if args.long:
                    clip = long_reference(voice)
                    transcript = clip.text if args.given_transcript else ""
                    results[f"{voice.name} long"] = clone(
                        client, f"{voice.name} long", wav_bytes(clip.samples, clip.sample_rate), transcript
                    )
        finally:
            studio.kill()
    print(f"{'voice':12s} {'available s':>11s} {'complete s':>10s}   steps first seen (s)")
    for name, events in results.items():
        steps = "  ".join(f"{k[5:]} {v:.2f}" for k, v in events.items() if k.startswith("step "))
        print(f"{name:12s} {events['available']:11.2f} {events['complete']:10.2f}   {steps}")
    for label, names in (
        ("", [n for n in results if not n.endswith(" long")]),
        ("long ", [n for n in results if n.endswith(" long")]),
    ):
        for event in ("available", "complete") if names else ():
            values = [results[name][event] for name in names]
            print(
                f"{label}{event}: median {statistics.median(values):.2f} s, worst {max(values):.2f} s"
                f" over {len(values)} voices"
            )
    if args.long:
        for event in ("available", "complete"):
            ratios = [results[f"{v.name} long"][event] / results[v.name][event] for v in voices]
            print(f"{event}, long sample / ~30 s sample: median x{statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
