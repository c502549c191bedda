"""Hostile input through the command line tools (status and message checked on every refusal).

Texts: invalid UTF-8 (refused, naming the text and byte), NUL bytes via JSON lines "\\u0000", control
characters, empty and whitespace-only texts (embedded as [CLS] [SEP], equal to sentence-transformers'
vector for the same text: tests/python/reference.py is the independent reference), a 10 MB text of several
shapes (finishes in bounded time and memory, truncated). Model files: NaN / Inf weights (the CLI refuses to
print non-finite vectors), a truncated and a bit-flipped file. Converter: a failure leaves no output file
and no temporary behind, and an existing output untouched.

Tiny models come from edgembed-tiny-model (fuzz/make_tiny_model.cpp), next to the test binaries
(EDGEMBED_TINY_MODEL overrides the path).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import edgembed_cli
import reference

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(edgembed_cli.BIN).resolve().parents[2]
TINY_MODEL_TOOL = Path(os.environ.get("EDGEMBED_TINY_MODEL", BUILD / "tests" / "edgembed-tiny-model"))
CONVERT = Path(os.environ.get("EDGEMBED_CONVERT", BUILD / "tools" / "convert" / "edgembed-convert"))
F32_MIN_COSINE = 0.99999   # as tests/python/test_vector_parity.py
F32_MAX_ABS_DIFF = 1e-4
BIG_TEXT_BYTES = 10 * 1024 * 1024
BIG_TEXT_SECONDS = 60      # about 2-3 s in a release build on 2 cores
BIG_TEXT_EXTRA_RSS_MB = 400  # peak RSS above embedding a short text; about 100 MB measured

pytestmark = pytest.mark.skipif(not edgembed_cli.available(), reason="edgembed CLI or model not built")


def jsonl(texts: list[str]) -> bytes:
    return "".join(json.dumps(t) + "\n" for t in texts).encode()


def cli(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([edgembed_cli.BIN, *args], input=stdin, capture_output=True, timeout=600)


def embed_jsonl(texts: list[str], model: str = edgembed_cli.MODEL) -> np.ndarray:
    return edgembed_cli.embed(texts, model=model)


def expect_error(proc: subprocess.CompletedProcess, message: str, status: str) -> None:
    stderr = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 1, f"exit {proc.returncode}, stderr: {stderr}"
    assert proc.stdout == b"", "nothing may be printed on an error"
    assert message in stderr and f"[{status}]" in stderr, stderr


def tiny_model(tmp_path: Path, name: str, *args: str) -> str:
    if not TINY_MODEL_TOOL.is_file():
        pytest.skip(f"{TINY_MODEL_TOOL} not built")
    path = tmp_path / name
    subprocess.run([str(TINY_MODEL_TOOL), str(path), *args], check=True, capture_output=True)
    return str(path)


# --- texts ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, byte", [(b"bad \xff byte", 4), (b"\xc0\xaf overlong", 0), (b"ok \xed\xa0\x80 surrogate", 3),
                                       (b"cut short \xe2\x82", 10), (b"\x80 stray continuation", 0)])
def test_invalid_utf8_is_refused_naming_text_and_byte(bad: bytes, byte: int) -> None:
    proc = cli(["embed", "-m", edgembed_cli.MODEL], stdin=b"fine\nalso fine\n" + bad + b"\n")
    expect_error(proc, f"text 2: invalid UTF-8 at byte {byte}", "invalid UTF-8")


def test_lone_surrogate_escape_in_json_lines_is_refused() -> None:
    proc = cli(["embed", "-m", edgembed_cli.MODEL, "--input", "jsonl"], stdin=b'"ok"\n"\\ud800 lone"\n')
    expect_error(proc, "line 2 is not valid JSON", "invalid argument")


def test_nul_bytes_inside_texts_are_dropped() -> None:
    vectors = embed_jsonl(["the\u0000 cat\u0000\u0000s", "the cats", "\u0000", "", "\u0000" * 1000])
    assert np.array_equal(vectors[0], vectors[1])
    assert np.array_equal(vectors[2], vectors[3]) and np.array_equal(vectors[4], vectors[3])


def test_control_characters_inside_words_join_them() -> None:
    vectors = embed_jsonl(["c\u0001a\u007ft\u0085s", "cats", "c\u200bats"])
    assert np.array_equal(vectors[0], vectors[1]) and np.array_equal(vectors[2], vectors[1])


EMPTY_LIKE = ["", " ", "\t\n\r \u000b\u000c", "\u3000\u00a0\u2028", "\u0001\u001f\u007f\u0085\u009f", "\u200b\ufeff\ufffd",
              " " * 5000]


def test_empty_and_whitespace_only_texts_match_sentence_transformers() -> None:
    ours = embed_jsonl(EMPTY_LIKE)
    for i in range(1, len(EMPTY_LIKE)):
        assert np.array_equal(ours[i], ours[0]), f"text {i} ({EMPTY_LIKE[i][:10]!r}) is not [CLS] [SEP]"
    tokens = cli(["tokenize", "-m", edgembed_cli.MODEL, "--input", "jsonl"], stdin=jsonl(EMPTY_LIKE)).stdout.decode()
    assert tokens.split("\n")[:-1] == ["[101,102]"] * len(EMPTY_LIKE)
    ref = reference.cached_embed(EMPTY_LIKE, 256)
    cosine = np.sum(ours * ref, axis=1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(ref, axis=1))
    assert cosine.min() >= F32_MIN_COSINE, cosine
    assert np.max(np.abs(ours - ref)) <= F32_MAX_ABS_DIFF


def _run_measured(args: list[str], stdin: bytes) -> tuple[subprocess.CompletedProcess, float, float]:
    """Runs the CLI from a fresh Python process, so that RUSAGE_CHILDREN's peak is this run's alone."""
    probe = ("import resource, subprocess, sys, time\n"
             "t = time.monotonic()\n"
             "p = subprocess.run(sys.argv[1:], stdin=sys.stdin, stdout=subprocess.DEVNULL, stderr=sys.stderr)\n"
             "print(p.returncode, time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    proc = subprocess.run([sys.executable, "-c", probe, edgembed_cli.BIN, *args], input=stdin, capture_output=True,
                          timeout=600)
    code, seconds, max_rss_kb = proc.stdout.decode().split()
    return subprocess.CompletedProcess(args, int(code), b"", proc.stderr), float(seconds), int(max_rss_kb) / 1024


BIG_TEXTS = {
    "words": lambda n: "the quick brown fox " * (n // 20),
    "one word": lambda n: "a" * n,
    "lines": lambda n: "ab\n" * (n // 3),
    # A run of combining marks in decreasing class order: quadratic in the normalizer before it sorted runs.
    "combining marks": lambda n: "a" + "\u0301" * (n // 4) + "\u0316" * (n // 4),
}


@pytest.mark.parametrize("shape", BIG_TEXTS)
def test_10mb_text_is_truncated_in_bounded_time_and_memory(shape: str) -> None:
    args = ["embed", "-m", edgembed_cli.MODEL, "--input", "jsonl"]
    baseline, _, baseline_rss = _run_measured(args, jsonl(["hello world"]))
    assert baseline.returncode == 0, baseline.stderr
    text = BIG_TEXTS[shape](BIG_TEXT_BYTES)
    assert len(text.encode()) >= BIG_TEXT_BYTES - 4
    proc, seconds, rss = _run_measured(args, jsonl([text]))
    stderr = proc.stderr.decode()
    print(f"{shape}: {seconds:.2f} s, peak RSS {rss:.0f} MB (short text: {baseline_rss:.0f} MB); {stderr.strip()}")
    assert proc.returncode == 0, stderr
    assert "embedded 1 texts" in stderr
    if shape in ("words", "lines"):
        assert "1 truncated at 256 tokens" in stderr
    assert seconds < BIG_TEXT_SECONDS
    assert rss - baseline_rss < BIG_TEXT_EXTRA_RSS_MB


# --- model files ---------------------------------------------------------------------------------

@pytest.mark.parametrize("weights", ["f32", "int8"])
@pytest.mark.parametrize("poison", ["embeddings.LayerNorm.weight=nan", "encoder.layer.0.output.LayerNorm.bias=inf"])
def test_non_finite_weights_are_reported_not_printed(tmp_path: Path, weights: str, poison: str) -> None:
    model = tiny_model(tmp_path, "bad.edgembed", "--weights", weights, "--poison", poison)
    good = tiny_model(tmp_path, "good.edgembed", "--weights", weights)
    assert cli(["embed", "-m", good], stdin=b"the cat\n").returncode == 0
    out = tmp_path / "vectors.jsonl"
    proc = cli(["embed", "-m", model, "-o", str(out)], stdin=b"fine\nthe cat\n")
    expect_error(proc, "text 0: the embedding has NaN or Inf values", "invalid weights")
    assert not out.exists(), "no output file on an error"


def test_damaged_model_files_are_refused(tmp_path: Path) -> None:
    data = Path(tiny_model(tmp_path, "good.edgembed")).read_bytes()
    truncated = tmp_path / "truncated.edgembed"
    truncated.write_bytes(data[: len(data) // 2])
    expect_error(cli(["embed", "-m", str(truncated)], stdin=b"x\n"), "(truncated or padded file)", "corrupt model file")
    flipped = bytearray(data)
    flipped[-5] ^= 0x10
    damaged = tmp_path / "flipped.edgembed"
    damaged.write_bytes(bytes(flipped))
    expect_error(cli(["embed", "-m", str(damaged)], stdin=b"x\n"), "checksum mismatch (the file is damaged)",
                 "corrupt model file")
    expect_error(cli(["embed", "-m", str(tmp_path / "absent.edgembed")], stdin=b"x\n"), "cannot open model file",
                 "file not found")


# --- converter -----------------------------------------------------------------------------------

def test_converter_failure_leaves_no_partial_output(tmp_path: Path) -> None:
    if not CONVERT.is_file():
        pytest.skip(f"{CONVERT} not built")
    source = Path(reference.model_dir())
    hf = tmp_path / "hf"
    hf.mkdir()
    for entry in source.iterdir():  # everything but the weights, linked
        if entry.name != "model.safetensors":
            (hf / entry.name).symlink_to(entry)
    weights = (source / "model.safetensors").read_bytes()
    (hf / "model.safetensors").write_bytes(weights[: len(weights) // 3])  # cut inside the tensor data
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "model.edgembed"
    for dtype in ("f32", "int8"):
        proc = subprocess.run([str(CONVERT), str(hf), str(out), "--dtype", dtype], capture_output=True, timeout=600)
        stderr = proc.stderr.decode()
        assert proc.returncode == 1 and "edgembed-convert: error: model.safetensors: " in stderr, stderr
        assert list(out_dir.iterdir()) == [], "a failed conversion left files behind"
    out.write_bytes(b"previous model")
    proc = subprocess.run([str(CONVERT), str(hf), str(out)], capture_output=True, timeout=600)
    assert proc.returncode == 1
    assert out.read_bytes() == b"previous model" and list(out_dir.iterdir()) == [out]
