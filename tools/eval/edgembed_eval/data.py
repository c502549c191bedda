"""Readers for the shared evaluation data (see <shared>/data/MANIFEST.md).

One copy of the loaders: tests/python/conftest.py re-exports them (turning MissingData into a pytest skip).

Paths: EDGEMBED_SHARED_DATA overrides the data folder (default <repo>/../shared/data); EDGEMBED_MULTILINGUAL_DATA
the multilingual text's (default <repo>/.cache/data/multilingual, scripts/fetch_multilingual_text.sh).

  load_texts(name)         list of strings, name in TEXT_SETS
  load_stsb_pairs(split)   [(sentence1, sentence2, gold score 0..5)] for "test" | "dev" | "train" | "all"
  load_corpus(name)        BEIR corpus {doc_id: {"title": ..., "text": ...}} for "scifact" | "linux_manpages" | "qmsum"
  load_queries(name)       BEIR queries {query_id: text}
  load_qrels(name, split)  {query_id: {doc_id: score}}
  load_retrieval(name)     a RetrievalSet (doc texts as MTEB embeds them, queries, qrels), incl. "qmsum_longembed"
  load_essays()            the Paul Graham essays (haystack filler), {file stem: text}, rss.txt left out
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]

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
    "multilingual": "real text in 14 languages (multilingual_<lang> for each, this order), written by "
                    "scripts/fetch_multilingual_text.sh to <repo>/.cache/data/multilingual/",
}
# Debian's translated package descriptions; ar and hi: Firefox ESR's language packs (Debian has no
# description translations in them). At most 3,000 texts each.
MULTILINGUAL_LANGS = ("de", "fr", "es", "it", "pt_BR", "pl", "cs", "ru", "uk", "ja", "ko", "zh_CN", "ar", "hi")
for _lang in MULTILINGUAL_LANGS:
    TEXT_SETS[f"multilingual_{_lang}"] = f"the {_lang} part of multilingual"


class MissingData(FileNotFoundError):
    """A shared data file is not there (the tests turn this into a skip)."""


def shared_data_dir() -> Path:
    return Path(os.environ.get("EDGEMBED_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


def data_path(*parts: str) -> Path:
    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        raise MissingData(f"shared data file {path} not found (set EDGEMBED_SHARED_DATA)")
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
    for line in _read_lines(data_path("stsbenchmark", f"sts-{split}.csv")):
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
    return tuple(read_jsonl(data_path(_BEIR_DIRS[name], file)))


def load_corpus(name: str) -> dict[str, dict[str, str]]:
    """{doc_id: {"title": str, "text": str}} in file order."""
    return {r["_id"]: {"title": r.get("title", ""), "text": r["text"]} for r in _beir_rows(name, "corpus.jsonl")}


def load_queries(name: str) -> dict[str, str]:
    """{query_id: text} in file order."""
    return {r["_id"]: r["text"] for r in _beir_rows(name, "queries.jsonl")}


def load_qrels(name: str, split: str = "test") -> dict[str, dict[str, int]]:
    """{query_id: {doc_id: score}} from qrels/<split>.tsv (header line skipped)."""
    if name not in _BEIR_DIRS:
        raise ValueError(f"unknown retrieval set {name!r}")
    qrels: dict[str, dict[str, int]] = {}
    for line in _read_lines(data_path(_BEIR_DIRS[name], "qrels", f"{split}.tsv"))[1:]:
        qid, did, score = line.split("\t")
        qrels.setdefault(qid, {})[did] = int(score)
    return qrels


def multilingual_dir() -> Path:
    return Path(os.environ.get("EDGEMBED_MULTILINGUAL_DATA", REPO_ROOT / ".cache" / "data" / "multilingual"))


@functools.lru_cache(maxsize=None)
def _multilingual(lang: str) -> tuple[str, ...]:
    path = multilingual_dir() / f"{lang}.jsonl"
    if not path.exists():
        raise MissingData(f"{path} not found (scripts/fetch_multilingual_text.sh writes it)")
    return tuple(r["text"] for r in read_jsonl(path))


def load_texts(name: str) -> list[str]:
    """The strings of one text set (see TEXT_SETS), in a fixed order."""
    if name == "multilingual":
        return [t for lang in MULTILINGUAL_LANGS for t in _multilingual(lang)]
    if name.startswith("multilingual_") and name[len("multilingual_"):] in MULTILINGUAL_LANGS:
        return list(_multilingual(name[len("multilingual_"):]))
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


# ---------------------------------------------------------------------------------------------------------
# Retrieval sets as the evaluation embeds them


@dataclasses.dataclass
class RetrievalSet:
    name: str
    doc_ids: list[str]
    doc_texts: list[str]      # what gets embedded (title + " " + text when there is a title, as MTEB does)
    query_ids: list[str]
    query_texts: list[str]
    qrels: dict[str, dict[str, int]]  # only queries of query_ids, only docs of doc_ids
    note: str = ""

    def subset(self, doc_ids: list[str] | None = None, query_ids: list[str] | None = None, note: str = "") -> "RetrievalSet":
        """The set restricted to some docs and / or queries (qrels follow; queries left without a relevant doc dropped)."""
        keep_docs = set(self.doc_ids if doc_ids is None else doc_ids)
        keep_queries = set(self.query_ids if query_ids is None else query_ids)
        d_idx = [i for i, d in enumerate(self.doc_ids) if d in keep_docs]
        qrels = {q: {d: s for d, s in rel.items() if d in keep_docs} for q, rel in self.qrels.items() if q in keep_queries}
        qrels = {q: rel for q, rel in qrels.items() if any(s > 0 for s in rel.values())}
        q_idx = [i for i, q in enumerate(self.query_ids) if q in qrels]
        return RetrievalSet(self.name, [self.doc_ids[i] for i in d_idx], [self.doc_texts[i] for i in d_idx],
                            [self.query_ids[i] for i in q_idx], [self.query_texts[i] for i in q_idx], qrels,
                            (self.note + "; " if self.note else "") + note)


def _doc_text(title: str, text: str) -> str:
    # MTEB's retrieval evaluator embeds (title + " " + text).strip() when a corpus has titles.
    return f"{title} {text}".strip() if title else text


def load_retrieval(name: str, split: str = "test") -> RetrievalSet:
    """scifact (test qrels) | linux_manpages | qmsum (all 232 meetings) | qmsum_longembed (LongEmbed's subset:
    metadata.split in train + val, 197 docs / 1,529 queries)."""
    base = "qmsum" if name == "qmsum_longembed" else name
    rows = _beir_rows(base, "corpus.jsonl")
    qrows = _beir_rows(base, "queries.jsonl")
    if name == "qmsum_longembed":
        rows = tuple(r for r in rows if (r.get("metadata") or {}).get("split") in ("train", "val"))
        qrows = tuple(r for r in qrows if (r.get("metadata") or {}).get("split") in ("train", "val"))
    qrels_all = load_qrels(base, split)
    doc_ids = [r["_id"] for r in rows]
    docs = set(doc_ids)
    qrels = {}
    for r in qrows:
        rel = {d: s for d, s in qrels_all.get(r["_id"], {}).items() if d in docs}
        if any(s > 0 for s in rel.values()):
            qrels[r["_id"]] = rel
    qrows = [r for r in qrows if r["_id"] in qrels]
    return RetrievalSet(name, doc_ids, [_doc_text(r.get("title", ""), r["text"]) for r in rows],
                        [r["_id"] for r in qrows], [r["text"] for r in qrows], qrels)


@functools.lru_cache(maxsize=None)
def _essays() -> tuple[tuple[str, str], ...]:
    folder = data_path("paul_graham_essays")
    out = []
    for path in sorted(folder.glob("*.txt")):
        if path.stem == "rss":  # 10 words, not an essay (MANIFEST.md)
            continue
        out.append((path.stem, path.read_bytes().decode("utf-8")))
    if not out:
        raise MissingData(f"no essays in {folder}")
    return tuple(out)


def load_essays() -> dict[str, str]:
    """{file stem: text} of the Paul Graham essays, sorted by file name, without rss.txt."""
    return dict(_essays())
