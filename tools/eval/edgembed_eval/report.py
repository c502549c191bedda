"""docs/TEMPSCALE.md and its plots from the study's results JSON (python -m edgembed_eval.study --report-only)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .data import shared_data_dir
from .metrics import BUCKET_LABELS, LONG_BUCKETS

LONG = "long (>512)"
SHORT = "short (<=512)"
REF_MODELS = ("e5-base-v2", "contriever", "bge-base-en-v1.5", "gte-base", "jina-embeddings-v2-base-en")


def _f(x, digits=2, scale=100.0, sign=False):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    v = scale * x
    return f"{v:+.{digits}f}" if sign else f"{v:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _taus(res) -> list[str]:
    return [f"tau={t:g}" for t in res["plan"]["taus"]]


def _bold_best(values: list[float | None], digits=2, scale=100.0) -> list[str]:
    good = [v for v in values if v is not None and not math.isnan(v)]
    best = max(good) if good else None
    return [("**" + _f(v, digits, scale) + "**") if v is not None and v == best else _f(v, digits, scale) for v in values]


def _long(res, name, k, metric="ndcg@10", bucket=LONG):
    row = res.get(name, {}).get(k)
    if not row:
        return None
    b = row["buckets"].get(bucket)
    return b[metric] if b else None


def _overall(res, name, k, metric="ndcg@10"):
    row = res.get(name, {}).get(k)
    return row["overall"][metric] if row else None


def _synth(res, k, task, L, policy="synthetic"):
    return res.get(policy, {}).get(k, {}).get(task, {}).get(str(L), {}).get("top1")


def paired_ci(res: dict, name: str, a: str, b: str, buckets=LONG_BUCKETS, n_boot: int = 2000, seed: int = 0):
    """Mean per-query nDCG@10 difference a - b over the queries of the given buckets, with a 95% paired bootstrap
    interval (x100). None when either run or the query buckets are missing."""
    ra, rb = res.get(name, {}).get(a), res.get(name, {}).get(b)
    if not ra or not rb or "query_buckets" not in ra:
        return None
    qs = [q for q, bk in ra["query_buckets"].items() if bk in buckets and q in ra["per_query"] and q in rb["per_query"]]
    if not qs:
        return None
    d = np.array([ra["per_query"][q] - rb["per_query"][q] for q in qs])
    rng = np.random.default_rng(seed)
    boots = d[rng.integers(0, len(d), size=(n_boot, len(d)))].mean(axis=1)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return 100 * d.mean(), 100 * lo, 100 * hi, len(d)


def _ci_text(ci) -> str:
    if ci is None:
        return "–"
    m, lo, hi, _ = ci
    return f"{m:+.2f} [{lo:+.2f}, {hi:+.2f}]"


def _reference_synthetic() -> dict:
    out = {}
    base = shared_data_dir() / "longembed_reference_results"
    for m in REF_MODELS:
        p = base / m / "overall_results.json"
        if p.exists():
            d = json.loads(p.read_text())
            out[m] = {"passkey": d.get("LEMBPasskeyRetrieval", {}), "needle": d.get("LEMBNeedleRetrieval", {}),
                      "qmsum": d.get("LEMBQMSumRetrieval", {}).get("ndcg@10")}
    return out


# ---------------------------------------------------------------------------------------------------------
# plots

def _plots(res: dict, fig_dir: Path) -> dict[str, str]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig_dir.mkdir(parents=True, exist_ok=True)
    files = {}
    keys = res.get("key_settings", ["tau=1"])
    names = _names(res)

    # 1. collapse statistics vs length, man pages (int8, truncate at 512)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for k in keys:
        col = res["manpages"].get(k, {}).get("collapse")
        if not col:
            continue
        labels = [b for b in BUCKET_LABELS if b in col]
        x = range(len(labels))
        axes[0].plot(x, [col[b]["mean_pairwise_cos"] for b in labels], marker="o", label=names.get(k, k))
        axes[1].plot(x, [col[b]["dc_share"][-1] for b in labels], marker="o", label=names.get(k, k))
        axes[2].plot(x, [col[b]["dist_to_shortest_mean"] for b in labels], marker="o", label=names.get(k, k))
    for ax, title in zip(axes, ("mean pairwise cosine of doc vectors", "DC share after the last layer",
                                "distance of bucket mean from the <=128 mean")):
        ax.set_xticks(range(len(BUCKET_LABELS)))
        ax.set_xticklabels(BUCKET_LABELS, rotation=30)
        ax.set_xlabel("doc length (tokens, before truncation)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("Linux man pages, int8, truncate at 512: collapse statistics by length bucket")
    fig.tight_layout()
    fig.savefig(fig_dir / "collapse_vs_length.png", dpi=110)
    plt.close(fig)
    files["collapse"] = "collapse_vs_length.png"

    # 2. DC share per layer per bucket at tau = 1
    col = res["manpages"].get("tau=1", {}).get("collapse", {})
    if col:
        fig, ax = plt.subplots(figsize=(6.5, 4.2))
        for b in BUCKET_LABELS:
            if b in col:
                ax.plot(range(len(col[b]["dc_share"])), col[b]["dc_share"], marker="o", label=f"{b} (n={col[b]['n']})")
        ax.set_xticks(range(7))
        ax.set_xticklabels(["emb"] + [f"L{i}" for i in range(1, 7)])
        ax.set_ylabel("||mean_t x_t||^2 / mean_t ||x_t||^2")
        ax.set_title("DC share of token features per layer, man pages, tau = 1 (int8)", fontsize=10)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(fig_dir / "dc_share_by_layer.png", dpi=110)
        plt.close(fig)
        files["dc_layers"] = "dc_share_by_layer.png"

    # 3. nDCG@10 by bucket, man pages, truncate and windows
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), sharey=True)
    for ax, name, title in ((axes[0], "manpages", "truncate at 512"), (axes[1], "manpages_windows", "windows of 512")):
        for k in keys:
            row = res.get(name, {}).get(k)
            if not row:
                continue
            labels = [b for b in BUCKET_LABELS if b in row["buckets"]]
            ax.plot([BUCKET_LABELS.index(b) for b in labels], [100 * row["buckets"][b]["ndcg@10"] for b in labels],
                    marker="o", label=names.get(k, k))
        ax.set_xticks(range(len(BUCKET_LABELS)))
        ax.set_xticklabels(BUCKET_LABELS, rotation=30)
        ax.set_title(f"man pages nDCG@10 by doc length, int8, {title}", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("nDCG@10")
    fig.tight_layout()
    fig.savefig(fig_dir / "ndcg_by_length.png", dpi=110)
    plt.close(fig)
    files["ndcg"] = "ndcg_by_length.png"

    # 4. constant-tau sweeps
    taus = res["plan"]["taus"]
    tk = _taus(res)
    fig, axes = plt.subplots(1, 5, figsize=(21, 4))
    axes[0].plot(taus, [res["sts"].get(k, {}).get("spearman") for k in tk], marker="o", label="int8")
    if res["f32"]["sts"]:
        axes[0].plot(taus, [res["f32"]["sts"].get(k, {}).get("spearman", np.nan) for k in tk], marker="s", label="f32")
    axes[0].set_title("STS-B test, Spearman x100", fontsize=10)
    axes[1].plot(taus, [100 * (_overall(res, "scifact", k) or np.nan) for k in tk], marker="o", label="SciFact nDCG@10")
    axes[1].set_title("SciFact (subsampled corpus), int8", fontsize=10)
    axes[4].plot(taus, [100 * (_overall(res, "qmsum", k) or np.nan) for k in tk], marker="o", label="QMSum nDCG@10")
    axes[4].set_title("QMSum (LongEmbed subset), truncate 512, int8", fontsize=10)
    axes[2].plot(taus, [100 * (_overall(res, "manpages", k) or np.nan) for k in tk], marker="o", label="all")
    axes[2].plot(taus, [100 * (_long(res, "manpages", k) or np.nan) for k in tk], marker="o", label="docs > 512")
    axes[2].plot(taus, [100 * (_long(res, "manpages", k, bucket=SHORT) or np.nan) for k in tk], marker="o", label="docs <= 512")
    axes[2].set_title("man pages nDCG@10 (int8, truncate 512)", fontsize=10)
    for task in ("passkey", "needle"):
        for L in res["plan"]["synth_sweep_lengths"]:
            axes[3].plot(taus, [100 * (_synth(res, k, task, L) or np.nan) for k in tk], marker="o", label=f"{task} {L}")
    axes[3].set_title("passkey / needle top-1", fontsize=10)
    for ax in axes:
        ax.set_xlabel("tau")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(fig_dir / "tau_sweep.png", dpi=110)
    plt.close(fig)
    files["sweep"] = "tau_sweep.png"

    # 5. passkey / needle by length
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), sharey=True)
    ref = _reference_synthetic()
    lengths = res["plan"]["synth_lengths"]
    for ax, task in zip(axes, ("passkey", "needle")):
        for k in keys:
            ys = [_synth(res, k, task, L) for L in lengths]
            ax.plot(range(len(lengths)), [100 * (y if y is not None else np.nan) for y in ys], marker="o",
                    label=f"{names.get(k, k)}, truncate")
            yw = [_synth(res, k, task, L, "synthetic_windows") if L > 512 else _synth(res, k, task, L) for L in lengths]
            if any(_synth(res, k, task, L, "synthetic_windows") is not None for L in lengths):
                ax.plot(range(len(lengths)), [100 * (y if y is not None else np.nan) for y in yw], marker="s",
                        linestyle="--", label=f"{names.get(k, k)}, windows")
        for m in ("e5-base-v2", "contriever"):
            if m in ref and ref[m][task]:
                ax.plot(range(len(lengths)), [100 * ref[m][task].get(str(L), np.nan) for L in lengths], color="gray",
                        alpha=0.6, linestyle=":", marker="x", label=f"{m} (LongEmbed, published)")
        ax.set_xticks(range(len(lengths)))
        ax.set_xticklabels([str(L) for L in lengths])
        ax.set_xlabel("document length (tokens)")
        ax.set_title(f"{task}: top-1 accuracy (int8)", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(fig_dir / "passkey_needle_by_length.png", dpi=110)
    plt.close(fig)
    files["synthetic"] = "passkey_needle_by_length.png"

    # 6. label-free statistic vs labeled outcome
    lf = res.get("labelfree", {})
    pts = [(k, lf[k]["cos_gap"], _long(res, "manpages", k)) for k in lf if _long(res, "manpages", k) is not None]
    if lf:
        fig, axes = plt.subplots(1, 3, figsize=(19, 4.6))
        xs = sorted(lf, key=lambda k: lf[k]["cos_gap"])
        axes[0].barh(range(len(xs)), [lf[k]["cos_gap"] for k in xs], color=["C1" if k == res.get("labelfree_choice") else "C0" for k in xs])
        axes[0].set_yticks(range(len(xs)))
        axes[0].set_yticklabels(xs, fontsize=6)
        axes[0].axvline(0, color="k", lw=0.8)
        axes[0].set_xlabel("mean pairwise cosine: long (>512) minus short (<=256) man pages")
        axes[0].set_title("label-free collapse gap per candidate (orange: the choice)", fontsize=10)
        if pts:
            axes[1].scatter([p[1] for p in pts], [100 * p[2] for p in pts])
            for k, x, y in pts:
                axes[1].annotate(k, (x, 100 * y), fontsize=6)
            axes[1].set_xlabel("collapse gap (label-free)")
            axes[1].set_ylabel("man pages nDCG@10, docs > 512")
            axes[1].set_title("does closing the gap help? (labeled, int8)", fontsize=10)
            axes[1].grid(alpha=0.3)
            ag = [(k, lf[k].get("agreement"), y) for k, _, y in pts if lf[k].get("agreement") is not None]
            if ag:
                axes[2].scatter([p[1] for p in ag], [100 * p[2] for p in ag], color="C2")
                for k, x, y in ag:
                    axes[2].annotate(k, (x, 100 * y), fontsize=6)
                axes[2].set_xlabel("agreement of long-doc vectors with their chunks at tau = 1 (label-free)")
                axes[2].set_ylabel("man pages nDCG@10, docs > 512")
                axes[2].set_title("agreement vs labeled outcome", fontsize=10)
                axes[2].grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(fig_dir / "labelfree_gap.png", dpi=110)
        plt.close(fig)
        files["labelfree"] = "labelfree_gap.png"
    return files


def _names(res: dict) -> dict[str, str]:
    out = {"tau=1": "tau=1 (unmodified)"}
    bc = res.get("best_constant")
    if bc and bc != "tau=1":
        out[bc] = f"{bc} (best constant)"
    lf = res.get("labelfree_choice")
    if lf and lf not in out:
        both = lf == res.get("labelfree_choice_content")
        out[lf] = f"{lf} (label-free choice: smallest gap{' and content gap' if both else ''})"
    lc = res.get("labelfree_choice_content")
    if lc and lc not in out:
        out[lc] = f"{lc} (label-free, content gap)"
    la = res.get("labelfree_choice_agreement")
    if la and la not in out:
        out[la] = f"{la} (label-free, agreement)"
    bl = res.get("best_la_by_labels")
    if bl and bl not in out:
        out[bl] = f"{bl} (best by labels)"
    return out


# ---------------------------------------------------------------------------------------------------------
# markdown

def write(res: dict, doc: Path, fig_dir: Path) -> None:
    from .study import decide
    if "key_settings" in res and "decision" not in res:
        res["decision"] = decide(res)
    files = _plots(res, fig_dir)
    rel = Path(fig_dir.name) if doc.parent == fig_dir.parent else fig_dir
    img = lambda key, alt: f"![{alt}]({rel / files[key]})" if key in files else ""  # noqa: E731
    env = res.get("environment", {})
    names = _names(res)
    keys = res.get("key_settings", ["tau=1"])
    dec = res.get("decision", {})
    default = dec.get("default", "tau=1")
    L: list[str] = []
    add = L.append
    quick = res["plan"].get("quick")

    add("# TempScale and length collapse: all-MiniLM-L6-v2 on edgembed")
    add("")
    add("Generated by `scripts/tempscale_study.sh" + (" --quick" if quick else "") + "` from real runs of the CLI "
        "(`python -m edgembed_eval.study`; do not edit by hand, rerun it). "
        + ("**Quick mode: tiny subsets, the numbers mean nothing.**" if quick else ""))
    add("")
    runs = res.get("runs", [])
    computed = [r for r in runs if not r["cached"]]
    tok = sum(r["tokens"] for r in runs)
    cli_min = sum(r["seconds"] for r in runs) / 60
    add(f"- Date: this page's invocation started {env.get('started', '?')}, finished {env.get('finished', '?')} "
        f"({env.get('study_seconds', 0) / 60:.1f} min). Compute: {len(runs)} CLI runs, {tok / 1e6:.1f} M model tokens, "
        f"{cli_min:.0f} min of CLI time summed over the runs (each run's own timing, kept in the cache)"
        + (f"; {len(runs) - len(computed)} of the runs came from the cache of earlier invocations" if computed != runs else "")
        + ".")
    add(f"- Machine: {env.get('cpu', '?')}, {env.get('cores', '?')} cores (shared with other work: load average "
        f"{env.get('load_at_start', 0):.1f} at the start), {env.get('platform', '?')}; `--threads {env.get('threads')}`.")
    add(f"- Code: commit `{env.get('git_commit', '?')[:12]}`" + (" (runtime files modified in the work tree)" if env.get("git_dirty") else "")
        + f"; CLI `{Path(env.get('binary', '?')).name}` sha256 `{env.get('binary_sha256', '?')[:16]}…`; models "
        + ", ".join(f"{d} `{m['sha256'][:16]}…`" for d, m in env.get("models", {}).items()) + ".")
    add(f"- Command: `{env.get('command', 'scripts/tempscale_study.sh')}` (all runs are cached in `.cache/tempscale`; "
        "`scripts/tempscale_study.sh --report-only` rewrites this page from `docs/tempscale/results.json`).")
    add("")

    # -- conclusion
    add("## Conclusion")
    add("")
    add(_conclusion(res, names))
    add("")
    add(_key_table(res, names, keys))
    add("")
    add(f"Decision rule (fixed before the full run): {dec.get('rule', '')}")
    add("")
    if dec.get("table"):
        rows = []
        for k, t in dec["table"].items():
            rows.append([names.get(k, k), _f(t["sts_delta_int8"], 2, 1, True), _f(t["sts_delta_f32"], 2, 1, True)]
                        + [_f(t["deltas"].get(n), 2, 1, True) for n in ("manpages long nDCG@10", "scifact nDCG@10",
                                                                       "qmsum nDCG@10", "passkey/needle top-1 (256, 512)")]
                        + [_f(t["mean_delta"], 2, 1, True), "yes" if t["eligible"] else "no"])
        add(_table(["setting", "Δ STS-B int8", "Δ STS-B f32", "Δ man pages >512", "Δ SciFact", "Δ QMSum",
                    "Δ passkey/needle", "mean Δ", "eligible"], rows))
        add("")
    add(f"**Default to store in converted models: `{default}`** " + _setting_flags(default) + ".")
    add("")
    auto = res.get("labelfree_choice_agreement")
    if auto:
        add(f"**Auto setting stored next to it: `{auto}`**, the label-free choice (agreement, section 3.1). "
            f"`scripts/setup.sh` converts the default model with `edgembed-convert ... --auto-temperature '{auto}'` "
            "(read from `docs/tempscale/results.json`); `edgembed embed --temperature auto` (C API "
            "`edgembed_embed_params.auto_temperature`, Python `encode(temperature=\"auto\")`) applies it, folded "
            "into the same softmax scale. It is an option, not the default: its long-document gain is within the "
            "noise of this study (interval above).")
        add("")

    # -- setup
    add("## Setup")
    add("")
    sets = res.get("sets", {})
    add("- Model: all-MiniLM-L6-v2 (6 layers, 12 heads, mean pooling, normalized), `models/all-MiniLM-L6-v2.{int8,f32}.edgembed`. "
        "int8 for every sweep; f32 for STS-B and man pages at every constant tau (phase 6, when run) and at the key "
        "settings (section 5 compares them).")
    add("- TempScale as the authors' code computes it: `softmax((QK^T/sqrt d + M)/tau)`, folded into the softmax scale "
        "(`--temperature`). Length-aware: logits of a sequence (a text, or one window) of n > N0 tokens are multiplied by "
        "`(ln n / ln N0)^A` on top of `1/tau` (`--length-scale-ref N0 --length-scale-exp A`). Per layer: factors on tau "
        "(`--layer-temperatures`).")
    add("- Length: a text's full token count, `[CLS]` + word pieces + `[SEP]`, before truncation (`edgembed tokenize --no-special` + 2). "
        "Buckets (upper edge inclusive): " + ", ".join(BUCKET_LABELS) + f"; \"long\" = {', '.join(LONG_BUCKETS)} = the docs truncation at 512 cuts. "
        "A query belongs to the bucket of its (longest) relevant doc.")
    add("- Metrics: nDCG@10, Recall@100 (and nDCG@1) by exact cosine search over all docs, trec_eval conventions (ties by doc id "
        "descending); `tests/python/test_eval_metrics.py` checks them against pytrec_eval per query on real runs. STS-B: Spearman x100 "
        "of the cosine against the gold score (MTEB's STSBenchmark = test split).")
    add(f"- Data (`{shared_data_dir()}`; MANIFEST.md there):")
    mp = sets.get("manpages", {})
    add(f"  - STS-B test: {res['sts'].get('tau=1', {}).get('pairs', '?')} pairs.")
    add(f"  - Linux man pages: {mp.get('docs')} docs, {mp.get('queries')} queries, all of them; docs per bucket "
        + ", ".join(f"{b} {n}" for b, n in sorted(sets.get('manpages_bucket_docs', {}).items(), key=lambda x: BUCKET_LABELS.index(x[0]))) + ". "
        "Not a published benchmark: compare settings with each other.")
    sf = sets.get("scifact", {})
    add(f"  - SciFact (test qrels): {sf.get('queries')} queries; **subsampled corpus**: {sf.get('note') or 'all docs'} "
        "(to fit the compute budget; absolute nDCG is higher than on the full 5,183 docs, comparisons between settings hold).")
    qm = sets.get("qmsum", {})
    add(f"  - QMSum, LongEmbed's subset (metadata.split train + val: 197 docs / 1,529 queries): {qm.get('docs')} docs, "
        f"{qm.get('queries')} queries ({qm.get('note') or 'all'}). Truncate at 512 is how LongEmbed ran 512-token models.")
    sy = sets.get("synthetic", {})
    add(f"  - Passkey / needle: built from the Paul Graham essays, {sy.get('docs_per_length')} candidate docs and "
        f"{sy.get('queries_per_length')} queries per length (see below).")
    add(f"- Long-input policies: **truncate** at 512 tokens; **windows** of 512 tokens, stride {res['plan']['window_stride']} "
        f"pieces (non-overlapping), vectors pooled token-weighted (`--long-input window --window-stride {res['plan']['window_stride']}`); "
        f"the windowed runs read each doc's first {res['plan'].get('manpages_window_cap', res['plan']['window_cap'])} word pieces "
        f"(man pages) / {res['plan']['window_cap']} (QMSum), to fit the compute budget.")
    add("")

    # -- collapse at tau = 1
    add("## 1. Length collapse at tau = 1 (man pages, int8, truncate at 512)")
    add("")
    base = res["manpages"].get("tau=1")
    if base:
        rows = []
        for b in BUCKET_LABELS:
            c, m = base["collapse"].get(b), base["buckets"].get(b)
            if not c:
                continue
            rows.append([b, c["n"], f"{c['mean_pairwise_cos']:.3f}", f"{c['dist_to_shortest_mean']:.3f}"]
                        + [f"{x:.3f}" for x in c.get("dc_share", [])] + [_f(m["ndcg@10"]) if m else "–", m["n"] if m else 0])
        add(_table(["bucket", "docs", "mean pairwise cos", "‖mean − mean(<=128)‖", "DC emb", "DC L1", "DC L2", "DC L3",
                    "DC L4", "DC L5", "DC L6", "nDCG@10", "queries"], rows))
        add("")
        g = base.get("gap", {})
        if g.get("cos_short") is not None:
            add(f"Short (<=256 tokens, {g['n_short']} docs) vs long (>512, {g['n_long']} docs): mean pairwise cosine "
                f"{g['cos_short']:.3f} vs {g['cos_long']:.3f}; distance between their mean vectors {g['mean_dist']:.3f}; "
                f"DC share after the last layer {g['dc_short'][-1]:.3f} vs {g['dc_long'][-1]:.3f}.")
            names_l = ["embeddings"] + [f"layer {i}" for i in range(1, len(g["dc_short"]))]
            higher = [n for n, a, b in zip(names_l, g["dc_short"], g["dc_long"]) if b > a]
            lower = [n for n, a, b in zip(names_l, g["dc_short"], g["dc_long"]) if b <= a]
            add("")
            add("DC share (the model-free collapse proxy), long vs short docs: higher for long docs after "
                + (", ".join(higher) or "no layer") + "; not higher after " + (", ".join(lower) or "no layer")
                + ". Per layer: " + ", ".join(f"{n} {a:.3f} / {b:.3f}" for n, a, b in zip(names_l, g["dc_short"], g["dc_long"]))
                + " (short / long).")
            add("")
    add(img("collapse", "collapse statistics vs length"))
    add("")
    add(img("dc_layers", "DC share per layer"))
    add("")

    # -- constant tau
    add("## 2. Constant tau (TempScale as published)")
    add("")
    tk = _taus(res)
    rows = []
    for k in tk:
        rows.append([k.split("=")[1], f"{res['sts'][k]['spearman']:.2f}" if k in res["sts"] else "–",
                     f"{res['f32']['sts'][k]['spearman']:.2f}" if k in res["f32"]["sts"] else "–",
                     _f(_overall(res, "scifact", k)), _f(_overall(res, "scifact", k, "recall@100")),
                     _f(_overall(res, "manpages", k)), _f(_long(res, "manpages", k, bucket=SHORT)), _f(_long(res, "manpages", k)),
                     _f(_overall(res, "qmsum", k)), _f(_overall(res, "qmsum", k, "recall@100"))]
                    + [_f(_synth(res, k, t, Lx)) for t in ("passkey", "needle") for Lx in res["plan"]["synth_sweep_lengths"]])
    add(_table(["tau", "STS-B int8", "STS-B f32", "SciFact nDCG@10", "SciFact R@100", "man pages nDCG@10",
                "man ≤512", "man >512", "QMSum nDCG@10", "QMSum R@100"]
               + [f"{t} {Lx}" for t in ("passkey", "needle") for Lx in res["plan"]["synth_sweep_lengths"]], rows))
    add("")
    add("All int8 unless marked f32; man pages and QMSum truncate at 512; passkey / needle top-1 accuracy.")
    add("")
    best = []
    for label, get in (("STS-B int8", lambda k: res["sts"].get(k, {}).get("spearman")),
                       ("STS-B f32", lambda k: res["f32"]["sts"].get(k, {}).get("spearman")),
                       ("SciFact", lambda k: _overall(res, "scifact", k)),
                       ("man pages all", lambda k: _overall(res, "manpages", k)),
                       ("man pages <=512", lambda k: _long(res, "manpages", k, bucket=SHORT)),
                       ("man pages >512", lambda k: _long(res, "manpages", k)),
                       ("QMSum", lambda k: _overall(res, "qmsum", k))):
        vals = {k: get(k) for k in tk if get(k) is not None}
        if vals:
            kb = max(vals, key=vals.get)
            best.append(f"{label} {kb.split('=')[1]}")
    add("Best constant tau per set: " + "; ".join(best) + ".")
    add("")
    add("Man pages nDCG@10 per length bucket (int8, truncate at 512):")
    add("")
    rows = []
    for k in tk:
        row = res["manpages"].get(k)
        if row:
            rows.append([k.split("=")[1]] + _bold_best([row["buckets"].get(b, {}).get("ndcg@10") for b in BUCKET_LABELS])
                        + [_f(_long(res, "manpages", k)), f"{row['gap'].get('cos_short', float('nan')):.3f}",
                           f"{row['gap'].get('cos_long', float('nan')):.3f}"])
    if rows:
        # bold per column instead of per row
        cols = list(zip(*rows))
        for j in range(1, 1 + len(BUCKET_LABELS) + 1):
            vals = [float(c.strip("*")) if c not in ("–",) else None for c in cols[j]]
            best = max(v for v in vals if v is not None) if any(v is not None for v in vals) else None
            cols[j] = tuple((f"**{c.strip('*')}**" if v == best else c.strip("*")) for c, v in zip(cols[j], vals))
        rows = [list(r) for r in zip(*cols)]
        add(_table(["tau"] + list(BUCKET_LABELS) + ["long (>512)", "cos ≤256", "cos >512"], rows))
        add("")
        nq = {b: res["manpages"]["tau=1"]["buckets"].get(b, {}).get("n") for b in BUCKET_LABELS} if "tau=1" in res["manpages"] else {}
        add("Queries per bucket: " + ", ".join(f"{b} {n}" for b, n in nq.items() if n) + ".")
        add("")
    add(img("sweep", "constant tau sweeps"))
    add("")

    # -- label-free
    add("## 3. Beyond the paper: length-aware and per-layer temperature")
    add("")
    add("### 3.1 Label-free choice")
    add("")
    lfs = res.get("sets", {}).get("labelfree", {})
    add(f"Unlabeled man pages, {lfs.get('short')} short (<=256 tokens) and {lfs.get('long')} long (>512 tokens, random) docs, "
        "int8, truncate at 512. For every candidate (the constant taus, the length-aware grid tau x N0 x A, the per-layer settings) "
        "the collapse gap = mean pairwise cosine of the long docs minus that of the short docs is measured; the label-free choice "
        "is the candidate with the smallest |gap| (ties: closer to tau = 1). No label is read for this. Long and short man pages "
        "differ in content too (long pages share their section boilerplate), so a secondary, content-controlled statistic is "
        "also measured: the long docs' mean pairwise cosine minus that of the means of their own 127-piece chunks (each chunk "
        "embedded alone, where no collapse is expected): `content gap`; the candidate with the smallest |content gap| is the "
        "secondary label-free choice. Both criteria were fixed before the run. Because both gaps turned out to shrink "
        "monotonically with sharper attention (so both pick an extreme of the grid), a third label-free statistic was added "
        "after seeing phase 2's statistics (no labels of the grid had been seen): `agreement` = mean cosine between a long "
        "doc's vector and the mean of its chunks' vectors under the unmodified model (tau = 1), i.e. how well the long-text "
        "embedding keeps the content the model sees in the same text at short length; the candidate with the largest agreement "
        "is the third label-free choice. ('self agr.' uses the candidate's own chunk vectors.) The logit factor a 512-token "
        "sequence gets is shown as 'x at 512' (1/tau times the length-aware factor).")
    add("")
    lf = res.get("labelfree", {})
    rows = []
    for k in sorted(lf, key=lambda k: abs(lf[k]["cos_gap"])):
        g = lf[k]
        mark = "**" if k in (res.get("labelfree_choice"), res.get("labelfree_choice_content"),
                             res.get("labelfree_choice_agreement")) else ""
        rows.append([mark + k + mark, _scale512(k), f"{g['cos_short']:.3f}",
                     f"{g['cos_long']:.3f}", f"{g['cos_gap']:+.3f}", f"{g.get('cos_long_chunks', float('nan')):.3f}",
                     f"{g.get('content_gap', float('nan')):+.3f}", f"{g.get('agreement', float('nan')):.4f}",
                     f"{g.get('self_agreement', float('nan')):.4f}",
                     f"{g['dc_short'][-1]:.3f}", f"{g['dc_long'][-1]:.3f}",
                     _f(_long(res, "manpages", k)) if _long(res, "manpages", k) is not None else ""])
    add(_table(["candidate", "x at 512", "cos short", "cos long", "gap", "cos long chunk-means", "content gap",
                "agreement", "self agr.", "DC L6 short", "DC L6 long", "man >512 nDCG@10 (if run)"], rows))
    add("")
    add(f"Label-free choices: primary (smallest |gap|) `{res.get('labelfree_choice')}`; secondary (smallest |content gap|) "
        f"`{res.get('labelfree_choice_content')}`; agreement (largest) `{res.get('labelfree_choice_agreement')}`.")
    lab = [k for k in lf if _long(res, "manpages", k) is not None]
    if len(lab) >= 4:
        from scipy import stats as _st
        y = [_long(res, "manpages", k) for k in lab]
        parts = []
        for stat, nm in (("cos_gap", "gap"), ("content_gap", "content gap"), ("agreement", "agreement")):
            if all(stat in lf[k] for k in lab):
                rho = _st.spearmanr([lf[k][stat] for k in lab], y).correlation
                parts.append(f"{nm} {rho:+.2f}")
        add("")
        add(f"How well each label-free statistic ranks the {len(lab)} candidates that also got labeled man-page runs "
            "(Spearman correlation with nDCG@10 on docs >512; computed after the fact): " + ", ".join(parts) + ".")
    add("")
    add(img("labelfree", "label-free gap"))
    add("")
    add("### 3.2 Labeled man pages for the label-free choice, a fixed spread of the grid, per-layer settings")
    add("")
    rows = []
    for k, row in res["manpages"].items():
        if k in tk:
            continue
        rows.append([names.get(k, k), _scale512(k)] + [_f(row["buckets"].get(b, {}).get("ndcg@10")) for b in BUCKET_LABELS]
                    + [_f(_long(res, "manpages", k)), _f(row["overall"]["ndcg@10"]),
                       f"{res['sts'][k]['spearman']:.2f}" if k in res["sts"] else "–"])
    best_c = res.get("best_constant", "tau=1")
    for k in dict.fromkeys(["tau=1", best_c]):
        row = res["manpages"].get(k)
        if row:
            rows.append([names.get(k, k), _scale512(k)] + [_f(row["buckets"].get(b, {}).get("ndcg@10")) for b in BUCKET_LABELS]
                        + [_f(_long(res, "manpages", k)), _f(row["overall"]["ndcg@10"]),
                           f"{res['sts'][k]['spearman']:.2f}" if k in res["sts"] else "–"])
    add(_table(["setting", "x at 512"] + list(BUCKET_LABELS) + ["long (>512)", "all", "STS-B int8"], rows))
    add("")
    add("Length-aware settings with N0 >= 64 leave every STS-B sentence (at most 46 tokens) untouched: their STS-B score is "
        "that of their tau, bit for bit.")
    add("")
    add(f"Paired differences on man pages with docs > 512 tokens (per-query nDCG@10 x100, mean [95% paired bootstrap "
        f"interval], int8, truncate at 512), against tau = 1 and against the best constant tau (`{best_c}`):")
    add("")
    rows = []
    for k in res["manpages"]:
        if k == "tau=1":
            continue
        rows.append([names.get(k, k), _ci_text(paired_ci(res, "manpages", k, "tau=1")),
                     _ci_text(paired_ci(res, "manpages", k, best_c)) if k != best_c else "",
                     _ci_text(paired_ci(res, "manpages", k, "tau=1", buckets=tuple(b for b in BUCKET_LABELS if b not in LONG_BUCKETS)))])
    add(_table(["setting", "Δ vs tau=1, docs >512", f"Δ vs {best_c}, docs >512", "Δ vs tau=1, docs <=512"], rows))
    add("")
    add(img("ndcg", "nDCG by length"))
    add("")

    # -- key settings everywhere
    add("## 4. Key settings on every set")
    add("")
    add(_wide_table(res, names))
    add("")
    add("### Passkey and needle")
    add("")
    add(_synth_section(res, names))
    add("")
    add(img("synthetic", "passkey and needle by length"))
    add("")

    # -- f32
    add("## 5. f32 vs int8")
    add("")
    rows = []
    for k in dict.fromkeys(list(res["f32"].get("manpages", {})) + [k for k in keys if k in res["f32"]["sts"]]):
        mp32 = res["f32"].get("manpages", {}).get(k)
        rows.append([names.get(k, k), f"{res['sts'][k]['spearman']:.2f}" if k in res["sts"] else "–",
                     f"{res['f32']['sts'][k]['spearman']:.2f}" if k in res["f32"]["sts"] else "–",
                     _f(_overall(res, "manpages", k)), _f(mp32["overall"]["ndcg@10"]) if mp32 else "–",
                     _f(_long(res, "manpages", k)), _f(mp32["buckets"].get(LONG, {}).get("ndcg@10")) if mp32 else "–"])
    add(_table(["setting", "STS-B int8", "STS-B f32", "man pages int8", "man pages f32", "man >512 int8", "man >512 f32"], rows))
    add("")

    # -- runs
    add("## 6. Reproduce")
    add("")
    add("```")
    add(f"{env.get('command', 'scripts/tempscale_study.sh')}            # the whole study (resumes from .cache/tempscale)")
    add("scripts/tempscale_study.sh --quick    # CI smoke: every phase on tiny subsets")
    add("scripts/tempscale_study.sh --report-only   # this page and the plots from docs/tempscale/results.json")
    add("```")
    add("")
    if runs and all("phase" in r for r in runs):
        by = {}
        for r in runs:
            b = by.setdefault(r["phase"], [0, 0, 0.0])
            b[0] += 1
            b[1] += r["tokens"]
            b[2] += r["seconds"]
        add(_table(["phase", "CLI runs", "model tokens", "CLI minutes"],
                   [[n, c, f"{t / 1e6:.2f} M", f"{sec / 60:.1f}"] for n, (c, t, sec) in by.items()]))
        add("")
        add(f"CLI minutes are wall time of each run on this machine while it was shared (load average "
            f"{env.get('load_at_start', 0):.0f} on {env.get('cores', '?')} cores at the start of this invocation; "
            "throughput fell to about a fifth of the idle one); on an idle 2-core machine the same runs take roughly a "
            "quarter of the time.")
        add("")
    add("<details><summary>Every CLI run (exact arguments; TEXTS.jsonl holds the texts, one JSON string per line)</summary>")
    add("")
    add(_table(["tag", "texts", "tokens", "seconds", "command"],
               [[r["tag"], r["texts"], r["tokens"], f"{r['seconds']:.1f}" + (" (cache)" if r["cached"] else ""),
                 f"`{r['command']}`"] for r in runs]))
    add("")
    add("</details>")
    add("")
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text("\n".join(L).replace("\n\n\n", "\n\n"))


def _scale512(k: str) -> str:
    from .study import Setting  # noqa: F401
    parts = dict(p.split("=") for p in k.split() if "=" in p)
    tau = float(parts.get("tau", 1))
    f = 1.0
    if "N0" in parts:
        n0, a = int(parts["N0"]), float(parts["A"])
        f = (math.log(512) / math.log(n0)) ** a if 512 > n0 else 1.0
    s = f"{f / tau:.2f}"
    if "layers" in parts:
        s += " (x1/layer factor)"
    return s


def _setting_flags(k: str) -> str:
    parts = dict(p.split("=") for p in k.split() if "=" in p)
    flags = [f"--temperature {parts.get('tau', '1')}"]
    if "N0" in parts:
        flags += [f"--length-scale-ref {parts['N0']}", f"--length-scale-exp {parts['A']}"]
    if "layers" in parts:
        flags += [f"--layer-temperatures {parts['layers']}"]
    return "(`" + " ".join(flags) + "`)"


def _key_table(res: dict, names: dict, keys: list[str]) -> str:
    rows = []
    for k in keys:
        rows.append([names.get(k, k),
                     f"{res['sts'][k]['spearman']:.2f}" if k in res["sts"] else "–",
                     f"{res['f32']['sts'][k]['spearman']:.2f}" if k in res["f32"]["sts"] else "–",
                     _f(_overall(res, "scifact", k)),
                     _f(_long(res, "manpages", k)), _f(_overall(res, "manpages", k)),
                     _f(_long(res, "manpages_windows", k)),
                     _f(_overall(res, "qmsum", k)), _f(_overall(res, "qmsum_windows", k)),
                     " / ".join(_f(_synth(res, k, t, Lx), 0) for t in ("passkey", "needle") for Lx in (256, 512)),
                     " / ".join(_f(_synth(res, k, t, 4096), 0) + "·" + _f(_synth(res, k, t, 4096, "synthetic_windows"), 0)
                                for t in ("passkey", "needle"))])
    return _table(["setting (int8 unless f32)", "STS-B", "STS-B f32", "SciFact nDCG@10", "man pages >512 nDCG@10",
                   "man pages all", "man >512, windows", "QMSum nDCG@10", "QMSum windows",
                   "passkey 256/512 · needle 256/512 top-1", "4096 trunc·windows passkey / needle"], rows)


def _wide_table(res: dict, names: dict) -> str:
    ci_rows = []
    for k in res.get("key_settings", []):
        if k == "tau=1":
            continue
        ci_rows.append([names.get(k, k)] + [_ci_text(paired_ci(res, n, k, "tau=1", buckets=tuple(BUCKET_LABELS)))
                                            for n in ("scifact", "qmsum", "manpages", "manpages_windows", "qmsum_windows")])
    rows = []
    for k in res.get("key_settings", []):
        rows.append([names.get(k, k), _f(_overall(res, "scifact", k)), _f(_overall(res, "scifact", k, "recall@100")),
                     _f(_overall(res, "qmsum", k)), _f(_overall(res, "qmsum", k, "recall@100")),
                     _f(_overall(res, "qmsum_windows", k)), _f(_overall(res, "manpages_windows", k)),
                     _f(_long(res, "manpages_windows", k)), _f(_long(res, "manpages_windows", k, bucket=SHORT))])
    ref = _reference_synthetic()
    out = _table(["setting", "SciFact nDCG@10", "SciFact R@100", "QMSum nDCG@10 (trunc)", "QMSum R@100",
                  "QMSum nDCG@10 (windows)", "man pages windows", "man windows >512", "man windows ≤512"], rows)
    if ci_rows:
        out += ("\n\nPaired differences against tau = 1 over all queries (nDCG@10 x100, mean [95% paired bootstrap interval]):\n\n"
                + _table(["setting", "SciFact", "QMSum (trunc)", "man pages (trunc)", "man pages (windows)", "QMSum (windows)"],
                         ci_rows))
    if ref:
        out += ("\n\nPublished LongEmbed QMSum nDCG@10 (full 197-doc / 1,527-query set; 512-token models truncated at 512 "
                "unless noted): "
                + ", ".join(f"{m}{' (8k context)' if 'jina' in m else ''} {100 * r['qmsum']:.2f}" for m, r in ref.items()
                            if r.get("qmsum") is not None)
                + ". Ours uses a query subsample, see Setup; all-MiniLM-L6-v2 is a smaller model than those.")
    bl = res.get("manpages_windows", {})
    if bl:
        rows = []
        for k, row in bl.items():
            rows.append([names.get(k, k)] + [_f(row["buckets"].get(b, {}).get("ndcg@10")) for b in BUCKET_LABELS])
        out += ("\n\nMan pages with windows (first " + str(res["plan"].get("manpages_window_cap", res["plan"]["window_cap"]))
                + " word pieces), nDCG@10 per bucket:\n\n")
        out += _table(["setting"] + list(BUCKET_LABELS), rows)
    return out


def _synth_section(res: dict, names: dict) -> str:
    sy = res.get("sets", {}).get("synthetic", {})
    lines = []
    ex = sy.get("example", {})
    lines.append("Construction (`tools/eval/edgembed_eval/synthetic.py`), following what LongEmbed's README and result files fix: "
                 "one split per length, 100 candidate docs and 50 queries per length, one relevant doc per query, score = "
                 "nDCG@1 = top-1 accuracy; passkey \"adopted from Personalized Passkey Retrieval\" (each doc hides one person's "
                 "pass key, the query names the person: a bare \"what is the pass key?\" could not single out a doc), needle "
                 "tailored from Needle-in-a-Haystack with the Paul Graham essays as haystack. Our choices where the files say "
                 "nothing: the sentences, names and cities; the haystack is a random stretch of the concatenated essays; the "
                 "needle goes to the sentence boundary nearest a uniform random depth; lengths are all-MiniLM-L6-v2 tokens incl. "
                 "[CLS]/[SEP], each doc at most its length and at most a few tokens short of it.")
    for t, e in ex.items():
        lines.append(f"- {t}: query `{e['query']}`; doc starts `{e['doc_start'][:160]}…`; shortest doc per length "
                     + ", ".join(str(x) for x in e["tokens"]) + " tokens.")
    lengths = res["plan"]["synth_lengths"]
    rows = []
    for k in res.get("key_settings", []):
        for t in ("passkey", "needle"):
            rows.append([names.get(k, k), t] + [_f(_synth(res, k, t, Lx), 0) for Lx in lengths]
                        + [_f(_synth(res, k, t, Lx, "synthetic_windows"), 0) for Lx in lengths if Lx > 512])
    for k, per_len in res.get("synthetic_filler", {}).items():
        rows.append([names.get(k, k) + ", repetitive filler", "passkey"] + [_f(per_len.get(str(Lx), {}).get("top1"), 0)
                                                                         if Lx <= 512 else "" for Lx in lengths]
                    + ["" for Lx in lengths if Lx > 512])
    ref = _reference_synthetic()
    for m, r in ref.items():
        for t in ("passkey", "needle"):
            if r[t]:
                rows.append([f"{m} (published{', 8k context' if 'jina' in m else ', truncated at 512'})", t] + [_f(r[t].get(str(Lx)), 0) for Lx in lengths]
                            + ["" for Lx in lengths if Lx > 512])
    lines.append("")
    lines.append(_table(["setting", "task"] + [f"{Lx}" for Lx in lengths] + [f"{Lx} windows" for Lx in lengths if Lx > 512], rows))
    lines.append("")
    lines.append("\"repetitive filler\" rows: the same passkey task with the original passkey test's filler (\"The grass is "
                 "green. The sky is blue. ...\" repeated) instead of essays, as a calibration of how much of the gap to the "
                 "published rows the haystack explains; LongEmbed's files do not say which filler its passkey task used.")
    lines.append("")
    lines.append("Top-1 accuracy x100, int8. Up to 512 tokens a doc is one sequence; beyond, \"truncate\" keeps the first 512 "
                 "tokens (as LongEmbed evaluated 512-token models, so the published rows are comparable) and \"windows\" pools "
                 "non-overlapping 512-token windows (a needle may straddle two windows).")
    return "\n".join(lines)


def _conclusion(res: dict, names: dict) -> str:
    if "tau=1" not in res.get("manpages", {}):
        return "(no results)"
    bc = res.get("best_constant", "tau=1")
    lf = res.get("labelfree_choice")
    bl = res.get("best_la_by_labels")
    dec = res.get("decision", {})
    sts = lambda k: res["sts"].get(k, {}).get("spearman")  # noqa: E731
    out = []
    g = res["manpages"]["tau=1"]["gap"]
    if g.get("cos_short") is not None:
        out.append(f"- Man pages at tau = 1: mean pairwise cosine {g['cos_short']:.3f} for docs <=256 tokens "
                   f"vs {g['cos_long']:.3f} for docs >512 (truncated to 512); nDCG@10 {_f(_long(res, 'manpages', 'tau=1', bucket=SHORT))} "
                   f"on docs <=512 vs {_f(_long(res, 'manpages', 'tau=1'))} on docs >512.")
    out.append(f"- Best constant tau for long man pages (int8): {bc}: nDCG@10 on docs >512 {_f(_long(res, 'manpages', bc))} vs "
               f"{_f(_long(res, 'manpages', 'tau=1'))} at tau = 1; STS-B {sts(bc):.2f} vs {sts('tau=1'):.2f}.")
    lc = res.get("labelfree_choice_content")
    la = res.get("labelfree_choice_agreement")
    for k, what in ((lf, "Label-free choice (primary criterion, |gap|)"), (lc, "Label-free choice (|content gap|)"),
                    (la, "Label-free choice (agreement, added after phase 2)"),
                    (bl, "Best length-aware / per-layer by labels (an oracle, for reference)")):
        if k and k in res["manpages"]:
            d_long = _long(res, "manpages", k) - _long(res, "manpages", bc)
            d_sts = (sts(k) - sts("tau=1")) if sts(k) is not None else None
            verdict = ("improves" if d_long > 0 else "does not improve") + " on the best constant tau's long-doc nDCG@10 "
            ci = paired_ci(res, "manpages", k, bc) if k != bc else None
            verdict += f"({_f(d_long, 2, 100, True)} points" + (f", 95% paired bootstrap interval [{ci[1]:+.2f}, {ci[2]:+.2f}]" if ci else "") + ")"
            ok = d_sts is not None and d_sts >= -0.2
            short_ci = paired_ci(res, "manpages", k, "tau=1", buckets=tuple(b for b in BUCKET_LABELS if b not in LONG_BUCKETS))
            out.append(f"- {what}: `{k}`: man pages >512 nDCG@10 {_f(_long(res, 'manpages', k))}; it {verdict}; STS-B "
                       + (f"{_f(d_sts, 2, 1, True)} vs tau = 1 ({'within' if ok else 'outside'} the 0.2 budget)" if d_sts is not None else "–")
                       + (f"; on man pages <=512 tokens {_ci_text(short_ci)} vs tau = 1." if short_ci and k != "tau=1" else "."))
    for k in dict.fromkeys([lf, lc, la]):
        if k and k in res["manpages"]:
            crit = (_long(res, "manpages", k) > _long(res, "manpages", bc)) and (sts(k) - sts("tau=1") >= -0.2)
            ci = paired_ci(res, "manpages", k, bc) if k != bc else None
            sure = ci is not None and ci[1] > 0
            answer = ("yes, and the 95% interval excludes 0" if sure else "yes on the point estimate, but the 95% interval "
                      "includes 0 (not a reliable gain)") if crit else "no"
            out.append(f"- **Question of the issue** for `{k}` (does the label-free choice beat the best constant tau on long "
                       f"man pages at <= 0.2 STS-B cost?): **{answer}**.")
    lfs = res.get("labelfree", {})
    tmin = f"tau={min(res['plan']['taus']):g}"
    if "tau=1" in lfs and tmin in lfs and lf in lfs:
        a, b, c = lfs["tau=1"], lfs[tmin], lfs[lf]
        out.append(f"- Label-free statistics: sharper attention raises the mean pairwise cosine of short docs ({a['cos_short']:.3f} "
                   f"at tau = 1, {b['cos_short']:.3f} at {tmin}) while that of long docs barely moves ({a['cos_long']:.3f}, "
                   f"{b['cos_long']:.3f}); the short-long gap ({a['cos_gap']:+.3f} at tau = 1) closes mostly by making short docs "
                   f"alike, so minimizing it picks a sharp corner of the grid (`{lf}`, gap {c['cos_gap']:+.3f}; man pages >512 "
                   f"nDCG@10 {_f((_long(res, 'manpages', lf) or 0) - _long(res, 'manpages', 'tau=1'), 2, 100, True)} vs tau = 1). Agreement of a long doc's vector with its own chunks' vectors (tau = 1) is "
                   f"{a.get('agreement', float('nan')):.4f} at tau = 1 and peaks at `{res.get('labelfree_choice_agreement')}` "
                   f"({lfs.get(res.get('labelfree_choice_agreement'), {}).get('agreement', float('nan')):.4f}).")
    out.append(f"- Decided default: **`{dec.get('default', 'tau=1')}`** (rule below; best eligible: `{dec.get('best_eligible', '–')}`).")
    return "\n".join(out)
