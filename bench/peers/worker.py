"""One system in its own process: load it, then time every (length, batch) configuration of one thread count.

Timing is edgembed bench's: one warm-up call per configuration, then timed calls until at least --repeats
runs and at least --min-seconds in all; median, p10, p90 (linear interpolation) of the per-call times. A
call takes the batch's token ids and returns the batch's normalized sentence embeddings (for ONNX Runtime
the pooling is in the graph; for CTranslate2 and torch it is done on the model output inside the call).
ONNX Runtime and OpenVINO take the files their artifacts stamp names for the system.

Usage: python worker.py SPEC.json  (written by run_peers.py; the result JSON goes to SPEC["out"])
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import inputs as inp  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    v = sorted(values)
    at = p * (len(v) - 1)
    lo = int(at)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (at - lo)


def time_runs(call, batch, repeats: int, min_seconds: float) -> tuple[list[float], int]:
    _, tokens = call(batch)  # warm-up; also counts the tokens the system saw
    ms, total, r = [], 0.0, 0
    while r < repeats or total < min_seconds * 1000.0:
        start = time.perf_counter()
        call(batch)
        t = (time.perf_counter() - start) * 1000.0
        ms.append(t)
        total += t
        r += 1
        if r > 10000:
            break
    return ms, tokens


def summarize(ms: list[float], tokens: int, texts: int) -> dict:
    median = percentile(ms, 0.5)
    return {"median_ms": median, "p10_ms": percentile(ms, 0.1), "p90_ms": percentile(ms, 0.9), "runs": len(ms),
            "tokens": tokens, "tokens_per_s": tokens / (median / 1000.0), "texts_per_s": texts / (median / 1000.0)}


def l2_normalize(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def artifact(spec, kind: str, system: str) -> Path:
    """The file artifacts.py made for system (its stamp maps systems to files)."""
    d = Path(spec["cache"]) / kind
    return d / json.loads((d / "stamp.json").read_text())["files"][system]


def padded(batch: list[np.ndarray], pad: int) -> tuple[np.ndarray, np.ndarray]:
    """ids and attention mask, padded to the longest text (how torch / ORT users batch mixed lengths)."""
    longest = max(len(b) for b in batch)
    ids = np.full((len(batch), longest), pad, dtype=np.int64)
    mask = np.zeros((len(batch), longest), dtype=np.int64)
    for i, b in enumerate(batch):
        ids[i, : len(b)] = b
        mask[i, : len(b)] = 1
    return ids, mask


# Each loader returns (call, info): call(list of 1-D int64 id arrays) -> (embeddings, tokens seen).

def load_torch(spec):
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(spec["threads"])
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    model = SentenceTransformer(spec["model_dir"], device="cpu")
    model.eval()
    pad = spec["pad_id"]

    def call(batch):
        ids, mask = padded(batch, pad)
        with torch.inference_mode():
            features = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}
            if spec["token_types"]:
                features["token_type_ids"] = torch.zeros_like(features["input_ids"])
            out = model.forward(features)["sentence_embedding"].numpy()
        return out, int(mask.sum())

    import sentence_transformers
    import transformers
    info = {"torch": torch.__version__, "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "num_threads": torch.get_num_threads(), "pipeline": "SentenceTransformer.forward on token ids "
            "(encoder + mean pooling + Normalize), torch.inference_mode, set_num_threads(n), interop 1"}
    return call, info


def load_ort(spec, system):
    import onnxruntime as ort

    file = artifact(spec, "onnx", system)

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = spec["threads"]
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(str(file), so, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    pad = spec["pad_id"]

    def call(batch):
        ids, mask = padded(batch, pad)
        return session.run(None, inp.feeds(names, ids, mask))[0], int(mask.sum())

    info = {"onnxruntime": ort.__version__, "model": file.name, "graph_optimization_level": "ORT_ENABLE_ALL",
            "intra_op_num_threads": spec["threads"], "inter_op_num_threads": 1}
    return call, info


def load_ov(spec, system):
    import openvino as ov

    file = artifact(spec, "openvino", system)
    # One stream of n threads for one request at a time; f32 inference (the CPU plugin would pick bf16 on
    # CPUs with AVX512-BF16 or AMX).
    config = {"INFERENCE_NUM_THREADS": spec["threads"], "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1,
              "INFERENCE_PRECISION_HINT": "f32"}
    compiled = ov.Core().compile_model(str(file), "CPU", config)
    request = compiled.create_infer_request()
    names = [i.get_any_name() for i in compiled.inputs]
    pad = spec["pad_id"]

    def call(batch):
        ids, mask = padded(batch, pad)
        return request.infer(inp.feeds(names, ids, mask))[0].copy(), int(mask.sum())

    info = {"openvino": ov.__version__, "model": file.name,
            **{k: str(compiled.get_property(k)) for k in config}}
    return call, info


def load_ct2(spec):
    import ctranslate2

    encoder = ctranslate2.Encoder(str(Path(spec["cache"]) / "ct2-int8"), device="cpu", compute_type="int8",
                                  intra_threads=spec["threads"], inter_threads=1)

    def call(batch):
        lists = [b.tolist() for b in batch]
        out = encoder.forward_batch(lists)
        h = np.asarray(out.last_hidden_state)  # (batch, longest, hidden); padded positions masked below
        lengths = np.array([len(b) for b in batch])
        mask = (np.arange(h.shape[1])[None, :] < lengths[:, None]).astype(h.dtype)[:, :, None]
        return l2_normalize((h * mask).sum(1) / lengths[:, None]), int(lengths.sum())

    info = {"ctranslate2": ctranslate2.__version__, "compute_type": "int8", "intra_threads": spec["threads"],
            "inter_threads": 1, "cpu_compute_types": sorted(ctranslate2.get_supported_compute_types("cpu"))}
    return call, info


def load_llama(spec, file):
    import llama_cpp

    path = str(Path(spec["cache"]) / "gguf" / file)
    # As llama.cpp's own llama-embedding runs: batches of whole sequences up to n_batch tokens (its default,
    # 2048, or the longest input), n_ubatch = n_batch (non-causal models need the whole batch in one ubatch).
    # Attention then spans every token of a batch (masked per sequence), so its cost is (sum L)^2 per batch.
    n_batch = max([2048] + spec["lengths"])
    llm = llama_cpp.Llama(model_path=path, embedding=True, n_threads=spec["threads"], n_threads_batch=spec["threads"],
                          n_ctx=n_batch, n_batch=n_batch, n_ubatch=n_batch,
                          pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN, verbose=False)

    def decode(seqs, out):
        llm._batch.reset()
        llm._ctx.kv_cache_clear() if hasattr(llm._ctx, "kv_cache_clear") else llm._ctx.memory_clear(True)
        for i, b in enumerate(seqs):
            llm._batch.add_sequence(b.tolist(), i, False)
        llm._ctx.decode(llm._batch)
        for i in range(len(seqs)):
            ptr = llama_cpp.llama_get_embeddings_seq(llm._ctx.ctx, i)
            out.append(np.ctypeslib.as_array(ptr, shape=(llm.n_embd(),)).copy())

    def call(batch):
        # Llama.embed's own loop on token ids instead of text: sequences fill a llama_batch up to n_batch.
        out, pending, tokens = [], [], 0
        for b in batch:
            if pending and tokens + len(b) > n_batch:
                decode(pending, out)
                pending, tokens = [], 0
            pending.append(b)
            tokens += len(b)
        if pending:
            decode(pending, out)
        return l2_normalize(np.stack(out)), int(sum(len(b) for b in batch))

    info = {"llama_cpp_python": llama_cpp.__version__, "model": file, "n_threads": spec["threads"], "n_batch": n_batch}
    return call, info


LOADERS = {
    "torch-f32": load_torch,
    "ort-f32": lambda s: load_ort(s, "ort-f32"),
    "ort-int8-plain": lambda s: load_ort(s, "ort-int8-plain"),
    "ort-int8-fused": lambda s: load_ort(s, "ort-int8-fused"),
    "ov-f32": lambda s: load_ov(s, "ov-f32"),
    "ov-int8-weights": lambda s: load_ov(s, "ov-int8-weights"),
    "ov-int8-ptq": lambda s: load_ov(s, "ov-int8-ptq"),
    "ct2-int8": load_ct2,
    "llama-f32": lambda s: load_llama(s, "model.f32.gguf"),
    "llama-q8_0": lambda s: load_llama(s, "model.q8_0.gguf"),
}


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    pieces = np.load(spec["pieces"])
    cls, sep = spec["cls_id"], spec["sep_id"]
    t0 = time.perf_counter()
    call, info = LOADERS[spec["system"]](spec)
    load_ms = (time.perf_counter() - t0) * 1000.0
    result = {"system": spec["system"], "threads": spec["threads"], "load_ms": load_ms, "info": info, "results": []}

    for batch in spec["batches"]:
        for length in spec["lengths"]:
            ids = inp.make_inputs(pieces, cls, sep, length, batch)
            rows = [ids[i] for i in range(batch)]
            ms, tokens = time_runs(call, rows, spec["repeats"], spec["min_seconds"])
            row = summarize(ms, tokens, batch)
            row.update(threads=spec["threads"], batch=batch, length=length)
            result["results"].append(row)
            print(f"{spec['system']} t{spec['threads']} b{batch} L{length}: {row['median_ms']:.3f} ms", flush=True)

    if spec.get("mixed_lengths"):
        mpieces = np.load(spec["mixed_pieces"])
        rows = inp.make_mixed(mpieces, cls, sep, spec["mixed_lengths"])
        ms, tokens = time_runs(call, rows, spec["repeats"], spec["min_seconds"])
        result["mixed"] = summarize(ms, tokens, len(rows))
        result["mixed"]["threads"] = spec["threads"]

    if spec.get("check"):
        # Embeddings of a fixed batch at every length, for the harness's cosine check against torch.
        c = spec["check"]
        emb = [call(list(inp.make_inputs(pieces, cls, sep, length, c["batch"])))[0] for length in c["lengths"]]
        np.save(c["out"], np.concatenate(emb).astype(np.float32))
        if c.get("text_ids"):  # torch f32 only: the reference for edgembed, which embeds the decoded texts
            ids = [np.array(x, dtype=np.int64) for x in c["text_ids"]]
            emb = [call(ids[i: i + c["batch"]])[0] for i in range(0, len(ids), c["batch"])]
            np.save(c["text_out"], np.concatenate(emb).astype(np.float32))

    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    result["affinity"] = sorted(os.sched_getaffinity(0))
    Path(spec["out"]).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
