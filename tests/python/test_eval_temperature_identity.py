"""tau = 1 is the unmodified model, bit for bit: `--temperature 1.0` writes the same bytes as no temperature flag
(for a model whose stored default is 1), in f32 and int8, truncated and windowed; so do a length-aware
reference longer than every sequence and per-layer factors of 1."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import edgembed_bin, load_texts
from edgembed_eval.runner import model_path

DTYPES = ("f32", "int8")


def _texts() -> list[str]:
    # Short sentences, medium abstracts, man pages of about 300-1,200 tokens (truncated or windowed at 256).
    pages = [t for t in load_texts("manpages_corpus") if 1500 <= len(t) <= 5000][:4]
    return load_texts("stsb_test")[:20] + load_texts("scifact_corpus")[:8] + pages


def _embed(model: Path, texts: list[str], *flags: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "t.jsonl", Path(tmp) / "o.npy"
        inp.write_text("".join(json.dumps(t) + "\n" for t in texts), encoding="utf-8")
        subprocess.run([str(edgembed_bin()), "embed", "-m", str(model), "--input", "jsonl", "--output", "npy",
                        "-o", str(out), "--threads", "2", *flags, str(inp)], check=True, capture_output=True)
        return out.read_bytes()


def _default_temperature(model: Path) -> float:
    proc = subprocess.run([str(edgembed_bin()), "inspect", str(model)], check=True, capture_output=True, text=True)
    return float(json.loads(proc.stdout)["config"]["default_temperature"])


@pytest.fixture(scope="module", params=DTYPES)
def model(request, edgembed_cli):
    path = model_path(request.param)
    if not path.is_file():
        pytest.skip(f"{path} missing (scripts/setup.sh converts it)")
    return path


@pytest.mark.parametrize("policy", [("--max-length", "256"), ("--max-length", "256", "--long-input", "window")])
def test_temperature_one_is_bit_identical_to_no_flag(model, policy):
    if _default_temperature(model) != 1.0:
        pytest.skip(f"{model.name} stores a default temperature != 1; no flag is not the unmodified model")
    texts = _texts()
    plain = _embed(model, texts, *policy)
    assert _embed(model, texts, "--temperature", "1.0", *policy) == plain
    assert _embed(model, texts, "--temperature", "1.0", "--length-scale-ref", "100000", "--length-scale-exp", "2",
                  *policy) == plain
    assert _embed(model, texts, "--temperature", "1", "--layer-temperatures", "1,1,1,1,1,1", *policy) == plain
    # And a tau != 1 does change the vectors (the flag is not ignored).
    assert _embed(model, texts, "--temperature", "0.9", *policy) != plain
