"""Gemma3 (EmbeddingGemma) configs and sentence-transformers Dense modules the runtime does not implement are
refused at conversion, naming the key, and nothing is written.

Each case edits one JSON file of families.py's random-init EmbeddingGemma folder (6 layers: five sliding-window
layers and a full one; its weights linked, not copied) and runs the converter (EDGEMBED_CONVERT), as
test_qwen3_config_refusals.py does for Qwen3. The unedited folder converts (test_family_parity.py checks its vectors).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import families
from config_refusals import CONVERT, assert_refused, convert, edited_copy

FAMILY, LAYERS = "gemma3_text", 6
SLIDING, FULL = "sliding_attention", "full_attention"
DEFAULT_ROPE = {"rope_type": "default", "rope_theta": 10000.0}

# (what, file, keys set (None: removed), a fragment the message must hold)
CASES = [
    ("rope_scaling", "config.json", {"rope_scaling": {"rope_type": "linear", "factor": 8.0}}, "rope_scaling"),
    ("rope type", "config.json", {"rope_parameters": {"full_attention": {"rope_type": "linear", "rope_theta": 1e6, "factor": 8.0},
                                                      "sliding_attention": DEFAULT_ROPE}},
     "rope_parameters.full_attention.rope_type 'linear'"),
    ("rope layer kind", "config.json", {"rope_parameters": {"rope_type": "default", "rope_theta": 1e6}},
     "rope_parameters.rope_theta (only full_attention and sliding_attention)"),
    ("rope theta", "config.json", {"rope_parameters": {"full_attention": {"rope_type": "default", "rope_theta": 0.5},
                                                       "sliding_attention": DEFAULT_ROPE}}, "rotary bases (rope_theta) must be > 1"),
    ("softcapping", "config.json", {"attn_logit_softcapping": 50.0}, "attn_logit_softcapping 50"),
    ("activation", "config.json", {"hidden_activation": "gelu"}, "hidden_activation 'gelu'"),
    ("attention bias", "config.json", {"attention_bias": True}, "attention_bias true"),
    ("causal", "config.json", {"use_bidirectional_attention": False}, "use_bidirectional_attention false"),
    ("layer kind", "config.json", {"layer_types": [SLIDING, SLIDING, "chunked_attention", SLIDING, SLIDING, FULL]},
     "layer_types[2] 'chunked_attention'"),
    ("layer pattern", "config.json", {"layer_types": [FULL, SLIDING, SLIDING, FULL, SLIDING, FULL]},
     "layer_types with layer 5 full"),
    ("layer count", "config.json", {"layer_types": [FULL]}, "layer_types must list num_hidden_layers"),
    ("window", "config.json", {"sliding_window": 1}, "sliding_window must be >= 2"),
    ("kv heads", "config.json", {"num_key_value_heads": 2}, "num_key_value_heads must divide num_attention_heads"),
    ("head dim", "config.json", {"head_dim": 255}, "head_dim must be even"),
    ("attention scalar", "config.json", {"query_pre_attn_scalar": 0}, "query_pre_attn_scalar must be > 0"),
    ("dense activation", "2_Dense/config.json", {"activation_function": "torch.nn.modules.activation.ReLU"},
     "activation_function 'torch.nn.modules.activation.ReLU'"),
    ("dense residual", "2_Dense/config.json", {"use_residual": True}, "use_residual true"),
    ("dense input", "2_Dense/config.json", {"module_input_name": "token_embeddings"}, "module_input_name 'token_embeddings'"),
    ("dense key", "2_Dense/config.json", {"dropout": 0.1}, "the key 'dropout'"),
    ("dense width", "3_Dense/config.json", {"in_features": 768}, "in_features 768 differs from the 3072 floats before it"),
]


@pytest.fixture(scope="module")
def folder() -> Path:
    if not CONVERT.is_file():
        pytest.skip(f"converter {CONVERT} not built (set EDGEMBED_CONVERT)")
    return families.family_dir(FAMILY, layers=LAYERS)


@pytest.mark.parametrize("what, file, changes, fragment", CASES, ids=[c[0] for c in CASES])
def test_refused_naming_the_key(folder, tmp_path, what, file, changes, fragment):
    assert_refused(folder, tmp_path, what, file, changes, fragment)


def test_dense_before_pooling_refused(folder, tmp_path):
    edited = edited_copy(folder, tmp_path / "folder", "config.json", {})
    modules = json.loads((edited / "modules.json").read_text())
    modules[1], modules[2] = modules[2], modules[1]
    (edited / "modules.json").unlink()
    (edited / "modules.json").write_text(json.dumps(modules))
    proc = convert(edited, tmp_path / "model.edgembed")
    assert proc.returncode != 0 and "unexpected Dense module" in proc.stderr, proc.stderr[-2000:]


def test_transformers_4_keys_convert(folder, tmp_path):
    """An older config: rope_theta / rope_local_base_freq, rope_scaling null, no rope_parameters, no layer_types
    (sliding_window_pattern 6), as EmbeddingGemma's folder was written by transformers 4."""
    changes = {"rope_theta": 1e6, "rope_local_base_freq": 10000.0, "rope_parameters": None, "layer_types": None,
               "sliding_window_pattern": 6}
    edited = edited_copy(folder, tmp_path / "folder", "config.json", changes)
    config = json.loads((edited / "config.json").read_text())
    config["rope_scaling"] = None  # present and null, as transformers 4 writes it
    (edited / "config.json").write_text(json.dumps(config))
    proc = convert(edited, tmp_path / "model.edgembed")
    assert proc.returncode == 0, proc.stderr[-2000:]
    reference = tmp_path / "reference.edgembed"
    assert convert(folder, reference).returncode == 0
    options = json.loads(_inspect(tmp_path / "model.edgembed"))["config"]["family_options"]
    assert options == json.loads(_inspect(reference))["config"]["family_options"]


def _inspect(model: Path) -> str:
    import subprocess

    import edgembed_cli
    proc = subprocess.run([edgembed_cli.BIN, "inspect", str(model)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout
