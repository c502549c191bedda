"""Runs the edgembed CLI on lists of texts, with an on-disk cache keyed by binary, model, options and texts.

    runner = Runner()                                   # EDGEMBED_BIN or <repo>/build/tools/cli/edgembed
    out = runner.embed(model, texts, Setting(tau=0.9), Policy(max_length=512))
    out.vectors   # [n, dim] float32 (normalized as the model says)
    out.dc_share  # [n, layers + 1] DC share ||mean_t x_t||^2 / mean_t ||x_t||^2 after embeddings and each layer
    runner.pieces(model, texts)  # word pieces per text, without [CLS]/[SEP] and without truncation

Every call that runs the CLI is logged in runner.log (the exact command, tokens, seconds).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import shlex
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from .data import REPO_ROOT


def default_binary() -> Path:
    return Path(os.environ.get("EDGEMBED_BIN", REPO_ROOT / "build" / "tools" / "cli" / "edgembed"))


def default_models_dir() -> Path:
    return Path(os.environ.get("EDGEMBED_MODELS_DIR", REPO_ROOT / "models"))


def model_path(dtype: str, name: str = "all-MiniLM-L6-v2") -> Path:
    return default_models_dir() / f"{name}.{dtype}.edgembed"


def _fmt(x: float) -> str:
    return repr(float(x)) if not float(x).is_integer() else f"{float(x):.1f}"


@dataclasses.dataclass(frozen=True)
class Setting:
    """Attention temperature: constant tau, optionally length-aware (logits of a sequence of n > ls_ref tokens
    times (ln n / ln ls_ref)^ls_exp) and per-layer factors on tau."""
    tau: float = 1.0
    ls_ref: int = 0
    ls_exp: float = 1.0
    layer_temps: tuple[float, ...] | None = None

    def args(self) -> list[str]:
        out = ["--temperature", _fmt(self.tau)]
        if self.ls_ref:
            out += ["--length-scale-ref", str(self.ls_ref), "--length-scale-exp", _fmt(self.ls_exp)]
        if self.layer_temps:
            out += ["--layer-temperatures", ",".join(_fmt(t) for t in self.layer_temps)]
        return out

    @property
    def label(self) -> str:
        s = f"tau={self.tau:g}"
        if self.ls_ref:
            s += f" N0={self.ls_ref} A={self.ls_exp:g}"
        if self.layer_temps:
            s += " layers=" + ",".join(f"{t:g}" for t in self.layer_temps)
        return s

    @property
    def is_constant(self) -> bool:
        return not self.ls_ref and not self.layer_temps

    def for_lengths(self, max_sequence_tokens: int) -> "Setting":
        """The same computation for texts whose sequences have at most max_sequence_tokens tokens: the
        length-aware factor only acts on sequences longer than ls_ref, so it is dropped when none is."""
        if self.ls_ref and max_sequence_tokens <= self.ls_ref:
            return dataclasses.replace(self, ls_ref=0, ls_exp=1.0)
        return self

    def long_factor(self, n: int) -> float:
        """The logit multiplier of a sequence of n tokens (on top of 1 / tau)."""
        if self.ls_ref and n > self.ls_ref:
            return (np.log(n) / np.log(self.ls_ref)) ** self.ls_exp
        return 1.0


@dataclasses.dataclass(frozen=True)
class Policy:
    """Texts longer than max_length tokens: truncate, or windows of max_length tokens (stride in pieces,
    0 = the CLI's default of half a window)."""
    max_length: int = 512
    long_input: str = "truncate"
    window_stride: int = 0

    def args(self) -> list[str]:
        out = ["--max-length", str(self.max_length), "--long-input", self.long_input]
        if self.long_input == "window" and self.window_stride:
            out += ["--window-stride", str(self.window_stride)]
        return out

    @property
    def label(self) -> str:
        if self.long_input == "truncate":
            return f"truncate@{self.max_length}"
        stride = self.window_stride or (self.max_length - 2) // 2
        return f"windows@{self.max_length}/stride {stride}"

    def max_sequence_tokens(self, pieces: np.ndarray) -> int:
        """The longest model sequence ([CLS] + pieces + [SEP]) this policy makes of texts with these piece counts."""
        if len(pieces) == 0:
            return 0
        return int(min(int(np.max(pieces)) + 2, self.max_length))


@dataclasses.dataclass
class Embedded:
    vectors: np.ndarray
    dc_share: np.ndarray | None
    tokens: int          # model input tokens the CLI reported
    seconds: float       # the CLI's own timing (0 when cached)
    cached: bool
    command: str


_STATS_RE = re.compile(r"embedded (\d+) texts \((\d+) tokens.*?, ([0-9.eE+-]+) s\s*$", re.M)


def _digest_texts(texts: list[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        b = t.encode("utf-8")
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


_FILE_HASHES: dict[tuple[str, float, int], str] = {}


def file_sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path), st.st_mtime, st.st_size)
    if key not in _FILE_HASHES:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _FILE_HASHES[key] = h.hexdigest()
    return _FILE_HASHES[key]


class Runner:
    def __init__(self, binary: Path | str | None = None, cache_dir: Path | str | None = None, threads: int | None = 2,
                 batch_size: int | None = None, verbose: bool = False):
        self.binary = Path(binary) if binary else default_binary()
        if not self.binary.is_file():
            raise FileNotFoundError(f"edgembed CLI {self.binary} not found (build it, or set EDGEMBED_BIN)")
        self.cache_dir = Path(cache_dir) if cache_dir else None
        if self.cache_dir:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.threads = threads
        self.batch_size = batch_size
        self.verbose = verbose
        self.log: list[dict] = []
        self.phase = ""  # recorded with every run

    # -- tokenization ------------------------------------------------------------------------------------
    def pieces(self, model: Path, texts: list[str]) -> np.ndarray:
        """Word pieces per text (no [CLS]/[SEP], no truncation), from `edgembed tokenize --no-special`."""
        key = hashlib.sha256(json.dumps(["pieces", file_sha256(Path(model)), _digest_texts(texts)]).encode()).hexdigest()
        cached = self._cache_get(key)
        if cached is not None:
            return cached["pieces"]
        with tempfile.TemporaryDirectory() as tmp:
            inp = Path(tmp) / "texts.jsonl"
            inp.write_text("".join(json.dumps(t) + "\n" for t in texts), encoding="utf-8")
            cmd = [str(self.binary), "tokenize", "-m", str(model), "--input", "jsonl", "--no-special", str(inp)]
            proc = subprocess.run(cmd, capture_output=True)
            if proc.returncode != 0:
                raise RuntimeError(f"edgembed tokenize failed: {proc.stderr.decode('utf-8', 'replace')[-2000:]}")
            lines = [line for line in proc.stdout.decode("utf-8").split("\n") if line.strip()]
        if len(lines) != len(texts):
            raise RuntimeError(f"edgembed tokenize returned {len(lines)} rows for {len(texts)} texts")
        out = np.array([line.count(",") + 1 if line.strip() != "[]" else 0 for line in lines], dtype=np.int64)
        self._cache_put(key, pieces=out)
        return out

    # -- embedding ---------------------------------------------------------------------------------------
    def embed(self, model: Path, texts: list[str], setting: Setting, policy: Policy, *, layer_stats: bool = True,
              tag: str = "") -> Embedded:
        model = Path(model)
        # Length-aware settings do nothing on sets whose sequences are all short: reuse the constant run.
        pieces = self.pieces(model, texts)
        setting = setting.for_lengths(policy.max_sequence_tokens(pieces))
        cli_args = setting.args() + policy.args()
        if self.batch_size:
            cli_args += ["--batch-size", str(self.batch_size)]
        key = hashlib.sha256(json.dumps(["embed", file_sha256(self.binary), file_sha256(model), cli_args, layer_stats,
                                         _digest_texts(texts)]).encode()).hexdigest()
        shown = " ".join(shlex.quote(a) for a in ["edgembed", "embed", "-m", model.name, "--input", "jsonl", "--output",
                                                   "npy", "-o", "OUT.npy", *cli_args,
                                                   *(["--layer-stats", "STATS.jsonl"] if layer_stats else []),
                                                   *(["--threads", str(self.threads)] if self.threads else []),
                                                   "TEXTS.jsonl"])
        cached = self._cache_get(key)
        if cached is not None:
            dc = cached["dc_share"] if "dc_share" in cached else None
            res = Embedded(cached["vectors"], dc, int(cached["tokens"]), float(cached["seconds"]), True, shown)
            self.log.append({"tag": tag, "phase": self.phase, "model": model.name, "setting": setting.label,
                             "policy": policy.label, "texts": len(texts), "tokens": res.tokens, "seconds": res.seconds,
                             "cached": True, "command": shown})
            return res
        with tempfile.TemporaryDirectory() as tmp:
            inp, out, stats = Path(tmp) / "texts.jsonl", Path(tmp) / "out.npy", Path(tmp) / "stats.jsonl"
            inp.write_text("".join(json.dumps(t) + "\n" for t in texts), encoding="utf-8")
            cmd = [str(self.binary), "embed", "-m", str(model), "--input", "jsonl", "--output", "npy", "-o", str(out),
                   *cli_args]
            if layer_stats:
                cmd += ["--layer-stats", str(stats)]
            if self.threads:
                cmd += ["--threads", str(self.threads)]
            cmd.append(str(inp))
            t0 = time.time()
            proc = subprocess.run(cmd, capture_output=True)
            wall = time.time() - t0
            err = proc.stderr.decode("utf-8", "replace")
            if proc.returncode != 0:
                raise RuntimeError(f"edgembed embed failed ({proc.returncode}): {' '.join(cmd)}\n{err[-2000:]}")
            vectors = np.load(io.BytesIO(out.read_bytes()))
            dc = None
            if layer_stats:
                rows = [json.loads(line) for line in stats.read_text().split("\n") if line.strip()]
                dc = np.array(rows, dtype=np.float64).reshape(len(texts), -1)
        m = _STATS_RE.search(err)
        tokens = int(m.group(2)) if m else -1
        seconds = float(m.group(3)) if m else wall
        if vectors.shape[0] != len(texts):
            raise RuntimeError(f"edgembed returned {vectors.shape[0]} vectors for {len(texts)} texts")
        payload = {"vectors": vectors, "tokens": np.array(tokens), "seconds": np.array(seconds)}
        if dc is not None:
            payload["dc_share"] = dc
        self._cache_put(key, **payload)
        if self.verbose:
            print(f"  [{tag}] {model.name} {setting.label} {policy.label}: {len(texts)} texts, {tokens} tokens, "
                  f"{seconds:.1f} s", flush=True)
        self.log.append({"tag": tag, "phase": self.phase, "model": model.name, "setting": setting.label,
                         "policy": policy.label, "texts": len(texts), "tokens": tokens, "seconds": seconds,
                         "cached": False, "command": shown})
        return Embedded(vectors, dc, tokens, seconds, False, shown)

    # -- cache ---------------------------------------------------------------------------------------------
    def _cache_get(self, key: str):
        if not self.cache_dir:
            return None
        path = self.cache_dir / f"{key}.npz"
        if not path.exists():
            return None
        try:
            with np.load(path) as z:
                return {k: z[k] for k in z.files}
        except Exception:  # a torn file from an interrupted run: recompute
            return None

    def _cache_put(self, key: str, **arrays) -> None:
        if not self.cache_dir:
            return
        tmp = self.cache_dir / f".{key}.{os.getpid()}.npz"
        np.savez(tmp, **arrays)
        os.replace(tmp, self.cache_dir / f"{key}.npz")
