"""A Gemma3 / EmbeddingGemma-style tokenizer trained on real text, for the tokenizer parity tests (the real one,
262k pieces, cannot be had here).

    make_gemma_tokenizer() -> <repo>/.cache/tokenizers/gemma-style/   (made on first use, then cached)
        tokenizer.model        a SentencePiece BPE model (byte_fallback) trained here with the sentencepiece library
        tokenizer.json, tokenizer_config.json
                               what transformers' GemmaTokenizer, converted from tokenizer.model (SentencePieceExtractor:
                               the vocab and merges of the .model), writes with save_pretrained

The trainer settings are Gemma 3's as its .model and transformers' GemmaConverter show them: BPE with byte fallback,
identity normalization (no NFKC), no dummy prefix, whitespace kept as it is (runs and newlines too), split by
Unicode script, whitespace and numbers, digits one by one, whitespace-only pieces allowed; <pad>=0 <eos>=1 <bos>=2
<unk>=3, then user-defined pieces (<mask>, [multimodal], <unusedN>, <start_of_turn>, <end_of_turn>,
<start_of_image>, <end_of_image>) and the 256 byte pieces. The tokenizer.json is GemmaTokenizer's: model BPE
(byte_fallback, fuse_unk, unk "<unk>"), normalizer Replace(" ", "▁"), pre_tokenizer Split(" ",
merged_with_previous), TemplateProcessing "<bos> $A <eos>" (add_bos_token and add_eos_token, as EmbeddingGemma's
tokenizer_config.json sets them), the control and user-defined pieces as added tokens (normalized false).

Text: STS-B (all), the man pages and the multilingual text (scripts/fetch_multilingual_text.sh; left out when
missing), paragraph by paragraph (newlines inside a paragraph kept), in a fixed order. Deterministic: one thread,
a fixed seed, every paragraph, no shuffling.

    .venv/bin/python tests/python/gemma_tokenizer.py [--out DIR] [--force]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import tempfile
from pathlib import Path

from families import CACHE, _locked  # families also sets the offline environment and the tools/eval path

GEMMA_PIECES = 16000
SEED = 20240613
# Gemma 3's user-defined pieces (a few of its 6,410), in its order; <start_of_turn> / <end_of_turn> are special in
# transformers' GemmaConverter.
USER_DEFINED = (["<mask>", "[multimodal]"] + [f"<unused{i}>" for i in range(4)]
                + ["<start_of_turn>", "<end_of_turn>", "<start_of_image>", "<end_of_image>"])
MAX_PARAGRAPH_BYTES = 4000  # the trainer skips longer sentences (max_sentence_length 4192)


def _is_gemma_folder(path: Path) -> bool:
    return all((path / n).is_file() for n in ("tokenizer.model", "tokenizer.json", "tokenizer_config.json"))


def training_paragraphs() -> list[str]:
    from edgembed_eval import data

    texts = data.load_texts("stsb_all") + data.load_texts("manpages_corpus")
    with contextlib.suppress(data.MissingData, KeyError):
        texts += data.load_texts("multilingual")
    out = []
    for text in texts:
        for paragraph in text.split("\n\n"):
            if paragraph.strip() and len(paragraph.encode()) <= MAX_PARAGRAPH_BYTES:
                out.append(paragraph)
    return out


def train(prefix: Path, pieces: int) -> None:
    import sentencepiece as spm

    spm.set_random_generator_seed(SEED)
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(training_paragraphs()),
        model_prefix=str(prefix),
        model_type="bpe",
        vocab_size=pieces,
        byte_fallback=True,
        character_coverage=0.9995,
        normalization_rule_name="identity",
        add_dummy_prefix=False,
        remove_extra_whitespaces=False,
        split_by_unicode_script=True,
        split_by_number=True,
        split_by_whitespace=True,
        treat_whitespace_as_suffix=False,
        allow_whitespace_only_pieces=True,
        split_digits=True,
        max_sentencepiece_length=16,
        pad_id=0, eos_id=1, bos_id=2, unk_id=3,
        pad_piece="<pad>", eos_piece="<eos>", bos_piece="<bos>", unk_piece="<unk>",
        user_defined_symbols=USER_DEFINED,
        input_sentence_size=0,
        shuffle_input_sentence=False,
        num_threads=1,
        minloglevel=2,
    )
    Path(f"{prefix}.vocab").unlink(missing_ok=True)


def make_gemma_tokenizer(out: Path = CACHE / "tokenizers" / "gemma-style", pieces: int = GEMMA_PIECES,
                         force: bool = False) -> Path:
    """The folder (see the module's docstring), trained on first use."""
    if _is_gemma_folder(out) and not force:
        return out
    with _locked(out), tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        if _is_gemma_folder(out) and not force:
            return out
        folder = Path(tmp) / "folder"
        folder.mkdir()
        train(folder / "tokenizer", pieces)
        from transformers import GemmaTokenizer

        # transformers converts the .model when it loads a folder holding it (convert_to_native_format:
        # SentencePieceExtractor gives the vocab, the merges and the control / user-defined pieces).
        (folder / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "GemmaTokenizer"}))
        tokenizer = GemmaTokenizer.from_pretrained(str(folder), add_bos_token=True, add_eos_token=True,
                                                   model_max_length=2048, padding_side="right")
        assert len(tokenizer) == pieces, (len(tokenizer), pieces)
        tokenizer.save_pretrained(str(folder))
        config_path = folder / "tokenizer_config.json"
        config = json.loads(config_path.read_text())
        for key in ("is_local", "local_files_only", "name_or_path", "special_tokens_map_file", "vocab_file"):
            config.pop(key, None)
        config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
        (folder / "README.md").write_text(
            f"Gemma3-style tokenizer: SentencePiece BPE with byte fallback, {pieces} pieces, trained with sentencepiece "
            "on STS-B (all) + Linux man pages + the multilingual text by tests/python/gemma_tokenizer.py; tokenizer.json "
            "written by transformers' GemmaTokenizer.\n")
        shutil.rmtree(out, ignore_errors=True)
        folder.rename(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=CACHE / "tokenizers" / "gemma-style")
    parser.add_argument("--pieces", type=int, default=GEMMA_PIECES)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    out = make_gemma_tokenizer(args.out, args.pieces, args.force)
    print(f"{out}: {sorted(p.name for p in out.iterdir())}")


if __name__ == "__main__":
    main()
