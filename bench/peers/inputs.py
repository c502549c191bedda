"""Inputs of exact token counts, cut from real text the way `edgembed bench` cuts them.

edgembed bench (tools/cli/bench_command.cpp) reads a text file (JSON lines with "text", or blank-line
separated blocks), concatenates the word pieces of all its documents into one stream and builds input b of a
(length L, batch B) configuration as [CLS] + pieces[b*(L-2) : (b+1)*(L-2)] + [SEP] (the model's own start and
end tokens: MPNet's are <s>, </s>). This module does the same with the model's Hugging Face tokenizer, so every
peer gets the same token ids that edgembed embeds (the harness checks that edgembed's own tokenizer gives the
same pieces on the same file).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
MIXED_PER_KIND = 200  # SciFact claims and abstracts in the mixed text


def hf_tokenizer(model_dir: str | Path):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def special_ids(model_dir: str | Path) -> tuple[int, int, int]:
    """(cls, sep, pad) ids: the post-processor's wrap of an empty text, and special_tokens_map's pad token."""
    tok = hf_tokenizer(model_dir)
    cls, sep = tok.encode("", add_special_tokens=True).ids
    pad = json.loads((Path(model_dir) / "special_tokens_map.json").read_text(encoding="utf-8"))["pad_token"]
    return cls, sep, tok.token_to_id(pad if isinstance(pad, str) else pad["content"])


def read_documents(path: str | Path) -> list[str]:
    """The documents of a JSON-lines file with "text" (the only format this harness writes)."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def write_documents(path: str | Path, docs: list[str]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"text": d}, ensure_ascii=False) + "\n")


def pieces_per_document(tok, docs: list[str]) -> list[list[int]]:
    return [e.ids for e in tok.encode_batch(docs, add_special_tokens=False)]


def essays_text(tok, out: Path, min_pieces: int, data: Path = SHARED_DATA) -> dict:
    """Paul Graham essays (real prose), in file-name order, until the stream has >= min_pieces pieces."""
    docs, total = [], 0
    for f in sorted((data / "paul_graham_essays").glob("*.txt")):
        text = f.read_text(encoding="utf-8").strip()
        docs.append(text)
        total += len(tok.encode(text, add_special_tokens=False).ids)
        if total >= min_pieces:
            break
    if total < min_pieces:
        raise SystemExit(f"paul_graham_essays has only {total} pieces, {min_pieces} needed")
    write_documents(out, docs)
    return {"corpus": "paul_graham_essays", "documents": len(docs), "pieces": total, "file": str(out)}


def scifact(name: str, data: Path = SHARED_DATA) -> list[str]:
    with open(data / "scifact" / name, encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def mixed_text(out: Path, per_kind: int = MIXED_PER_KIND, data: Path = SHARED_DATA) -> dict:
    """SciFact claims (short queries) interleaved with SciFact abstracts (long), per_kind of each."""
    queries, abstracts = scifact("queries.jsonl", data)[:per_kind], scifact("corpus.jsonl", data)[:per_kind]
    docs = [d for pair in zip(queries, abstracts) for d in pair]
    write_documents(out, docs)
    return {"corpus": f"scifact: first {per_kind} claims interleaved with the first {per_kind} abstracts",
            "documents": len(docs), "file": str(out)}


def calibration_ids(tok, cls: int, sep: int, count: int = 64, length: int = 128) -> list[np.ndarray]:
    """Calibration inputs for post-training quantization, apart from the texts the harness measures and checks:
    the SciFact abstracts after the mixed text's, each cut to at most length tokens."""
    docs = scifact("corpus.jsonl")[MIXED_PER_KIND: MIXED_PER_KIND + count]
    return [np.array([cls] + p[: length - 2] + [sep], dtype=np.int64) for p in pieces_per_document(tok, docs)]


def feeds(names: list[str], ids: np.ndarray, mask: np.ndarray) -> dict:
    """An exported graph's inputs (by name) among ids, attention mask and (zero) token types."""
    every = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    return {n: every[n] for n in names}


def stream(per_doc: list[list[int]]) -> np.ndarray:
    return np.array([p for d in per_doc for p in d], dtype=np.int64)


def make_inputs(pieces: np.ndarray, cls: int, sep: int, length: int, batch: int) -> np.ndarray:
    """(batch, length) int64 ids: input b = [CLS] + pieces[b*(length-2) : (b+1)*(length-2)] + [SEP]."""
    n = length - 2
    if pieces.size < n * batch:
        raise ValueError(f"text has {pieces.size} pieces, {n * batch} needed for length {length} x batch {batch}")
    body = pieces[: n * batch].reshape(batch, n)
    return np.concatenate([np.full((batch, 1), cls), body, np.full((batch, 1), sep)], axis=1).astype(np.int64)


def make_mixed(pieces: np.ndarray, cls: int, sep: int, lengths: list[int]) -> list[np.ndarray]:
    """edgembed bench --mixed's texts: text i is input i of (longest, 32) cut to lengths[i], last id [SEP]."""
    pad_to = max(lengths)
    full = make_inputs(pieces, cls, sep, pad_to, len(lengths))
    out = []
    for i, n in enumerate(lengths):
        ids = full[i, :n].copy()
        ids[-1] = sep
        out.append(ids)
    return out
