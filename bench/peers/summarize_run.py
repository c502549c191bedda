"""Medians and fidelity of a peer run from its per-system files, for a run that wrote no results file (stopped,
or run with --no-report): one Markdown row per system, min cosine to torch f32 (run_peers.fidelity), then the
median ms of each threads x batch x length the run measured.
  python bench/peers/summarize_run.py bench/peers/cache/<model>/<run dir>
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_peers import fidelity  # noqa: E402

SYSTEMS = ("torch-f32", "ort-f32", "ort-int8-plain", "ort-int8-fused", "ov-f32", "ov-int8-weights", "ov-int8-ptq",
           "ct2-int8", "llama-f32", "llama-q8_0", "edgembed-f32", "edgembed-f16", "edgembed-int8")


def medians(work: Path, system: str) -> dict[tuple[int, int, int], float]:
    """(threads, batch, length) -> median ms from the files <system>-t<threads>-b<batch>.json."""
    out = {}
    for f in work.iterdir():
        m = re.fullmatch(re.escape(system) + r"-t(\d+)-b(\d+)\.json", f.name)
        for row in json.loads(f.read_text())["results"] if m else ():
            out[(int(m[1]), int(m[2]), row["length"])] = row["median_ms"]
    return out


def main(work: Path) -> None:
    times = {s: t for s in SYSTEMS if (t := medians(work, s))}
    systems = list(times)
    configs = sorted({c for t in times.values() for c in t})
    cos = fidelity(work, systems)
    print("| system | min cos | " + " | ".join(f"t{t} b{b} L{n}" for t, b, n in configs) + " |")
    print("|---|---:|" + "---:|" * len(configs))
    for s in systems:
        cells = ["" if c not in times[s] else f"{times[s][c]:.1f}" for c in configs]
        print(f"| {s} | {'' if s not in cos else f'{cos[s]:.5f}'} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
