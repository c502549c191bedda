"""Peer model files made from the same local Hugging Face checkpoint (no hub access).

  onnx/model.onnx        torch.onnx.export (TorchScript exporter, opset 17) of BERT + mean pooling + L2
                         normalization, so ONNX Runtime returns the same sentence embedding as the others
  onnx/model.opt.onnx    the same after onnxruntime.transformers.optimizer (model_type bert: Attention,
                         SkipLayerNormalization, BiasGelu, EmbedLayerNormalization fusions; what Optimum's O2 does)
  onnx/model.int8.onnx   onnxruntime.quantization.quantize_dynamic(model.opt.onnx, QInt8, per_channel=True)
  ct2-int8/              ctranslate2.converters.TransformersConverter(..., quantization="int8")
  gguf/model.{f32,q8_0}.gguf   llama.cpp's convert_hf_to_gguf.py (only where llama.cpp's converter is present)

Each is made once and kept under the cache directory (a stamp file records how it was made).
Usage: python artifacts.py CACHE_DIR MODEL_DIR [onnx] [ct2] [gguf]
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def _done(stamp: Path) -> bool:
    return stamp.exists()


def _stamp(stamp: Path, info: dict) -> None:
    stamp.write_text(json.dumps(info, indent=2) + "\n")


def export_onnx(cache: Path, model_dir: Path) -> dict:
    out = cache / "onnx"
    stamp = out / "stamp.json"
    if _done(stamp):
        return json.loads(stamp.read_text())
    out.mkdir(parents=True, exist_ok=True)
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer
    from transformers import AutoModel

    class Embedder(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    t0 = time.time()
    bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    ids = torch.ones(2, 16, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["embedding"] = {0: "batch"}
    torch.onnx.export(Embedder(bert), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(out / "model.onnx"),
                      input_names=names, output_names=["embedding"], dynamic_axes=axes, opset_version=17,
                      dynamo=False)
    hidden = bert.config.hidden_size
    heads = bert.config.num_attention_heads
    opt = optimizer.optimize_model(str(out / "model.onnx"), model_type="bert", num_heads=heads,
                                   hidden_size=hidden, opt_level=0)
    fused = opt.get_fused_operator_statistics()
    opt.save_model_to_file(str(out / "model.opt.onnx"))
    quantize_dynamic(str(out / "model.opt.onnx"), str(out / "model.int8.onnx"), weight_type=QuantType.QInt8,
                     per_channel=True, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    info = {"exporter": f"torch.onnx.export (TorchScript, opset 17), torch {torch.__version__}",
            "optimizer": "onnxruntime.transformers.optimizer model_type=bert opt_level=0",
            "fused_ops": {k: v for k, v in fused.items() if v},
            "int8": "quantize_dynamic(weight_type=QInt8, per_channel=True) of model.opt.onnx",
            "seconds": round(time.time() - t0, 1)}
    _stamp(stamp, info)
    return info


def convert_ct2(cache: Path, model_dir: Path) -> dict:
    out = cache / "ct2-int8"
    stamp = cache / "ct2-int8.stamp.json"
    if _done(stamp):
        return json.loads(stamp.read_text())
    import ctranslate2
    from ctranslate2.converters import TransformersConverter

    t0 = time.time()
    TransformersConverter(str(model_dir)).convert(str(out), quantization="int8", force=True)
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


def convert_gguf(cache: Path, model_dir: Path) -> dict:
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
        subprocess.run([sys.executable, str(script), str(model_dir), "--outtype", outtype, "--outfile",
                        str(out / f"model.{outtype}.gguf")], check=True, stdout=subprocess.DEVNULL)
    info = {"converter": f"{script} --outtype f32 / q8_0", "seconds": round(time.time() - t0, 1)}
    _stamp(stamp, info)
    return info


def main() -> None:
    cache, model_dir, *what = sys.argv[1:]
    cache, model_dir = Path(cache), Path(model_dir)
    cache.mkdir(parents=True, exist_ok=True)
    info = {}
    steps = {"onnx": export_onnx, "ct2": convert_ct2, "gguf": convert_gguf}
    for name in what or list(steps):
        try:
            info[name] = steps[name](cache, model_dir)
        except Exception as e:  # a peer that cannot be made is reported and skipped, not fatal
            info[name] = {"skipped": f"{type(e).__name__}: {e}"}
    print(json.dumps(info))


if __name__ == "__main__":
    main()
