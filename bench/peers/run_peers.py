#!/usr/bin/env python3
"""edgembed and its peers, side by side, in one run on one machine (issue: latency per sequence length).

Every system runs in its own subprocess per thread count, with the same thread pinning (OMP_NUM_THREADS,
MKL_NUM_THREADS, OPENBLAS_NUM_THREADS = n and CPU affinity to the first n cores), on the same token ids of
exactly L tokens cut from real text (inputs.py), timed the same way (warm-up, then repeated calls; median,
p10, p90). edgembed is measured by its own `edgembed bench --json`; the harness checks that edgembed's
tokenizer gives the same pieces as the HF tokenizer the peers' ids come from, and that every system saw
batch x L tokens in every configuration. Each peer's vectors are compared with sentence-transformers' (torch
f32) on the benchmark texts; a peer below MIN_COSINE is excluded from the tables (its numbers stay in the JSON).

  python bench/peers/run_peers.py [--model minilm|mpnet]   full run -> docs/perf/peers-results-<model>.json,
                                                           docs/PERFORMANCE.md, docs/perf/*.png
  python bench/peers/run_peers.py --quick    smoke test (2 lengths, 1 thread, 1 repeat)
                                             -> bench/peers/cache/<model>/quick/
"""
from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import importlib.util
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
import inputs as inp  # noqa: E402
import models  # noqa: E402

PEERS = ["torch-f32", "ort-f32", "ort-int8", "ov-f32", "ov-int8", "ct2-int8", "llama-f32", "llama-q8_0"]
# A system measured as several variants; the faster one that passes the cosine check is reported under its name.
VARIANTS = {"ort-int8": ["ort-int8-plain", "ort-int8-fused"], "ov-int8": ["ov-int8-weights", "ov-int8-ptq"]}
EDGEMBED = [f"edgembed-{d}" for d in models.DTYPES]
PACKAGES = ["torch", "sentence-transformers", "transformers", "tokenizers", "numpy", "onnx", "onnxruntime",
            "openvino", "nncf", "ctranslate2", "llama_cpp_python", "gguf", "matplotlib"]
MIN_COSINE = 0.98  # the issue: a quantized peer counts only where it keeps min cosine >= 0.98 to f32


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict:
    info = {"platform": platform.platform(), "nproc": os.cpu_count()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        fields = dict(line.split(":", 1) for line in lscpu.splitlines() if ":" in line)
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        for key in ["Architecture", "Model name", "Vendor ID", "CPU family", "Model", "CPU(s)", "Thread(s) per core",
                    "Core(s) per socket", "L1d cache", "L2 cache", "L3 cache", "Hypervisor vendor", "CPU max MHz"]:
            if key in fields:
                info[key] = fields[key]
        flags = fields.get("Flags", "").split()
        info["isa_flags"] = [f for f in ["avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni",
                                         "avx512_bf16", "amx_int8", "amx_bf16"] if f in flags]
    except OSError:
        pass
    try:
        mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
        info["memory_gb"] = round(int(mem) / 1024 / 1024, 1)
    except OSError:
        pass
    return info


def versions() -> dict:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = importlib.metadata.version(p)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def git_rev() -> str:
    r = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return r.stdout.strip() + ("+uncommitted" if dirty else "")


def pinned_env(threads: int) -> dict:
    env = dict(os.environ)
    for k in ["OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS"]:
        env[k] = str(threads)
    env.update(TOKENIZERS_PARALLELISM="false", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               PYTHONWARNINGS="ignore")
    return env


def warm_cores(cpus: list[int], seconds: float) -> None:
    """Keeps each of `cpus` busy for `seconds`. On a 2-vCPU host the second vCPU sits idle through the whole
    1-thread row; the first 2-thread process after it (always edgembed-int8, by the grid's alternating order) ran
    its first seconds at about 3/4 speed, in two runs out of two."""
    spin = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end:\n    pass"
    procs = [subprocess.Popen([sys.executable, "-c", spin], preexec_fn=lambda c=c: os.sched_setaffinity(0, [c]))
             for c in cpus]
    for p in procs:
        p.wait()


def run_pinned(cmd: list[str], threads: int, pin: bool, log_file: Path, warm_seconds: float = 0.0) -> None:
    """Runs cmd on the first `threads` CPUs (when pin), after keeping them busy for warm_seconds."""
    cpus = sorted(os.sched_getaffinity(0))[:threads]

    def pre():
        if pin:
            os.sched_setaffinity(0, cpus)

    with open(log_file, "a") as f:
        f.write("$ " + shlex.join(cmd) + f"  (threads {threads}, cpus {cpus if pin else 'any'})\n")
        f.flush()
        if pin and warm_seconds > 0:
            warm_cores(cpus, warm_seconds)
        r = subprocess.run(cmd, env=pinned_env(threads), preexec_fn=pre, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise RuntimeError(f"{cmd[0]} ... exited {r.returncode}; see {log_file}")


def available_peers(artifacts: dict) -> dict[str, str]:
    """system -> '' if it can run, else why not."""
    def has(mod):
        return importlib.util.find_spec(mod) is not None

    why = {}
    llama = ("llama-cpp-python not installed (it compiles llama.cpp from source: scripts/bench_peers.sh tries "
             "that only with BENCH_LLAMA=1)")
    why["torch-f32"] = "" if has("sentence_transformers") else "sentence-transformers not installed"
    for kind, mod, systems in [("onnx", "onnxruntime", ["ort-f32"] + VARIANTS["ort-int8"]),
                               ("openvino", "openvino", ["ov-f32"] + VARIANTS["ov-int8"])]:
        made = artifacts.get(kind, {})
        for s in systems:
            not_made = "" if s in made.get("files", {}) else "not made: " + made.get("not_made", {}).get(s, "?")
            why[s] = f"{mod} not installed" if not has(mod) else made.get("skipped", "") or not_made
    why["ct2-int8"] = ("ctranslate2 not installed" if not has("ctranslate2")
                       else artifacts.get("ct2", {}).get("skipped", ""))
    for s in ["llama-f32", "llama-q8_0"]:
        why[s] = (llama if not has("llama_cpp")
                  else artifacts.get("gguf", {}).get("skipped", ""))
    return why


def fidelity(work: Path, systems: list[str]) -> dict[str, float]:
    """system -> min cosine of its check vectors to torch f32's: a peer's of the check ids, edgembed's (which
    embeds text) of the check ids' decoded texts."""
    cos = {}
    for s in systems:
        ref = work / ("check-torch-f32-texts.npy" if s.startswith("edgembed") else "check-torch-f32.npy")
        f = work / f"check-{s}.npy"
        if s != "torch-f32" and f.exists() and ref.exists():
            e, r = np.load(f), np.load(ref)
            cos[s] = float(np.min(np.sum(e * r, 1) / (np.linalg.norm(e, axis=1) * np.linalg.norm(r, axis=1))))
    return cos


def geomean_ms(result: dict, configs: set) -> float:
    ms = [row["median_ms"] for t, run in result["runs"].items() for row in run["results"]
          if (t, row["batch"], row["length"]) in configs]
    return float(np.exp(np.mean(np.log(ms))))


def pick_variants(results: dict, systems: list[str], cos: dict[str, float]) -> dict:
    """Replace each system's measured variants (in results, systems, cos) by the one reported under its name: the
    fastest (geometric mean of the medians over the configurations all were measured in) of those passing the
    cosine check, or the fastest if none passes. The variants' own results stay under results[name]["variants"]."""
    picked = {}
    for name, variants in VARIANTS.items():
        measured = [v for v in variants if v in systems]
        if not measured:
            continue
        configs = set.intersection(*[{(t, row["batch"], row["length"]) for t, run in results[v]["runs"].items()
                                      for row in run["results"]} for v in measured])
        speed = {v: geomean_ms(results[v], configs) for v in measured}
        passing = [v for v in measured if cos.get(v, 1.0) >= MIN_COSINE]
        pick = min(passing or measured, key=speed.get)
        own = {v: results.pop(v) for v in measured}
        results[name] = dict(own[pick], variant=pick, variants=own)
        if pick in cos:
            cos[name] = cos[pick]
        systems[systems.index(measured[0])] = name
        for v in measured[1:]:
            systems.remove(v)
        picked[name] = {"picked": pick, "geomean_ms": speed, "configurations": len(configs)}
    return picked


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=list(models.MODELS), default="minilm")
    ap.add_argument("--quick", action="store_true", help="smoke test: lengths 8,64, batch 1,4 (a long-context "
                    "model: its two shortest lengths, batch 1), 1 thread, 1 repeat (where the options below are not given)")
    ap.add_argument("--lengths")
    ap.add_argument("--batch")
    ap.add_argument("--threads")
    ap.add_argument("--repeats", type=int)
    ap.add_argument("--min-seconds", type=float)
    ap.add_argument("--systems", default="", help="comma list (default: every one that can run)")
    ap.add_argument("--no-pin", action="store_true", help="do not set CPU affinity")
    ap.add_argument("--warm-cores", type=float, default=None, metavar="SECONDS",
                    help="keep a timed process's CPUs busy this long before it starts (default 10, --quick 0)")
    ap.add_argument("--omp-wait-policy", choices=["ACTIVE", "PASSIVE"], default=None,
                    help="set OMP_WAIT_POLICY for every system (default: each library's own default)")
    ap.add_argument("--edgembed", default=str(models.edgembed_bin()),
                    help="the CLI (default $EDGEMBED_BIN or the repo's)")
    ap.add_argument("--models", default=str(models.models_dir()),
                    help="edgembed model files and hf/ (default $EDGEMBED_MODELS or the repo's models/)")
    ap.add_argument("--model-dir", default="", help="HF checkpoint dir (default: models.py's for --model)")
    ap.add_argument("--cache", default=str(HERE / "cache"), help="peer files and runs go to CACHE/<model>/")
    ap.add_argument("--out", default="", help="results JSON (default docs/perf/peers-results-<model>.json; "
                                              "quick: CACHE/<model>/quick/)")
    ap.add_argument("--no-report", action="store_true", help="do not write the doc and plots")
    args = ap.parse_args()
    if args.warm_cores is None:
        args.warm_cores = 0.0 if args.quick else 10.0

    model = models.MODELS[args.model]
    long_model = model.probe_length > 512  # its quick run: its two shortest lengths, batch 1
    quick = [",".join(model.lengths.split(",")[:2]), "1"] if long_model else ["8,64", "1,4"]
    defaults = (quick + ["1", 1, 0.0] if args.quick
                else [model.lengths, model.batches, "1,2", model.repeats, model.min_seconds])
    for name, value in zip(["lengths", "batch", "threads", "repeats", "min_seconds"], defaults):
        if getattr(args, name) is None:
            setattr(args, name, value)
    lengths = [int(x) for x in args.lengths.split(",")]
    batches = [int(x) for x in args.batch.split(",")]
    threads = [int(x) for x in args.threads.split(",")]
    probe_length = min(model.probe_length, max(lengths)) if args.quick else model.probe_length
    cache = Path(args.cache) / model.key
    cache.mkdir(parents=True, exist_ok=True)
    if args.omp_wait_policy:
        os.environ["OMP_WAIT_POLICY"] = args.omp_wait_policy  # inherited by every subprocess
    work = cache / ("quick" if args.quick else (Path(args.out).stem if args.out else "full"))
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    out_json = Path(args.out) if args.out else (work / "results.json" if args.quick else models.results_json(model.key))
    logf = work / "log.txt"

    if model.random_init and not args.model_dir:
        convert = Path(args.edgembed).parent.parent / "convert" / "edgembed-convert"
        log(f"random-init {model.name}: folder and edgembed files in {args.models} (made once)")
        model.make_random_init(Path(args.models), convert)
    model_dir = Path(args.model_dir) if args.model_dir else model.hf_dir(Path(args.models))
    model.check_config(model_dir)
    files = {s: model.edgembed_file(Path(args.models), s.split("-")[1]) for s in EDGEMBED}

    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "command": shlex.join([os.path.relpath(sys.executable, REPO) if sys.executable.startswith(str(REPO))
                                   else Path(sys.executable).name, os.path.relpath(__file__, REPO)] + sys.argv[1:]),
            "quick": args.quick, "machine": machine(), "loadavg_before": loadavg(), "versions": versions(),
            "git": git_rev(), "model": model.key, "model_name": model.name, "model_dir": str(model_dir),
            "settings": {"lengths": lengths, "batches": batches, "threads": threads, "repeats": args.repeats,
                         "min_seconds": args.min_seconds, "probe_length": probe_length, "pinned": not args.no_pin,
                         "omp_wait_policy": args.omp_wait_policy or "library default",
                         "warm_cores_seconds": args.warm_cores}}
    log(f"load average {meta['loadavg_before']}")

    # Texts and token ids.
    tok = inp.hf_tokenizer(model_dir)
    cls, sep, pad = inp.special_ids(model_dir)
    bench_text = work / "bench.jsonl"
    meta["text"] = inp.essays_text(tok, bench_text, (max(lengths + [probe_length]) - 2) * max(batches) + 1)
    pieces = inp.stream(inp.pieces_per_document(tok, inp.read_documents(bench_text)))
    np.save(work / "pieces.npy", pieces)
    mixed_file = work / "mixed.jsonl"
    meta["mixed_text"] = inp.mixed_text(mixed_file)
    np.save(work / "mixed_pieces.npy", inp.stream(inp.pieces_per_document(tok, inp.read_documents(mixed_file))))
    rss_text = work / "rss.jsonl"
    inp.write_documents(rss_text, inp.read_documents(bench_text)[:1])
    if len(tok.encode(inp.read_documents(rss_text)[0], add_special_tokens=False).ids) < probe_length - 2:
        inp.write_documents(rss_text, inp.read_documents(bench_text))

    # edgembed: a snapshot of the binary (others may rebuild build/ during the run).
    systems_why = {}
    edgembed_bin = None
    if Path(args.edgembed).exists():
        edgembed_bin = work / "edgembed"
        shutil.copy2(args.edgembed, edgembed_bin)
    for s in EDGEMBED:
        systems_why[s] = ("" if edgembed_bin and files[s].exists()
                          else f"edgembed CLI {args.edgembed} or model {files[s]} not built (scripts/setup.sh)")
    meta["edgembed"] = {"binary": args.edgembed, "models": {s: str(m) for s, m in files.items()}}

    # Tokenizer parity on the benchmark text (the peers get HF ids, edgembed tokenizes the file itself).
    if edgembed_bin and files["edgembed-int8"].exists():
        r = subprocess.run([str(edgembed_bin), "tokenize", "-m", str(files["edgembed-int8"]), "--no-special",
                            "--input", "jsonl", str(bench_text)], capture_output=True, text=True, check=True)
        theirs = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
        ours = inp.pieces_per_document(tok, inp.read_documents(bench_text))
        same = theirs == ours
        meta["tokenizer_parity"] = {"documents": len(ours), "identical": same,
                                    "pieces": int(sum(map(len, ours)))}
        if not same:
            raise SystemExit("edgembed's tokenizer and the HF tokenizer differ on the benchmark text: "
                             "inputs would not be the same")
        log(f"tokenizer parity: {len(ours)} documents, {meta['tokenizer_parity']['pieces']} pieces identical")

    # The cosine check's inputs: model.check_batch of every length (the worker cuts the same ids); edgembed gets their
    # decoded texts, and torch f32 also embeds those texts' own ids (cut like edgembed cuts at max(lengths)).
    check_texts = work / "check-texts.jsonl"
    rows = [row for n in lengths for row in inp.make_inputs(pieces, cls, sep, n, model.check_batch)]
    inp.write_documents(check_texts, [tok.decode(row.tolist(), skip_special_tokens=True) for row in rows])
    text_ids = [[cls] + ids[: max(lengths) - 2] + [sep]
                for ids in inp.pieces_per_document(tok, inp.read_documents(check_texts))]

    # Peer artifacts (in a subprocess: the export imports torch).
    want = [s.strip() for s in args.systems.split(",") if s.strip()] or PEERS + EDGEMBED
    want = [v for s in want for v in VARIANTS.get(s, [s])]
    steps = []
    if any(s.startswith(("ort", "ov")) for s in want):
        steps.append("onnx")  # OpenVINO converts the ONNX export
    if any(s.startswith("ov") for s in want):
        steps.append("openvino")
    if "ct2-int8" in want:
        steps.append("ct2")
    if any(s.startswith("llama") for s in want) and importlib.util.find_spec("llama_cpp"):
        steps.append("gguf")
    artifacts = {}
    if steps:
        log(f"peer model files: {steps}")
        r = subprocess.run([sys.executable, str(HERE / "artifacts.py"), str(cache), model.key, str(model_dir)] + steps,
                           capture_output=True, text=True, env=pinned_env(os.cpu_count() or 1))
        with open(logf, "a") as f:
            f.write(r.stderr)
        artifacts = json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else {
            s: {"skipped": f"artifacts.py failed: {r.stderr[-500:]}"} for s in steps}
    meta["artifacts"] = artifacts
    systems_why.update(available_peers(artifacts))
    systems = [s for s in want if systems_why.get(s) == ""]
    meta["skipped"] = {s: systems_why.get(s, "unknown system") for s in want if systems_why.get(s) != ""}
    meta["systems"] = systems
    log(f"systems: {systems}; skipped: {meta['skipped']}")

    results: dict = {s: {"runs": {}, "mixed": {}} for s in systems}

    def edgembed_bench(system, t, out, lens, bats, text, mixed=False, repeats=None, min_seconds=None):
        cmd = [str(edgembed_bin), "bench", "-m", str(files[system]), "--text", str(text),
               "--lengths", ",".join(map(str, lens)), "--batch", ",".join(map(str, bats)), "--threads", str(t),
               "--repeats", str(args.repeats if repeats is None else repeats),
               "--min-seconds", str(args.min_seconds if min_seconds is None else min_seconds), "--json", str(out)]
        if mixed:
            cmd.append("--mixed")
        run_pinned(cmd, t, not args.no_pin, logf, args.warm_cores)
        return json.loads(Path(out).read_text())

    def peer(system, t, out, lens, bats, mixed_lengths=None, check=False, repeats=None, min_seconds=None):
        spec = {"system": system, "threads": t, "model_dir": str(model_dir), "cache": str(cache),
                "token_types": model.token_types,
                "pieces": str(work / "pieces.npy"), "mixed_pieces": str(work / "mixed_pieces.npy"),
                "cls_id": cls, "sep_id": sep, "pad_id": pad, "lengths": lens, "batches": bats,
                "repeats": args.repeats if repeats is None else repeats,
                "min_seconds": args.min_seconds if min_seconds is None else min_seconds,
                "mixed_lengths": mixed_lengths, "out": str(out)}
        if check:
            spec["check"] = {"lengths": lengths, "batch": model.check_batch, "out": str(work / f"check-{system}.npy")}
            if system == "torch-f32":
                spec["check"].update(text_ids=text_ids, text_out=str(work / "check-torch-f32-texts.npy"))
        spec_file = Path(str(out) + ".spec.json")
        spec_file.write_text(json.dumps(spec))
        run_pinned([sys.executable, str(HERE / "worker.py"), str(spec_file)], t, not args.no_pin, logf, args.warm_cores)
        return json.loads(Path(out).read_text())

    # The mixed-length batch: edgembed draws 32 lengths from the mixed text's documents; the peers get the same.
    mixed_lengths = None
    if "edgembed-int8" in systems and not long_model:  # a long-context model's grid is long inputs at batch 1
        log("mixed-length batch lengths (edgembed-int8)")
        j = edgembed_bench("edgembed-int8", threads[0], work / "mixed-probe.json", [16], [1], mixed_file,
                           mixed=True, repeats=1, min_seconds=0.0)
        mixed_lengths = j["mixed"]["lengths"]
    meta["mixed_lengths"] = mixed_lengths

    # The grid: per thread count and batch size, every system in turn (alternating order), so that a change
    # of load on a shared machine hits all systems of one table alike.
    t_start = time.time()
    turn = 0
    failed: dict[str, str] = {}
    for t in threads:
        for b in batches:
            order = systems if turn % 2 == 0 else list(reversed(systems))
            turn += 1
            for s in order:
                if s in failed:
                    continue
                log(f"{s}, {t} thread(s), batch {b}")
                out = work / f"{s}-t{t}-b{b}.json"
                last = b == batches[-1]
                if s.startswith("edgembed"):
                    j = edgembed_bench(s, t, out, lengths, [b], bench_text)
                    j["info"] = {"isa": j["isa"]}
                else:
                    try:
                        j = peer(s, t, out, lengths, [b], check=(t == threads[0] and last),
                                 mixed_lengths=mixed_lengths if last and not args.quick else None)
                    except RuntimeError as e:  # a peer that fails is reported and dropped, the run goes on
                        log(f"{s} failed: {e}")
                        failed[s] = f"failed during the run: {e}"
                        continue
                    if "mixed" in j:
                        results[s]["mixed"][str(t)] = j["mixed"]
                run = results[s]["runs"].setdefault(str(t), {"load_ms": j["load_ms"], "peak_rss_mb": 0.0,
                                                             "results": [], "info": j["info"]})
                run["results"].extend(j["results"])
                run["peak_rss_mb"] = max(run["peak_rss_mb"], j["peak_rss_mb"])
        for s in systems:
            if s.startswith("edgembed") and mixed_lengths and (not args.quick or s == "edgembed-int8"):
                log(f"{s}, {t} thread(s), mixed-length batch")
                m = edgembed_bench(s, t, work / f"{s}-t{t}-mixed.json", [16], [1], mixed_file, mixed=True)
                results[s]["mixed"][str(t)] = m["mixed"]
    meta["grid_seconds"] = round(time.time() - t_start, 1)
    for s, why in failed.items():
        systems.remove(s)
        results.pop(s)
        meta["skipped"][s] = why
    meta["systems"] = systems

    # Load time and peak RSS: a process that embeds one text of probe_length tokens, one thread. A long-context
    # model's one-thread grid process is one already (batch 1, its longest length the probe's; its peak is there):
    # it is read from that run instead of embedding thousands of tokens again.
    for s in systems:
        if args.quick and s != "edgembed-int8":
            continue
        grid = results[s]["runs"].get("1")
        if long_model and grid and batches == [1] and max(lengths) == probe_length:
            results[s]["probe"] = {"length": probe_length, "load_ms": grid["load_ms"],
                                   "peak_rss_mb": grid["peak_rss_mb"], "calls": "grid"}
        else:
            log(f"{s}: load and peak RSS at {probe_length} tokens, batch 1")
            out = work / f"{s}-rss.json"
            if s.startswith("edgembed"):
                j = edgembed_bench(s, 1, out, [probe_length], [1], rss_text, repeats=3, min_seconds=0.0)
            else:
                j = peer(s, 1, out, [probe_length], [1], repeats=3, min_seconds=0.0)
            results[s]["probe"] = {"length": probe_length, "load_ms": j["load_ms"], "peak_rss_mb": j["peak_rss_mb"],
                                   "calls": 4}
        if s.startswith("edgembed"):
            results[s]["probe"]["file_mb"] = files[s].stat().st_size / 1e6

    # Checks: every system saw batch x L tokens (mixed: the sum of the lengths); peers' vectors vs torch.
    problems = []
    for s in systems:
        for t, run in results[s]["runs"].items():
            for row in run["results"]:
                if row["tokens"] != row["batch"] * row["length"]:
                    problems.append(f"{s} t{t} b{row['batch']} L{row['length']}: {row['tokens']} tokens")
        for t, m in results[s]["mixed"].items():
            want_tokens = sum(mixed_lengths)
            got = m["packed"]["tokens"] if "packed" in m else m["tokens"]
            if got != want_tokens:
                problems.append(f"{s} mixed t{t}: {got} tokens, {want_tokens} expected")
    meta["token_check"] = {"ok": not problems, "problems": problems}
    for s in [s for s in systems if s.startswith("edgembed")]:
        run_pinned([str(edgembed_bin), "embed", "-m", str(files[s]), "--input", "jsonl", "--output", "npy",
                    "-o", str(work / f"check-{s}.npy"), "--threads", "1", "--max-length", str(max(lengths)),
                    str(check_texts)], 1, not args.no_pin, logf)
    meta["check"] = {"lengths": lengths, "batch": model.check_batch}
    meta["cosine_vs_torch"] = fidelity(work, systems)
    meta["min_cosine"] = MIN_COSINE
    meta["variants"] = pick_variants(results, systems, meta["cosine_vs_torch"])
    meta["excluded"] = {s: c for s, c in meta["cosine_vs_torch"].items()
                        if s in systems and s not in EDGEMBED and c < MIN_COSINE}
    meta["systems"] = [s for s in systems if s not in meta["excluded"]]
    log(f"min cosine to torch f32: {meta['cosine_vs_torch']}; excluded (< {MIN_COSINE}): {meta['excluded']}")
    meta["loadavg_after"] = loadavg()
    meta["total_seconds"] = round(time.time() - t_start, 1)
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps({"meta": meta, "systems": results}, indent=1) + "\n")
    log(f"results: {out_json}; token check {'ok' if not problems else problems}")

    if not args.no_report:
        import report

        if args.quick:
            report.write([out_json], work / "PERFORMANCE.md", work / "perf")
        else:  # the page has every model's section: this run's and the others' last results
            report.write(report.model_results({model.key: out_json}), REPO / "docs" / "PERFORMANCE.md",
                         REPO / "docs" / "perf")
    if problems:
        raise SystemExit("token count check failed: " + "; ".join(problems[:5]))


if __name__ == "__main__":
    main()
