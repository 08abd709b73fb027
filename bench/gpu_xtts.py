"""XTTS v2 on a GPU: time to first audio chunk, real-time factor, memory, concurrent streams.

    python bench/gpu_xtts.py                 # full-size XTTS v2 on CUDA (an H100 is the target)
    python bench/gpu_xtts.py --tiny          # the test suite's tiny model, runs on CPU in ~a minute
    python bench/gpu_xtts.py --streams 1,2,4,8 --tokens 100 --chunk-tokens 20 --json out.json

The model is XTTS v2's full architecture (30-layer, 1024-wide GPT with perceiver conditioning,
HiFi-GAN decoder, ResNet speaker encoder) with random weights: no download, and the same compute
as the real weights, provided the number of generated tokens is fixed — random weights never pick
the stop token on their own, so ``min_new_tokens = max_new_tokens = --tokens`` pins it. 100 tokens
is ~4.6 s of speech (1024 samples at 22.05 kHz each), one long sentence. The GPU path is the one the
engine uses: ``inference_stream`` / ``inference`` with the engine's sampling settings, fp32.

Concurrency uses separate processes, one model each, because that is how the studio scales on a
GPU machine (one Celery worker process per stream, ``-c 1``), and because XTTS's autoregressive loop
is Python-bound at batch size 1: threads on CUDA streams would mostly wait for the GIL. Processes
time-share the GPU; NVIDIA MPS (not started here) would let their kernels overlap.

Targets on one H100: first chunk <= 150 ms, RTF <= 0.05, >= 8 concurrent streams each faster than
real time.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engines.xtts.engine import CHECKPOINT_LANGUAGES  # noqa: E402

SENTENCE = "The quick brown fox jumps over the lazy dog, then it runs into the forest to find its friends."
LANGUAGES = list(CHECKPOINT_LANGUAGES)  # the codes a checkpoint uses ("zh-cn")
TOKEN_SECONDS = 1024 / 22050
TARGETS = {"first_chunk_ms": 150.0, "rtf": 0.05, "streams": 8}


@dataclass
class StreamResult:
    first_chunk_s: float
    total_s: float
    audio_s: float
    rtf: float
    chunks: int


@dataclass
class WorkerReport:
    pid: int
    params_m: float
    streams: list[StreamResult]
    full_rtf: float  # non-streaming inference()
    torch_peak_gib: float
    torch_reserved_gib: float
    smi_gib: float | None  # the process's whole use as nvidia-smi sees it (CUDA context included)


def xtts_args(tiny: bool, tokens: int) -> dict:
    size = {"gpt_layers": 2, "gpt_n_model_channels": 128, "gpt_n_heads": 4} if tiny else {
        "gpt_layers": 30, "gpt_n_model_channels": 1024, "gpt_n_heads": 16,
    }  # fmt: skip
    return {
        **size,
        "gpt_num_audio_tokens": 1026,
        "gpt_start_audio_token": 1024,
        "gpt_stop_audio_token": 1025,
        "gpt_use_perceiver_resampler": True,
        "gpt_max_audio_tokens": max(605, tokens + 3),
        "gpt_max_text_tokens": 402,
        "decoder_input_dim": size["gpt_n_model_channels"],
        "d_vector_dim": 512,
    }


def vocab(path: Path, tiny: bool) -> None:
    """A BPE vocab with XTTS's special and language tokens; padded to v2's 6681 ids at full size."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    special = ["[STOP]", "[UNK]", "[SPACE]", "[START]"] + [f"[{code}]" for code in LANGUAGES]
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=special, show_progress=False)
    tokenizer.train_from_iterator([SENTENCE.lower()] * 4, trainer)
    if not tiny:  # the text embedding and head get v2's size (memory; compute barely differs)
        tokenizer.add_tokens([f"[pad{i}]" for i in range(6681 - tokenizer.get_vocab_size())])
    tokenizer.save(str(path))


def build_model(device: str, tiny: bool, tokens: int):
    import tempfile

    import torch
    from TTS.tts.configs.xtts_config import XttsArgs, XttsConfig
    from TTS.tts.layers.xtts.tokenizer import VoiceBpeTokenizer
    from TTS.tts.models.xtts import Xtts

    config = XttsConfig(model_args=XttsArgs(**xtts_args(tiny, tokens)), languages=LANGUAGES)
    config.temperature, config.repetition_penalty = 0.75, 5.0  # v2's released inference settings
    with tempfile.TemporaryDirectory() as tmp:
        vocab(Path(tmp) / "vocab.json", tiny)
        torch.manual_seed(0)
        with torch.device(device):  # initialise straight on the GPU: 470M parameters
            model = Xtts(config)
            model.tokenizer = VoiceBpeTokenizer(vocab_file=str(Path(tmp) / "vocab.json"))
            model.init_models()
    model.gpt.init_gpt_for_inference(kv_cache=True)
    model.eval()
    dim = model.args.gpt_n_model_channels
    latents = (
        torch.randn(1, 32, dim, device=device) * 0.1,
        torch.nn.functional.normalize(torch.randn(1, 512, 1, device=device), dim=1),
    )
    return model, latents


def sampling(tokens: int) -> dict:
    from engines.xtts import temperature_for

    return {
        "temperature": temperature_for(0.5),
        "repetition_penalty": 5.0,
        "length_penalty": 1.0,
        "top_k": 50,
        "top_p": 0.85,
        "speed": 1.0,
        "min_new_tokens": tokens,  # fixed length: same compute as a real sentence of this length
        "max_new_tokens": tokens,
    }


def one_stream(model, latents, device: str, tokens: int, chunk_tokens: int) -> StreamResult:
    import torch

    start = time.perf_counter()
    first, samples, chunks = None, 0, 0
    with torch.inference_mode():
        for chunk in model.inference_stream(
            SENTENCE, "en", *latents, stream_chunk_size=chunk_tokens, **sampling(tokens)
        ):
            wav = chunk.float().cpu().numpy()  # what the engine does; also waits for the GPU
            first = first if first is not None else time.perf_counter() - start
            samples, chunks = samples + wav.size, chunks + 1
    total = time.perf_counter() - start
    audio = samples / 24000
    return StreamResult(first or total, total, audio, total / audio if audio else float("inf"), chunks)


def full_rtf(model, latents, tokens: int) -> float:
    import torch

    start = time.perf_counter()
    with torch.inference_mode():
        wav = model.inference(SENTENCE, "en", *latents, **sampling(tokens))["wav"]
    return (time.perf_counter() - start) / (len(wav) / 24000)


def smi_gib(pid: int) -> float | None:
    import subprocess

    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=10,
        ).stdout  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.splitlines():
        found_pid, _, used = line.partition(",")
        if found_pid.strip() == str(pid):
            return int(used) / 1024
    return None  # another PID namespace (containers): use the torch numbers


def worker(args: argparse.Namespace, device: str, barrier, results, runs: int) -> None:
    import torch

    model, latents = build_model(device, args.tiny, args.tokens)
    one_stream(model, latents, device, min(args.tokens, 2 * args.chunk_tokens), args.chunk_tokens)  # warm-up
    barrier.wait()  # every process loaded and warm: the streams start together
    streams = [one_stream(model, latents, device, args.tokens, args.chunk_tokens) for _ in range(runs)]
    barrier.wait()
    rtf = full_rtf(model, latents, args.tokens)
    gib = 1024**3
    cuda = device == "cuda"
    results.put(
        WorkerReport(
            pid=os.getpid(),
            params_m=sum(p.numel() for p in model.parameters()) / 1e6,
            streams=streams,
            full_rtf=rtf,
            torch_peak_gib=torch.cuda.max_memory_allocated() / gib if cuda else 0.0,
            torch_reserved_gib=torch.cuda.max_memory_reserved() / gib if cuda else 0.0,
            smi_gib=smi_gib(os.getpid()) if cuda else None,
        )
    )


def run_level(args: argparse.Namespace, device: str, processes: int) -> list[WorkerReport]:
    context = mp.get_context("spawn")  # CUDA cannot be used in forked children
    barrier, results = context.Barrier(processes), context.Queue()
    workers = [
        context.Process(target=worker, args=(args, device, barrier, results, args.runs))
        for _ in range(processes)
    ]
    for process in workers:
        process.start()
    reports = [results.get(timeout=args.timeout) for _ in workers]
    for process in workers:
        process.join()
    return reports


def summarize(processes: int, reports: list[WorkerReport]) -> dict:
    streams = [stream for report in reports for stream in report.streams]
    first_ms = [stream.first_chunk_s * 1000 for stream in streams]
    wall = max(sum(stream.total_s for stream in report.streams) for report in reports)
    return {
        "streams": processes,
        "params_m": reports[0].params_m,
        "first_chunk_ms_p50": statistics.median(first_ms),
        "first_chunk_ms_max": max(first_ms),
        "stream_rtf_p50": statistics.median(stream.rtf for stream in streams),
        "stream_rtf_max": max(stream.rtf for stream in streams),
        "full_rtf_p50": statistics.median(report.full_rtf for report in reports),
        "aggregate_x_realtime": sum(stream.audio_s for stream in streams) / wall,
        "all_faster_than_realtime": all(stream.rtf < 1.0 for stream in streams),
        "torch_peak_gib": max(report.torch_peak_gib for report in reports),
        "torch_reserved_gib": max(report.torch_reserved_gib for report in reports),
        "smi_gib": max((report.smi_gib or 0.0) for report in reports) or None,
    }


def print_table(header: str, rows: list[dict]) -> None:
    print(f"{header}; {rows[0]['params_m']:.0f}M parameters")
    print(
        f"{'streams':>7} | {'1st chunk p50/max ms':>20} | {'stream RTF p50/max':>18} | {'full RTF':>8} | "
        f"{'x realtime (all)':>16} | {'each < 1x':>9} | {'GPU GiB/proc (torch peak/reserved/smi)':>38}"
    )
    for row in rows:
        smi = f"{row['smi_gib']:.2f}" if row["smi_gib"] else "-"
        print(
            f"{row['streams']:>7} | {row['first_chunk_ms_p50']:>9.0f} / {row['first_chunk_ms_max']:<8.0f} | "
            f"{row['stream_rtf_p50']:>8.3f} / {row['stream_rtf_max']:<7.3f} | {row['full_rtf_p50']:>8.3f} | "
            f"{row['aggregate_x_realtime']:>16.1f} | {'yes' if row['all_faster_than_realtime'] else 'NO':>9} | "
            f"{row['torch_peak_gib']:>12.2f} / {row['torch_reserved_gib']:.2f} / {smi}"
        )
    one = rows[0]
    best = max((row["streams"] for row in rows if row["all_faster_than_realtime"]), default=0)
    print(
        f"targets: first chunk {one['first_chunk_ms_p50']:.0f} ms (<= {TARGETS['first_chunk_ms']:.0f}), "
        f"RTF {one['full_rtf_p50']:.3f} (<= {TARGETS['rtf']}), "
        f"{best} concurrent streams all faster than real time (>= {TARGETS['streams']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tiny", action="store_true", help="2-layer, 128-wide GPT (the tests' model); CPU is fine"
    )
    parser.add_argument("--device", default=None, help="cuda or cpu (default: cuda when available)")
    parser.add_argument("--streams", default="1,2,4,8", help="concurrency levels, comma-separated")
    parser.add_argument(
        "--tokens", type=int, default=None, help="GPT tokens per sentence (default 100; 20 tiny)"
    )
    parser.add_argument(
        "--chunk-tokens", type=int, default=20, help="GPT tokens per streamed chunk (engine: 20)"
    )
    parser.add_argument("--runs", type=int, default=3, help="sentences per stream at each level")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for a level")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args()

    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    args.tokens = args.tokens or (20 if args.tiny else 100)
    name = torch.cuda.get_device_name() if device == "cuda" else f"CPU x{os.cpu_count()}"
    size = "tiny (2 x 128)" if args.tiny else "full XTTS v2 (30 x 1024)"
    header = (
        f"XTTS bench: {name}, torch {torch.__version__}, {size}, fp32, random weights; "
        f"{args.tokens} tokens/sentence = {args.tokens * TOKEN_SECONDS:.2f} s of audio, "
        f"{args.chunk_tokens}-token chunks, {args.runs} sentences per stream"
    )
    rows = []
    for processes in (int(level) for level in args.streams.split(",")):
        started = time.perf_counter()
        rows.append(summarize(processes, run_level(args, device, processes)))
        print(
            f"  {processes} stream(s) done in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
            flush=True,
        )
    print_table(header, rows)
    if args.json:
        args.json.write_text(json.dumps({"header": header, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
