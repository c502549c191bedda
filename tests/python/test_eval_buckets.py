"""Length buckets, per-bucket means and collapse statistics of edgembed_eval; token counts agree with what the
runtime truncates."""

from __future__ import annotations

import itertools
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from conftest import load_retrieval
from edgembed_eval import collapse, metrics
from edgembed_eval.runner import Policy, Runner, Setting


def test_bucket_edges_are_upper_inclusive():
    cases = {1: "<=128", 128: "<=128", 129: "129-256", 256: "129-256", 257: "257-512", 512: "257-512",
             513: "513-1k", 1024: "513-1k", 1025: "1k-2k", 2048: "1k-2k", 2049: ">2k", 45000: ">2k"}
    for tokens, label in cases.items():
        assert metrics.bucket_of(tokens) == label, tokens
    assert metrics.buckets_of([128, 513]) == ["<=128", "513-1k"]
    assert set(metrics.LONG_BUCKETS) == {metrics.bucket_of(t) for t in (513, 1500, 3000)}


def test_query_bucket_is_the_longest_relevant_doc_and_means_per_bucket():
    qrels = {"q1": {"a": 1}, "q2": {"a": 1, "b": 1}, "q3": {"c": 1, "b": 0}, "q4": {"zz": 1}}
    tokens = {"a": 100, "b": 700, "c": 3000}
    qb = metrics.query_buckets(qrels, tokens)
    assert qb == {"q1": "<=128", "q2": "513-1k", "q3": ">2k"}
    rows = {"q1": {"ndcg@10": 1.0, "recall@100": 1.0, "ndcg@1": 1.0},
            "q2": {"ndcg@10": 0.5, "recall@100": 1.0, "ndcg@1": 0.0},
            "q3": {"ndcg@10": 0.0, "recall@100": 0.0, "ndcg@1": 0.0}}
    b = metrics.bucketed(rows, qb, {"long": metrics.LONG_BUCKETS})
    assert b["<=128"] == {"n": 1, "ndcg@10": 1.0, "recall@100": 1.0, "ndcg@1": 1.0}
    assert b["long"]["n"] == 2 and b["long"]["ndcg@10"] == 0.25
    assert "129-256" not in b


def test_collapse_statistics_by_brute_force():
    rng = np.random.default_rng(1)
    v = rng.normal(size=(30, 8)) + np.array([2.0] + [0.0] * 7)
    u = v / np.linalg.norm(v, axis=1, keepdims=True)
    brute = np.mean([u[i] @ u[j] for i, j in itertools.permutations(range(30), 2)])
    assert collapse.mean_pairwise_cosine(v) == pytest.approx(brute, abs=1e-12)
    tokens = np.array([100] * 10 + [300] * 10 + [900] * 10)
    dc = rng.uniform(size=(30, 7))
    by = collapse.by_bucket(v, tokens, dc)
    assert list(by) == ["<=128", "257-512", "513-1k"]
    assert by["513-1k"]["mean_pairwise_cos"] == pytest.approx(collapse.mean_pairwise_cosine(v[20:]))
    assert by["257-512"]["dc_share"] == pytest.approx(dc[10:20].mean(axis=0).tolist())
    assert by["<=128"]["dist_to_shortest_mean"] == 0.0
    gap = collapse.short_long_gap(v, tokens, dc)
    assert gap["n_short"] == 10 and gap["n_long"] == 10
    assert gap["cos_gap"] == pytest.approx(collapse.mean_pairwise_cosine(v[20:]) - collapse.mean_pairwise_cosine(v[:10]))


def test_token_counts_match_the_runtime_truncation(edgembed_cli):
    """A doc is in a bucket above 512 exactly when `edgembed embed --max-length 512` truncates it."""
    runner = Runner(binary=edgembed_cli[0], threads=2)
    rs = load_retrieval("linux_manpages")
    tokens = runner.pieces(edgembed_cli[1], rs.doc_texts) + 2
    # Docs around the edge, plus a few from each side.
    order = np.argsort(np.abs(tokens - 512.5))
    pick = sorted(order[:12].tolist())
    texts = [rs.doc_texts[i] for i in pick]
    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "t.jsonl"
        inp.write_text("".join(json.dumps(t) + "\n" for t in texts))
        proc = subprocess.run([str(edgembed_cli[0]), "embed", "-m", str(edgembed_cli[1]), "--input", "jsonl",
                               "--output", "npy", "-o", str(Path(tmp) / "o.npy"), "--max-length", "512",
                               str(inp)], capture_output=True, text=True, check=True)
    truncated = int(proc.stderr.split(" truncated at ")[0].rsplit(", ", 1)[1])
    assert truncated == sum(tokens[i] > 512 for i in pick)
    assert sum(metrics.bucket_of(int(tokens[i])) in metrics.LONG_BUCKETS for i in pick) == truncated
    # And the embedded token total is the truncated length sum.
    reported = int(proc.stderr.split(" tokens, ")[0].rsplit("(", 1)[1])
    assert reported == sum(min(int(tokens[i]), 512) for i in pick)
    # Policy helper agrees.
    assert Policy(512).max_sequence_tokens(tokens[pick] - 2) == min(int(tokens[pick].max()), 512)
    assert Setting(1.0, 600, 2.0).for_lengths(512) == Setting(1.0)
    assert Setting(1.0, 128, 2.0).for_lengths(512) == Setting(1.0, 128, 2.0)
