"""`edgembed embed` streams: it reads, embeds and writes a chunk of texts at a time (4,096), so memory stays
bounded whatever the input's length, output appears while input still arrives, and an npy file gets its row
count written into its header at the end."""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

import edgembed_cli
from conftest import FULL_SHAPES

CHUNK_TEXTS = 4096  # tools/cli/main.cpp kChunkTexts
# The same code and batches either way: results are bit-identical whatever the batch around a text.
STREAM_MAX_ABS_DIFF = 0.0
BIG_INPUT = 1_000_000 if FULL_SHAPES else 100_000

pytestmark = pytest.mark.skipif(not edgembed_cli.available(), reason="edgembed CLI or model not built")


def int8_model() -> str:
    """The int8 MiniLM beside EDGEMBED_MODEL (scripts/setup.sh converts all three), else EDGEMBED_MODEL."""
    candidate = Path(edgembed_cli.MODEL.replace(".f32.", ".int8."))
    return str(candidate) if candidate.is_file() else edgembed_cli.MODEL


def lines(count: int) -> list[str]:
    words = ["edge", "phones", "vectors", "stream", "chunk", "memory", "texts", "model"]
    return [f"{words[i % 8]} {i} {words[(i * 7) % 8]}" for i in range(count)]


def summary(stderr: str) -> dict:
    m = re.search(r"embedded (\d+) texts .*, ([\d.e+-]+) s, (\d+) texts/s, peak memory (\d+) MB", stderr)
    assert m, stderr
    return {"texts": int(m[1]), "seconds": float(m[2]), "rate": int(m[3]), "peak_mb": int(m[4])}


def test_chunks_equal_one_call(tmp_path):
    """9,000 texts (three chunks) give the rows a single call gives, in npy and jsonl."""
    texts = lines(9_000)
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n")
    out = tmp_path / "out.npy"
    proc = edgembed_cli.run(["embed", "-m", int8_model(), "--output", "npy", "-o", str(out), "--batch-size", "64",
                             str(tmp_path / "in.txt")])
    assert proc.returncode == 0, proc.stderr
    streamed = np.load(out)
    assert streamed.shape == (9_000, 384) and streamed.dtype == np.float32
    assert summary(proc.stderr)["texts"] == 9_000
    picks = [0, 1, CHUNK_TEXTS - 1, CHUNK_TEXTS, 2 * CHUNK_TEXTS + 5, 8_999]
    single = edgembed_cli.embed([texts[i] for i in picks], model=int8_model())
    assert float(np.max(np.abs(streamed[picks] - single))) <= STREAM_MAX_ABS_DIFF
    jsonl = edgembed_cli.run(["embed", "-m", int8_model(), "--batch-size", "64", str(tmp_path / "in.txt")])
    rows = jsonl.stdout.splitlines()
    assert len(rows) == 9_000
    assert np.array_equal(np.array([json.loads(rows[i]) for i in picks], dtype=np.float32), streamed[picks])
    # No input: a (0, dim) array.
    empty = edgembed_cli.run(["embed", "-m", int8_model(), "--output", "npy", "-o", str(out)], stdin="")
    assert empty.returncode == 0 and np.load(out).shape == (0, 384)


def test_output_arrives_while_input_is_open():
    """With stdin still open, the vectors of the first chunk come out: nothing waits for the input's end."""
    proc = subprocess.Popen([edgembed_cli.BIN, "embed", "-m", int8_model(), "--batch-size", "64"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        proc.stdin.write("\n".join(lines(CHUNK_TEXTS + 10)) + "\n")
        proc.stdin.flush()
        got = []

        def read_first_chunk():
            for _ in range(CHUNK_TEXTS):
                got.append(proc.stdout.readline())

        reader = threading.Thread(target=read_first_chunk, daemon=True)
        reader.start()
        reader.join(timeout=120)
        assert len(got) == CHUNK_TEXTS and all(line.startswith("[") for line in got)
        assert proc.poll() is None  # still waiting for the rest
    finally:
        proc.stdin.close()
        proc.stdout.read()
        proc.wait(timeout=120)
    assert proc.returncode == 0


def test_memory_stays_bounded(tmp_path):
    """BIG_INPUT lines: the peak resident memory stays near the 20,000-line run's, far below what their
    vectors alone would take held at once (BIG_INPUT x 384 x 4 bytes: 154 MB in CI). Texts of two tokens
    ([CLS] [SEP]: --max-length 2) keep it cheap; the memory per text is the same at any length."""
    peaks = {}
    for count in (20_000, BIG_INPUT):
        path = tmp_path / f"{count}.txt"
        path.write_text("".join(f"{i}\n" for i in range(count)))
        proc = edgembed_cli.run(["embed", "-m", int8_model(), "--max-length", "2", "--batch-size", "256",
                                 "--output", "npy", "-o", str(tmp_path / "out.npy"), str(path)])
        assert proc.returncode == 0, proc.stderr
        peaks[count] = summary(proc.stderr)
        print(f"{count} lines: peak memory {peaks[count]['peak_mb']} MB, {peaks[count]['rate']} texts/s, "
              f"{peaks[count]['seconds']:.1f} s")
        assert np.load(tmp_path / "out.npy", mmap_mode="r").shape == (count, 384)
    held_mb = BIG_INPUT * 384 * 4 / 1e6
    assert peaks[BIG_INPUT]["peak_mb"] < held_mb / 3
    assert peaks[BIG_INPUT]["peak_mb"] <= peaks[20_000]["peak_mb"] + 16  # allocator noise, not growth


def test_progress_line_shows_the_rate(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("\n".join(lines(600)) + "\n")
    proc = edgembed_cli.run(["embed", "-m", int8_model(), "--progress", "-o", os.devnull, str(path)])
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"embedding \d+ texts \(\s*\d+% of the input\), [\d.]+ s, \d+ texts/s", proc.stderr), proc.stderr


def test_errors_name_the_text_of_the_whole_input_and_leave_no_file(tmp_path):
    texts = lines(CHUNK_TEXTS + 100)
    payload = "\n".join(texts).encode() + b"\n"
    bad_at = CHUNK_TEXTS + 50
    start = payload.index(texts[bad_at].encode())
    payload = payload[:start] + b"\xff" + payload[start + 1:]
    (tmp_path / "in.txt").write_bytes(payload)
    out = tmp_path / "out.npy"
    out.write_bytes(b"old")
    proc = subprocess.run([edgembed_cli.BIN, "embed", "-m", int8_model(), "--output", "npy", "-o", str(out),
                           str(tmp_path / "in.txt")], capture_output=True, text=True)
    assert proc.returncode == 1
    assert f"text {bad_at}: invalid UTF-8" in proc.stderr, proc.stderr
    assert out.read_bytes() == b"old"  # untouched: the output is renamed into place only on success
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt", "out.npy"]  # no temporary file left
    # npy needs a seekable output; jsonl streams into a pipe.
    pipe = subprocess.run([edgembed_cli.BIN, "embed", "-m", int8_model(), "--output", "npy"], input=b"a\n",
                          capture_output=True)
    assert pipe.returncode == 1 and b"--output npy needs an output it can seek in" in pipe.stderr
    # stdout redirected to a file is seekable: npy works there.
    with open(tmp_path / "redirected.npy", "wb") as f:
        ok = subprocess.run([edgembed_cli.BIN, "embed", "-m", int8_model(), "--output", "npy"], input=b"a\nb\n",
                            stdout=f, stderr=subprocess.PIPE)
    assert ok.returncode == 0, ok.stderr
    assert np.load(io.BytesIO((tmp_path / "redirected.npy").read_bytes())).shape == (2, 384)
