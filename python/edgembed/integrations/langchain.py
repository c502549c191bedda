"""LangChain: edgembed as langchain_core.embeddings.Embeddings.

    from edgembed.integrations.langchain import EdgembedEmbeddings

    embeddings = EdgembedEmbeddings("all-MiniLM-L6-v2.int8.edgembed")
    vectors = embeddings.embed_documents(["first text", "second text"])   # list[list[float]]
    query = embeddings.embed_query("what is the first text?")              # list[float]

embed_documents uses Model.encode_document and embed_query Model.encode_query, so models with query /
document prompts (e5, bge, nomic) get them.
"""
from __future__ import annotations

import os
from typing import Any

from langchain_core.embeddings import Embeddings

from ..model import Model


class EdgembedEmbeddings(Embeddings):
    """model: a model file, a Hugging Face folder (converted once into the cache) or a Model. encode_options
    go to every encode call (batch_size, normalize_embeddings, truncate_dim, threads, max_length, ...)."""

    def __init__(self, model: str | os.PathLike[str] | Model, **encode_options: Any) -> None:
        if encode_options.get("precision", "float32") != "float32":
            raise ValueError("LangChain embeddings are lists of floats: precision must be float32")
        self.model = model if isinstance(model, Model) else Model(model)
        self.encode_options = encode_options

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.model.encode_document(list(texts), **self.encode_options).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.model.encode_query(text, **self.encode_options).tolist()
