"""edgembed: text embeddings on the CPU.

    import edgembed
    model = edgembed.Model("models/all-MiniLM-L6-v2.f32.edgembed")  # or a Hugging Face folder (converted once)
    vector = model.encode("edgembed runs on phones.")          # shape (384,), float32
    vectors = model.encode(["first text", "second text"])       # shape (2, 384)
    queries = model.encode_query(["how do phones embed?"])      # the model's "query" prompt, if any
    small = model.encode(texts, truncate_dim=128, precision="int8")
    edgembed.convert("path/to/hf_model_dir", "model.edgembed")  # Hugging Face checkpoint -> model file

Model follows sentence-transformers' SentenceTransformer (encode, encode_query, encode_document, prompts,
truncate_dim, precision, output_value="token_embeddings"): a str gives a 1-D array, a list a 2-D array. A
Model is immutable, may be shared by threads (encode releases the GIL) and pickles as its path and options.
Bulk embedding: edgembed.integrations.ray (Ray Data), .spark (a pandas UDF), .langchain (Embeddings).
"""
from __future__ import annotations

import os

from ._edgembed import EdgembedError, __version__, active_isa, set_isa_cap
from ._edgembed import convert as _convert
from .model import Model
from .model_cache import cache_dir
from .quantization import quantize_embeddings

__all__ = ["Model", "convert", "quantize_embeddings", "cache_dir", "EdgembedError", "active_isa", "set_isa_cap",
           "__version__"]


def convert(hf_dir: str | os.PathLike[str], out_path: str | os.PathLike[str], dtype: str = "f32",
            temperature: float | None = None, max_seq_length: int | None = None,
            auto_temperature: str | None = None) -> dict:
    """Converts a Hugging Face / sentence-transformers model directory into an edgembed model file (as the
    edgembed-convert command does). auto_temperature: the setting encode(temperature="auto") applies, in
    the notation "tau=1 N0=128 A=1 layers=..." (docs/TEMPSCALE.md). Returns a summary dict (tensors,
    parameters, file_size, notes, ...). Nothing is written unless the conversion succeeds."""
    return _convert(str(hf_dir), str(out_path), dtype, temperature, max_seq_length, auto_temperature or "")
