"""edgembed.Model: sentence-transformers' SentenceTransformer interface (encode, encode_query,
encode_document, prompts, truncate_dim, precision, token embeddings) over edgembed's C++ runtime."""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Iterable, Sequence, Union

import numpy as np

from . import model_cache
from ._edgembed import _Model, __version__
from ._edgembed import convert as _convert
from .quantization import PRECISIONS, quantize_embeddings

Text = Union[str, bytes]
OUTPUT_VALUES = ("sentence_embedding", "token_embeddings")


def _convert_for_cache(hf_dir: str, out_path: str, dtype: str) -> dict:
    return _convert(hf_dir, out_path, dtype, None, None, "")


class Model:
    """An edgembed model, ready to embed texts: a model file (from edgembed-convert or edgembed.convert) or a
    Hugging Face / sentence-transformers folder, converted once into a cache (edgembed.model_cache) with
    `dtype` ("f32" by default, "f16", "int8") and loaded from there afterwards.

    prompts / default_prompt_name override or extend the ones the model stores (from the folder's
    config_sentence_transformers.json), as in sentence-transformers. truncate_dim: the default for encode().
    cache_folder: where folders are converted to (default: edgembed.model_cache.cache_dir()).

    A Model may be shared by threads (encode releases the GIL), and pickles as its path and options, so it
    travels to multiprocessing, Ray and Spark workers, which load it again there.
    """

    def __init__(self, path: str | os.PathLike[str], *, dtype: str | None = None, truncate_dim: int | None = None,
                 prompts: dict[str, str] | None = None, default_prompt_name: str | None = None,
                 cache_folder: str | os.PathLike[str] | None = None) -> None:
        self._source = str(path)
        self._options = {"dtype": dtype, "truncate_dim": truncate_dim, "prompts": dict(prompts or {}),
                         "default_prompt_name": default_prompt_name,
                         "cache_folder": None if cache_folder is None else str(cache_folder)}
        source = Path(path)
        if model_cache.is_model_folder(source):
            self.path = str(model_cache.cached_model_file(source, dtype or "f32", __version__, _convert_for_cache,
                                                          cache_folder))
        elif source.is_dir():
            raise ValueError(f"'{source}' is a folder without config.json or modules.json: not a Hugging Face / "
                             "sentence-transformers model")
        else:
            self.path = str(source)
        self._load(self.path)
        if dtype is not None and dtype != self.weight_dtype:
            raise ValueError(f"dtype={dtype!r}, but '{source}' is a {self.weight_dtype} model file (dtype chooses "
                             "the conversion of a Hugging Face folder)")
        if truncate_dim is not None:
            self._check_truncate_dim(truncate_dim)
        self.truncate_dim = truncate_dim
        # As sentence-transformers builds them: "query" and "document" always exist (empty unless set), the
        # caller's prompts win over the stored ones.
        self.prompts: dict[str, str] = {"query": "", "document": ""}
        self.prompts.update(self._stored_prompts())
        self.prompts.update(self._options["prompts"])
        self.default_prompt_name = default_prompt_name or self._stored_default_prompt_name()
        if self.default_prompt_name is not None and self.default_prompt_name not in self.prompts:
            raise ValueError(f"default_prompt_name {self.default_prompt_name!r} is not one of the prompts "
                             f"{sorted(self.prompts)}")

    def _load(self, model_file: str) -> None:
        self._model = _Model(model_file)
        self._max_seq_length = self._model.max_seq_length

    # --- pickling: the path and options; the receiving process loads the model again ---------------------

    def __reduce__(self):
        state = {"max_seq_length": self._max_seq_length, "truncate_dim": self.truncate_dim,
                 "prompts": self.prompts, "default_prompt_name": self.default_prompt_name}
        return (_restore, (self._source, self.path, self._options, state))

    # --- what the model is ---------------------------------------------------------------------------------

    @property
    def dimension(self) -> int:
        """Floats per embedding, before any truncate_dim."""
        return self._model.dimension

    def get_sentence_embedding_dimension(self) -> int:
        """The width encode() returns by default: truncate_dim when set, else the dimension (as in
        sentence-transformers)."""
        return self._model.dimension if self.truncate_dim is None else min(self.truncate_dim, self._model.dimension)

    @property
    def max_seq_length(self) -> int:
        """Tokens per text (specials and prompt included) that encode() keeps when max_length is not given.
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

    def _stored_prompts(self) -> dict[str, str]:
        return dict(self._model.prompts)

    def _stored_default_prompt_name(self) -> str | None:
        return self._model.default_prompt_name

    def _check_truncate_dim(self, truncate_dim: int) -> int:
        if isinstance(truncate_dim, bool) or not isinstance(truncate_dim, (int, np.integer)) or \
                not 1 <= truncate_dim <= self.dimension:
            raise ValueError(f"truncate_dim must be an int in [1, {self.dimension}], not {truncate_dim!r}")
        return int(truncate_dim)

    # --- embedding -----------------------------------------------------------------------------------------

    def _resolve_prompt(self, prompt: str | None, prompt_name: str | None) -> str | None:
        if prompt is not None:
            if not isinstance(prompt, str):
                raise TypeError(f"prompt must be a str, not {type(prompt).__name__}")
            return prompt
        if prompt_name is not None:
            if prompt_name not in self.prompts:
                raise ValueError(f"prompt_name {prompt_name!r} is not one of the model's prompts {sorted(self.prompts)}")
            return self.prompts[prompt_name]
        if self.default_prompt_name is not None:
            return self.prompts.get(self.default_prompt_name)
        return None

    def encode(
        self,
        sentences: Text | Sequence[Text],
        prompt_name: str | None = None,
        prompt: str | None = None,
        batch_size: int = 32,
        show_progress_bar: bool | None = None,
        output_value: str = "sentence_embedding",
        precision: str = "float32",
        convert_to_numpy: bool = True,
        convert_to_tensor: bool = False,
        device: str | None = None,
        normalize_embeddings: bool | None = None,
        truncate_dim: int | None = None,
        *,
        temperature: float | str | None = None,
        max_length: int | None = None,
        threads: int | None = None,
        long_input: str = "truncate",
        window_stride: int | None = None,
    ):
        """Embeds one text (-> shape (dimension,)) or a sequence of texts (-> shape (len, dimension)), with
        sentence-transformers' arguments and results:

        prompt_name / prompt: the model's prompt of that name (model.prompts), or this text, is put before
            every text (so it counts towards max_length, and truncation cuts the text, not the prompt, first);
            prompt wins over prompt_name; neither = the default_prompt_name's prompt, if any.
        batch_size: texts per forward pass (packed without padding: it changes speed, not results).
        output_value: "sentence_embedding" (default) or "token_embeddings": each text's final hidden states,
            an array (tokens, hidden size) per text (a list for several texts; before any Dense module, so the
            hidden size may differ from dimension), never truncated or normalized.
        precision: "float32" (default), "int8", "uint8", "binary", "ubinary": the embeddings quantized as
            sentence-transformers' quantize_embeddings does (edgembed.quantize_embeddings), int8 / uint8
            calibrated on this call's embeddings (so a single text cannot be int8 / uint8).
        convert_to_numpy: False gives a list of 1-D arrays; convert_to_tensor: a torch tensor (needs torch).
        device: None or "cpu" (edgembed runs on the CPU).
        normalize_embeddings: None = as the model says (all-MiniLM-L6-v2: yes), True / False to force; with
            truncate_dim, True normalizes the truncated vectors (sentence-transformers' order).
        truncate_dim: keep the first truncate_dim dimensions (Matryoshka models); None = the model's
            truncate_dim (constructor).
        temperature: TempScale attention temperature tau > 0; "auto" = the model's stored label-free setting
            (auto_temperature); None = the model's default_temperature.
        max_length: tokens per text incl. specials and prompt; None = max_seq_length.
        threads: worker threads; None = leave the count as it is (all cores unless changed).
        long_input: texts over max_length: "truncate" (default) or "window" (windows whose vectors are pooled).
        window_stride: word pieces between window starts; None = half a window.
        Raises ValueError for invalid UTF-8 (bytes input) or invalid options, TypeError for non-text input.
        """
        single = isinstance(sentences, (str, bytes))
        items = [sentences] if single else list(sentences)
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1, not {batch_size!r}")
        if output_value not in OUTPUT_VALUES:
            raise ValueError(f"output_value must be one of {', '.join(OUTPUT_VALUES)}, not {output_value!r}")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
        if device not in (None, "cpu"):
            raise ValueError(f"device must be None or 'cpu' (edgembed runs on the CPU), not {device!r}")
        if truncate_dim is None:
            truncate_dim = self.truncate_dim
        if truncate_dim is not None:
            truncate_dim = self._check_truncate_dim(truncate_dim)
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
        n_threads = 0 if threads is None else int(threads)
        if n_threads < 0:
            raise ValueError("threads must be >= 1 (or None)")
        resolved = self._resolve_prompt(prompt, prompt_name) or ""

        starts = range(0, len(items), batch_size)
        if show_progress_bar:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="Batches", total=len(starts))
        if output_value == "token_embeddings":
            if long_input != "truncate":
                raise ValueError("token embeddings need long_input='truncate' (windows have no single token sequence)")
            tokens: list[np.ndarray] = []
            for start in starts:
                states, offsets, _ = self._model.token_embeddings(items[start:start + batch_size], tau, length,
                                                                  batch_size, n_threads, auto, resolved)
                tokens += [states[offsets[i]:offsets[i + 1]] for i in range(len(offsets) - 1)]
            if precision != "float32" and tokens:
                tokens = quantize_embeddings(tokens, precision)
            return tokens[0] if single else tokens

        normalize = -1 if normalize_embeddings is None else int(bool(normalize_embeddings))
        out = np.empty((len(items), self.dimension), dtype=np.float32)
        for start in starts:
            end = min(start + batch_size, len(items))
            self._model.embed(items[start:end], out[start:end], tau, length, batch_size, normalize, n_threads, auto,
                              long_input == "window", stride, resolved)
        if truncate_dim is not None and truncate_dim < self.dimension:
            # sentence-transformers: truncate (after the model's own Normalize module), then normalize if asked.
            out = np.ascontiguousarray(out[:, :truncate_dim])
            if normalize_embeddings:
                out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        if precision != "float32":
            out = quantize_embeddings(out, precision)
        if convert_to_tensor:
            import torch

            result = torch.from_numpy(out)
        elif not convert_to_numpy:
            result = list(out)
        else:
            result = out
        return result[0] if single else result

    def encode_query(self, sentences: Text | Sequence[Text], prompt_name: str | None = None, prompt: str | None = None,
                     **kwargs):
        """encode() for search queries: with neither prompt_name nor prompt, the model's "query" prompt
        (empty when it has none, which also keeps default_prompt_name out), as in sentence-transformers 5+."""
        if prompt_name is None and prompt is None and "query" in self.prompts:
            prompt_name = "query"
        return self.encode(sentences, prompt_name=prompt_name, prompt=prompt, **kwargs)

    def encode_document(self, sentences: Text | Sequence[Text], prompt_name: str | None = None,
                        prompt: str | None = None, **kwargs):
        """encode() for documents: with neither prompt_name nor prompt, the first of the prompts "document",
        "passage", "corpus" that the model has, as in sentence-transformers 5+ (whose prompts always hold
        "document", empty unless set: so a model's "passage" prompt applies only through prompt_name)."""
        if prompt_name is None and prompt is None:
            prompt_name = next((name for name in ("document", "passage", "corpus") if name in self.prompts), None)
        return self.encode(sentences, prompt_name=prompt_name, prompt=prompt, **kwargs)

    def tokenize(self, texts: Text | Iterable[Text], max_length: int | None = None) -> list[int] | list[list[int]]:
        """Model input ids ([CLS] pieces [SEP], cut at max_length, default max_seq_length) of one text
        (-> list[int]) or of each text of a list (-> list[list[int]]). No prompt is added."""
        length = self._max_seq_length if max_length is None else int(max_length)
        if isinstance(texts, (str, bytes)):
            return self._model.tokenize(texts, length)
        return [self._model.tokenize(text, length) for text in texts]

    def __repr__(self) -> str:
        return (f"edgembed.Model({self.architecture}, {self.weight_dtype}, dimension={self.dimension}, "
                f"max_seq_length={self.max_seq_length}, pooling={self.pooling})")


def _restore(source: str, model_file: str, options: dict, state: dict) -> Model:
    """Unpickles a Model: from the converted file when it exists here (the same content as the sender's),
    else from its source (a model file, or a folder converted into this machine's cache)."""
    model = Model.__new__(Model)
    model._source = source
    model._options = options
    if Path(model_file).is_file():
        model.path = model_file
        model._load(model_file)
    else:
        fresh = Model(source, **options)
        model.path = fresh.path
        model._model = fresh._model
    model._max_seq_length = state["max_seq_length"]
    model.truncate_dim = state["truncate_dim"]
    model.prompts = dict(state["prompts"])
    model.default_prompt_name = state["default_prompt_name"]
    return model
