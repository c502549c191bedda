"""Metrics: STS Spearman, exact (brute-force cosine) search, nDCG@k and Recall@k as trec_eval computes them,
length buckets, per-bucket means.

Retrieval conventions follow trec_eval / pytrec_eval (tests/python/test_eval_metrics.py checks them on real runs):
  - a run is the top-k docs per query, ranked by score descending, ties broken by doc id descending;
  - nDCG@k: gain = relevance grade, discount 1 / log2(rank + 1); ideal DCG from the query's positive grades;
  - Recall@k: relevant (grade > 0) docs in the top k / relevant docs;
  - the mean is over queries with at least one relevant doc.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

# Length buckets by a text's full token count ([CLS] + word pieces + [SEP], before any truncation).
# Upper edges are inclusive: "<=512" holds exactly the docs the model sees whole at max length 512.
BUCKET_EDGES = (128, 256, 512, 1024, 2048)
BUCKET_LABELS = ("<=128", "129-256", "257-512", "513-1k", "1k-2k", ">2k")
LONG_BUCKETS = ("513-1k", "1k-2k", ">2k")  # what truncation at 512 cuts


def bucket_of(tokens: int, edges: tuple[int, ...] = BUCKET_EDGES, labels: tuple[str, ...] = BUCKET_LABELS) -> str:
    """The bucket label of a text of `tokens` tokens (upper edges inclusive)."""
    if len(labels) != len(edges) + 1:
        raise ValueError("need one label more than edges")
    for edge, label in zip(edges, labels):
        if tokens <= edge:
            return label
    return labels[-1]


def buckets_of(tokens, edges: tuple[int, ...] = BUCKET_EDGES, labels: tuple[str, ...] = BUCKET_LABELS) -> list[str]:
    return [bucket_of(int(t), edges, labels) for t in tokens]


def spearman(predicted, gold) -> float:
    """Spearman rank correlation (scipy), x100 as MTEB reports it is left to the caller."""
    return float(stats.spearmanr(np.asarray(predicted, dtype=np.float64), np.asarray(gold, dtype=np.float64)).correlation)


def cosine_pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.sum(a * b, axis=1)


def exact_search(queries: np.ndarray, docs: np.ndarray, doc_ids: list[str], k: int = 100,
                 query_ids: list[str] | None = None) -> dict[str, list[tuple[str, float]]]:
    """Brute-force cosine search: {query id (or index as str): [(doc id, score)] best first, k of them}.
    Ties are broken by doc id descending (trec_eval's order)."""
    q = queries.astype(np.float64)
    d = docs.astype(np.float64)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    scores = q @ d.T
    k = min(k, len(doc_ids))
    # Rank in doc-id-descending order first, then a stable sort by score: ties keep id-descending order.
    id_order = np.array(sorted(range(len(doc_ids)), key=lambda i: doc_ids[i], reverse=True))
    qids = query_ids if query_ids is not None else [str(i) for i in range(len(q))]
    out = {}
    for i, qid in enumerate(qids):
        s = scores[i, id_order]
        top = np.argsort(-s, kind="stable")[:k]
        out[qid] = [(doc_ids[id_order[j]], float(s[j])) for j in top]
    return out


def ndcg_at_k(ranked: list[tuple[str, float]] | list[str], qrel: dict[str, int], k: int = 10) -> float:
    ids = [r[0] if isinstance(r, tuple) else r for r in ranked][:k]
    dcg = sum(qrel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ids) if qrel.get(d, 0) > 0)
    ideal = sorted((g for g in qrel.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranked: list[tuple[str, float]] | list[str], qrel: dict[str, int], k: int = 100) -> float:
    relevant = {d for d, g in qrel.items() if g > 0}
    if not relevant:
        return 0.0
    ids = [r[0] if isinstance(r, tuple) else r for r in ranked][:k]
    return len(relevant.intersection(ids)) / len(relevant)


def per_query(run: dict[str, list[tuple[str, float]]], qrels: dict[str, dict[str, int]]) -> dict[str, dict[str, float]]:
    """{query id: {"ndcg@10", "recall@100", "top1"}} for queries of the run that have a relevant doc."""
    out = {}
    for qid, ranked in run.items():
        qrel = qrels.get(qid)
        if not qrel or not any(g > 0 for g in qrel.values()):
            continue
        out[qid] = {"ndcg@10": ndcg_at_k(ranked, qrel, 10), "recall@100": recall_at_k(ranked, qrel, 100),
                    "ndcg@1": ndcg_at_k(ranked, qrel, 1)}
    return out


def mean_metrics(rows: dict[str, dict[str, float]], keys=("ndcg@10", "recall@100", "ndcg@1")) -> dict[str, float]:
    out = {"n": len(rows)}
    for key in keys:
        out[key] = float(np.mean([r[key] for r in rows.values()])) if rows else float("nan")
    return out


def query_buckets(qrels: dict[str, dict[str, int]], doc_tokens: dict[str, int]) -> dict[str, str]:
    """A query's length bucket: that of its longest relevant doc (most queries have exactly one)."""
    out = {}
    for qid, rel in qrels.items():
        lengths = [doc_tokens[d] for d, g in rel.items() if g > 0 and d in doc_tokens]
        if lengths:
            out[qid] = bucket_of(max(lengths))
    return out


def bucketed(rows: dict[str, dict[str, float]], qbucket: dict[str, str], groups: dict[str, tuple[str, ...]] | None = None
             ) -> dict[str, dict[str, float]]:
    """Per-bucket means (plus any named group of buckets, e.g. {"long (>512)": LONG_BUCKETS})."""
    out = {}
    for label in BUCKET_LABELS:
        sel = {q: r for q, r in rows.items() if qbucket.get(q) == label}
        if sel:
            out[label] = mean_metrics(sel)
    for name, members in (groups or {}).items():
        sel = {q: r for q, r in rows.items() if qbucket.get(q) in members}
        if sel:
            out[name] = mean_metrics(sel)
    return out
