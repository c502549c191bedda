"""scripts/tempscale_study.sh --quick: every phase of the TempScale study on tiny subsets, from scratch (empty
cache), writing the doc, the plots and the results JSON. Meant to take well under 2 minutes on an idle
2-core machine (the timeout is looser for a machine shared with other work)."""

from __future__ import annotations

import json
import os
import subprocess
import time

from conftest import REPO_ROOT
from edgembed_eval.runner import model_path

QUICK_BUDGET_S = 120


def test_quick_study_runs_end_to_end(edgembed_cli, shared_data, tmp_path):
    for dtype in ("int8", "f32"):
        assert model_path(dtype).is_file(), f"{model_path(dtype)} missing (scripts/setup.sh)"
    env = {**os.environ, "TEMPSCALE_QUICK_OUT": str(tmp_path), "TEMPSCALE_CACHE": str(tmp_path / "cache"),
           "EDGEMBED_BIN": str(edgembed_cli[0])}
    t0 = time.time()
    proc = subprocess.run([str(REPO_ROOT / "scripts" / "tempscale_study.sh"), "--quick"], env=env,
                          capture_output=True, text=True, timeout=4 * QUICK_BUDGET_S)
    elapsed = time.time() - t0
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    res = json.loads((tmp_path / "results.json").read_text())
    assert res["plan"]["quick"] is True
    for name in ("1 constant tau", "2 label-free", "3 labeled grid", "4 key settings", "5 windows and f32"):
        assert name in res["phases"], name
    assert {"tau=0.8", "tau=1"} <= set(res["sts"]) and "tau=1" in res["f32"]["sts"]
    assert res["labelfree_choice"] in res["labelfree"]
    assert res["decision"]["default"] in res["key_settings"]
    assert "tau=1" in res["manpages_windows"] and "tau=1" in res["synthetic_windows"]
    doc = (tmp_path / "TEMPSCALE.md").read_text()
    assert "## Conclusion" in doc and "Default to store in converted models" in doc
    for png in ("collapse_vs_length.png", "ndcg_by_length.png", "tau_sweep.png", "passkey_needle_by_length.png",
                "dc_share_by_layer.png", "labelfree_gap.png"):
        assert (tmp_path / png).stat().st_size > 1000, png
        assert png in doc
    # Every CLI run is listed with its arguments.
    assert all("--temperature" in r["command"] for r in res["runs"])
    # Its time is reported, not asserted (no timing assertions in tests; the subprocess timeout catches a hang).
    print(f"quick study: {elapsed:.0f} s (budget {QUICK_BUDGET_S} s), load average {os.getloadavg()[0]:.1f}")
