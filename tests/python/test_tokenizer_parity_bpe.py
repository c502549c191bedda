"""Byte-level BPE pieces: edgembed's ByteLevelBpe against Hugging Face `tokenizers`, id for id.

The C++ side is `edgembed-bpe-pieces TOKENIZER` (tests/tools/bpe_pieces_main.cpp, built with the tests): it reads
the tokenizer with the converter's readers (tools/convert/hf_bpe.h) and prints the piece ids of one JSON string per
line. The reference is `tokenizers.Tokenizer` built from the same tokenizer.json with its added_tokens removed:
the pieces model alone, which is what ByteLevelBpe is (the pipeline's added-token splitter and template sit
around it). test_as_shipped_without_added_tokens also checks the unmodified files on the texts that contain no
added token.

test_pipeline_as_shipped runs the whole tokenizer as the converter reads the folder (its added-token splitter
around ByteLevelBpe, `edgembed-bpe-pieces --pipeline`) against the unmodified tokenizer.json on every text.

Tokenizers: roberta-base (tokenizer.json, and vocab.json + merges.txt), modernbert-base (NFC), and two made from
roberta-base's vocab and merges to reach the other settings: "qwen2-style" (NFC, the Qwen2 Split regex +
ByteLevel, as Qwen2 / Qwen3 ship it) and "lowercase-prefix" (Sequence[NFC, Lowercase], add_prefix_space); and
"qwen3-trained", a Qwen3-style tokenizer trained on real text (families.make_qwen3_tokenizer: its own vocabulary and
merges, Qwen3's added tokens) through the whole pipeline (its <|endoftext|> template: test_family_parity.py); and
"gemma-trained", a Gemma3 / EmbeddingGemma-style SentencePiece BPE with byte fallback trained on real text
(gemma_tokenizer.make_gemma_tokenizer: tokenizer.json as transformers' GemmaTokenizer writes it), run by
SentencePieceBpe: its pieces, the whole pipeline, and its <bos> x <eos> template (test_template_as_shipped).
test_sentencepiece_library_agreement prints how often the sentencepiece library's own EncodeAsIds on the same
.model differs from Hugging Face (informative).

Texts: all STS-B sentences, all man pages, the hostile texts of test_tokenizer_parity.py (its edge cases and
seeded synthetic set) with the empty-like texts of test_hostile_input.py and split-pattern corner cases,
multilingual text (the evaluation data's "multilingual" set when it has one, and this machine's Debian files: the
msgstr of /usr/share/locale/<lang>/LC_MESSAGES/*.mo for 16 languages, the translated package descriptions of
/var/lib/apt/lists/*Translation-* when apt has fetched them; so the count depends on the machine), and every
Unicode scalar value in a few contexts.

Environment: EDGEMBED_BPE_PIECES (default <repo>/build/tests/edgembed-bpe-pieces), EDGEMBED_SHARED_DATA.
Run with -s to see the counts and the speed comparison on the man pages.
"""

from __future__ import annotations

import copy
import gettext
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

os.environ.setdefault("RAYON_NUM_THREADS", "1")  # one core for the reference: the machines are shared

from conftest import FULL_SHAPES, REPO_ROOT, code_points_to_test, load_texts, shared_data_dir
from families import QWEN2_REGEX, make_qwen3_tokenizer
from gemma_tokenizer import make_gemma_tokenizer

tokenizers = pytest.importorskip("tokenizers", reason="Hugging Face tokenizers missing")

GPT2_REGEX = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"

LOCALE_LANGUAGES = ("ja", "zh_CN", "zh_TW", "ko", "ru", "uk", "de", "el", "ar", "he", "fa", "hi", "bn", "ta", "th", "vi")
LOCALE_TEXTS_PER_LANGUAGE = 3000
DESCRIPTIONS_PER_LANGUAGE = 3000

# test_hostile_input.EMPTY_LIKE (copied: importing that module loads the embedding reference)
EMPTY_LIKE = ["", " ", "\t\n\r \u000b\u000c", "\u3000\u00a0\u2028", "\u0001\u001f\u007f\u0085\u009f", "\u200b\ufeff\ufffd",
              " " * 5000]
SPLIT_CORNERS = [
    "a  b", "a \n\n b", "it's they're we've I'm you'll he'd", "IT'S 'S 'll 'LL 'Re 'vE", "x'\u017f x'\u017ft", "''s", " 's",
    "a1b22 333 4444", "(foo) !!bar? ...x", "\tfoo", "foo \n", "   ", "\u3000\u3000x", "a\u00a0b", "a\r\n\r\nb", "!!\r\n\n x",
    "a \x0b\n\x0c b", "a\u2028\u2029b", "x\u0085y \u0085 z", "\r\r\r\n\n x\ny", "  \n  \n  x", "\n\n\n", " \n", "x  ", "x \t",
    "'", "'s", "' s", "x'", "a'\u00e9", "1'2", "\u00bd\u2167\u0663x", "CR\rLF\nCRLF\r\nEND", "e\u0301\u0301 \u0316",
    "\U0001d400\U0001d401 \U00010d50\U00010d40", "\u0130I\u0131i", "tab\there  and\u2003there",
] + ["word " * 4000 + "end", "x" * 20000 + " y", "\u00e9" * 9000 + " " + "e\u0301" * 9000, "a\n" * 12000]
# SentencePiece-style corners: its "▁" in the text, byte fallback (emoji, rare CJK, controls), and long texts with
# and without places where the chunked merge may cut (tens of KB: one word without a pre-tokenizer).
SENTENCEPIECE_CORNERS = [
    "\u2581", "\u2581\u2581a", "a\u2581", "a \u2581 b", " \u2581 ", "\U0001fae9 \U0001f972 \U0001fa75", "\U0001f5fd\u20e2\u20e2\U0001f5ff",
    "\U0001f914\u27a1\ufe0f\U0001f331\U0001f30e\u2728", "\u4e00\u9fff\U00020000\U0002a6df", "\x00\x01\x1f\x7f\x85", "<0x41>", "<unk>x<unk>",
    "\t\tindent\n\n\nx", "a" * 30000, " " * 30000, "\u2581" * 20000, "ab " * 15000, "\u00e9t\u00e9 " * 8000,
    "\u4e2d\u6587" * 20000, "\U0001f600" * 12000, "the quick brown fox. " * 5000,
]


def pieces_binary() -> Path:
    return Path(os.environ.get("EDGEMBED_BPE_PIECES", REPO_ROOT / "build" / "tests" / "edgembed-bpe-pieces"))


def tokenizer_dir(name: str) -> Path:
    return shared_data_dir() / "tokenizers" / name


def pieces_only(doc: dict) -> dict:
    doc = copy.deepcopy(doc)
    doc["added_tokens"] = []
    doc["post_processor"] = None
    return doc


def variants(tmp_dir: Path) -> dict[str, tuple[str, dict]]:
    """name -> (what edgembed-bpe-pieces reads, the tokenizer.json of the reference)."""
    roberta_dir, modernbert_dir = tokenizer_dir("roberta-base"), tokenizer_dir("modernbert-base")
    if not (roberta_dir / "tokenizer.json").is_file() or not (modernbert_dir / "tokenizer.json").is_file():
        pytest.skip(f"tokenizer files not found under {roberta_dir.parent}")
    roberta = json.loads((roberta_dir / "tokenizer.json").read_text("utf-8"))
    modernbert = json.loads((modernbert_dir / "tokenizer.json").read_text("utf-8"))
    qwen2 = copy.deepcopy(roberta)
    qwen2["normalizer"] = {"type": "NFC"}
    qwen2["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": QWEN2_REGEX}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]}
    lowercase = copy.deepcopy(roberta)
    lowercase["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Lowercase"}]}
    lowercase["pre_tokenizer"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
    out = {
        "roberta-base": (str(roberta_dir / "tokenizer.json"), roberta),
        "roberta-base vocab.json+merges.txt": (str(roberta_dir), roberta),
        "modernbert-base": (str(modernbert_dir / "tokenizer.json"), modernbert),
    }
    for name, doc in (("qwen2-style", qwen2), ("lowercase-prefix", lowercase)):
        path = tmp_dir / f"{name}.json"
        path.write_text(json.dumps(doc), "utf-8")
        out[name] = (str(path), doc)
    qwen3 = make_qwen3_tokenizer() / "tokenizer.json"  # trained on real text (tests/python/families.py)
    out["qwen3-trained"] = (str(qwen3), json.loads(qwen3.read_text("utf-8")))
    gemma = make_gemma_tokenizer() / "tokenizer.json"  # trained on real text (tests/python/gemma_tokenizer.py)
    out["gemma-trained"] = (str(gemma), json.loads(gemma.read_text("utf-8")))
    return out


@pytest.fixture(scope="module")
def tokenizer_variants(tmp_path_factory):
    if not pieces_binary().is_file():
        pytest.skip(f"{pieces_binary()} not built (ninja -C build edgembed-bpe-pieces)")
    return variants(tmp_path_factory.mktemp("bpe"))


def edgembed_pieces(source: str, texts: list[str], *extra: str) -> tuple[list[list[int]], str]:
    args = [str(pieces_binary()), source, *extra]
    if Path(source).is_dir() and "--pipeline" not in extra:
        args.append("--vocab-merges")
    payload = "".join(json.dumps(t) + "\n" for t in texts).encode("ascii")
    proc = subprocess.run(args, input=payload, capture_output=True, timeout=3600)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")[-2000:]
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == len(texts), f"{len(lines)} lines for {len(texts)} texts"
    return [json.loads(line) for line in lines], proc.stderr.decode()


def hf_ids(tok, texts: list[str], batch: int = 4096) -> list[list[int]]:
    """Batches keep the reference's memory small (an Encoding holds much more than its ids)."""
    encode = getattr(tok, "encode_batch_fast", tok.encode_batch)  # no offsets: tokenizers >= 0.20
    return [e.ids for i in range(0, len(texts), batch) for e in encode(texts[i:i + batch], add_special_tokens=False)]


def hf_pieces(doc: dict, texts: list[str]) -> list[list[int]]:
    return hf_ids(tokenizers.Tokenizer.from_str(json.dumps(pieces_only(doc))), texts)


def assert_parity(label: str, texts: list[str], ours: list[list[int]], theirs: list[list[int]]) -> None:
    bad = [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b]
    print(f"{label}: ids equal on {len(texts) - len(bad):,} of {len(texts):,} texts")
    if bad:
        lines = [f"{label}: {len(texts) - len(bad)}/{len(texts)} texts identical"]
        for i in bad[:5]:
            a, b = ours[i], theirs[i]
            k = next((j for j, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            lines.append(f"  text {i} {texts[i][:120]!r}: lengths {len(a)} vs {len(b)}, first difference at {k}: "
                         f"edgembed {a[max(0, k - 2):k + 4]} HF {b[max(0, k - 2):k + 4]}")
        pytest.fail("\n".join(lines))


# ---- texts --------------------------------------------------------------------------------------------------

def hostile_texts() -> list[str]:
    from test_tokenizer_parity import EDGE_CASES, _synthetic_texts
    return list(EDGE_CASES) + EMPTY_LIKE + SPLIT_CORNERS + SENTENCEPIECE_CORNERS + _synthetic_texts()


def locale_texts() -> list[str]:
    texts: list[str] = []
    for lang in LOCALE_LANGUAGES:
        seen: set[str] = set()
        for mo in sorted(Path("/usr/share/locale", lang, "LC_MESSAGES").glob("*.mo")):
            try:
                with mo.open("rb") as f:
                    catalog = gettext.GNUTranslations(f)._catalog
            except (OSError, UnicodeDecodeError, gettext.error) as e:  # noqa: PERF203
                print(f"skipped {mo}: {e}")
                continue
            for key in sorted(catalog, key=str):
                text = catalog[key]
                if isinstance(text, str) and text.strip() and key not in ("", ("", 0)) and text not in seen:
                    seen.add(text)
            if len(seen) >= LOCALE_TEXTS_PER_LANGUAGE:
                break
        texts.extend(sorted(seen)[:LOCALE_TEXTS_PER_LANGUAGE])
    return texts


def description_texts() -> list[str]:
    """Translated Debian package descriptions (Description-<lang> fields), when apt has fetched them."""
    helper = Path("/usr/lib/apt/apt-helper")
    files = sorted(Path("/var/lib/apt/lists").glob("*_i18n_Translation-*"))
    if not helper.is_file():
        return []
    texts: list[str] = []
    for path in files:
        proc = subprocess.run([str(helper), "cat-file", str(path)], capture_output=True, timeout=300)
        if proc.returncode != 0:
            continue
        count = 0
        for record in proc.stdout.decode("utf-8", "replace").split("\n\n"):
            m = re.search(r"^Description-[\w@]+: (.*(?:\n .*)*)", record, re.M)
            if not m:
                continue
            lines = m.group(1).split("\n")
            body = [line[1:] for line in lines[1:]]
            texts.append("\n".join([lines[0]] + ["" if line == "." else line for line in body]))
            count += 1
            if count >= DESCRIPTIONS_PER_LANGUAGE:
                break
    return texts


def multilingual_texts() -> list[str]:
    from edgembed_eval import data

    texts = []
    if "multilingual" in data.TEXT_SETS:  # the evaluation data's own set, once it has one
        try:
            texts += data.load_texts("multilingual")
        except data.MissingData:
            pass
    texts += locale_texts() + description_texts()
    if not texts:
        pytest.skip("no Debian locale catalogs or translated descriptions on this machine")
    return texts


def every_code_point_texts(code_points: list[int]) -> list[str]:
    """Each scalar value after a letter, a digit, punctuation, a space, an apostrophe, marks and CR LF."""
    return [f"a{c}1{c}!{c} {c}x'{c}e\u0301{c}\u0316x\u0345{c}\r\n{c}{c}" for c in map(chr, code_points)]


TEXT_SETS = {
    "stsb_all": lambda: load_texts("stsb_all"),
    "manpages_corpus": lambda: load_texts("manpages_corpus"),
    "hostile": hostile_texts,
    "multilingual": multilingual_texts,
}


# ---- tests --------------------------------------------------------------------------------------------------

VARIANTS = ("roberta-base", "roberta-base vocab.json+merges.txt", "modernbert-base", "qwen2-style", "lowercase-prefix",
            "gemma-trained")


@pytest.mark.parametrize("text_set", list(TEXT_SETS))
@pytest.mark.parametrize("variant", VARIANTS)
def test_pieces(variant, text_set, tokenizer_variants):
    if variant == "gemma-trained" and not FULL_SHAPES:
        pytest.skip("CI: test_pipeline_as_shipped[gemma-trained] runs every text through the pieces model and its "
                    "added tokens; this one with EDGEMBED_FULL_SHAPES=1")
    source, doc = tokenizer_variants[variant]
    texts = TEXT_SETS[text_set]()
    assert texts, f"{text_set} is empty"
    ours, _ = edgembed_pieces(source, texts)
    assert_parity(f"{variant} / {text_set}", texts, ours, hf_pieces(doc, texts))


# CI: the GPT-2 and the Qwen2 pre-tokenizer on the CI set of code points (with WordPiece's test, 41 s on a quiet Zen 3);
# EDGEMBED_FULL_SHAPES=1: every code point, and the other three settings.
EVERY_CODE_POINT_VARIANTS = [pytest.param(v, marks=pytest.mark.skipif(not FULL_SHAPES and v not in ("roberta-base", "qwen2-style"),
                                                                       reason="with EDGEMBED_FULL_SHAPES=1"))
                             for v in ("roberta-base", "modernbert-base", "qwen2-style", "lowercase-prefix", "gemma-trained")]


@pytest.mark.parametrize("variant", EVERY_CODE_POINT_VARIANTS)
def test_every_code_point(variant, tokenizer_variants):
    source, doc = tokenizer_variants[variant]
    tok = tokenizers.Tokenizer.from_str(json.dumps(pieces_only(doc)))
    code_points, step, total, differ = code_points_to_test(), 0x10000, 0, []
    for first in range(0, len(code_points), step):
        texts = every_code_point_texts(code_points[first:first + step])
        ours, _ = edgembed_pieces(source, texts)
        theirs = hf_ids(tok, texts)
        total += len(texts)
        differ += [ord(t[1]) for t, a, b in zip(texts, ours, theirs) if a != b]
    print(f"{variant} / {'every code point' if FULL_SHAPES else 'the CI set of code points'}: "
          f"ids equal on {total - len(differ):,} of {total:,} texts")
    assert not differ, (f"{len(differ)} code points differ from Hugging Face: "
                        f"{', '.join(f'U+{c:04X}' for c in differ[:40])}")


@pytest.mark.parametrize("variant", ("roberta-base", "modernbert-base"))
def test_as_shipped_without_added_tokens(variant, tokenizer_variants):
    """The unmodified tokenizer.json (its added-token splitter active) on the texts with no added token in them."""
    source, doc = tokenizer_variants[variant]
    contents = [a["content"] for a in doc["added_tokens"]]
    texts = [t for name in ("stsb_all", "manpages_corpus", "hostile", "multilingual") for t in TEXT_SETS[name]()]
    kept = [t for t in texts if not any(c in t for c in contents)]
    print(f"{variant}: {len(texts) - len(kept):,} of {len(texts):,} texts hold an added token and are left out")
    theirs = hf_ids(tokenizers.Tokenizer.from_str(json.dumps(doc)), kept)
    ours, _ = edgembed_pieces(source, kept)
    assert_parity(f"{variant} as shipped / texts without added tokens", kept, ours, theirs)


def added_token_texts(contents: list[str], seed: int = 20240612, count: int = 3000) -> list[str]:
    """STS-B sentences with added tokens put in at word boundaries and inside words, with spaces around."""
    import random
    rng = random.Random(seed)
    base = load_texts("stsb_all")
    texts = []
    for _ in range(count):
        words = rng.choice(base).split(" ")
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(words) + 1)
            token = rng.choice(contents)
            glue = rng.choice(["", " ", "  ", "\n", "\t "])
            words.insert(i, glue + token + rng.choice(["", " ", "  ", "\n"]))
        texts.append(rng.choice([" ", ""]).join(words))
    return texts


@pytest.mark.parametrize("variant", ("roberta-base", "modernbert-base", "qwen3-trained", "gemma-trained"))
def test_pipeline_as_shipped(variant, tokenizer_variants):
    """The whole tokenizer as the converter reads the folder (added tokens matched by the pipeline, no
    template) against the unmodified tokenizer.json, on every text, and texts with added tokens put in."""
    source, doc = tokenizer_variants[variant]
    folder = str(Path(source).parent)
    contents = [a["content"] for a in doc["added_tokens"]]
    texts = [t for name in ("stsb_all", "manpages_corpus", "hostile", "multilingual") for t in TEXT_SETS[name]()]
    texts += added_token_texts(contents)
    theirs = hf_ids(tokenizers.Tokenizer.from_str(json.dumps(doc)), texts)
    ours, _ = edgembed_pieces(folder, texts, "--pipeline")
    assert_parity(f"{variant} pipeline / all texts, 3,000 of them with added tokens put in", texts, ours, theirs)


def test_template_as_shipped(tokenizer_variants):
    """Gemma's <bos> x <eos> template (TemplateProcessing) around the whole pipeline, against tokenizers' encode with
    its special tokens, on the STS-B sentences and texts with added tokens put in."""
    source, doc = tokenizer_variants["gemma-trained"]
    contents = [a["content"] for a in doc["added_tokens"]]
    texts = load_texts("stsb_all")[:2000] + added_token_texts(contents, count=1000) + ["", " ", "<bos>", "<eos>x"]
    tok = tokenizers.Tokenizer.from_str(json.dumps(doc))
    theirs = [e.ids for e in tok.encode_batch(texts, add_special_tokens=True)]
    ours, _ = edgembed_pieces(str(Path(source).parent), texts, "--pipeline", "--template")
    assert_parity("gemma-trained with its template", texts, ours, theirs)
    assert theirs[0][0] == tok.token_to_id("<bos>") and theirs[0][-1] == tok.token_to_id("<eos>")


@pytest.mark.skipif(not FULL_SHAPES, reason="informative: with EDGEMBED_FULL_SHAPES=1")
def test_sentencepiece_library_agreement(tokenizer_variants):
    """Informative: how often the sentencepiece library's own EncodeAsIds (the .model the tokenizer.json was made
    from) gives other ids than Hugging Face's fast tokenizer, which edgembed follows. Printed; not asserted."""
    import sentencepiece as spm

    source, doc = tokenizer_variants["gemma-trained"]
    sp = spm.SentencePieceProcessor(model_file=str(Path(source).parent / "tokenizer.model"))
    tok = tokenizers.Tokenizer.from_str(json.dumps(doc))
    for name in TEXT_SETS:
        texts = TEXT_SETS[name]()
        theirs = hf_ids(tok, texts)
        differ = sum(a != b for a, b in zip(sp.encode(texts, out_type=int), theirs))
        print(f"sentencepiece EncodeAsIds vs tokenizers / {name}: {len(texts) - differ:,} of {len(texts):,} equal")


@pytest.mark.parametrize("variant", ("modernbert-base", "gemma-trained"))
@pytest.mark.parametrize("limit", (1, 7, 256))
def test_limit_gives_a_prefix(limit, variant, tokenizer_variants):
    source, doc = tokenizer_variants[variant]
    texts = load_texts("manpages_corpus")[:200] + SENTENCEPIECE_CORNERS
    full, _ = edgembed_pieces(source, texts)
    cut, _ = edgembed_pieces(source, texts, "--limit", str(limit))
    for a, b in zip(full, cut):
        assert len(b) >= min(limit, len(a)) and b == a[:len(b)]


def test_speed_on_manpages(tokenizer_variants):
    """Single-thread throughput on the man pages (printed; no bound: the machines are shared)."""
    texts = load_texts("manpages_corpus")
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    for variant in ("roberta-base", "modernbert-base", "gemma-trained"):
        source, doc = tokenizer_variants[variant]
        _, stderr = edgembed_pieces(source, texts, "--time")
        tok = tokenizers.Tokenizer.from_str(json.dumps(pieces_only(doc)))
        start = time.perf_counter()
        for t in texts:
            tok.encode(t, add_special_tokens=False)
        seconds = time.perf_counter() - start
        print(f"{variant}: edgembed {stderr.strip()}; HF tokenizers {megabytes:.2f} MB in {seconds:.3f} s: "
              f"{megabytes / seconds:.2f} MB/s (encode one text at a time)")


def test_speed_on_100kb_texts(tokenizer_variants):
    """gemma-trained: a 100 KB text (one word: no pre-tokenizer splits it) in one append(): English, Japanese, and a
    text where the chunked merge finds no place to cut. Printed, no bound."""
    source, _ = tokenizer_variants["gemma-trained"]

    def first_100kb(texts: list[str]) -> str:
        return "\n\n".join(texts).encode()[:100_000].decode("utf-8", "ignore")

    shapes = {"man pages": first_100kb(load_texts("manpages_corpus")),
              "Japanese": first_100kb(load_texts("multilingual_ja")), "no cut ('a' x 100,000)": "a" * 100_000}
    for name, text in shapes.items():
        _, stderr = edgembed_pieces(source, [text], "--time")
        print(f"gemma-trained, 100 KB ({name}): {stderr.strip()}")
