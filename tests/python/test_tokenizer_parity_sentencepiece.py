"""Piece-id parity of SentencePieceModel (runtime/tokenizer/sentencepiece_model.h) with Hugging Face's fast
tokenizers, through edgembed-sp-pieces (tests/tools/sp_pieces_main.cpp: one JSON string per stdin line, one
JSON array of piece ids per line, no specials).

Tokenizers (each read by the converter's readers, tools/convert/hf_sentencepiece.h):
  t5-model      the shared t5-small spiece.model      vs transformers' T5 tokenizer converted from it
  t5-json       the shared t5-small tokenizer.json     vs tokenizers.Tokenizer.from_file(tokenizer.json)
  xlmr-model    .cache/tokenizers/xlmr-style's sentencepiece.bpe.model (fairseq ids) vs its tokenizer.json,
                which transformers wrote from that model (scripts/make_xlmr_tokenizer.py)
  xlmr-json     .cache/tokenizers/xlmr-style-json (tokenizer.json only) vs the same
Texts: 100 % of STS-B (all splits), the man pages, the multilingual set (scripts/fetch_multilingual_text.sh)
and the hostile texts of test_tokenizer_parity.py (edge cases + the seeded synthetic set) and
test_hostile_input.py (empty-like texts, 1 MB versions of its 10 MB shapes). A text holding one of the
tokenizer's added tokens ("</s>", "<extra_id_0>", "<mask>", ...) is the added-token splitter's business and
is left out here; the count is printed. The tokenizer.json variants (test_tokenizer_json_variants) check the
other normalizer / pre_tokenizer layouts the reader accepts on the multilingual and hostile texts.

Run with -s to see the counts and the speed (MB/s of UTF-8 input, ours vs Hugging Face on one thread).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO_ROOT, load_texts, shared_data_dir

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["TOKENIZERS_PARALLELISM"] = "false"  # one thread, as edgembed-sp-pieces

SP_PIECES = Path(os.environ.get("EDGEMBED_SP_PIECES", REPO_ROOT / "build" / "tests" / "edgembed-sp-pieces"))
T5_DIR = shared_data_dir() / "tokenizers" / "t5-small"
XLMR_DIR = REPO_ROOT / ".cache" / "tokenizers" / "xlmr-style"
XLMR_JSON_DIR = REPO_ROOT / ".cache" / "tokenizers" / "xlmr-style-json"
PARITY_SETS = ("stsb_all", "manpages_corpus", "multilingual", "hostile")
BIG_TEXT_BYTES = 1024 * 1024


def hostile_texts() -> list[str]:
    import test_tokenizer_parity as wordpiece_parity
    from test_hostile_input import BIG_TEXTS, EMPTY_LIKE

    big = [make(BIG_TEXT_BYTES) for make in BIG_TEXTS.values()]
    # SentencePiece-specific: runs of "▁" (Metaspace's own character), spaces at both ends, lone marks.
    extra = ["\u2581", "\u2581\u2581a", "a\u2581", "a\u2581\u2581b", " \u2581 ", "\u2581hello \u2581\u2581world\u2581",
             " a", "a ", "  a  b  ", "\ta\n", "a\u3000b", "a\u00a0\u00a0b", "\u0301", " \u0301a", "\uff76\uff9e",
             "A\u030a", "\uff21\u0301", "\r\n", "a\r\nb", "e\u0301\u0301", "\u1100\u1161\u11a8", "x" * 3000,
             "ab " * 3000, ("word " * 1000) + "\u0301" * 10,
             # added tokens: left out here (the splitter's), counted
             "x</s>y", "<s> a", "<mask>ed", "<pad><unk>", "a <extra_id_0> b"]
    return (list(wordpiece_parity.EDGE_CASES) + wordpiece_parity._synthetic_texts() + list(EMPTY_LIKE) + big
            + extra)


def texts_of(name: str) -> list[str]:
    return hostile_texts() if name == "hostile" else load_texts(name)


# ---- the four tokenizers ---------------------------------------------------------------------------------

def hf_t5_from_model(tmp: Path):
    from transformers import AutoTokenizer

    folder = tmp / "t5-model-only"
    folder.mkdir(exist_ok=True)
    shutil.copy(T5_DIR / "spiece.model", folder / "spiece.model")
    (folder / "config.json").write_text(json.dumps({"model_type": "t5"}))
    return AutoTokenizer.from_pretrained(str(folder)).backend_tokenizer


def hf_from_json(path: Path):
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(path))


TOKENIZERS = {
    # name: (our folder, extra edgembed-sp-pieces flags, how to build the reference, file that must exist)
    "t5-model": (T5_DIR, [], lambda tmp: hf_t5_from_model(tmp), T5_DIR / "spiece.model"),
    "t5-json": (T5_DIR, ["--tokenizer-json"], lambda tmp: hf_from_json(T5_DIR / "tokenizer.json"),
                T5_DIR / "tokenizer.json"),
    "xlmr-model": (XLMR_DIR, [], lambda tmp: hf_from_json(XLMR_DIR / "tokenizer.json"),
                   XLMR_DIR / "sentencepiece.bpe.model"),
    "xlmr-json": (XLMR_JSON_DIR, [], lambda tmp: hf_from_json(XLMR_JSON_DIR / "tokenizer.json"),
                  XLMR_JSON_DIR / "tokenizer.json"),
}


@pytest.fixture(scope="module")
def sp_pieces() -> Path:
    if not SP_PIECES.exists():
        pytest.skip(f"{SP_PIECES} not built (ninja -C build edgembed-sp-pieces)")
    return SP_PIECES


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    cache = {}

    def get(name: str):
        if name not in cache:
            folder, flags, make, needed = TOKENIZERS[name]
            if not needed.exists():
                pytest.skip(f"{needed} not found (scripts/make_xlmr_tokenizer.py makes the xlmr-style folders)")
            cache[name] = make(tmp_path_factory.mktemp(name))
        return cache[name]
    return get


def ours(sp_pieces: Path, folder: Path, flags: list[str], texts: list[str]) -> tuple[list, float]:
    """The ids, and the seconds spent in SentencePieceModel::append (edgembed-sp-pieces' last stderr line)."""
    data = "".join(json.dumps(t) + "\n" for t in texts).encode()
    proc = subprocess.run([str(sp_pieces), str(folder), *flags], input=data, capture_output=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    lines = proc.stdout.decode().split("\n")[:-1]
    assert len(lines) == len(texts)
    seconds = float(proc.stderr.decode().strip().split("\n")[-1].split()[-2])
    return [json.loads(line) for line in lines], seconds


def theirs(tokenizer, texts: list[str]) -> tuple[list, float]:
    start = time.perf_counter()
    ids = [e.ids for e in tokenizer.encode_batch(texts, add_special_tokens=False)]
    return ids, time.perf_counter() - start


def without_added_tokens(tokenizer, texts: list[str]) -> tuple[list[str], int]:
    added = [t.content for t in tokenizer.get_added_tokens_decoder().values()]
    kept = [t for t in texts if not any(a in t for a in added)]
    return kept, len(texts) - len(kept)


def compare(label: str, texts: list[str], mine: list, ref: list, tokenizer) -> None:
    bad = [i for i, (a, b) in enumerate(zip(mine, ref)) if a != b]
    if bad:
        lines = []
        for i in bad[:5]:
            a, b = mine[i], ref[i]
            if isinstance(a, dict):
                lines.append(f"  text {i} {texts[i][:80]!r}: {a}")
                continue
            at = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
            lines.append(f"  text {i} {texts[i][:80]!r} ({len(a)} vs {len(b)} ids), first difference at {at}: "
                         f"ours {[tokenizer.id_to_token(x) for x in a[at:at + 6]]} "
                         f"HF {[tokenizer.id_to_token(x) for x in b[at:at + 6]]}")
        pytest.fail(f"{label}: {len(bad)} of {len(texts)} texts differ from Hugging Face:\n" + "\n".join(lines))


@pytest.mark.parametrize("text_set", PARITY_SETS)
@pytest.mark.parametrize("name", TOKENIZERS)
def test_piece_ids_equal_hugging_face(name, text_set, sp_pieces, references):
    reference = references(name)
    texts, left_out = without_added_tokens(reference, texts_of(text_set))
    folder, flags, _, _ = TOKENIZERS[name]
    mine, our_seconds = ours(sp_pieces, folder, flags, texts)
    ref, hf_seconds = theirs(reference, texts)
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    print(f"\n{name} {text_set}: {len(texts)} texts ({left_out} left out: they hold added tokens), "
          f"{megabytes:.1f} MB; ours {megabytes / our_seconds:.1f} MB/s, HF {megabytes / hf_seconds:.1f} MB/s "
          f"(encoding alone, one thread each)")
    compare(f"{name} {text_set}", texts, mine, ref, reference)


# ---- tokenizer.json layouts other than transformers 5's ---------------------------------------------------

VARIANTS = {
    # transformers 4.x's SpmConverter (XLM-R-family hub files): spaces collapsed, Metaspace alone.
    "replace-spaces+metaspace": (
        lambda pre: {"type": "Sequence", "normalizers": [pre, {"type": "Replace", "pattern": {"Regex": " {2,}"},
                                                               "content": " "}]},
        {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True, "prepend_scheme": "always",
         "split": True}),
    # later 4.x: trailing whitespace stripped, space runs to "▁".
    "strip+replace-metaspace": (
        lambda pre: {"type": "Sequence", "normalizers": [
            pre, {"type": "Strip", "strip_left": False, "strip_right": True},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "\u2581"}]},
        {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}),
    "metaspace-alone": (lambda pre: pre, {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always",
                                          "split": True}),
    "never-prepend": (lambda pre: pre, {"type": "Sequence", "pretokenizers": [
        {"type": "WhitespaceSplit"},
        {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never", "split": True}]}),
    "no-normalizer": (lambda pre: None, {"type": "Sequence", "pretokenizers": [
        {"type": "WhitespaceSplit"},
        {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}]}),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_tokenizer_json_variants(variant, sp_pieces, tmp_path):
    source = XLMR_JSON_DIR / "tokenizer.json"
    if not source.exists():
        pytest.skip(f"{source} not found (scripts/make_xlmr_tokenizer.py)")
    doc = json.loads(source.read_text())
    normalizer, pre_tokenizer = VARIANTS[variant]
    doc = copy.deepcopy(doc)
    doc["normalizer"] = normalizer(doc["normalizer"])
    doc["pre_tokenizer"] = pre_tokenizer
    (tmp_path / "tokenizer.json").write_text(json.dumps(doc, ensure_ascii=False))
    reference = hf_from_json(tmp_path / "tokenizer.json")
    texts, left_out = without_added_tokens(reference, load_texts("multilingual") + hostile_texts())
    mine, _ = ours(sp_pieces, tmp_path, [], texts)
    ref, _ = theirs(reference, texts)
    print(f"\n{variant}: {len(texts)} multilingual + hostile texts ({left_out} left out)")
    compare(variant, texts, mine, ref, reference)
