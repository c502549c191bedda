"""Trains an XLM-RoBERTa-style SentencePiece model on the multilingual text and saves it as a Hugging Face
tokenizer folder, for the SentencePiece parity tests (the real XLM-R model, 250k pieces, cannot be had here).

  <repo>/.cache/tokenizers/xlmr-style/       sentencepiece.bpe.model + what XLMRobertaTokenizerFast, loaded
                                              from it, save_pretrained writes (tokenizer.json, tokenizer_config.json)
  <repo>/.cache/tokenizers/xlmr-style-json/  the same without the .model: tokenizer.json (and the configs)

The settings are those of XLM-R's sentencepiece.bpe.model as far as they are known (a Unigram model despite
the file name; fairseq's pieces <unk>=0 <s>=1 </s>=2, no <pad>, no byte fallback; nmt_nfkc normalization
with the dummy prefix, extra-whitespace removal and whitespace escaping; character_coverage 0.99995; pieces
of at most 16 characters, split by Unicode script, whitespace and numbers), with a smaller vocabulary.
Deterministic: one thread, a fixed seed, the input in a fixed order (load_texts("multilingual") line by line).
Needs scripts/fetch_multilingual_text.sh's output. Takes about 2 minutes.

Usage: .venv/bin/python scripts/make_xlmr_tokenizer.py [--vocab-size 32000] [--out DIR] [--force]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from pathlib import Path

import sentencepiece as spm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools" / "eval"))
from edgembed_eval.data import load_texts  # noqa: E402

SEED = 20240611


def training_sentences() -> list[str]:
    # One sentence per line of each text, as spm_train reads a corpus file; blank lines carry nothing.
    return [line for text in load_texts("multilingual") for line in text.split("\n") if line.strip()]


def train(prefix: Path, vocab_size: int) -> None:
    """Writes <prefix>.model (and removes the <prefix>.vocab listing spm_train writes beside it)."""
    spm.set_random_generator_seed(SEED)
    sentences = training_sentences()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_prefix=str(prefix),
        model_type="unigram",
        vocab_size=vocab_size,
        character_coverage=0.99995,
        normalization_rule_name="nmt_nfkc",
        add_dummy_prefix=True,
        remove_extra_whitespaces=True,
        # escape_whitespaces is not a trainer flag: SentencePiece always sets it (the model shows it true).
        byte_fallback=False,
        max_sentencepiece_length=16,
        split_by_unicode_script=True,
        split_by_whitespace=True,
        split_by_number=True,
        split_digits=False,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        input_sentence_size=0,          # every sentence: no sampling
        shuffle_input_sentence=False,
        num_threads=1,
        minloglevel=2,
    )
    Path(f"{prefix}.vocab").unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vocab-size", type=int, default=32000)
    parser.add_argument("--out", type=Path, default=REPO / ".cache" / "tokenizers" / "xlmr-style")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()

    out: Path = args.out
    json_only = out.with_name(out.name + "-json")
    model = out / "sentencepiece.bpe.model"
    if model.exists() and (json_only / "tokenizer.json").exists() and not args.force:
        print(f"{out} exists (--force rewrites it)")
        return
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(json_only, ignore_errors=True)
    out.mkdir(parents=True)
    train(out / "sentencepiece.bpe", args.vocab_size)  # XLM-R's file name

    from transformers import XLMRobertaTokenizerFast  # after training: transformers is slow to import

    # transformers 5 converts the .model when it loads a folder holding it (XLMRobertaTokenizerFast(vocab_file=)
    # alone no longer does: it gives the 5 specials).
    tokenizer = XLMRobertaTokenizerFast.from_pretrained(str(out))
    assert len(tokenizer) == args.vocab_size + 2, len(tokenizer)  # + <pad> and <mask>
    tokenizer.save_pretrained(str(out))
    json_only.mkdir(parents=True)
    for f in out.iterdir():
        if f.name != model.name:
            shutil.copy(f, json_only / f.name)
    digest = hashlib.sha256(model.read_bytes()).hexdigest()[:16]
    print(f"{model}: {len(tokenizer)} ids, sha256 {digest}...; {json_only}: {sorted(p.name for p in json_only.iterdir())}")


if __name__ == "__main__":
    main()
