"""Long-input policy, length-aware / per-layer temperature and layer statistics, through the CLI."""
from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

import edgembed_cli
from conftest import load_texts

pytestmark = pytest.mark.skipif(not edgembed_cli.available(), reason="edgembed CLI or model not built")


def embed(texts: list[str], *extra: str) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "v.npy"
        subprocess.run([edgembed_cli.BIN, "embed", "-m", edgembed_cli.MODEL, "--input", "jsonl", "--output", "npy",
                        "-o", str(out), *extra], input="".join(json.dumps(t) + "\n" for t in texts), text=True,
                       check=True, capture_output=True)
        return np.load(out)


@pytest.fixture(scope="module")
def texts() -> list[str]:
    docs = load_texts("manpages_corpus")
    return load_texts("stsb_test")[:20] + [d for d in docs if len(d) > 6000][:5]


def test_window_equals_truncate_when_texts_fit(texts: list[str]) -> None:
    short = texts[:20]
    assert np.array_equal(embed(short, "--long-input", "window"), embed(short))


def test_windows_cover_long_texts(texts: list[str]) -> None:
    truncated = embed(texts, "--max-length", "128")
    windowed = embed(texts, "--max-length", "128", "--long-input", "window")
    assert np.array_equal(windowed[:20], truncated[:20])
    assert np.allclose(np.linalg.norm(windowed, axis=1), 1.0, atol=1e-5)
    # A long text's pooled windows differ from its first window alone...
    assert np.all(np.sum(windowed[20:] * truncated[20:], axis=1) < 0.999)
    # ...and stay close to what the whole text is about (its own truncated embedding).
    assert np.all(np.sum(windowed[20:] * truncated[20:], axis=1) > 0.5)
    # The stride changes the windows, not the policy.
    strided = embed(texts, "--max-length", "128", "--long-input", "window", "--window-stride", "126")
    assert not np.array_equal(strided[20:], windowed[20:])


def test_stderr_reports_truncation_and_windows(texts: list[str]) -> None:
    stdin = "".join(json.dumps(t) + "\n" for t in texts)
    truncated = edgembed_cli.run(["embed", "-m", edgembed_cli.MODEL, "--input", "jsonl", "--max-length", "128"], stdin)
    assert "5 truncated at 128 tokens" in truncated.stderr
    windowed = edgembed_cli.run(["embed", "-m", edgembed_cli.MODEL, "--input", "jsonl", "--max-length", "128",
                                 "--long-input", "window"], stdin)
    assert "0 truncated" in windowed.stderr and "5 split into" in windowed.stderr


def test_length_scale_only_touches_longer_texts(texts: list[str]) -> None:
    base = embed(texts)
    assert np.array_equal(embed(texts, "--length-scale-ref", "512"), base)  # nothing is longer than 512 here
    scaled = embed(texts, "--length-scale-ref", "32")
    lengths = [len(edgembed_cli.run(["tokenize", "-m", edgembed_cli.MODEL], t.replace("\n", " ") + "\n").stdout.split(","))
               for t in texts]
    for i, n in enumerate(lengths):
        if n <= 32:
            assert np.array_equal(scaled[i], base[i])
        else:
            assert not np.array_equal(scaled[i], base[i])


def test_layer_temperatures(texts: list[str]) -> None:
    base = embed(texts[:20])
    assert np.array_equal(embed(texts[:20], "--layer-temperatures", "1,1,1,1,1,1"), base)
    uniform = embed(texts[:20], "--layer-temperatures", "0.7,0.7,0.7,0.7,0.7,0.7")
    assert np.max(np.abs(uniform - embed(texts[:20], "--temperature", "0.7"))) < 1e-6
    bad = edgembed_cli.run(["embed", "-m", edgembed_cli.MODEL, "--layer-temperatures", "1,1"], "x\n")
    assert bad.returncode != 0 and "expected one per layer (6), got 2" in bad.stderr


def test_layer_stats_are_dc_shares(texts: list[str], tmp_path: Path) -> None:
    stats_file = tmp_path / "stats.jsonl"
    embed(texts, "--max-length", "512", "--layer-stats", str(stats_file))
    rows = np.array([json.loads(line) for line in stats_file.read_text().splitlines()])
    assert rows.shape == (len(texts), 7)
    assert np.all((rows >= 0) & (rows <= 1 + 1e-6))
    # The share of the mean grows through the layers (attention averages tokens): the last layer keeps
    # more of it than the embeddings do, for every text.
    assert np.all(rows[:, -1] > rows[:, 0])
