"""The peers benchmark harness (bench/peers): inputs cut like `edgembed bench`, the roofline, and a --quick
run end to end (every installed peer plus edgembed f32/f16/int8; peers that are not installed are skipped by
the harness itself and listed as skipped)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import edgembed_cli

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench" / "peers"))
import inputs  # noqa: E402
import report  # noqa: E402


def test_inputs_are_cut_like_edgembed_bench() -> None:
    pieces = np.arange(1000, 1100, dtype=np.int64)
    ids = inputs.make_inputs(pieces, 101, 102, 8, 3)
    assert ids.shape == (3, 8)
    assert (ids[:, 0] == 101).all() and (ids[:, -1] == 102).all()
    # input b = [CLS] + pieces[b*(L-2) : (b+1)*(L-2)] + [SEP]
    assert ids[1, 1:-1].tolist() == list(range(1006, 1012))
    mixed = inputs.make_mixed(pieces, 101, 102, [5, 10, 3])
    assert [len(m) for m in mixed] == [5, 10, 3]
    assert all(m[0] == 101 and m[-1] == 102 for m in mixed)
    assert mixed[1][1:-1].tolist() == list(range(1008, 1016))  # input 1 of (10, 3)
    with pytest.raises(ValueError):
        inputs.make_inputs(pieces, 101, 102, 512, 1)


def test_roofline_matches_the_toolchain_doc() -> None:
    # docs/toolchain.md: L = 128, one core: 21.2 MFLOP/token linear at 465 GOP/s = 5.8 ms, attention
    # 4*128*384*6 FLOP/token at 116 GFLOP/s = 1.3 ms.
    minilm = report.models.MODELS["minilm"]
    assert minilm.linear_flop_per_token() == pytest.approx(21.2e6, rel=2e-3)
    assert report.roofline_ms(minilm, 128, 1, 1) == pytest.approx(7.14, abs=0.05)
    assert report.roofline_ms(minilm, 128, 32, 2) == pytest.approx(
        32 * 128 * (minilm.linear_flop_per_token() / 929e9 + 4 * 128 * 384 * 6 / 233e9) * 1e3)


@pytest.mark.skipif(not edgembed_cli.available(), reason="edgembed CLI or model not built")
def test_quick_run_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    r = subprocess.run([sys.executable, str(REPO / "bench" / "peers" / "run_peers.py"), "--quick", "--out", str(out)],
                       capture_output=True, text=True, timeout=600)
    print(r.stdout[-3000:], r.stderr[-3000:])
    assert r.returncode == 0
    data = json.loads(out.read_text())
    meta, systems = data["meta"], data["systems"]
    assert meta["token_check"]["ok"], meta["token_check"]["problems"]
    assert meta["tokenizer_parity"]["identical"]
    assert {"torch-f32", "edgembed-f32", "edgembed-f16", "edgembed-int8"} <= set(meta["systems"])
    for s in meta["systems"]:
        rows = systems[s]["runs"]["1"]["results"]
        assert sorted((x["batch"], x["length"]) for x in rows) == [(1, 8), (1, 64), (4, 8), (4, 64)], s
        assert all(x["tokens"] == x["batch"] * x["length"] and x["median_ms"] > 0 for x in rows), s
    for s, cos in meta.get("cosine_vs_torch", {}).items():
        assert cos > 0.95, f"{s} computes something else than sentence-transformers (cosine {cos})"
    assert systems["edgembed-int8"]["mixed"]["1"]["speedup"] > 0
    assert systems["edgembed-int8"]["probe"]["peak_rss_mb"] > 0
    doc = (REPO / "bench" / "peers" / "cache" / "minilm" / "quick" / "PERFORMANCE.md").read_text()
    for target in report.TARGETS:
        assert target in doc
