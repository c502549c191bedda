"""ModernBERT configs the runtime does not implement (rope scaling, other rotary types, attention and FFN
variants, other layer patterns) are refused at conversion, naming the key, and nothing is written.

Each case edits config.json of families.py's random-init ModernBERT folder (3 layers: a global layer and two
sliding-window ones; its weights linked, not copied) and runs the converter (EDGEMBED_CONVERT), as
test_qwen3_config_refusals.py does for Qwen3. The unedited folder converts (test_family_parity.py checks its vectors).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import families
from config_refusals import CONVERT, assert_refused, convert, edited_copy

FULL, SLIDING = "full_attention", "sliding_attention"
DEFAULT_ROPES = {FULL: {"rope_type": "default", "rope_theta": 160000.0},
                 SLIDING: {"rope_type": "default", "rope_theta": 10000.0}}

# (what, config.json keys set (None: removed), a fragment the message must hold)
CASES = [
    ("rope_scaling", {"rope_scaling": {"rope_type": "linear", "factor": 4.0}}, "rope_scaling"),
    ("rope type", {"rope_parameters": {**DEFAULT_ROPES, FULL: {"rope_type": "yarn", "rope_theta": 160000.0}}},
     "rope_parameters.full_attention.rope_type 'yarn'"),
    ("rope factor", {"rope_parameters": {**DEFAULT_ROPES, SLIDING: {"rope_type": "default", "factor": 2.0}}},
     "rope_parameters.sliding_attention.factor"),
    ("rope layer kind", {"rope_parameters": {**DEFAULT_ROPES, "chunked_attention": {"rope_type": "default"}}},
     "rope_parameters.chunked_attention"),
    ("rope theta", {"global_rope_theta": 0.5, "rope_parameters": None}, "rope_theta) must be > 1"),
    ("activation", {"hidden_activation": "silu"}, "hidden_activation 'silu'"),
    ("attention bias", {"attention_bias": True}, "attention_bias true"),
    ("mlp bias", {"mlp_bias": True}, "mlp_bias true"),
    ("norm bias", {"norm_bias": True}, "norm_bias true"),
    ("head dim", {"head_dim": 32}, "head_dim other than hidden_size / num_attention_heads"),
    ("layer kind", {"layer_types": [FULL, FULL, SLIDING]}, "layer_types[1] \"full_attention\""),
    ("layer count", {"layer_types": [FULL, SLIDING]}, "layer_types must list num_hidden_layers"),
    ("global period", {"global_attn_every_n_layers": 0, "layer_types": None}, "global_attn_every_n_layers must be >= 1"),
    ("window", {"local_attention": 1}, "local_attention must be >= 2"),
]


@pytest.fixture(scope="module")
def folder() -> Path:
    if not CONVERT.is_file():
        pytest.skip(f"converter {CONVERT} not built (set EDGEMBED_CONVERT)")
    return families.family_dir("modernbert", layers=3)


@pytest.mark.parametrize("what, changes, fragment", CASES, ids=[c[0] for c in CASES])
def test_refused_naming_the_key(folder, tmp_path, what, changes, fragment):
    assert_refused(folder, tmp_path, what, "config.json", changes, fragment)


def test_transformers_4_keys_convert(folder, tmp_path):
    """ModernBERT-base's own config (transformers 4): global_rope_theta / local_rope_theta, rope_scaling null, no
    rope_parameters and no layer_types."""
    edited = edited_copy(folder, tmp_path / "folder", "config.json",
                         {"rope_parameters": None, "layer_types": None, "global_rope_theta": 160000.0,
                          "local_rope_theta": 10000.0})
    config = json.loads((edited / "config.json").read_text())
    config["rope_scaling"] = None  # present and null
    (edited / "config.json").unlink()
    (edited / "config.json").write_text(json.dumps(config))
    proc = convert(edited, tmp_path / "model.edgembed")
    assert proc.returncode == 0, proc.stderr[-2000:]
