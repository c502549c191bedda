"""Runs the edgembed CLI from the tests (paths from EDGEMBED_BIN / EDGEMBED_MODEL, as scripts/test.sh sets)."""
from __future__ import annotations

import io
import json
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("EDGEMBED_BIN", str(ROOT / "build" / "tools" / "cli" / "edgembed"))
MODEL = os.environ.get("EDGEMBED_MODEL", str(ROOT / "models" / "all-MiniLM-L6-v2.f32.edgembed"))


def available() -> bool:
    return Path(BIN).exists() and Path(MODEL).exists()


def _jsonl(texts: list[str]) -> str:
    return "".join(json.dumps(t) + "\n" for t in texts)


def embed(texts: list[str], *, model: str = MODEL, max_length: int | None = None, tau: float | str | None = None,
          threads: int | None = None, batch_size: int | None = None, extra: list[str] | None = None) -> np.ndarray:
    """Embeds texts (any characters, newlines included) and returns [len(texts), dim] float32. tau may be
    "auto"; extra: more CLI flags."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "vectors.npy"
        cmd = [BIN, "embed", "-m", model, "--input", "jsonl", "--output", "npy", "-o", str(out)]
        for flag, value in (("--max-length", max_length), ("--temperature", tau), ("--threads", threads),
                            ("--batch-size", batch_size)):
            if value is not None:
                cmd += [flag, repr(value) if isinstance(value, float) else str(value)]
        cmd += extra or []
        subprocess.run(cmd, input=_jsonl(texts), text=True, check=True, capture_output=True)
        return np.load(io.BytesIO(out.read_bytes()))


def run(args: list[str], stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    """Runs the CLI with args (and extra environment variables), without raising: for tests of errors."""
    return subprocess.run([BIN, *args], input=stdin, text=True, capture_output=True, env={**os.environ, **(env or {})})
