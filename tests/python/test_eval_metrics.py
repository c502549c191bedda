"""edgembed_eval's retrieval metrics and exact search against pytrec_eval (trec_eval), on real runs of the CLI
over SciFact and the Linux man pages, plus hand-made cases for ties and graded relevance."""

from __future__ import annotations

import random

import numpy as np
import pytest

from conftest import load_retrieval, load_stsb_pairs
from edgembed_eval import metrics
from edgembed_eval.runner import Policy, Runner, Setting

pytrec_eval = pytest.importorskip("pytrec_eval", reason="pytrec_eval (pytrec-eval-terrier) missing")

MEASURES = {"ndcg_cut.10", "ndcg_cut.1", "recall.100"}


def _compare(run: dict, qrels: dict) -> int:
    ours = metrics.per_query(run, qrels)
    trec_run = {q: {d: s for d, s in ranked} for q, ranked in run.items()}
    theirs = pytrec_eval.RelevanceEvaluator(qrels, MEASURES).evaluate(trec_run)
    assert set(ours) == set(theirs)
    for q, row in ours.items():
        assert row["ndcg@10"] == pytest.approx(theirs[q]["ndcg_cut_10"], abs=1e-12), q
        assert row["ndcg@1"] == pytest.approx(theirs[q]["ndcg_cut_1"], abs=1e-12), q
        assert row["recall@100"] == pytest.approx(theirs[q]["recall_100"], abs=1e-12), q
    return len(ours)


@pytest.fixture(scope="module")
def runner(edgembed_cli):
    return Runner(binary=edgembed_cli[0], threads=2)


@pytest.mark.parametrize("name", ["scifact", "linux_manpages"])
def test_metrics_match_pytrec_eval_on_real_runs(runner, edgembed_cli, name):
    rs = load_retrieval(name)
    rng = random.Random(0)
    queries = sorted(rng.sample(rs.query_ids, 60), key=rs.query_ids.index)
    needed = {d for q in queries for d in rs.qrels[q]}
    docs = needed | set(rng.sample(rs.doc_ids, 150))
    rs = rs.subset(doc_ids=[d for d in rs.doc_ids if d in docs], query_ids=queries)
    out = runner.embed(edgembed_cli[1], rs.doc_texts + rs.query_texts, Setting(1.0), Policy(128), layer_stats=False)
    nd = len(rs.doc_ids)
    run = metrics.exact_search(out.vectors[nd:], out.vectors[:nd], rs.doc_ids, k=100, query_ids=rs.query_ids)
    assert all(len(r) == min(100, nd) for r in run.values())
    assert _compare(run, rs.qrels) == len(rs.query_ids)
    # A weaker run (queries against a shuffled corpus) so that the numbers are not all near 1.
    perm = np.random.default_rng(0).permutation(nd)
    run = metrics.exact_search(out.vectors[nd:], out.vectors[:nd][perm], rs.doc_ids, k=100, query_ids=rs.query_ids)
    _compare(run, rs.qrels)


def test_ties_and_graded_relevance_match_pytrec_eval():
    # Identical doc vectors tie; trec_eval breaks ties by doc id, descending.
    docs = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.6, 0.8]])
    ids = ["d1", "d3", "d0", "d2", "d9"]
    queries = np.array([[1.0, 0.0], [0.0, 1.0], [0.8, 0.6]])
    run = metrics.exact_search(queries, docs, ids, k=5, query_ids=["a", "b", "c"])
    assert [d for d, _ in run["a"][:3]] == ["d3", "d2", "d1"]
    qrels = {"a": {"d1": 2, "d2": 1, "d0": 0}, "b": {"d9": 1, "d3": 2}, "c": {"d0": 1}}
    assert _compare(run, qrels) == 3


def test_ndcg_by_hand():
    qrel = {"a": 2, "b": 1, "z": 0}
    ranked = ["x", "b", "a", "z"]
    dcg = 1 / np.log2(3) + 2 / np.log2(4)
    idcg = 2 + 1 / np.log2(3)
    assert metrics.ndcg_at_k(ranked, qrel, 10) == pytest.approx(dcg / idcg)
    assert metrics.recall_at_k(ranked, qrel, 2) == 0.5
    assert metrics.ndcg_at_k(ranked, {"q": 0}, 10) == 0.0


def test_spearman_matches_rank_correlation():
    gold = [g for _, _, g in load_stsb_pairs("test")[:200]]
    pred = np.sin(np.arange(200)) + np.array(gold)
    ranks = lambda x: np.argsort(np.argsort(x))  # noqa: E731 (no ties in pred)
    from scipy import stats
    expected = np.corrcoef(ranks(pred), stats.rankdata(gold))[0, 1]
    assert metrics.spearman(pred, gold) == pytest.approx(expected, abs=1e-12)
