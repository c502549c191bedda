#!/usr/bin/env python3
"""Probe: choosing edgembed-convert's --outlier-channels on held-out data (never on a test set).

For each count, converts a checkpoint to int8 with that many FFN-output input channels kept in f32, and compares
the int8 vectors with the f32 file's on data no acceptance test scores:
  - STS-B dev (the tests use STS-B test): Spearman x100 of int8 and of f32, and their difference;
  - int8-vs-f32 cosines on the dev sentences and on man pages 500-799 at 384 tokens (the tests use the first 500).
From the repo root, after scripts/setup.sh (which builds the CLI, the converter and models/all-mpnet-base-v2.*):
  PYTHONPATH=tools/eval .venv/bin/python bench/probes/outlier_channels.py models/hf/all-mpnet-base-v2 \
      models/all-mpnet-base-v2.f32.edgembed --counts 0,4,8,12,16,24,32
"""
import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from edgembed_eval.data import load_stsb_pairs, load_texts

REPO = Path(__file__).resolve().parents[2]


def embed(cli: str, model: str, texts: list[str], max_length: int | None = None) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "vectors.npy"  # npy output needs a file it can seek in
        cmd = [cli, "embed", "-m", model, "--input", "jsonl", "--output", "npy", "-o", str(out)]
        if max_length:
            cmd += ["--max-length", str(max_length)]
        subprocess.run(cmd, input="".join(json.dumps(t) + "\n" for t in texts), text=True, capture_output=True,
                       check=True)
        return np.load(out)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("hf_dir", help="the checkpoint folder")
    ap.add_argument("f32_model", help="its f32 edgembed file (the reference)")
    ap.add_argument("--counts", default="0,4,8,12,16,24,32")
    ap.add_argument("--cli", default=str(REPO / "build" / "tools" / "cli" / "edgembed"))
    ap.add_argument("--convert", default=str(REPO / "build" / "tools" / "convert" / "edgembed-convert"))
    args = ap.parse_args()

    pairs = load_stsb_pairs("dev")
    sentences = sorted({s for a, b, _ in pairs for s in (a, b)})
    index = {t: i for i, t in enumerate(sentences)}
    left, right = [index[p[0]] for p in pairs], [index[p[1]] for p in pairs]
    gold = [p[2] for p in pairs]
    pages = load_texts("manpages_corpus")[500:800]

    def spearman(v: np.ndarray) -> float:
        return 100 * float(spearmanr(cosines(v[left], v[right]), gold).statistic)

    ref_s, ref_p = embed(args.cli, args.f32_model, sentences), embed(args.cli, args.f32_model, pages, 384)
    print(f"{len(pairs)} STS-B dev pairs ({len(sentences)} sentences), {len(pages)} man pages; "
          f"f32 dev Spearman x100 {spearman(ref_s):.4f}")
    print("| outlier channels | dev Spearman x100 | int8 - f32 | cos mean / min (dev) | cos mean / min (man pages) |")
    print("|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(x) for x in args.counts.split(",")]:
            model = str(Path(tmp) / f"oc{n}.int8.edgembed")
            subprocess.run([args.convert, args.hf_dir, model, "--dtype", "int8", "--outlier-channels", str(n),
                            "--no-progress"], check=True, capture_output=True)
            s, p = embed(args.cli, model, sentences), embed(args.cli, model, pages, 384)
            cs, cp = cosines(s, ref_s), cosines(p, ref_p)
            print(f"| {n} | {spearman(s):.4f} | {spearman(s) - spearman(ref_s):+.4f} | {cs.mean():.5f} / {cs.min():.5f} "
                  f"| {cp.mean():.5f} / {cp.min():.5f} |", flush=True)


if __name__ == "__main__":
    main()
