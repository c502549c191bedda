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


def setting_flags(setting: str) -> list[str]:
    """CLI flags for a setting in the study notation ("tau=1 N0=128 A=1 layers=1,1,0.8")."""
    names = {"tau": "--temperature", "N0": "--length-scale-ref", "A": "--length-scale-exp",
             "layers": "--layer-temperatures"}
    flags = []
    for item in setting.split():
        key, value = item.split("=")
        flags += [names[key], value]
    return flags


def test_temperature_auto_is_the_stored_setting(texts: list[str], tmp_path: Path) -> None:
    """--temperature auto applies the label-free setting stored at conversion (scripts/setup.sh stores the
    study's choice): the same bits as its flags given by hand. auto next to explicit factors, or a word that
    is neither a number nor auto, is refused (a model storing no setting: test_temperature_setting.cpp)."""
    info = json.loads(subprocess.run([edgembed_cli.BIN, "inspect", edgembed_cli.MODEL], check=True,
                                     capture_output=True, text=True).stdout)
    stored = info["config"].get("auto_temperature")
    assert stored, "the default model should store an auto temperature (scripts/setup.sh)"
    notation = " ".join([f"tau={stored['tau']:g}"]
                        + ([f"N0={stored['length_scale_reference']}", f"A={stored['length_scale_exponent']:g}"]
                           if stored["length_scale_reference"] else [])
                        + (["layers=" + ",".join(f"{f:g}" for f in stored["layer_factors"])]
                           if stored["layer_factors"] else []))
    auto = embed(texts, "--temperature", "auto")
    assert np.array_equal(auto, embed(texts, *setting_flags(notation)))
    assert not np.array_equal(auto, embed(texts))

    proc = subprocess.run([edgembed_cli.BIN, "embed", "-m", edgembed_cli.MODEL, "--temperature", "auto",
                           "--layer-temperatures", ",".join(["1"] * info["config"]["num_layers"])],
                          input="x\n", text=True, capture_output=True)
    assert proc.returncode == 1 and "do not also give them" in proc.stderr
    proc = subprocess.run([edgembed_cli.BIN, "embed", "-m", edgembed_cli.MODEL, "--temperature", "warm"],
                          input="x\n", text=True, capture_output=True)
    assert proc.returncode == 1 and "neither a number nor 'auto'" in proc.stderr


def test_progress_on_request_only(texts: list[str]) -> None:
    """--progress draws a progress line on stderr (the default when stderr is a terminal); piped, none."""
    cmd = [edgembed_cli.BIN, "embed", "-m", edgembed_cli.MODEL, "--input", "jsonl", "--batch-size", "4"]
    stdin = "".join(json.dumps(t) + "\n" for t in texts)
    shown = subprocess.run(cmd + ["--progress"], input=stdin, text=True, capture_output=True, check=True)
    # embed streams its input, so from a pipe it knows the texts done, not the total: "embedding N texts, ..."
    assert f"embedding {len(texts)} texts" in shown.stderr
    quiet = subprocess.run(cmd, input=stdin, text=True, capture_output=True, check=True)
    assert "embedding " not in quiet.stderr and quiet.stdout == shown.stdout
