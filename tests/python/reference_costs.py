"""What the sentence-transformers reference costs on this machine, and all-mpnet-base-v2's quality numbers.

Not a test (pytest collects test_*.py only): run it to budget CI. Every embedding it computes is stored where
reference.cached_embed_folder() looks, so the tests that follow reuse it.

    python tests/python/reference_costs.py mpnet      # STS-B test @ 384, 500 man pages @ 384 / 512, Spearman
    python tests/python/reference_costs.py scifact    # all-mpnet-base-v2 SciFact nDCG@10 (test qrels) @ 384
    python tests/python/reference_costs.py families   # each family shape at full depth and at 2 layers

Results go to .cache/reference/costs.json (seconds, merged across runs) and .cache/reference/mpnet_quality.json,
and are printed. Timings: wall seconds with torch on os.cpu_count() threads, with the load average at the
start (the machine may be shared), and CPU seconds / threads ("idle_machine_seconds": what the wall time is
on an otherwise idle machine; run with OMP_WAIT_POLICY=PASSIVE so waiting threads do not burn CPU).
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import families  # noqa: E402
import reference  # noqa: E402
from edgembed_eval import metrics  # noqa: E402
from edgembed_eval.data import load_corpus, load_qrels, load_queries, load_stsb_pairs, load_texts  # noqa: E402

COSTS = reference.CACHE / "costs.json"
QUALITY = reference.CACHE / "mpnet_quality.json"
MANPAGES = 500
# The family parity test's sets (tests/python/test_family_parity.py): timed as they are, and extrapolated
# linearly in the number of texts to the full sets (man pages at 512 are nearly all cut at 512 tokens).
FAMILY_STSB, FAMILY_MANPAGES = 300, 50
FULL_SAMPLE = (50, 4)  # STS-B texts, man pages timed at full depth


def _merge(path: Path, key: str, value) -> None:
    data = json.loads(path.read_text()) if path.exists() else {}
    data[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def timed_embed(model_dir: Path, texts: list[str], max_length: int) -> tuple[np.ndarray, dict]:
    """Embeds uncached (timed), stores the result in reference's cache."""
    import torch

    load = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    vectors = reference.embed_folder(model_dir, texts, max_length)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    path = reference.folder_cache_path(model_dir, texts, max_length)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    # On a shared machine wall seconds depend on the other jobs; CPU seconds (with OMP_WAIT_POLICY=PASSIVE,
    # so idle threads do not spin) do not, and CPU / threads is the wall time of an idle machine.
    return vectors, {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "threads": torch.get_num_threads(),
                     "idle_machine_seconds": round(cpu / torch.get_num_threads(), 1), "texts": len(texts),
                     "max_length": max_length, "load_average_at_start": round(load, 2)}


def chunked_embed(model_dir: Path, texts: list[str], max_length: int, chunk: int = 500) -> tuple[np.ndarray, dict]:
    """timed_embed in chunks, each cached as it is done (an interrupted run resumes); the whole result is
    also stored under the whole list's cache key. Seconds are those of the chunks computed in this run,
    scaled to all texts."""
    parts, seconds, idle, computed = [], 0.0, 0.0, 0
    load = os.getloadavg()[0]
    for start in range(0, len(texts), chunk):
        part = texts[start:start + chunk]
        path = reference.folder_cache_path(model_dir, part, max_length)
        if path.exists():
            parts.append(np.load(path))
            continue
        vectors, cost = timed_embed(model_dir, part, max_length)
        parts.append(vectors)
        seconds, computed = seconds + cost["seconds"], computed + len(part)
        idle += cost["idle_machine_seconds"]
        print(f"  {start + len(part)} of {len(texts)} texts: {cost['seconds']} s (idle machine {cost['idle_machine_seconds']} s)",
              flush=True)
    vectors = np.concatenate(parts)
    np.save(reference.folder_cache_path(model_dir, texts, max_length), vectors)
    scale = len(texts) / computed if computed else None
    return vectors, {"seconds": round(seconds * scale, 1) if scale else None,
                     "idle_machine_seconds": round(idle * scale, 1) if scale else None, "texts": len(texts),
                     "max_length": max_length, "computed_in_this_run": computed, "load_average_at_start": round(load, 2)}


def stsb_test():
    pairs = load_stsb_pairs("test")
    texts = sorted({s for a, b, _ in pairs for s in (a, b)})
    return pairs, texts


def stsb_spearman(vectors: np.ndarray, texts: list[str], pairs) -> float:
    """As tests/python/test_quantized_quality.py: Spearman of the pair cosines against the gold scores, x100."""
    from scipy.stats import spearmanr

    index = {t: i for i, t in enumerate(texts)}
    a = vectors[[index[p[0]] for p in pairs]]
    b = vectors[[index[p[1]] for p in pairs]]
    cos = np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return 100 * float(spearmanr(cos, np.array([p[2] for p in pairs])).statistic)


def run_mpnet() -> None:
    model_dir = families.mpnet_checkpoint_dir()
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(model_dir), device="cpu")
    print(f"all-mpnet-base-v2: sentence-transformers max_seq_length {st.max_seq_length}, "
          f"{st[0].auto_model.config.max_position_embeddings} positions")
    _merge(QUALITY, "max_seq_length", st.max_seq_length)
    del st
    pairs, texts = stsb_test()
    vectors, cost = timed_embed(model_dir, texts, 384)
    _merge(COSTS, "mpnet/all-mpnet-base-v2 (real) stsb_test@384", cost)
    rho = stsb_spearman(vectors, texts, pairs)
    print(f"STS-B test ({len(texts)} texts) @ 384: {cost['seconds']} s; Spearman x100 {rho:.4f}", flush=True)
    _merge(QUALITY, "stsb_test_spearman_x100", {"value": rho, "max_length": 384, "versions": reference.versions()})

    run_mpnet_manpages((384, 512))


def run_mpnet_manpages(max_lengths=(384, 512), count: int = MANPAGES) -> None:
    model_dir = families.mpnet_checkpoint_dir()
    pages = load_texts("manpages_corpus")[:count]
    by_length = {}
    for max_length in max_lengths:
        path = reference.folder_cache_path(model_dir, pages, max_length)
        if path.exists():
            by_length[max_length] = np.load(path)
            print(f"{count} man pages @ {max_length}: cached", flush=True)
            continue
        by_length[max_length], cost = timed_embed(model_dir, pages, max_length)
        _merge(COSTS, f"mpnet/all-mpnet-base-v2 (real) manpages_{count}@{max_length}", cost)
        print(f"{count} man pages @ {max_length}: {cost['seconds']} s", flush=True)
    if 384 not in by_length:  # the 384 run over all MANPAGES pages holds these as its first rows
        path = reference.folder_cache_path(model_dir, load_texts("manpages_corpus")[:MANPAGES], 384)
        if path.exists() and count <= MANPAGES:
            by_length[384] = np.load(path)[:count]
    if len(by_length) < 2:
        return
    # 512 works (514 positions) and is not 384 in disguise: pages longer than 384 tokens change.
    lengths = [len(ids) for ids in reference.hf_token_ids(model_dir, pages, None)]
    longer = np.array(lengths) > 384
    diff = np.abs(by_length[512] - by_length[384]).max(axis=1)
    print(f"512 vs 384: {int(longer.sum())} pages have > 384 tokens; their max |diff| min {diff[longer].min():.3g}; "
          f"pages <= 384 tokens max |diff| {diff[~longer].max() if (~longer).any() else 0:.3g}")
    _merge(QUALITY, "manpages_512_vs_384", {"pages_over_384_tokens": int(longer.sum()),
                                           "min_max_abs_diff_over_384": float(diff[longer].min()),
                                           "max_abs_diff_at_most_384": float(diff[~longer].max()) if (~longer).any() else 0.0})


def run_scifact() -> None:
    import pytrec_eval

    model_dir = families.mpnet_checkpoint_dir()
    corpus, queries, qrels = load_corpus("scifact"), load_queries("scifact"), load_qrels("scifact", "test")
    doc_ids = list(corpus)
    query_ids = [q for q in queries if q in qrels]
    doc_texts = [(corpus[d]["title"] + " " + corpus[d]["text"]).strip() for d in doc_ids]
    docs, cost_d = chunked_embed(model_dir, doc_texts, 384)
    qs, cost_q = timed_embed(model_dir, [queries[q] for q in query_ids], 384)
    _merge(COSTS, "mpnet/all-mpnet-base-v2 (real) scifact_corpus@384", cost_d)
    _merge(COSTS, "mpnet/all-mpnet-base-v2 (real) scifact_queries@384", cost_q)
    # test_quantized_quality.ndcg_at_10's way (pytrec_eval over the top 100 by dot product) ...
    scores = qs @ docs.T
    run = {}
    for i, q in enumerate(query_ids):
        top = np.argsort(-scores[i])[:100]
        run[q] = {doc_ids[j]: float(scores[i, j]) for j in top}
    evaluator = pytrec_eval.RelevanceEvaluator({q: {d: int(s) for d, s in qrels[q].items()} for q in query_ids},
                                               {"ndcg_cut.10"})
    ndcg = 100 * float(np.mean([m["ndcg_cut_10"] for m in evaluator.evaluate(run).values()]))
    # ... and the evaluation package's (exact cosine search, trec_eval's tie order).
    ranked = metrics.exact_search(qs, docs, doc_ids, k=100, query_ids=query_ids)
    ndcg_eval = 100 * metrics.mean_metrics(metrics.per_query(ranked, qrels))["ndcg@10"]
    print(f"SciFact ({len(doc_ids)} docs, {len(query_ids)} queries) @ 384: docs {cost_d['seconds']} s, queries "
          f"{cost_q['seconds']} s; nDCG@10 x100 {ndcg:.4f} (pytrec_eval), {ndcg_eval:.4f} (edgembed_eval.metrics)")
    _merge(QUALITY, "scifact_ndcg_at_10_x100", {"value": ndcg, "edgembed_eval_metrics": ndcg_eval, "max_length": 384,
                                               "versions": reference.versions()})


def run_families(layer_counts=(2, None)) -> None:
    """At 2 layers on the parity test's own sets; at full depth on the first FULL_SAMPLE of them (the timing
    is scaled up, and the test at EDGEMBED_FULL_SHAPES=1 computes the rest)."""
    _, stsb_all = stsb_test()
    for layers in layer_counts:
        stsb_n, pages_n = (FAMILY_STSB, FAMILY_MANPAGES) if layers else FULL_SAMPLE
        stsb = stsb_all[:stsb_n]
        pages = load_texts("manpages_corpus")[:pages_n]
        for family, shape in families.all_shapes():
            label = f"{family}/{shape} L{layers or families.SHAPES[family][shape].layers}"
            t0 = time.perf_counter()
            model_dir = families.family_dir(family, shape, layers)
            build = time.perf_counter() - t0
            _, cost_s = timed_embed(model_dir, stsb, 512)
            _, cost_m = timed_embed(model_dir, pages, 512)
            full = {f"stsb_test_{len(stsb_all)}@512 idle-machine seconds (extrapolated)":
                    round(cost_s["idle_machine_seconds"] * len(stsb_all) / len(stsb), 1),
                    f"manpages_{MANPAGES}@512 idle-machine seconds (extrapolated)":
                    round(cost_m["idle_machine_seconds"] * MANPAGES / len(pages), 1)}
            _merge(COSTS, label, {"build_or_cache_seconds": round(build, 1), f"stsb_{len(stsb)}@512": cost_s,
                                  f"manpages_{len(pages)}@512": cost_m, **full})
            print(f"{label}: build {build:.1f} s, STS-B {len(stsb)} {cost_s} , "
                  f"{len(pages)} man pages @ 512 {cost_m}; full sets ~ {full}", flush=True)


if __name__ == "__main__":
    steps = {"mpnet": run_mpnet, "scifact": run_scifact, "families": run_families,
             "families-full": lambda: run_families((None,)), "families-2": lambda: run_families((2,)),
             "mpnet-manpages-512-sample": lambda: run_mpnet_manpages((512,), 100)}
    for step in sys.argv[1:] or ["mpnet", "families", "scifact"]:
        steps[step]()
