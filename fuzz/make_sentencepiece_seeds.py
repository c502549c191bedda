#!/usr/bin/env python3
"""Writes the seeds of fuzz_sentencepiece (fuzz/fuzz_sentencepiece.cpp) into fuzz/corpus/sentencepiece/: a tiny
Unigram model trained here on a fixed multilingual text (deterministic: one thread, a fixed seed), once with
nmt_nfkc (its precompiled charsmap is most of the 250 KB) and once with identity normalization, and the
tokenizer.json that transformers writes for the identity one, each followed by a few texts.

Run with the project's venv (sentencepiece, transformers):  .venv/bin/python fuzz/make_sentencepiece_seeds.py
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import sentencepiece as spm

OUT = Path(__file__).resolve().parent / "corpus" / "sentencepiece"
TEXT_SEPARATOR = b"#EDGEMBED-TEXT#"
SEED = 20240611
CORPUS = [
    "The quick brown fox jumps over the lazy dog while the model embeds multilingual text.",
    "Der schnelle braune Fuchs springt über den faulen Hund. Straße, Größe, Übung.",
    "Le renard brun rapide saute par-dessus le chien paresseux. Café, déjà vu, naïve.",
    "Быстрая коричневая лиса прыгает через ленивую собаку.",
    "素早い茶色の狐がのろまな犬を飛び越える。日本語のテキスト。",
    "敏捷的棕色狐狸跳过了懒狗。中文字符。",
    "الثعلب البني السريع يقفز فوق الكلب الكسول.",
    "तेज़ भूरी लोमड़ी आलसी कुत्ते के ऊपर कूदती है।",
    "Ｆｕｌｌｗｉｄｔｈ ｶﾀｶﾅ ① ½ ﬁ \u2581 tabs\tand  spaces 1000000",
]
TEXTS = ["Hello world", "  Straße  ｶﾞ Ａ\u0301 \u2581\u2581x ", "日本語 العربية हिन्दी", "a\tb\r\nc\u3000d\u00a0e",
         "\U0001F600\U0001F600 xxx"]


def train(prefix: Path, rule: str) -> bytes:
    spm.set_random_generator_seed(SEED)
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 20), model_prefix=str(prefix), model_type="unigram", vocab_size=300,
        hard_vocab_limit=False, character_coverage=1.0, normalization_rule_name=rule, unk_id=0, bos_id=1,
        eos_id=2, pad_id=-1, num_threads=1, shuffle_input_sentence=False, minloglevel=2)
    return Path(f"{prefix}.model").read_bytes()


def seed(settings: int, model: bytes) -> bytes:
    return bytes([settings]) + model + b"".join(TEXT_SEPARATOR + t.encode() for t in TEXTS)


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        nfkc = train(Path(tmp) / "nfkc", "nmt_nfkc")
        identity = train(Path(tmp) / "identity", "identity")
        folder = Path(tmp) / "hf"
        folder.mkdir()
        (folder / "sentencepiece.bpe.model").write_bytes(identity)
        from transformers import XLMRobertaTokenizerFast
        tokenizer = XLMRobertaTokenizerFast.from_pretrained(str(folder))
        tokenizer_json = json.dumps(json.loads(tokenizer.backend_tokenizer.to_str()), ensure_ascii=False).encode()
    (OUT / "model_nmt_nfkc").write_bytes(seed(0, nfkc))
    (OUT / "model_identity_fairseq").write_bytes(seed(2 | (7 << 2), identity))
    (OUT / "tokenizer_json").write_bytes(seed(1 | (5 << 2), tokenizer_json))
    for f in sorted(OUT.iterdir()):
        print(f"{f}: {f.stat().st_size} bytes")


if __name__ == "__main__":
    main()
