"""Embedding quantization with sentence-transformers' rules (sentence_transformers.util.quantization.
quantize_embeddings), in numpy, so that encode(precision=...) gives the same arrays without torch.

- "float32": the embeddings as float32.
- "int8" / "uint8": per dimension, 256 equal buckets between the minimum and maximum of the calibration
  embeddings (the `ranges`, shape (2, dim), when given; else `calibration_embeddings`; else the embeddings
  themselves, which needs at least two rows); value -> floor((x - min) / step) clipped to [0, 255], minus 128
  for int8. A dimension whose range is 0 gets step 1.
- "binary" / "ubinary": one bit per dimension (x > 0), packed 8 to a byte (np.packbits, big-endian bit
  order); "binary" stores byte - 128 as int8.
A list of 2-D arrays (token embeddings) is calibrated once over all of them and gives a list.
"""
from __future__ import annotations

from typing import Sequence, Union

import numpy as np

PRECISIONS = ("float32", "int8", "uint8", "binary", "ubinary")

Embeddings = Union[np.ndarray, Sequence[np.ndarray]]


def _ranges(embeddings: np.ndarray, precision: str, calibration_embeddings: np.ndarray | None) -> np.ndarray:
    if calibration_embeddings is None:
        if embeddings.ndim == 1 or embeddings.shape[0] == 1:
            raise ValueError(f"Cannot compute {precision} quantization ranges from a single embedding: give ranges "
                             "or calibration_embeddings from a representative set of embeddings")
        calibration_embeddings = embeddings
    calibration_embeddings = np.asarray(calibration_embeddings)
    return np.vstack((np.min(calibration_embeddings, axis=0), np.max(calibration_embeddings, axis=0)))


def quantize_embeddings(embeddings: Embeddings, precision: str, ranges: np.ndarray | None = None,
                        calibration_embeddings: np.ndarray | None = None) -> np.ndarray | list[np.ndarray]:
    """Quantizes float embeddings to `precision` ("float32", "int8", "uint8", "binary", "ubinary") exactly as
    sentence-transformers' quantize_embeddings does (see the module's docstring for the rules)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if isinstance(embeddings, (list, tuple)):
        if not embeddings:
            return []
        if isinstance(embeddings[0], np.ndarray) and embeddings[0].ndim == 2:
            # Token embeddings: one calibration over all texts, so every text shares the buckets.
            if precision.endswith("int8") and ranges is None:
                data = np.concatenate(embeddings, axis=0) if calibration_embeddings is None else calibration_embeddings
                if len(data):
                    ranges = _ranges(data, precision, calibration_embeddings)
            return [quantize_embeddings(matrix, precision, ranges, calibration_embeddings) for matrix in embeddings]
        embeddings = np.array(embeddings)
    embeddings = np.asarray(embeddings)
    if embeddings.dtype in (np.uint8, np.int8):
        raise ValueError("embeddings to quantize must be float, not int8 or uint8")
    if embeddings.ndim == 2 and embeddings.shape[0] == 0:
        dim = embeddings.shape[1]
        if precision.endswith("int8"):
            return np.zeros((0, dim), dtype=np.int8 if precision == "int8" else np.uint8)
        if precision.endswith("binary"):
            return np.zeros((0, (dim + 7) // 8), dtype=np.int8 if precision == "binary" else np.uint8)
    if precision == "float32":
        return embeddings.astype(np.float32)
    if precision.endswith("int8"):
        if ranges is None:
            ranges = _ranges(embeddings, precision, calibration_embeddings)
        ranges = np.asarray(ranges).astype(np.float32, copy=False)
        starts = ranges[0, :]
        steps = (ranges[1, :] - starts) / 255
        steps = np.where(steps == 0, 1, steps)
        buckets = np.clip(np.floor((embeddings - starts) / steps), 0, 255)
        return buckets.astype(np.uint8) if precision == "uint8" else (buckets - 128).astype(np.int8)
    bits = np.packbits(embeddings > 0, axis=-1)
    return bits if precision == "ubinary" else (bits - 128).astype(np.int8)
