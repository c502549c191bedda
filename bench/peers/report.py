#!/usr/bin/env python3
"""docs/PERFORMANCE.md and docs/perf/*.png from the harness's results JSONs, one section per model.

  python bench/peers/report.py [RESULTS.json ...] [--doc docs/PERFORMANCE.md] [--plots docs/perf]

Without arguments: every docs/perf/peers-results-<model>.json there is, in models.py's order. A hand-written
docs/perf/notes-<model>.md (notes on that run, where edgembed's time goes), if present, ends its model's section.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
import models  # noqa: E402

# The roofline of docs/toolchain.md: the linear layers at the int8 peak, attention at the fp32 peak (edgembed
# runs attention in f32); FLOP per token from the model's shape (models.py).
INT8_PEAK = {1: 465e9, 2: 929e9}
FP32_PEAK = {1: 116e9, 2: 233e9}

TARGETS = [
    "int8 faster than the fastest peer at every length 8..512 at batch 1 and 32, threads 1 and 2",
    ">= 1.5x ORT int8 at batch 1",
    "f32 >= ORT f32 at every length",
    "int8 >= 128 tokens within 1.5x of roofline",
    "2 threads >= 1.7x one thread at >= 128 tokens",
    "load <= 20 ms",
    "peak RSS int8 512 tokens batch 1 <= 64 MB",
    "mixed batch >= 1.3x texts/s vs padded",
]

LABELS = {
    "edgembed-int8": "edgembed int8", "edgembed-f16": "edgembed f16", "edgembed-f32": "edgembed f32",
    "torch-f32": "sentence-transformers (torch f32)", "ort-f32": "ONNX Runtime f32", "ort-int8": "ONNX Runtime int8",
    "ct2-int8": "CTranslate2 int8", "llama-f32": "llama.cpp f32", "llama-q8_0": "llama.cpp Q8_0",
    "ov-f32": "OpenVINO f32", "ov-int8": "OpenVINO int8",
    "ov-int8-weights": "OpenVINO int8, NNCF weights only", "ov-int8-ptq": "OpenVINO int8, NNCF post-training",
    "ort-int8-plain": "ONNX Runtime int8, plain graph", "ort-int8-fused": "ONNX Runtime int8, fused graph",
}
COLORS = {"edgembed-int8": "tab:red", "edgembed-f16": "tab:orange", "edgembed-f32": "tab:brown",
          "torch-f32": "tab:gray", "ort-f32": "tab:blue", "ort-int8": "tab:cyan", "ct2-int8": "tab:green",
          "llama-f32": "tab:purple", "llama-q8_0": "tab:pink", "ov-f32": "tab:olive", "ov-int8": "gold"}
SHORT = {"edgembed-int8": "em int8", "edgembed-f16": "em f16", "edgembed-f32": "em f32", "torch-f32": "torch f32",
         "ort-f32": "ORT f32", "ort-int8": "ORT int8", "ct2-int8": "CT2 int8", "llama-f32": "llama f32",
         "llama-q8_0": "llama Q8_0", "ov-f32": "OV f32", "ov-int8": "OV int8", "ort-int8-plain": "ORT int8 plain",
         "ort-int8-fused": "ORT int8 fused", "ov-int8-weights": "OV int8 weights", "ov-int8-ptq": "OV int8 PTQ"}


def roofline_parts(model: models.Model, length: int, threads: int) -> tuple[float, float]:
    """(linear, attention) seconds per token at the peaks."""
    return (model.linear_flop_per_token() / INT8_PEAK[threads],
            model.attention_flop_per_token(length) / FP32_PEAK[threads])


def roofline_ms(model: models.Model, length: int, batch: int, threads: int) -> float:
    return batch * length * sum(roofline_parts(model, length, threads)) * 1000.0


class Results:
    def __init__(self, data: dict):
        self.meta = data["meta"]
        self.model = models.MODELS[self.meta.get("model", "minilm")]  # results before --model were MiniLM's
        self.sys = data["systems"]
        self.systems = [s for s in self.meta["systems"] if s in self.sys]
        self.edgembed = [s for s in self.systems if s.startswith("edgembed")]
        self.peers = [s for s in self.systems if not s.startswith("edgembed")]
        st = self.meta["settings"]
        self.lengths, self.batches, self.threads = st["lengths"], st["batches"], st["threads"]

    def row(self, s: str, t: int, b: int, length: int) -> dict | None:
        """s's result at (t, b, length); None where not measured or excluded by the cosine check."""
        if s not in self.systems:
            return None
        run = self.sys[s]["runs"].get(str(t))
        if not run:
            return None
        for r in run["results"]:
            if r["batch"] == b and r["length"] == length:
                return r
        return None

    def probe(self, s: str) -> dict | None:
        """s's load / peak-RSS probe (results before the probe length was a setting: 512 tokens, "rss512")."""
        x = self.sys[s].get("probe") or self.sys[s].get("rss512")
        return dict({"length": 512}, **x) if x else None

    def ms(self, s, t, b, length):
        r = self.row(s, t, b, length)
        return r["median_ms"] if r else None

    def fastest_peer(self, t, b, length):
        best = None
        for p in self.peers:
            m = self.ms(p, t, b, length)
            if m is not None and (best is None or m < best[1]):
                best = (p, m)
        return best


def fmt(x, digits=2):
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.{digits}f}"


def ratio(x):
    return "-" if x is None else (f"{x:.2f}x" if x >= 0.1 else f"{x:.3f}x")


def verdict(ok):
    return "n/a" if ok is None else ("**met**" if ok else "**missed**")


def evaluate(r: Results) -> list[tuple[str, str, str, str]]:
    """(target, measured, met, gap) per target of the issue."""
    out = []
    em = "edgembed-int8"
    # 1. int8 faster than the fastest peer.
    checks, misses, worst = 0, [], None
    for t in [1, 2]:
        for b in [1, 32]:
            for length in r.lengths:
                m, fp = r.ms(em, t, b, length), r.fastest_peer(t, b, length)
                if m is None or fp is None:
                    continue
                checks += 1
                speed = fp[1] / m
                if worst is None or speed < worst[0]:
                    worst = (speed, t, b, length, fp[0])
                if speed <= 1.0:
                    misses.append(f"t{t} b{b} L{length} ({ratio(fp[1] / m)} vs {SHORT[fp[0]]})")
    if checks:
        measured = (f"faster in {checks - len(misses)} of {checks} configurations; slowest relative: "
                    f"{ratio(worst[0])} vs {SHORT[worst[4]]} at t{worst[1]} b{worst[2]} L{worst[3]}")
        gap = "none" if not misses else "slower at " + ", ".join(misses[:8]) + (" ..." if len(misses) > 8 else "")
        out.append((TARGETS[0], measured, verdict(not misses), gap))
    else:
        out.append((TARGETS[0], "not measured", verdict(None), "-"))
    # 2. >= 1.5x ORT int8 at batch 1.
    speeds = [(r.ms("ort-int8", t, 1, length) / r.ms(em, t, 1, length), t, length)
              for t in r.threads for length in r.lengths
              if r.ms("ort-int8", t, 1, length) and r.ms(em, t, 1, length)]
    if speeds:
        low = min(speeds)
        bad = [f"t{t} L{length} {ratio(s)}" for s, t, length in speeds if s < 1.5]
        out.append((TARGETS[1], f"{ratio(low[0])} .. {ratio(max(speeds)[0])} (lowest at t{low[1]} L{low[2]})",
                    verdict(not bad), "none" if not bad else "below 1.5x at " + ", ".join(bad)))
    else:
        out.append((TARGETS[1], "not measured", verdict(None), "-"))
    # 3. f32 >= ORT f32 at every length (every batch and thread count measured).
    speeds = [(r.ms("ort-f32", t, b, length) / r.ms("edgembed-f32", t, b, length), t, b, length)
              for t in r.threads for b in r.batches for length in r.lengths
              if r.ms("ort-f32", t, b, length) and r.ms("edgembed-f32", t, b, length)]
    if speeds:
        low = min(speeds)
        bad = [f"t{t} b{b} L{length} {ratio(s)}" for s, t, b, length in speeds if s < 1.0]
        out.append((TARGETS[2], f"edgembed f32 {ratio(low[0])} .. {ratio(max(speeds)[0])} ORT f32's speed "
                    f"(lowest at t{low[1]} b{low[2]} L{low[3]})", verdict(not bad),
                    "none" if not bad else f"slower in {len(bad)} of {len(speeds)}: " + ", ".join(bad[:8])
                    + (" ..." if len(bad) > 8 else "")))
    else:
        out.append((TARGETS[2], "not measured", verdict(None), "-"))
    # 4. roofline.
    rows = [(r.ms(em, t, b, length) / roofline_ms(r.model, length, b, t), t, b, length)
            for t in r.threads for b in r.batches for length in r.lengths if length >= 128 and r.ms(em, t, b, length)]
    if rows:
        hi = max(rows)
        bad = [f"t{t} b{b} L{length} {ratio(x)}" for x, t, b, length in rows if x > 1.5]
        out.append((TARGETS[3], f"{ratio(min(rows)[0])} .. {ratio(hi[0])} the roofline time (worst t{hi[1]} b{hi[2]} "
                    f"L{hi[3]})", verdict(not bad), "none" if not bad else f"over 1.5x in {len(bad)} of {len(rows)}: "
                    + ", ".join(bad[:8]) + (" ..." if len(bad) > 8 else "")))
    else:
        out.append((TARGETS[3], "not measured", verdict(None), "-"))
    # 5. scaling.
    rows = [(r.ms(em, 1, b, length) / r.ms(em, 2, b, length), b, length) for b in r.batches for length in r.lengths
            if length >= 128 and r.ms(em, 1, b, length) and r.ms(em, 2, b, length)]
    if rows:
        lo = min(rows)
        bad = [f"b{b} L{length} {ratio(x)}" for x, b, length in rows if x < 1.7]
        out.append((TARGETS[4], f"edgembed int8 {ratio(lo[0])} .. {ratio(max(rows)[0])} (lowest b{lo[1]} L{lo[2]})",
                    verdict(not bad), "none" if not bad else f"below 1.7x in {len(bad)} of {len(rows)}: "
                    + ", ".join(bad[:8])))
    else:
        out.append((TARGETS[4], "not measured (needs threads 1 and 2)", verdict(None), "-"))
    # 6. load.
    loads = {s: r.probe(s)["load_ms"] for s in r.edgembed if r.probe(s)}
    if em in loads:
        others = ", ".join(f"{s.split('-')[1]} {v:.1f} ms" for s, v in loads.items() if s != em)
        out.append((TARGETS[5], f"int8 {loads[em]:.1f} ms" + (f" ({others})" if others else ""),
                    verdict(loads[em] <= 20), "none" if loads[em] <= 20 else f"{loads[em] - 20:.1f} ms over"))
    else:
        out.append((TARGETS[5], "not measured", verdict(None), "-"))
    # 7. RSS.
    if em in r.sys and r.probe(em):
        rss = r.probe(em)["peak_rss_mb"]
        out.append((TARGETS[6], f"{rss:.1f} MB", verdict(rss <= 64), "none" if rss <= 64 else f"{rss - 64:.1f} MB over"))
    else:
        out.append((TARGETS[6], "not measured", verdict(None), "-"))
    # 8. mixed.
    mixed = r.sys.get(em, {}).get("mixed", {})
    if mixed:
        gains = {t: m["speedup"] for t, m in mixed.items()}
        lo = min(gains.values())
        out.append((TARGETS[7], ", ".join(f"{ratio(g)} at {t} thread(s)" for t, g in gains.items()),
                    verdict(lo >= 1.3), "none" if lo >= 1.3 else f"{ratio(lo)}, {1.3 - lo:.2f} short"))
    else:
        out.append((TARGETS[7], "not measured", verdict(None), "-"))
    return out


def plots(r: Results, plot_dir: Path) -> list[Path]:
    try:
        import matplotlib
    except ImportError:  # plots need requirements-bench.txt; the tables do not
        return []

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plot_dir.mkdir(parents=True, exist_ok=True)
    made = []
    for b in [x for x in (1, 32) if x in r.batches] or r.batches[:1]:
        for t in r.threads:
            fig, ax = plt.subplots(figsize=(7.5, 5))
            for s in r.systems:
                pts = [(length, r.ms(s, t, b, length)) for length in r.lengths if r.ms(s, t, b, length)]
                if not pts:
                    continue
                edge = s.startswith("edgembed")
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o" if edge else "s",
                        linestyle="-" if edge else "--", linewidth=2.2 if edge else 1.3, label=LABELS[s],
                        color=COLORS.get(s))
            ax.plot(r.lengths, [roofline_ms(r.model, length, b, t) for length in r.lengths], color="black",
                    linestyle=":",
                    label="roofline (int8 linear + f32 attention)")
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xticks(r.lengths)
            ax.set_xticklabels([str(x) for x in r.lengths])
            ax.set_xlabel("tokens per text (incl. [CLS]/[SEP])")
            ax.set_ylabel("median latency per batch (ms)")
            ax.set_title(f"{r.model.name}, batch {b}, {t} thread{'s' if t > 1 else ''}")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
            fig.tight_layout()
            path = plot_dir / f"latency-{r.model.key}-b{b}-t{t}.png"
            fig.savefig(path, dpi=110)
            plt.close(fig)
            made.append(path)
    return made


def fidelity(r: Results) -> list[str]:
    """The table of each system's min cosine to sentence-transformers f32, and which peers count."""
    m = r.meta
    cos = m.get("cosine_vs_torch", {})
    if not cos:
        return []
    check = m.get("check", {"lengths": [128], "batch": 4})  # results before the per-length check used 4 x 128
    floor = m.get("min_cosine")
    out = [f"Fidelity: minimum cosine of each system's vectors to sentence-transformers' (torch f32), "
           f"{check['batch']} inputs of each length {check['lengths']} cut from the benchmark text: the peers embed "
           "their ids"
           + ("; edgembed, which embeds text, gets their decoded texts and is compared with torch f32 on the same "
              "texts" if any(s.startswith("edgembed") for s in cos) else "")
           + (f". A peer below {floor} is excluded from the tables (its timings stay in the JSON)" if floor else "")
           + ". edgembed's vectors are also checked against sentence-transformers by "
           "tests/python/test_vector_parity.py, test_quantized_quality.py and test_family_parity.py.\n",
           "| system | min cosine | |", "|---|---:|---|"]
    for s, c in cos.items():
        if s == "torch-f32":  # results before this version listed the reference itself
            continue
        if s.startswith("edgembed"):
            counted = f"**below {floor}**" if floor and c < floor else ""
        else:
            counted = "excluded" if s in m.get("excluded", {}) else ("counted" if floor else "")
        for name, v in m.get("variants", {}).items():
            if s in v["geomean_ms"]:
                counted = f"variant of {SHORT[name]}" + (" (reported)" if v["picked"] == s else "")
        out.append(f"| {LABELS.get(s, s)} | {c:.5f} | {counted} |")
    out.append("")
    return out


def picked(m: dict, name: str) -> str:
    """Which of name's variants is reported, and why: the others' time and min cosine."""
    v = m.get("variants", {}).get(name)
    if not v:
        return ""
    g, cos, floor = v["geomean_ms"], m.get("cosine_vs_torch", {}), m.get("min_cosine", 0.0)
    passing = [o for o in g if cos.get(o, 1.0) >= floor]
    rule = ("the faster, by geometric mean over the grid, of those that pass the cosine check" if passing
            else "none passes the cosine check: the faster, by geometric mean over the grid")
    others = "; ".join(f"{SHORT[o]} {g[o] / g[v['picked']]:.2f}x its time" + (f", min cosine {cos[o]:.4f}"
                       if o in cos else "") for o in g if o != v["picked"])
    return f"; reported: {SHORT[v['picked']]} ({rule}; {others or 'the only one measured'})"


def how_it_runs(s: str, m: dict) -> str:
    """One table cell: how system s was made and run in the run of meta m."""
    enc = models.MODELS[m.get("model", "minilm")].name
    onnx_files = m.get("artifacts", {}).get("onnx", {}).get("files", {"ort-f32": "model.opt.onnx"})
    graph = "fused by `onnxruntime.transformers.optimizer` (bert)" if onnx_files["ort-f32"] == "model.opt.onnx" \
        else "unfused (the optimizer fused nothing)"
    ort_session = "`ORT_ENABLE_ALL`, intra_op = n, inter_op = 1"
    ort_int8 = ("`quantize_dynamic(QInt8, per_channel=True)` of the plain and the fused graph" if "ort-int8" in
                m.get("variants", {}) else "the fused graph through `quantize_dynamic(QInt8, per_channel=True)`")
    ov = "`INFERENCE_NUM_THREADS` = n, `PERFORMANCE_HINT` LATENCY, 1 stream, `INFERENCE_PRECISION_HINT` f32"
    return {
        "torch-f32": f"`SentenceTransformer.forward` on token ids ({enc} + mean pooling + normalize), "
                     "`torch.inference_mode`, `torch.set_num_threads(n)`",
        "ort-f32": f"`torch.onnx.export` of {enc} + pooling + normalize, {graph}; {ort_session}",
        "ort-int8": f"{ort_int8}{picked(m, 'ort-int8')}; same session options",
        "ov-f32": f"`openvino.convert_model` of the same ONNX export (f32 weights), compiled for CPU with {ov}",
        "ov-int8": "NNCF on that model: `compress_weights(INT8_ASYM)` (int8 weights, f32 activations) and "
                   "`quantize(model_type=TRANSFORMER)` on 64 SciFact abstracts (int8 weights and activations)"
                   f"{picked(m, 'ov-int8')}; same settings",
        "ct2-int8": "`TransformersConverter(quantization='int8')`, `ctranslate2.Encoder(compute_type='int8', "
                    "intra_threads=n)`, `forward_batch` on ids, mean pooling + normalize in numpy",
        "llama-f32": "GGUF f32 via llama.cpp's convert_hf_to_gguf.py, llama-cpp-python (n_threads = n), mean "
                     "pooling; ids in llama batches of whole sequences up to 2048 tokens, as llama-embedding runs",
        "llama-q8_0": "GGUF Q8_0, otherwise as llama.cpp f32",
        "edgembed-f32": "`edgembed bench --json` (its own loop: warm-up, repeats, medians)",
        "edgembed-f16": "same, f16 weights", "edgembed-int8": "same, int8 weights",
    }.get(s, "")


def section(results_json: Path, doc: Path, plot_dir: Path) -> list[str]:
    """The page's section for one model's results."""
    data = json.loads(Path(results_json).read_text())
    r = Results(data)
    m = r.meta
    L = []
    add = L.append
    pngs = plots(r, plot_dir)
    rel = lambda p: os.path.relpath(p, doc.parent)  # noqa: E731
    mach = m["machine"]
    nproc = mach.get("nproc") or 1
    # Only the load before the run says whether others used the machine: the run's own two-thread work keeps
    # the 1-minute average near the core count, so the value after it is always high.
    busy = m["loadavg_before"][0] > 0.5 * nproc
    results_rel = os.path.relpath(results_json, REPO)

    add(f"## {r.model.name}\n")
    add(f"From `{results_rel}`; rerun with `scripts/bench_peers.sh --model {r.model.key}`.\n")
    add("### The run\n")
    add(f"- Date: {m['date']}; repo at `{m['git']}`" + (" (quick smoke run)" if m.get("quick") else ""))
    add(f"- Command: `{m['command']}` (grid {m.get('grid_seconds', 0) / 60:.1f} min, "
        f"all {m.get('total_seconds', 0) / 60:.1f} min)")
    add(f"- Machine: {mach.get('Model name', '?')} (family {mach.get('CPU family', '?')}, model "
        f"{mach.get('Model', '?')}), {nproc} cores, {mach.get('memory_gb', '?')} GB, "
        f"{mach.get('Hypervisor vendor', 'bare metal')} guest; L2 {mach.get('L2 cache', '?')}, L3 "
        f"{mach.get('L3 cache', '?')}; ISA {', '.join(mach.get('isa_flags', []))}; {mach.get('platform', '')}")
    add(f"- Load average (1, 5, 15 min): before {m['loadavg_before']}, after {m['loadavg_after']} (after includes "
        "the run's own two-thread work)"
        + (f". **The machine was shared with other jobs when this run started (load above half the {nproc} cores): "
           "absolute numbers are noisy and two-thread numbers suffer most; rerun on a quiet machine before quoting "
           "them.**" if busy else ""))
    st = m["settings"]
    add(f"- Settings: lengths {st['lengths']}, batches {st['batches']}, threads {st['threads']}; per configuration "
        f"one warm-up call, then at least {st['repeats']} timed calls and at least {st['min_seconds']} s; "
        f"median, p10, p90 (p10/p90 are in the JSON). CPU affinity "
        f"{'pinned to the first n cores' if st['pinned'] else 'not pinned'}; OMP/MKL/OPENBLAS_NUM_THREADS = n; "
        f"OMP_WAIT_POLICY {st.get('omp_wait_policy', 'library default')}"
        + (f"; before each timed process, its cores were kept busy for {st['warm_cores_seconds']:g} s (an idle "
           "vCPU of this host runs the next process's first seconds slowly)" if st.get("warm_cores_seconds") else "")
        + ".")
    add(f"- Text: {m['text']['corpus']}, {m['text']['documents']} documents, {m['text']['pieces']} word pieces; input b "
        "of (L, B) = [CLS] + pieces[b(L-2) : (b+1)(L-2)] + [SEP] (the model's own start and end tokens), exactly as "
        "`edgembed bench` cuts it. "
        + (f"Tokenizer parity: edgembed's tokenizer gives the same {m['tokenizer_parity']['pieces']} pieces as the "
           "HF tokenizer on this text, so every system embeds the same ids. " if m.get("tokenizer_parity", {})
           .get("identical") else ""))
    tc = m["token_check"]
    add(f"- Token check: {'every system saw batch x L tokens in every configuration (and the same total on the mixed batch)' if tc['ok'] else 'FAILED: ' + '; '.join(tc['problems'][:5])}.")
    add("")
    L += fidelity(r)
    add("Systems (each in its own process per thread count and batch size):\n")
    add("| system | how it runs | notes |")
    add("|---|---|---|")
    for s in r.systems + list(m.get("excluded", {})):
        info = next(iter(r.sys[s]["runs"].values()), {}).get("info", {})
        notes = ["isa " + info["isa"]] if "isa" in info else []
        if s in m.get("excluded", {}):
            notes.append(f"**excluded from the tables**: min cosine {m['excluded'][s]:.5f} < {m['min_cosine']}")
        add(f"| {LABELS[s]} | {how_it_runs(s, m)} | {'; '.join(notes)} |")
    for s, why in m.get("skipped", {}).items():
        add(f"| {LABELS.get(s, s)} | **not run**: {why} | |")
    add("")
    v = m["versions"]
    add("Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".")
    onnx = m.get("artifacts", {}).get("onnx", {})
    fusion = onnx.get("fusion", {"fused": bool(onnx.get("fused_ops")), "fused_ops": onnx.get("fused_ops")})
    if fusion.get("fused"):
        add(f"ONNX fusions (`onnxruntime.transformers.optimizer`, model_type bert): {fusion['fused_ops']}"
            + ("" if fusion.get("attention_fused", True) else "; **no Attention fusion** (the optimizer does not "
               "recognize this attention: ONNX Runtime runs it unfused)") + ".")
    elif fusion.get("why"):
        add(f"ONNX fusions: none ({fusion['why']}); ONNX Runtime runs the plain export.")
    add("")

    if r.model.issue_targets:
        add("### Targets of the issue\n")
        add("| target | measured | | gap |")
        add("|---|---|---|---|")
        for target, measured, ok, gap in evaluate(r):
            add(f"| {target} | {measured} | {ok} | {gap} |")
        add("")

    add("### Latency per length (median ms per batch)\n")
    add("`int8 vs fastest peer` = fastest peer's time / edgembed int8's time (above 1: edgembed int8 is faster).\n")
    for t in r.threads:
        for b in r.batches:
            add(f"#### batch {b}, {t} thread{'s' if t > 1 else ''}\n")
            cols = r.systems
            add("| L | " + " | ".join(SHORT[s] for s in cols) + " | fastest peer | int8 vs fastest peer | "
                "int8 vs ORT int8 | em int8 p10-p90 | em int8 tokens/s |")
            add("|---:|" + "---:|" * (len(cols) + 5))
            for length in r.lengths:
                cells = [fmt(r.ms(s, t, b, length)) for s in cols]
                fp = r.fastest_peer(t, b, length)
                em = r.ms("edgembed-int8", t, b, length)
                oi = r.ms("ort-int8", t, b, length)
                row = r.row("edgembed-int8", t, b, length)
                add(f"| {length} | " + " | ".join(cells) + f" | {SHORT[fp[0]] if fp else '-'} | "
                    f"{ratio(fp[1] / em) if fp and em else '-'} | {ratio(oi / em) if oi and em else '-'} | "
                    f"{fmt(row['p10_ms'])}-{fmt(row['p90_ms'])} | {row['tokens_per_s']:.0f} |" if row
                    else f"| {length} | " + " | ".join(cells) + f" | {SHORT[fp[0]] if fp else '-'} | - | - | - | - |")
            add("")
    for p in pngs:
        add(f"![{p.stem}]({rel(p)})")
    add("")

    add("### edgembed int8 against each peer (peer time / edgembed int8 time)\n")
    add("| peer | threads | batch | lowest | median | highest | lengths where edgembed int8 is slower |")
    add("|---|---:|---:|---:|---:|---:|---|")
    for p in r.peers:
        for t in r.threads:
            for b in r.batches:
                xs = [(r.ms(p, t, b, length) / r.ms("edgembed-int8", t, b, length), length) for length in r.lengths
                      if r.ms(p, t, b, length) and r.ms("edgembed-int8", t, b, length)]
                if not xs:
                    continue
                vals = sorted(x for x, _ in xs)
                slow = [str(length) for x, length in xs if x < 1.0]
                add(f"| {LABELS[p]} | {t} | {b} | {vals[0]:.2f}x | {vals[len(vals) // 2]:.2f}x | {vals[-1]:.2f}x | "
                    f"{', '.join(slow) or 'none'} |")
    add("")

    if "edgembed-f32" in r.systems and "ort-f32" in r.systems:
        add("### edgembed f32 against ONNX Runtime f32 (ORT time / edgembed time)\n")
        hdr = [(t, b) for t in r.threads for b in r.batches]
        add("| L | " + " | ".join(f"t{t} b{b}" for t, b in hdr) + " |")
        add("|---:|" + "---:|" * len(hdr))
        for length in r.lengths:
            cells = []
            for t, b in hdr:
                e, o = r.ms("edgembed-f32", t, b, length), r.ms("ort-f32", t, b, length)
                cells.append(ratio(o / e) if e and o else "-")
            add(f"| {length} | " + " | ".join(cells) + " |")
        add("")

    add("### edgembed int8 against the roofline (>= 128 tokens)\n")
    mdl = r.model
    keys = ("L" if mdl.global_every == 0 else f"keys (L on every {mdl.global_every}th layer, at most "
                                              f"{mdl.local_window} on the others)")
    add(f"Roofline time = batch x L x ({mdl.linear_flop_per_token() / 1e6:.1f} MFLOP / int8 peak + 4 {keys} "
        f"{mdl.hidden} {mdl.layers} FLOP / fp32 peak): the linear layers of {mdl.layers} x {mdl.hidden} (FFN "
        f"{mdl.intermediate}{', gated' if mdl.gated_ffn else ''}) at the int8 peak, QK^T and PV at the fp32 peak; "
        "peaks from docs/toolchain.md (int8 465 / 929 GOP/s, fp32 116 / 233 GFLOP/s on 1 / 2 cores).\n")
    add("| threads | batch | L | measured ms | roofline ms | measured / roofline | attention share of roofline |")
    add("|---:|---:|---:|---:|---:|---:|---:|")
    for t in r.threads:
        for b in r.batches:
            for length in [x for x in r.lengths if x >= 128]:
                e = r.ms("edgembed-int8", t, b, length)
                if e is None:
                    continue
                roof = roofline_ms(mdl, length, b, t)
                linear, attention = roofline_parts(mdl, length, t)
                att = attention / (linear + attention)
                add(f"| {t} | {b} | {length} | {fmt(e)} | {fmt(roof)} | {e / roof:.2f}x | {att:.0%} |")
    add("")

    if 1 in r.threads and 2 in r.threads:
        add("### Two threads against one (time at 1 thread / time at 2, >= 128 tokens)\n")
        add("| system | batch | " + " | ".join(f"L{x}" for x in r.lengths if x >= 128) + " |")
        add("|---|---:|" + "---:|" * len([x for x in r.lengths if x >= 128]))
        for s in r.systems:
            for b in r.batches:
                cells = []
                for length in [x for x in r.lengths if x >= 128]:
                    a, c = r.ms(s, 1, b, length), r.ms(s, 2, b, length)
                    cells.append(ratio(a / c) if a and c else "-")
                add(f"| {LABELS[s]} | {b} | " + " | ".join(cells) + " |")
        add("")

    add("### Load time and peak RSS\n")
    probe_length = next((r.probe(s)["length"] for s in r.systems if r.probe(s)), 512)
    probe_calls = next((r.probe(s).get("calls", 4) for s in r.systems if r.probe(s)), 4)
    how = (f"the one-thread, batch-1 grid process of each system (lengths {', '.join(map(str, r.lengths))}: a "
           "warm-up and the timed calls at each, then the cosine check's calls), whose longest text is "
           f"{probe_length} tokens" if probe_calls == "grid" else
           f"a fresh process per system, which loads the model and embeds one text of {probe_length} tokens (batch "
           f"1, one thread, {probe_calls} calls)")
    add(f"Measured in {how}. Load = model file to ready session, in process (edgembed: `Model::load` + `Context`; "
        "peers: session / model construction, without the Python interpreter's and libraries' import time). Peak "
        "RSS = the process's `ru_maxrss`, which for the peers includes the Python interpreter and their libraries; "
        "for edgembed, RSS over the model file is what the run adds to the mapped file.\n")
    # peak_rss_mb is ru_maxrss / 1024 (MiB); file_mb is the file's bytes / 1e6: the table compares them in MiB.
    add("| system | load ms | peak RSS MiB | model file MiB | RSS over the file MiB |")
    add("|---|---:|---:|---:|---:|")
    for s in r.systems:
        x = r.probe(s)
        if x:
            file_mib = x["file_mb"] * 1e6 / 2**20 if x.get("file_mb") else None
            add(f"| {LABELS[s]} | {x['load_ms']:.1f} | {x['peak_rss_mb']:.1f} | {fmt(file_mib)} | "
                f"{fmt(x['peak_rss_mb'] - file_mib if file_mib else None)} |")
    add("")

    mixed_any = any(r.sys[s].get("mixed") for s in r.systems)
    if mixed_any and m.get("mixed_lengths"):
        ml = m["mixed_lengths"]
        add("### Mixed-length batch\n")
        add(f"Text: {m['mixed_text']['corpus']}. `edgembed bench --mixed` draws 32 lengths from its documents "
            f"(seeded, capped at the model's max_seq_length): {min(ml)}..{max(ml)} tokens, {sum(ml)} in all "
            f"(mean {sum(ml) / len(ml):.0f}); padded to the longest that is {32 * max(ml)} token slots. edgembed "
            "runs the batch packed and, for the comparison, with every text padded to the longest. The peers get the "
            "same 32 id sequences and batch them as their users do: torch, ONNX Runtime and OpenVINO pad to the "
            "longest with an attention mask; CTranslate2 and llama.cpp take the lengths.\n")
        add("| system | threads | ms per batch | texts/s | vs its padded run |")
        add("|---|---:|---:|---:|---:|")
        for s in r.systems:
            for t, x in r.sys[s].get("mixed", {}).items():
                if "packed" in x:
                    add(f"| {LABELS[s]} packed | {t} | {fmt(x['packed']['median_ms'])} | "
                        f"{x['packed']['texts_per_s']:.0f} | {x['speedup']:.2f}x |")
                    add(f"| {LABELS[s]} padded to longest | {t} | {fmt(x['padded_to_longest']['median_ms'])} | "
                        f"{x['padded_to_longest']['texts_per_s']:.0f} | 1.00x |")
                else:
                    add(f"| {LABELS[s]} | {t} | {fmt(x['median_ms'])} | {x['texts_per_s']:.0f} | |")
        add("")

    notes = plot_dir / f"notes-{r.model.key}.md"
    if notes.exists():
        add(notes.read_text().rstrip() + "\n")
    print(f"{r.model.key}: {len(pngs)} plots in {plot_dir}")
    return L


def model_results(override: dict[str, Path] | None = None) -> list[Path]:
    """Every model's results JSON that exists, in models.py's order; override[model] replaces its default path."""
    paths = [(override or {}).get(k, models.results_json(k)) for k in models.MODELS]
    return [Path(p) for p in paths if Path(p).exists()]


def write(results_jsons: list[Path], doc: Path, plot_dir: Path) -> None:
    sources = ", ".join(f"`{os.path.relpath(p, REPO)}`" for p in results_jsons)
    L = ["# Performance: edgembed and its peers, latency per sequence length\n",
         f"Generated by `bench/peers/report.py` from {sources}. Regenerate a model's results (install the peers, "
         "run them, rewrite this page and the plots) with `scripts/bench_peers.sh --model MODEL`; only the page "
         "from existing results with `.venv/bin/python bench/peers/report.py`.\n"]
    for p in results_jsons:
        L += section(Path(p), doc, plot_dir)
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text("\n".join(L) + "\n")
    print(f"wrote {doc}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("results", nargs="*", help="results JSONs (default: docs/perf/peers-results-<model>.json)")
    ap.add_argument("--doc", default=str(REPO / "docs" / "PERFORMANCE.md"))
    ap.add_argument("--plots", default=str(REPO / "docs" / "perf"))
    a = ap.parse_args()
    write([Path(x) for x in a.results] or model_results(), Path(a.doc), Path(a.plots))


if __name__ == "__main__":
    main()
