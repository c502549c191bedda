"""Peer model files made from the same local Hugging Face checkpoint (no hub access).

  onnx/model.onnx           torch.onnx.export (TorchScript exporter, opset 17) of the encoder + mean pooling + L2
                            normalization, so ONNX Runtime and OpenVINO return the same sentence embedding as the others
  onnx/model.opt.onnx       the same after onnxruntime.transformers.optimizer (model_type bert: Attention,
                            SkipLayerNormalization, BiasGelu, EmbedLayerNormalization fusions; what Optimum's O2 does);
                            absent where the optimizer fails or fuses nothing (the stamp says which)
  onnx/model{,.opt}.int8.onnx   onnxruntime.quantization.quantize_dynamic(QInt8, per_channel=True) of each graph
  openvino/model.xml        openvino.convert_model(onnx/model.onnx), weights kept in f32
  openvino/model.int8.xml   nncf.compress_weights(INT8_ASYM) of that: int8 weights, f32 activations
  openvino/model.ptq.xml    nncf.quantize(model_type TRANSFORMER) of it on 64 SciFact abstracts: int8 weights and
                            activations
  ct2-int8/                 ctranslate2.converters.TransformersConverter(..., quantization="int8")
  gguf/model.{f32,q8_0}.gguf   llama.cpp's convert_hf_to_gguf.py (only where llama.cpp's converter is present)

Each is made once and kept under the model's cache directory (a stamp file records how it was made; the
stamps of onnx and openvino map each system to its file, and say why a system's file was not made).
Usage: python artifacts.py CACHE_DIR MODEL_KEY HF_DIR [onnx] [openvino] [ct2] [gguf]
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import inputs as inp  # noqa: E402
from models import MODELS, Model  # noqa: E402


def _done(stamp: Path) -> bool:
    return stamp.exists()


def _stamp(stamp: Path, info: dict) -> None:
    stamp.write_text(json.dumps(info, indent=2) + "\n")


def _fuse(out: Path, model: Model) -> dict:
    """model.opt.onnx by the transformer optimizer (model_type bert), or why there is none."""
    from onnxruntime.transformers import optimizer

    try:
        opt = optimizer.optimize_model(str(out / "model.onnx"), model_type="bert", num_heads=model.heads,
                                       hidden_size=model.hidden, opt_level=0)
    except Exception as e:  # noqa: BLE001 - the optimizer's own failure is the finding
        return {"fused": False, "why": f"optimizer failed: {type(e).__name__}: {e}"}
    fused = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
    if not fused:
        return {"fused": False, "why": "optimizer (model_type bert) fused no operator", "fused_ops": fused}
    opt.save_model_to_file(str(out / "model.opt.onnx"))
    return {"fused": True, "fused_ops": fused,
            "attention_fused": any("Attention" in k for k in fused)}


def export_onnx(cache: Path, model: Model, hf_dir: Path) -> dict:
    out = cache / "onnx"
    stamp = out / "stamp.json"
    if _done(stamp):
        return json.loads(stamp.read_text())
    out.mkdir(parents=True, exist_ok=True)
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if model.token_types else [])

    class Embedder(torch.nn.Module):
        def __init__(self, encoder):
            super().__init__()
            self.encoder = encoder

        def forward(self, *inputs):
            h = self.encoder(**dict(zip(names, inputs))).last_hidden_state
            mask = inputs[1].unsqueeze(-1).to(h.dtype)
            pooled = (h * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    t0 = time.time()
    encoder = AutoModel.from_pretrained(str(hf_dir), attn_implementation="eager").eval()
    ids = torch.ones(2, 16, dtype=torch.long)
    example = (ids, torch.ones_like(ids), torch.zeros_like(ids))[: len(names)]
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["embedding"] = {0: "batch"}
    torch.onnx.export(Embedder(encoder), example, str(out / "model.onnx"), input_names=names,
                      output_names=["embedding"], dynamic_axes=axes, opset_version=17, dynamo=False)
    fusion = _fuse(out, model)
    files = {"ort-f32": "model.opt.onnx" if fusion["fused"] else "model.onnx", "ort-int8-plain": "model.int8.onnx"}
    quantize = {"model.onnx": "model.int8.onnx"}
    if fusion["fused"]:
        files["ort-int8-fused"] = quantize["model.opt.onnx"] = "model.opt.int8.onnx"
    not_made = {} if fusion["fused"] else {"ort-int8-fused": fusion["why"]}
    for src, dst in quantize.items():
        quantize_dynamic(str(out / src), str(out / dst), weight_type=QuantType.QInt8, per_channel=True,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    info = {"exporter": f"torch.onnx.export (TorchScript, opset 17), torch {torch.__version__}, inputs {names}",
            "optimizer": "onnxruntime.transformers.optimizer model_type=bert opt_level=0", "fusion": fusion,
            "int8": "quantize_dynamic(weight_type=QInt8, per_channel=True) of " + " and ".join(quantize),
            "files": files, "not_made": not_made, "seconds": round(time.time() - t0, 1)}
    _stamp(stamp, info)
    return info


def convert_openvino(cache: Path, model: Model, hf_dir: Path) -> dict:
    out = cache / "openvino"
    stamp = out / "stamp.json"
    if _done(stamp):
        return json.loads(stamp.read_text())
    onnx_file = cache / "onnx" / "model.onnx"
    if not onnx_file.exists():
        return {"skipped": f"no ONNX export ({onnx_file}) to convert"}
    out.mkdir(parents=True, exist_ok=True)
    import nncf
    import openvino as ov

    t0 = time.time()
    ov.save_model(ov.convert_model(str(onnx_file)), str(out / "model.xml"), compress_to_fp16=False)

    def f32():  # each NNCF step gets its own copy of the f32 model
        return ov.Core().read_model(str(out / "model.xml"))

    int8 = nncf.compress_weights(f32(), mode=nncf.CompressWeightsMode.INT8_ASYM)
    ov.save_model(int8, str(out / "model.int8.xml"), compress_to_fp16=False)
    files, not_made = {"ov-f32": "model.xml", "ov-int8-weights": "model.int8.xml"}, {}
    try:
        model_f32 = f32()
        names = [i.get_any_name() for i in model_f32.inputs]
        tok = inp.hf_tokenizer(hf_dir)
        cls, sep, _ = inp.special_ids(hf_dir)
        calibration = [inp.feeds(names, ids[None], np.ones_like(ids)[None])
                       for ids in inp.calibration_ids(tok, cls, sep)]
        ptq = nncf.quantize(model_f32, nncf.Dataset(calibration), model_type=nncf.ModelType.TRANSFORMER,
                            subset_size=len(calibration))
        ov.save_model(ptq, str(out / "model.ptq.xml"), compress_to_fp16=False)
        files["ov-int8-ptq"] = "model.ptq.xml"
    except Exception as e:  # noqa: BLE001 - the weights-only int8 model still runs
        not_made["ov-int8-ptq"] = f"nncf.quantize failed: {type(e).__name__}: {e}"
    info = {"converter": f"openvino.convert_model(onnx/model.onnx), save_model(compress_to_fp16=False), "
                         f"openvino {ov.__version__}",
            "int8-weights": f"nncf.compress_weights(mode=INT8_ASYM) (int8 weights, f32 activations), nncf "
                            f"{nncf.__version__}",
            "int8-ptq": "nncf.quantize(model_type=TRANSFORMER) on 64 SciFact abstracts of <= 128 tokens (int8 weights "
                        "and activations)",
            "files": files, "not_made": not_made, "seconds": round(time.time() - t0, 1)}
    _stamp(stamp, info)
    return info


def convert_ct2(cache: Path, model: Model, hf_dir: Path) -> dict:
    out = cache / "ct2-int8"
    stamp = cache / "ct2-int8.stamp.json"
    if _done(stamp):
        return json.loads(stamp.read_text())
    import ctranslate2
    from ctranslate2.converters import TransformersConverter

    t0 = time.time()
    TransformersConverter(str(hf_dir)).convert(str(out), quantization="int8", force=True)
    info = {"converter": f"ctranslate2.converters.TransformersConverter quantization=int8, ctranslate2 "
                         f"{ctranslate2.__version__}", "seconds": round(time.time() - t0, 1)}
    _stamp(stamp, info)
    return info


def llama_convert_script() -> Path | None:
    """llama.cpp's convert_hf_to_gguf.py: $LLAMA_CPP_DIR, or a source tree kept beside the cache."""
    for base in [os.environ.get("LLAMA_CPP_DIR", ""), str(Path(__file__).parent / "cache" / "llama.cpp")]:
        if base and (Path(base) / "convert_hf_to_gguf.py").exists():
            return Path(base) / "convert_hf_to_gguf.py"
    return None


def convert_gguf(cache: Path, model: Model, hf_dir: Path) -> dict:
    out = cache / "gguf"
    stamp = out / "stamp.json"
    if _done(stamp):
        return json.loads(stamp.read_text())
    script = llama_convert_script()
    if script is None:
        return {"skipped": "llama.cpp's convert_hf_to_gguf.py not found (set LLAMA_CPP_DIR to a llama.cpp source tree)"}
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    for outtype in ("f32", "q8_0"):
        subprocess.run([sys.executable, str(script), str(hf_dir), "--outtype", outtype, "--outfile",
                        str(out / f"model.{outtype}.gguf")], check=True, stdout=subprocess.DEVNULL)
    info = {"converter": f"{script} --outtype f32 / q8_0", "seconds": round(time.time() - t0, 1)}
    _stamp(stamp, info)
    return info


def main() -> None:
    cache, key, hf_dir, *what = sys.argv[1:]
    cache, model, hf_dir = Path(cache), MODELS[key], Path(hf_dir)
    cache.mkdir(parents=True, exist_ok=True)
    info = {}
    steps = {"onnx": export_onnx, "openvino": convert_openvino, "ct2": convert_ct2, "gguf": convert_gguf}
    for name in what or list(steps):
        try:
            info[name] = steps[name](cache, model, hf_dir)
        except Exception as e:  # a peer that cannot be made is reported and skipped, not fatal
            info[name] = {"skipped": f"{type(e).__name__}: {e}"}
    print(json.dumps(info))


if __name__ == "__main__":
    main()
