"""edgembed: text embeddings on the CPU.

    import edgembed
    model = edgembed.Model("models/all-MiniLM-L6-v2.f32.edgembed")
    vector = model.encode("edgembed runs on phones.")          # shape (384,), float32
    vectors = model.encode(["first text", "second text"])       # shape (2, 384)
    edgembed.convert("path/to/hf_model_dir", "model.edgembed")  # Hugging Face checkpoint -> model file

Model.encode follows sentence-transformers' SentenceTransformer.encode: a str gives a 1-D array, a list a
2-D array (one row per text), batch_size texts per forward pass, show_progress_bar for a tqdm bar. A Model
is immutable and may be shared by threads; encode releases the GIL while it computes.
"""
from __future__ import annotations

import math
import os
from typing import Iterable, Sequence, Union

import numpy as np

from ._edgembed import EdgembedError, __version__, _Model, active_isa, set_isa_cap
from ._edgembed import convert as _convert

__all__ = ["Model", "convert", "EdgembedError", "active_isa", "set_isa_cap", "__version__"]

Text = Union[str, bytes]


class Model:
    """An edgembed model file (from edgembed-convert or edgembed.convert), ready to embed texts."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._model = _Model(str(path))
        self._max_seq_length = self._model.max_seq_length

    @property
    def dimension(self) -> int:
        """Floats per embedding."""
        return self._model.dimension

    def get_sentence_embedding_dimension(self) -> int:
        """The same as .dimension (sentence-transformers' name)."""
        return self._model.dimension

    @property
    def max_seq_length(self) -> int:
        """Tokens per text (specials included) that encode() keeps when max_length is not given.
        Settable, as in sentence-transformers, up to max_position_embeddings."""
        return self._max_seq_length

    @max_seq_length.setter
    def max_seq_length(self, value: int) -> None:
        value = int(value)
        if not 2 <= value <= self._model.max_position_embeddings:
            raise ValueError(f"max_seq_length must be in [2, {self._model.max_position_embeddings}]")
        self._max_seq_length = value

    @property
    def max_position_embeddings(self) -> int:
        return self._model.max_position_embeddings

    @property
    def default_temperature(self) -> float:
        """The TempScale temperature encode() uses when none is given."""
        return self._model.default_temperature

    @property
    def auto_temperature(self) -> str | None:
        """The setting encode(temperature="auto") applies (e.g. "tau=1 layers=1,1,1,0.8,0.8,0.8"), or None
        when the model stores none."""
        return self._model.auto_temperature

    @property
    def normalize(self) -> bool:
        """Whether the model L2-normalizes embeddings by default."""
        return self._model.normalize

    @property
    def pooling(self) -> str:
        return self._model.pooling

    @property
    def architecture(self) -> str:
        return self._model.architecture

    @property
    def weight_dtype(self) -> str:
        return self._model.weight_dtype

    def encode(
        self,
        texts: Text | Sequence[Text],
        batch_size: int = 32,
        normalize_embeddings: bool | None = None,
        temperature: float | str | None = None,
        show_progress_bar: bool | None = None,
        max_length: int | None = None,
        threads: int | None = None,
        long_input: str = "truncate",
        window_stride: int | None = None,
    ) -> np.ndarray:
        """Embeds one text (-> shape (dimension,)) or a list of texts (-> shape (len(texts), dimension)),
        float32.

        batch_size: texts per forward pass (packed without padding: it changes speed, not results).
        normalize_embeddings: None = as the model says (all-MiniLM-L6-v2: yes), True / False to force.
        temperature: TempScale attention temperature tau > 0; "auto" = the model's stored label-free setting
            (auto_temperature: tau, length-aware and per-layer factors); None = the model's default_temperature.
        show_progress_bar: a tqdm bar over the batches; None = no bar.
        max_length: tokens per text incl. specials; None = max_seq_length.
        threads: worker threads; None = leave the count as it is (all cores unless changed).
        long_input: texts over max_length: "truncate" (default) or "window" (windows whose vectors are pooled).
        window_stride: word pieces between window starts; None = half a window.
        Raises ValueError for invalid UTF-8 (bytes input) or invalid options, TypeError for non-text input.
        """
        single = isinstance(texts, (str, bytes))
        items = [texts] if single else list(texts)
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        auto = isinstance(temperature, str)
        if auto and temperature != "auto":
            raise ValueError(f"temperature must be a number > 0, 'auto' or None, not {temperature!r}")
        if not auto and temperature is not None and not (temperature > 0 and math.isfinite(temperature)):
            raise ValueError("temperature must be a finite number > 0")
        tau = math.nan if temperature is None or auto else float(temperature)
        if long_input not in ("truncate", "window"):
            raise ValueError(f"long_input must be 'truncate' or 'window', not {long_input!r}")
        stride = 0 if window_stride is None else int(window_stride)
        if stride < 0:
            raise ValueError("window_stride must be >= 1 (or None)")
        length = self._max_seq_length if max_length is None else int(max_length)
        normalize = -1 if normalize_embeddings is None else int(bool(normalize_embeddings))
        n_threads = 0 if threads is None else int(threads)
        if n_threads < 0:
            raise ValueError("threads must be >= 1 (or None)")

        out = np.empty((len(items), self.dimension), dtype=np.float32)
        starts = range(0, len(items), batch_size)
        if show_progress_bar:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="Batches", total=len(starts))
        for start in starts:
            end = min(start + batch_size, len(items))
            self._model.embed(items[start:end], out[start:end], tau, length, batch_size, normalize, n_threads, auto,
                              long_input == "window", stride)
        return out[0] if single else out

    def tokenize(self, texts: Text | Iterable[Text], max_length: int | None = None) -> list[int] | list[list[int]]:
        """Model input ids ([CLS] pieces [SEP], cut at max_length, default max_seq_length) of one text
        (-> list[int]) or of each text of a list (-> list[list[int]])."""
        length = self._max_seq_length if max_length is None else int(max_length)
        if isinstance(texts, (str, bytes)):
            return self._model.tokenize(texts, length)
        return [self._model.tokenize(text, length) for text in texts]

    def __repr__(self) -> str:
        return (f"edgembed.Model({self.architecture}, {self.weight_dtype}, dimension={self.dimension}, "
                f"max_seq_length={self.max_seq_length}, pooling={self.pooling})")


def convert(hf_dir: str | os.PathLike[str], out_path: str | os.PathLike[str], dtype: str = "f32",
            temperature: float | None = None, max_seq_length: int | None = None,
            auto_temperature: str | None = None) -> dict:
    """Converts a Hugging Face / sentence-transformers model directory into an edgembed model file (as the
    edgembed-convert command does). auto_temperature: the setting encode(temperature="auto") applies, in
    the notation "tau=1 N0=128 A=1 layers=..." (docs/TEMPSCALE.md). Returns a summary dict (tensors,
    parameters, file_size, notes, ...). Nothing is written unless the conversion succeeds."""
    return _convert(str(hf_dir), str(out_path), dtype, temperature, max_seq_length, auto_temperature or "")
