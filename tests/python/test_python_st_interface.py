"""edgembed.Model's sentence-transformers interface, checked against sentence-transformers itself (the
installed version, on all-MiniLM-L6-v2 in f32): truncate_dim, precision (quantize_embeddings),
output_value="token_embeddings", prompts (prompt / prompt_name / encode_query / encode_document), a Hugging
Face folder as the model (converted once into a cache keyed by its content), and pickling (multiprocessing).

Bounds: vectors as tests/python/test_vector_parity.py (f32: max |difference| <= 1e-4 on unit vectors); token
states are not normalized, so the same bound applies relative to each reference token's norm. Quantization
is compared exactly, on the same float input.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

import edgembed_cli
from conftest import load_texts

F32_MAX_ABS_DIFF = 1e-4   # test_vector_parity.py's bound on unit vectors
SAME_CODE_MAX_ABS_DIFF = 1e-6  # the same C++ code in two ways (test_python_package.py)
PRECISIONS = ("float32", "int8", "uint8", "binary", "ubinary")

pytestmark = pytest.mark.skipif(not edgembed_cli.available(), reason="edgembed CLI or model not built")


@pytest.fixture(scope="module")
def model(edgembed_pkg):
    return edgembed_pkg.Model(edgembed_cli.MODEL)


@pytest.fixture(scope="module")
def reference():
    reference = pytest.importorskip("reference")
    return reference.load_sentence_transformer(256)


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return load_texts("stsb_test")[:100]


def max_diff(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


def test_truncate_dim_matches_sentence_transformers(model, reference, texts):
    """Matryoshka truncation: the model's own Normalize, then truncate, then normalize when asked."""
    for dim in (32, 128, 383):
        ours = model.encode(texts, truncate_dim=dim)
        ref = reference.encode(texts, truncate_dim=dim)
        assert ours.shape == ref.shape == (len(texts), dim)
        assert max_diff(ours, ref) <= F32_MAX_ABS_DIFF, dim
        ours_n = model.encode(texts, truncate_dim=dim, normalize_embeddings=True)
        ref_n = reference.encode(texts, truncate_dim=dim, normalize_embeddings=True)
        assert max_diff(ours_n, ref_n) <= F32_MAX_ABS_DIFF, dim
        np.testing.assert_allclose(np.linalg.norm(ours_n, axis=1), 1.0, atol=1e-6)
    assert model.encode(texts[0], truncate_dim=64).shape == (64,)
    # The constructor's truncate_dim is the default, as sentence-transformers' is.
    short = type(model)(model.path, truncate_dim=64)
    assert short.get_sentence_embedding_dimension() == 64 and short.dimension == 384
    assert np.array_equal(short.encode(texts[:5]), model.encode(texts[:5], truncate_dim=64))
    for bad in (0, 385, 2.5, "64", True):
        with pytest.raises(ValueError, match="truncate_dim"):
            model.encode(texts[:2], truncate_dim=bad)


def test_quantize_embeddings_equals_sentence_transformers(edgembed_pkg, model, texts):
    from sentence_transformers.util.quantization import quantize_embeddings as st_quantize

    vectors = model.encode(texts)
    rng = np.random.default_rng(16)
    raw = rng.standard_normal((50, 37)).astype(np.float32)
    raw[:, 3] = 0.25  # a dimension whose range is 0 (step 1)
    tokens = [rng.standard_normal((n, 37)).astype(np.float32) for n in (1, 5, 9)]
    calibration = rng.standard_normal((200, 37)).astype(np.float32)
    ranges = np.vstack([np.full(37, -0.5), np.full(37, 0.5)]).astype(np.float32)
    for precision in PRECISIONS:
        for inputs, kwargs in ((vectors, {}), (raw, {}), (raw, {"ranges": ranges}),
                               (raw, {"calibration_embeddings": calibration}), (tokens, {}), (raw[:0], {})):
            ours = edgembed_pkg.quantize_embeddings(inputs, precision, **kwargs)
            ref = st_quantize(inputs, precision, **kwargs)
            for a, b in zip(ours, ref) if isinstance(ref, list) else ((ours, ref),):
                assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), (precision, kwargs)
    for precision in ("int8", "uint8"):
        with pytest.raises(ValueError, match="single embedding"):
            edgembed_pkg.quantize_embeddings(raw[:1], precision)
    with pytest.raises(ValueError, match="precision"):
        edgembed_pkg.quantize_embeddings(raw, "int4")


def test_encode_precision(edgembed_pkg, model, reference, texts):
    """encode(precision=p) quantizes the call's (truncated) embeddings as quantize_embeddings does; against
    sentence-transformers' own encode the codes agree but for values on a bucket edge (float noise)."""
    from sentence_transformers.util.quantization import quantize_embeddings as st_quantize

    for truncate_dim in (None, 128):
        floats = model.encode(texts, truncate_dim=truncate_dim)
        ref_floats = reference.encode(texts, truncate_dim=truncate_dim)
        for precision in PRECISIONS:
            ours = model.encode(texts, precision=precision, truncate_dim=truncate_dim)
            assert np.array_equal(ours, st_quantize(floats, precision)), precision
            ref = reference.encode(texts, precision=precision, truncate_dim=truncate_dim)
            assert ours.dtype == ref.dtype and ours.shape == ref.shape
            if precision.endswith("binary"):
                # A bit differs only where a float is within the f32 bound of 0.
                differ = np.unpackbits(ours.view(np.uint8), axis=1) != np.unpackbits(ref.view(np.uint8), axis=1)
                near_zero = np.abs(ref_floats) <= F32_MAX_ABS_DIFF
                assert not np.any(differ & ~near_zero[:, :differ.shape[1]]), precision
            else:
                # A code moves by at most 1, and rarely (the bucket width is 1/255 of the range).
                steps = np.abs(ours.astype(np.int64) - ref.astype(np.int64))
                assert steps.max() <= 1 and np.mean(steps) < 0.01, precision
    assert model.encode(texts[0], precision="binary").shape == (48,)
    with pytest.raises(ValueError, match="single embedding"):
        model.encode(texts[0], precision="int8")
    with pytest.raises(ValueError, match="precision"):
        model.encode(texts, precision="int4")


def test_token_embeddings_match_sentence_transformers(model, reference, texts):
    sample = texts[:20] + ["", " ".join(texts[:40])]  # an empty text and one over 256 tokens (truncated)
    ours = model.encode(sample, output_value="token_embeddings")
    ref = reference.encode(sample, output_value="token_embeddings")
    assert isinstance(ours, list) and len(ours) == len(ref)
    worst = 0.0
    for a, b in zip(ours, ref):
        b = b.numpy()
        assert a.shape == b.shape and a.dtype == np.float32
        worst = max(worst, float(np.max(np.abs(a - b) / np.linalg.norm(b, axis=1, keepdims=True))))
    print(f"token embeddings vs sentence-transformers: max |diff| / token norm {worst:.3g}")
    assert worst <= F32_MAX_ABS_DIFF
    assert ours[-1].shape[0] == 256 and ours[-2].shape[0] == 2
    # Their mean, normalized, is the sentence embedding (mean pooling); one text gives one array.
    mean = ours[0].mean(axis=0)
    assert max_diff(mean / np.linalg.norm(mean), model.encode(sample[0])) <= SAME_CODE_MAX_ABS_DIFF
    assert np.array_equal(model.encode(sample[0], output_value="token_embeddings"), ours[0])
    assert len(model.encode(sample[:3], output_value="token_embeddings", max_length=4)[2]) == 4
    quantized = model.encode(sample[:5], output_value="token_embeddings", precision="int8")
    from sentence_transformers.util.quantization import quantize_embeddings as st_quantize

    for a, b in zip(quantized, st_quantize(ours[:5], "int8")):
        assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="output_value"):
        model.encode(sample, output_value="embeddings")
    with pytest.raises(ValueError, match="truncate"):
        model.encode(sample, output_value="token_embeddings", long_input="window")


def test_prompts_match_sentence_transformers(edgembed_pkg, texts):
    """Prompts given to the constructor (the model file stores none), put before each text: the token count
    and the truncation include them, as in sentence-transformers."""
    from sentence_transformers import SentenceTransformer

    prompts = {"query": "query: ", "passage": "passage: ", "classification": "Classify the topic: "}
    ours = edgembed_pkg.Model(edgembed_cli.MODEL, prompts=prompts, default_prompt_name="classification")
    ref = SentenceTransformer(str(reference_folder()), device="cpu", prompts=prompts,
                              default_prompt_name="classification")
    long_text = " ".join(texts[:40])  # over 256 tokens with or without the prompt
    sample = texts[:10] + [long_text]
    cases = [("encode", {}), ("encode", {"prompt_name": "passage"}), ("encode", {"prompt": "Represent this: "}),
             ("encode", {"prompt_name": "query", "prompt": "wins: "}), ("encode_query", {}),
             ("encode_document", {}), ("encode_document", {"prompt_name": "passage"})]
    for method, kwargs in cases:
        a = getattr(ours, method)(sample, **kwargs)
        b = getattr(ref, method)(sample, **kwargs)
        assert max_diff(a, b) <= F32_MAX_ABS_DIFF, (method, kwargs)
    assert not np.allclose(ours.encode(texts[:3]), ours.encode(texts[:3], prompt=""), atol=1e-3)
    assert np.array_equal(ours.encode(texts[:3], prompt=""), ours.encode_document(texts[:3]))  # "document": ""
    tokens = ours.encode(texts[0], output_value="token_embeddings", prompt_name="query")
    assert tokens.shape[0] == len(ours.tokenize("query: " + texts[0]))
    with pytest.raises(ValueError, match="prompt_name"):
        ours.encode(texts[:2], prompt_name="nope")
    with pytest.raises(ValueError, match="default_prompt_name"):
        edgembed_pkg.Model(edgembed_cli.MODEL, default_prompt_name="nope")


def reference_folder() -> Path:
    import reference

    return Path(reference.model_dir())


def minilm_folder_copy(tmp_path: Path) -> Path:
    """A copy of the all-MiniLM-L6-v2 folder whose weights are a symlink (the hash reads through it)."""
    source = reference_folder()
    folder = tmp_path / "all-MiniLM-L6-v2"
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("model.safetensors"))
    (folder / "model.safetensors").symlink_to(source / "model.safetensors")
    return folder


def test_hugging_face_folder_is_converted_once(edgembed_pkg, model, texts, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("EDGEMBED_CACHE_DIR", str(cache))
    folder = minilm_folder_copy(tmp_path)
    first = edgembed_pkg.Model(folder)
    assert Path(first.path).parent == cache / "models" and first.weight_dtype == "f32"
    assert max_diff(first.encode(texts), model.encode(texts)) == 0.0  # the same converter, the same file
    made = Path(first.path).stat()
    # Loaded again: the same file, not converted anew (also after a touch: the key is the content).
    os.utime(folder / "config.json")
    again = edgembed_pkg.Model(folder)
    assert again.path == first.path and Path(again.path).stat().st_mtime_ns == made.st_mtime_ns
    # Another dtype, another file; changed content, another key.
    small = edgembed_pkg.Model(folder, dtype="int8")
    assert small.weight_dtype == "int8" and small.path != first.path
    (folder / "sentence_bert_config.json").write_text('{"max_seq_length": 128, "do_lower_case": false}')
    changed = edgembed_pkg.Model(folder)
    assert changed.path != first.path and changed.max_seq_length == 128
    assert sorted(p.suffix for p in (cache / "models").glob("*.edgembed")) == [".edgembed"] * 3
    assert not list((cache / "models").glob("*.tmp"))
    # XDG_CACHE_HOME when EDGEMBED_CACHE_DIR is unset; an explicit cache_folder wins over both.
    monkeypatch.delenv("EDGEMBED_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert edgembed_pkg.cache_dir() == tmp_path / "xdg" / "edgembed"
    elsewhere = edgembed_pkg.Model(folder, cache_folder=tmp_path / "mine")
    assert Path(elsewhere.path).parent == tmp_path / "mine" / "models"
    with pytest.raises(ValueError, match="dtype"):
        edgembed_pkg.Model(folder, dtype="int4")
    with pytest.raises(ValueError, match="dtype"):
        edgembed_pkg.Model(edgembed_cli.MODEL, dtype="int8")  # a f32 file
    with pytest.raises(ValueError, match="config.json"):
        edgembed_pkg.Model(tmp_path / "cache")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    with pytest.raises(Exception, match="config.json"):
        edgembed_pkg.Model(broken)
    assert not list((tmp_path / "xdg" / "edgembed" / "models").glob("*.edgembed"))


def test_stored_prompts_match_sentence_transformers(edgembed_pkg, texts, tmp_path, monkeypatch):
    """A folder whose config_sentence_transformers.json has prompts (as e5 / bge / nomic ship them): the
    converted model stores them, and encode_query / encode_document / prompt_name / default_prompt_name
    pick them as sentence-transformers does from the same folder."""
    from sentence_transformers import SentenceTransformer

    monkeypatch.setenv("EDGEMBED_CACHE_DIR", str(tmp_path / "cache"))
    folder = minilm_folder_copy(tmp_path)
    config = {"prompts": {"query": "query: ", "document": "passage: ", "title": "Title of: "},
              "default_prompt_name": "title"}
    (folder / "config_sentence_transformers.json").write_text(json.dumps(config))
    ours = edgembed_pkg.Model(folder)
    assert ours.prompts == config["prompts"] and ours.default_prompt_name == "title"
    ref = SentenceTransformer(str(folder), device="cpu")
    sample = texts[:10] + [" ".join(texts[:40])]
    for method, kwargs in (("encode", {}), ("encode", {"prompt_name": "query"}), ("encode", {"prompt": ""}),
                           ("encode_query", {}), ("encode_document", {}), ("encode_document", {"prompt_name": "title"})):
        assert max_diff(getattr(ours, method)(sample, **kwargs), getattr(ref, method)(sample, **kwargs)) <= \
            F32_MAX_ABS_DIFF, (method, kwargs)
    # The caller's prompts win over the stored ones, as in sentence-transformers.
    mine = edgembed_pkg.Model(folder, prompts={"query": "search: "})
    assert mine.prompts["query"] == "search: " and mine.prompts["document"] == "passage: "
    assert np.array_equal(mine.encode_query(texts[:3]), ours.encode(texts[:3], prompt="search: "))


def _encode_in_worker(args):
    model, texts = args
    return model.encode(texts)


def test_model_pickles(edgembed_pkg, edgembed_pkg_dir, model, texts, monkeypatch):
    custom = edgembed_pkg.Model(edgembed_cli.MODEL, truncate_dim=100, prompts={"query": "q: "})
    custom.max_seq_length = 64
    data = pickle.dumps(custom)
    assert len(data) < 2000  # its path and options, not its weights
    back = pickle.loads(data)
    assert (back.path, back.truncate_dim, back.max_seq_length, back.prompts) == \
        (custom.path, 100, 64, custom.prompts)
    assert np.array_equal(back.encode_query(texts[:5]), custom.encode_query(texts[:5]))
    # Processes started fresh (spawn, which hands them this process's sys.path) get the Model pickled and
    # load it there.
    monkeypatch.syspath_prepend(str(edgembed_pkg_dir))
    chunks = [texts[i:i + 25] for i in range(0, len(texts), 25)]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.map(_encode_in_worker, [(model, chunk) for chunk in chunks])
    assert max_diff(np.concatenate(results), model.encode(texts)) <= SAME_CODE_MAX_ABS_DIFF
