"""EmbeddingGemma (gemma3_text) through the other ways in: TempScale, `--long-input window`, the Python package and
the C API, each against an independent reference on families.py's random-init folder (6 layers: five
sliding-window layers and a full one, the two Dense modules, Normalize), converted in f32.

- TempScale: softmax(QK^T * scale / tau) in transformers' eager Gemma3 attention (reference.tempscale) against
  `--temperature`.
- Windows: a text past 2048 tokens embedded as windows of 512 tokens; the reference runs sentence-transformers'
  Transformer and Pooling modules on each window (the same token ids), takes the token-weighted mean of the
  pooled vectors, then its Dense and Normalize modules: Dense applies once, to the combined vector.
- Python package (conftest's edgembed_pkg) and the C API (examples/c_embed) give the CLI's vectors; token
  embeddings have the hidden size, before the Dense modules.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

import edgembed_cli
import families
import reference
from test_family_parity import CONVERT, assert_close, convert, edgembed_ids, long_texts, manpage_texts, window_ids

FAMILY, LAYERS = "gemma3_text", 6
TAU = 0.8
WINDOW_LENGTH = 512


@pytest.fixture(scope="module")
def folder() -> Path:
    if not CONVERT.is_file():
        pytest.skip(f"converter {CONVERT} not built (set EDGEMBED_CONVERT)")
    return families.family_dir(FAMILY, layers=LAYERS)


@pytest.fixture(scope="module")
def model(folder, tmp_path_factory) -> str:
    return str(convert(folder, "f32", tmp_path_factory.mktemp("gemma3-models")))


def test_tempscale(folder, model):
    import torch
    from sentence_transformers import SentenceTransformer

    texts = manpage_texts(4)
    ours = edgembed_cli.embed(texts, model=model, max_length=1024, tau=TAU)
    st = SentenceTransformer(str(folder), device="cpu", model_kwargs={"dtype": torch.float32, "attn_implementation": "eager"})
    st.max_seq_length = 1024
    with reference.tempscale(TAU, "gemma3"), torch.inference_mode():
        ref = st.encode(texts, convert_to_numpy=True)
    assert_close(f"gemma3_text L{LAYERS} tau {TAU} @ 1024", ours, ref)
    plain = edgembed_cli.embed(texts, model=model, max_length=1024)
    assert np.all(np.sum(plain * ours, axis=1) < 0.99999), "the temperature changed nothing"


def test_long_input_window(folder, model):
    text = long_texts(1, 2560)[0][:9000]  # about 2,600 pieces: 9 windows
    pieces = edgembed_ids(model, [text], 0, special=False)[0]
    assert len(pieces) > 2048, len(pieces)  # past the model's limit: only windows see all of it
    windows = window_ids(model, text, WINDOW_LENGTH)
    ref = reference.embed_windows_folder(folder, windows, WINDOW_LENGTH)
    ours = edgembed_cli.embed([text], model=model, max_length=WINDOW_LENGTH, extra=["--long-input", "window"])
    assert_close(f"gemma3_text L{LAYERS}: {len(windows)} windows of {WINDOW_LENGTH}", ours, ref)


def test_python_package_and_c_api(model, edgembed_pkg):
    texts = manpage_texts(6)
    cli = edgembed_cli.embed(texts, model=model, max_length=600)
    py_model = edgembed_pkg.Model(model)
    ours = py_model.encode(texts, max_length=600)
    assert ours.shape == cli.shape == (6, 768)
    assert float(np.max(np.abs(ours - cli))) <= 1e-6
    # Matryoshka: the first 256 dimensions of the Dense output, normalized again (sentence-transformers' order).
    cut = py_model.encode(texts, max_length=600, truncate_dim=256)
    want = cli[:, :256] / np.linalg.norm(cli[:, :256], axis=1, keepdims=True)
    assert np.allclose(cut / np.linalg.norm(cut, axis=1, keepdims=True), want, atol=1e-6)
    states = py_model.encode(texts[0], max_length=600, output_value="token_embeddings")
    assert states.ndim == 2 and states.shape[1] == 768  # the hidden size: token states come before the Dense modules

    example = Path(edgembed_cli.BIN).parents[2] / "examples" / "c_embed" / "edgembed_c_embed"
    if not example.is_file():
        pytest.skip(f"{example} not built")
    proc = subprocess.run([str(example), model, texts[0][:400]], capture_output=True, text=True, check=True)
    c_vector = np.array(json.loads(proc.stdout), dtype=np.float32)
    cli_one = edgembed_cli.embed([texts[0][:400]], model=model, threads=1)[0]
    assert float(np.max(np.abs(c_vector - cli_one))) <= 1e-6
