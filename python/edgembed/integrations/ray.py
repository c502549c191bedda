"""Ray Data: embed a Dataset's text column with Dataset.map_batches and a pool of actors, each loading the
model once.

    import ray, edgembed
    from edgembed.integrations.ray import RayEmbedder

    ds = ray.data.read_text("texts.txt")                        # a column "text"
    ds = ds.map_batches(RayEmbedder, fn_constructor_kwargs={"model": "all-MiniLM-L6-v2.int8.edgembed"},
                        concurrency=4, num_cpus=2, batch_size=1024)  # 4 actors x 2 threads
    ds.write_parquet("embeddings/")                             # a column "embedding": float32 [dim] per row

Each actor runs the model on num_cpus threads (threads=None: the CPUs Ray assigned to it). On a machine of
C cores, concurrency x num_cpus = C; small num_cpus (1-2) and more actors suit short texts best.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..model import Model


class RayEmbedder:
    """A callable class for ray.data.Dataset.map_batches: adds `output_column` (float32 vectors, or the
    `precision`'s dtype) embedding `text_column`. model: a model file, a Hugging Face folder (converted
    once into each machine's cache) or a Model (which pickles as its path). encode_options go to
    Model.encode (prompt_name, normalize_embeddings, truncate_dim, precision, max_length, ...); int8 / uint8
    precision needs `ranges` -- unsupported here, since each batch would be calibrated on its own.
    Batches may be numpy (dict of arrays, the default) or pandas."""

    def __init__(self, model: str | os.PathLike[str] | Model, *, text_column: str = "text",
                 output_column: str = "embedding", threads: int | None = None, batch_size: int = 32,
                 **encode_options: Any) -> None:
        if encode_options.get("precision", "float32") in ("int8", "uint8"):
            raise ValueError("int8 / uint8 precision calibrates on the embeddings of one call: per batch here, so "
                             "batches would disagree; embed in float32 and quantize once with "
                             "edgembed.quantize_embeddings(..., ranges=...)")
        self.model = model if isinstance(model, Model) else Model(model)
        self.text_column = text_column
        self.output_column = output_column
        self.batch_size = batch_size
        self.threads = threads if threads is not None else _assigned_cpus()
        self.encode_options = encode_options

    def __call__(self, batch):
        texts = batch[self.text_column]
        texts = texts.tolist() if hasattr(texts, "tolist") else list(texts)
        vectors = self.model.encode(texts, batch_size=self.batch_size, threads=self.threads, **self.encode_options)
        if isinstance(batch, dict):
            batch[self.output_column] = np.asarray(vectors)
        else:  # pandas
            batch[self.output_column] = list(vectors)
        return batch


def _assigned_cpus() -> int | None:
    """The CPUs Ray assigned to this actor (num_cpus of map_batches), or None outside Ray."""
    try:
        import ray

        cpus = ray.get_runtime_context().get_assigned_resources().get("CPU")
    except Exception:  # not in a Ray worker
        return None
    return max(1, int(cpus)) if cpus else None
