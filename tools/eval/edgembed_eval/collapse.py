"""Length-collapse statistics of a set of embeddings (no labels needed).

  mean_pairwise_cosine(V)       mean cosine over all pairs i != j (unit vectors: (||sum||^2 - n) / (n (n - 1)))
  by_bucket(V, tokens, dc)      per length bucket: n, mean pairwise cosine, DC share per layer (mean over texts),
                                distance of the bucket's mean embedding from the shortest bucket's
  short_long_gap(...)           short (<= 256 tokens) vs long (> 512 tokens) texts: mean pairwise cosine of
                                each, their difference (the "collapse gap"), the distance between the two
                                mean embeddings, and the same for the last layer's DC share
"""

from __future__ import annotations

import numpy as np

from .metrics import BUCKET_LABELS, buckets_of

SHORT_MAX = 256  # tokens, inclusive
LONG_MIN = 513   # tokens: docs that truncation at 512 cuts


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def mean_pairwise_cosine(vectors: np.ndarray) -> float:
    n = len(vectors)
    if n < 2:
        return float("nan")
    u = _unit(vectors)
    s = u.sum(axis=0)
    return float((s @ s - n) / (n * (n - 1)))


def mean_embedding(vectors: np.ndarray) -> np.ndarray:
    return _unit(vectors).mean(axis=0)


def by_bucket(vectors: np.ndarray, tokens, dc_share: np.ndarray | None = None) -> dict[str, dict]:
    labels = np.array(buckets_of(tokens))
    out: dict[str, dict] = {}
    ref = None
    for label in BUCKET_LABELS:
        sel = labels == label
        if not sel.any():
            continue
        mean = mean_embedding(vectors[sel])
        if ref is None:
            ref = mean
        row = {"n": int(sel.sum()), "mean_pairwise_cos": mean_pairwise_cosine(vectors[sel]),
               "mean_norm": float(np.linalg.norm(mean)),
               "dist_to_shortest_mean": float(np.linalg.norm(mean - ref))}
        if dc_share is not None:
            row["dc_share"] = [float(x) for x in np.asarray(dc_share)[sel].mean(axis=0)]
        out[label] = row
    return out


def short_long_gap(vectors: np.ndarray, tokens, dc_share: np.ndarray | None = None, short_max: int = SHORT_MAX,
                   long_min: int = LONG_MIN) -> dict[str, float]:
    tokens = np.asarray(tokens)
    short, long_ = tokens <= short_max, tokens >= long_min
    out = {"n_short": int(short.sum()), "n_long": int(long_.sum())}
    if short.sum() < 2 or long_.sum() < 2:
        return out
    cs, cl = mean_pairwise_cosine(vectors[short]), mean_pairwise_cosine(vectors[long_])
    out.update({"cos_short": cs, "cos_long": cl, "cos_gap": cl - cs,
                "mean_dist": float(np.linalg.norm(mean_embedding(vectors[short]) - mean_embedding(vectors[long_])))})
    if dc_share is not None:
        dc = np.asarray(dc_share)
        ds, dl = dc[short].mean(axis=0), dc[long_].mean(axis=0)
        out.update({"dc_short": [float(x) for x in ds], "dc_long": [float(x) for x in dl],
                    "dc_gap_last": float(dl[-1] - ds[-1])})
    return out
