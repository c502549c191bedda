"""Qwen3 configs the runtime does not implement are refused at conversion, naming the key, and nothing is written.

Each case edits config.json of families.py's random-init Qwen3 folder (2 layers; its weights linked, not copied)
and runs the converter (EDGEMBED_CONVERT): exit status 1, the key in the message, no output file. The unedited
folder converts (tests/python/test_family_parity.py checks its vectors).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import families
from config_refusals import CONVERT, assert_refused, convert, edited_copy


ALL_FULL = ["full_attention", "full_attention"]
# (what, config.json keys set (None: removed), a fragment the message must hold)
CASES = [
    ("rope_scaling", {"rope_scaling": {"rope_type": "yarn", "factor": 4.0}}, "rope_scaling"),
    ("rope type", {"rope_parameters": {"rope_type": "yarn", "rope_theta": 1e6, "factor": 4.0}},
     "rope_parameters.rope_type 'yarn'"),
    ("rope factor", {"rope_parameters": {"rope_type": "default", "rope_theta": 1e6, "factor": 2.0}}, "rope_parameters.factor"),
    ("rope theta", {"rope_parameters": {"rope_type": "default", "rope_theta": 0.5}}, "rope_theta must be > 1"),
    ("sliding window", {"use_sliding_window": True, "sliding_window": 4096}, "use_sliding_window true"),
    ("sliding layer", {"layer_types": ["full_attention", "sliding_attention"]}, "layer_types[1] \"sliding_attention\""),
    ("layer count", {"layer_types": ["full_attention"]}, "layer_types must list num_hidden_layers"),
    ("attention bias", {"attention_bias": True}, "attention_bias true"),
    ("activation", {"hidden_act": "gelu"}, "hidden_act 'gelu'"),
    ("kv heads", {"num_key_value_heads": 3}, "num_key_value_heads must divide num_attention_heads"),
    ("head dim", {"head_dim": 127}, "head_dim must be even"),
]


@pytest.fixture(scope="module")
def folder() -> Path:
    if not CONVERT.is_file():
        pytest.skip(f"converter {CONVERT} not built (set EDGEMBED_CONVERT)")
    return families.family_dir("qwen3", layers=2)


@pytest.mark.parametrize("what, changes, fragment", CASES, ids=[c[0] for c in CASES])
def test_refused_naming_the_key(folder, tmp_path, what, changes, fragment):
    assert_refused(folder, tmp_path, what, "config.json", changes, fragment)


def test_transformers_4_keys_convert(folder, tmp_path):
    """An older config: top-level rope_theta, rope_scaling null, no layer_types and no rope_parameters."""
    changes = {"rope_theta": 1e6, "rope_scaling": None, "rope_parameters": None, "layer_types": None,
               "sliding_window": None}
    edited = edited_copy(folder, tmp_path / "folder", "config.json", changes)
    config = json.loads((edited / "config.json").read_text())
    config["rope_scaling"] = None  # present and null, as transformers 4 writes it
    (edited / "config.json").write_text(json.dumps(config))
    proc = convert(edited, tmp_path / "model.edgembed")
    assert proc.returncode == 0, proc.stderr[-2000:]
