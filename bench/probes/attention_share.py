#!/usr/bin/env python3
"""Probe: the measured share of edgembed's time spent in attention, per sequence length.

Runs `edgembed bench` under `perf record` (one thread, batch 1, pinned to CPU 0) at each length and sums the
samples whose symbol is an attention kernel: the tiled online-softmax loops (f32 and bf16), the softmax, and
the encoder's attention wrappers (every symbol that says "attention" or "softmax": the bf16 products' helpers live in
namespace attention_bf16 for this). Everything else (the linear layers, norms, rotary positions, GeGLU, pooling,
tokenization, and loading the model) is "the rest". The timed calls run for at least --min-seconds, so the load
(about 0.5 s for ModernBERT-base int8) is a few per cent of the samples at most. docs/PERFORMANCE.md quotes the
result next to the model-based share of the roofline.
Needs Linux perf (Debian: linux-perf) and perf_event_paranoid <= 1 or root. From the repo root:
  .venv/bin/python bench/probes/attention_share.py -m models/modernbert-base-random.int8.edgembed \
      --text bench/peers/cache/modernbert/full/bench.jsonl --lengths 512,1024,2048,4096,8192
"""
import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ATTENTION = re.compile(r"attention|softmax", re.IGNORECASE)


def share(cli: str, model: str, text: str, length: int, repeats: int, min_seconds: float) -> tuple[float, int]:
    """(attention share of the samples, sample count) of one bench run at `length`."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "perf.data"
        subprocess.run(["taskset", "-c", "0", "perf", "record", "-q", "-F", "499", "-o", str(data), "--", cli, "bench",
                        "-m", model, "--text", text, "--lengths", str(length), "--batch", "1", "--threads", "1",
                        "--repeats", str(repeats), "--min-seconds", str(min_seconds)], check=True, stdout=subprocess.DEVNULL)
        report = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--sort", "symbol", "--stdio",
                                 "-F", "sample,symbol", "--comms", Path(cli).name], check=True, capture_output=True,
                                text=True).stdout
    total = attention = 0
    for line in report.splitlines():
        m = re.match(r"\s*(\d+)\s+\[\.\]\s+(.*)", line)
        if m:
            samples = int(m.group(1))
            total += samples
            if ATTENTION.search(m.group(2)):
                attention += samples
    if total == 0:
        sys.exit(f"perf recorded no samples of {cli} (perf_event_paranoid? try as root)")
    return attention / total, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("--text", required=True, help="a text file as edgembed bench takes it (--text)")
    ap.add_argument("--lengths", default="512,1024,2048,4096,8192")
    ap.add_argument("--repeats", type=int, default=1, help="timed calls per length after the warm-up (at least)")
    ap.add_argument("--min-seconds", type=float, default=20.0, help="timed seconds per length (at least)")
    ap.add_argument("--cli", default=str(REPO / "build" / "tools" / "cli" / "edgembed"))
    args = ap.parse_args()
    print("| L | attention share of the time | perf samples |")
    print("|---:|---:|---:|")
    for length in [int(x) for x in args.lengths.split(",")]:
        s, n = share(args.cli, args.model, args.text, length, args.repeats, args.min_seconds)
        print(f"| {length} | {s:.1%} | {n} |", flush=True)


if __name__ == "__main__":
    main()
