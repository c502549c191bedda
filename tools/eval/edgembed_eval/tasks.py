"""Evaluations: STS-B, BEIR-style retrieval (overall + per length bucket + collapse statistics of the docs),
passkey / needle accuracy per length."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from . import collapse, metrics, synthetic
from .data import RetrievalSet, load_retrieval, load_stsb_pairs
from .runner import Policy, Runner, Setting

SHORT_POLICY = Policy(max_length=512)  # queries and STS sentences: far below 512 tokens either way


def eval_sts(runner: Runner, model: Path, setting: Setting, split: str = "test", limit: int | None = None) -> dict:
    pairs = load_stsb_pairs(split)
    if limit:
        pairs = pairs[:limit]
    texts = [s for a, b, _ in pairs for s in (a, b)]
    out = runner.embed(model, texts, setting, SHORT_POLICY, layer_stats=False, tag=f"stsb-{split}")
    v = out.vectors
    cos = metrics.cosine_pairs(v[0::2], v[1::2])
    return {"spearman": 100 * metrics.spearman(cos, [g for _, _, g in pairs]), "pairs": len(pairs)}


def subsample_retrieval(rs: RetrievalSet, max_docs: int | None = None, max_queries: int | None = None,
                        seed: int = 0) -> RetrievalSet:
    """Keeps every doc relevant to a kept query plus random other docs up to max_docs; max_queries random
    queries. Deterministic for a seed."""
    rng = random.Random(f"{rs.name}:{seed}")
    qids = list(rs.query_ids)
    if max_queries and len(qids) > max_queries:
        qids = sorted(rng.sample(qids, max_queries), key=rs.query_ids.index)
    docs = None
    if max_docs and len(rs.doc_ids) > max_docs:
        needed = {d for q in qids for d, g in rs.qrels[q].items() if g > 0}
        others = [d for d in rs.doc_ids if d not in needed]
        extra = set(rng.sample(others, max(0, max_docs - len(needed))))
        docs = [d for d in rs.doc_ids if d in needed or d in extra]
    note = []
    if max_queries and len(rs.query_ids) > max_queries:
        note.append(f"{len(qids)} of {len(rs.query_ids)} queries (random, seed {seed})")
    if docs is not None:
        note.append(f"{len(docs)} of {len(rs.doc_ids)} docs (all relevant + random others, seed {seed})")
    return rs.subset(doc_ids=docs, query_ids=qids, note=", ".join(note))


def cap_tokens(texts: list[str], pieces_of_words, max_pieces: int) -> list[str]:
    """Cuts each text after the last whitespace-separated word that keeps it within max_pieces word pieces."""
    out = []
    for t in texts:
        words = t.split()
        counts = pieces_of_words(words)
        total, keep = 0, 0
        for c in counts:
            if total + c > max_pieces:
                break
            total += c
            keep += 1
        out.append(t if keep == len(words) else " ".join(words[:keep]))
    return out


def eval_retrieval(runner: Runner, model: Path, rs: RetrievalSet, setting: Setting, policy: Policy,
                   doc_tokens: np.ndarray | None = None, tag: str = "") -> dict:
    """nDCG@10 / Recall@100 / nDCG@1 overall and per length bucket of the relevant doc (doc_tokens: the docs'
    full token counts incl. specials; default: counted here), plus collapse statistics of the doc vectors."""
    if doc_tokens is None:
        doc_tokens = runner.pieces(model, rs.doc_texts) + 2
    # Docs and queries in one CLI run (queries are far below any max length, so the long-input policy does not
    # touch them; a length-aware factor acts per sequence either way).
    nd = len(rs.doc_texts)
    out = runner.embed(model, rs.doc_texts + rs.query_texts, setting, policy, layer_stats=True, tag=tag)
    dv, qv = out.vectors[:nd], out.vectors[nd:]
    dc = out.dc_share[:nd] if out.dc_share is not None else None
    run = metrics.exact_search(qv, dv, rs.doc_ids, k=100, query_ids=rs.query_ids)
    rows = metrics.per_query(run, rs.qrels)
    qb = metrics.query_buckets(rs.qrels, dict(zip(rs.doc_ids, (int(t) for t in doc_tokens))))
    return {
        "overall": metrics.mean_metrics(rows),
        "buckets": metrics.bucketed(rows, qb, {"long (>512)": metrics.LONG_BUCKETS,
                                               "short (<=512)": tuple(b for b in metrics.BUCKET_LABELS
                                                                      if b not in metrics.LONG_BUCKETS)}),
        "collapse": collapse.by_bucket(dv, doc_tokens, dc),
        "gap": collapse.short_long_gap(dv, doc_tokens, dc),
        "tokens": out.tokens,
        "seconds": out.seconds,
        "per_query": {k: v["ndcg@10"] for k, v in rows.items()},
        "query_buckets": qb,
    }


def eval_synthetic(runner: Runner, model: Path, sets: list[synthetic.SyntheticSet], setting: Setting,
                   policy: Policy, tag: str = "") -> dict:
    """{task: {length: top-1 accuracy (= nDCG@1, one relevant doc per query), ...}}; docs longer than the
    policy's max length follow its long-input rule. All sets go through one CLI run."""
    texts, spans = [], []
    for s in sets:
        a = len(texts)
        texts += s.doc_texts + s.query_texts
        spans.append((a, a + len(s.doc_texts), len(texts)))
    out = runner.embed(model, texts, setting, policy, layer_stats=True, tag=tag)
    res: dict = {}
    for s, (a, b, c) in zip(sets, spans):
        dv, qv = out.vectors[a:b], out.vectors[b:c]
        run = metrics.exact_search(qv, dv, s.doc_ids, k=100, query_ids=s.query_ids)
        rows = metrics.per_query(run, s.qrels)
        res.setdefault(s.task, {})[str(s.length)] = {
            "top1": float(np.mean([r["ndcg@1"] for r in rows.values()])),
            "ndcg@10": float(np.mean([r["ndcg@10"] for r in rows.values()])),
            "n": len(rows), "mean_pairwise_cos": collapse.mean_pairwise_cosine(dv),
            "dc_last": float(np.mean(out.dc_share[a:b, -1])) if out.dc_share is not None else None}
    return res


def synthetic_sets(runner: Runner, model: Path, task: str, lengths, seed: int = 0, n_docs: int = 100,
                   n_queries: int = 50, haystack: synthetic.Haystack | None = None) -> list[synthetic.SyntheticSet]:
    hay = haystack or synthetic.Haystack(lambda words: runner.pieces(model, words))
    return [synthetic.build(task, L, hay, seed=seed, n_docs=n_docs, n_queries=n_queries) for L in lengths]


__all__ = ["eval_sts", "eval_retrieval", "eval_synthetic", "synthetic_sets", "subsample_retrieval", "cap_tokens",
           "load_retrieval"]
