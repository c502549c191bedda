"""Qwen3 configs the runtime does not implement are refused at conversion, naming the key, and nothing is written.

Each case edits config.json of families.py's random-init Qwen3 folder (2 layers; its weights linked, not copied)
and runs the converter (EDGEMBED_CONVERT): exit status 1, the key in the message, no output file. The unedited
folder converts (tests/python/test_family_parity.py checks its vectors).
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import families

CONVERT = Path(os.environ.get("EDGEMBED_CONVERT", families.REPO_ROOT / "build" / "tools" / "convert" / "edgembed-convert"))

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


def edited_copy(folder: Path, out: Path, changes: dict) -> Path:
    """folder with its config.json changed; every other file linked."""
    out.mkdir()
    for path in folder.iterdir():
        if path.name != "config.json" and not path.name.startswith("."):
            (out / path.name).symlink_to(path)
    config = json.loads((folder / "config.json").read_text())
    for key, value in changes.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    (out / "config.json").write_text(json.dumps(config, indent=2))
    return out


def convert(folder: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CONVERT), str(folder), str(out), "--dtype", "f32", "--no-progress"],
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("what, changes, fragment", CASES, ids=[c[0] for c in CASES])
def test_refused_naming_the_key(folder, tmp_path, what, changes, fragment):
    out = tmp_path / "out" / "model.edgembed"
    out.parent.mkdir()
    proc = convert(edited_copy(folder, tmp_path / "folder", changes), out)
    print(f"{what}: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else '(no message)'}")
    assert proc.returncode != 0, f"{what}: converted"
    assert fragment in proc.stderr, proc.stderr[-2000:]
    assert "config.json" in proc.stderr, proc.stderr[-2000:]
    assert not any(out.parent.iterdir()), "a refused conversion left files behind"


def test_transformers_4_keys_convert(folder, tmp_path):
    """An older config: top-level rope_theta, rope_scaling null, no layer_types and no rope_parameters."""
    changes = {"rope_theta": 1e6, "rope_scaling": None, "rope_parameters": None, "layer_types": None,
               "sliding_window": None}
    edited = edited_copy(folder, tmp_path / "folder", changes)
    config = json.loads((edited / "config.json").read_text())
    config["rope_scaling"] = None  # present and null, as transformers 4 writes it
    (edited / "config.json").write_text(json.dumps(config))
    proc = convert(edited, tmp_path / "model.edgembed")
    assert proc.returncode == 0, proc.stderr[-2000:]
