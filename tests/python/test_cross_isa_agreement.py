"""The same vectors on every ISA path and architecture (issue 15): a vector index built on a server and
queried from a phone must see the same vectors.

Held-out texts (STS-B test sentences and man pages that no other test or calibration uses) are embedded with
the f32, f16 and int8 MiniLM models under every EDGEMBED_FORCE_ISA the host allows (scalar, sse2, avx2,
avx512bw). Every pair of paths must agree to min cosine >= 0.99999; the kernels that feed int8 activation
quantization give the same bits on every ISA (simd/f32_row_kernels.hpp, quant/attention_bf16.h), so int8 and
f16 vectors are in fact identical there, and f32 / f16 paths differ at most in the last bits of GEMMs. A 3-layer
random ModernBERT's int8 vectors (the tiled attention in bf16) must be identical on every vector ISA.
Each path also keeps the model's own bound against the f32 model (test_quantized_quality.py).

With EDGEMBED_AARCH64_CLI (an aarch64 build's CLI, scripts/ci_aarch64.sh sets it) the same texts also run
under qemu-aarch64 for each CPU in EDGEMBED_AARCH64_CPUS (cortex-a72: no dotprod, cortex-a76: dotprod) and
must agree with the x86-64 vectors the same way; there, fewer texts keep qemu's time small, and CI runs f16 on
the first CPU only (dotprod is used by the int8 GEMM alone).
"""
from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import edgembed_cli
from conftest import FULL_SHAPES, load_texts
from test_quantized_quality import F16_MIN_COSINE, INT8_MEAN_COSINE, INT8_MIN_COSINE, cosines, model

AGREEMENT = 0.99999
DTYPES = ("f32", "f16", "int8")
MAX_LENGTH = 512
# CI: f32 on the best ISA only (the reference of the bound test; f32 agreed to 0.99999988 on every path before
# this test existed) and one man page; EDGEMBED_FULL_SHAPES=1: f32 on every path and three pages.


def isas_for(dtype: str) -> list[str]:
    return available_isas() if FULL_SHAPES or dtype != "f32" else available_isas()[-1:]


def available_isas() -> list[str]:
    """The x86 EDGEMBED_FORCE_ISA values this CPU runs, least capable first."""
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    isas = ["scalar", "sse2"]
    if " avx2" in flags and " fma" in flags:
        isas.append("avx2")
    if all(f" {f}" in flags for f in ("avx512f", "avx512bw", "avx512dq", "avx512cd")):
        isas.append("avx512bw")
    return isas


def held_out_sentences() -> list[str]:
    """74 STS-B test sentences: every 34th of the sorted 2,552 from the 61st (test_quantized_quality.py's STS-B
    checks use the whole split against f32, not across ISAs)."""
    return sorted(set(load_texts("stsb_test")))[60::34]


def held_out_pages() -> list[str]:
    """Man page 11 (11-13 with EDGEMBED_FULL_SHAPES=1), cut at 512 tokens: long attention rows, where last-bit differences grew most. (Eight
    pages gave the same results at three times the cost.)"""
    return load_texts("manpages_corpus")[10:13 if FULL_SHAPES else 11]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return held_out_sentences() + held_out_pages()


@pytest.fixture(scope="module")
def vectors(texts: list[str]) -> dict[tuple[str, str], np.ndarray]:
    """(dtype, isa) -> vectors, for every dtype and ISA path of this host."""
    out = {}
    for dtype in DTYPES:
        for isa in isas_for(dtype):
            os.environ["EDGEMBED_FORCE_ISA"] = isa
            try:
                out[dtype, isa] = edgembed_cli.embed(texts, model=model(dtype), max_length=MAX_LENGTH)
            finally:
                del os.environ["EDGEMBED_FORCE_ISA"]
    return out


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_isa_pair_agrees(dtype: str, vectors: dict) -> None:
    isas = isas_for(dtype)
    for a, b in itertools.combinations(isas, 2):
        c = cosines(vectors[dtype, a], vectors[dtype, b])
        identical = np.array_equal(vectors[dtype, a], vectors[dtype, b])
        print(f"{dtype} {a} vs {b}: min cosine {c.min():.8f}{' (identical)' if identical else ''}")
        assert c.min() >= AGREEMENT, (dtype, a, b)


@pytest.mark.parametrize("dtype", ["f16", "int8"])
def test_every_isa_path_keeps_its_bound_against_f32(dtype: str, vectors: dict) -> None:
    best = available_isas()[-1]
    for isa in available_isas():
        c = cosines(vectors[dtype, isa], vectors["f32", best])
        print(f"{dtype} {isa} vs f32 ({best}): mean cosine {c.mean():.6f}, min {c.min():.6f}")
        if dtype == "f16":
            assert c.min() >= F16_MIN_COSINE, isa
        else:
            assert c.mean() >= INT8_MEAN_COSINE and c.min() >= INT8_MIN_COSINE, isa


def test_modernbert_int8_is_the_same_on_every_isa(tmp_path: Path) -> None:
    """ModernBERT int8 (the tiled attention with bf16 products, issue 17: vdpbf16ps or its emulation) gives the same
    vectors on every vector ISA path, on man pages past its 128-token window (3 layers: two local, one global;
    the scalar ISA runs the same attention code, too slowly for CI)."""
    from test_family_parity import convert, folder_of, manpage_texts, parity_layers

    model = convert(folder_of("modernbert", "modernbert-base", parity_layers("modernbert")), "int8", tmp_path)
    texts = manpage_texts(3)
    vectors = {}
    for isa in available_isas()[1:]:
        os.environ["EDGEMBED_FORCE_ISA"] = isa
        try:
            vectors[isa] = edgembed_cli.embed(texts, model=str(model), max_length=1024)
        finally:
            del os.environ["EDGEMBED_FORCE_ISA"]
    for a, b in itertools.combinations(vectors, 2):
        assert np.array_equal(vectors[a], vectors[b]), (a, b, cosines(vectors[a], vectors[b]).min())


AARCH64_CLI = os.environ.get("EDGEMBED_AARCH64_CLI")
AARCH64_CPUS = os.environ.get("EDGEMBED_AARCH64_CPUS", "cortex-a72 cortex-a76").split()
QEMU = os.environ.get("EDGEMBED_QEMU", "/usr/bin/qemu-aarch64-static")


@pytest.mark.skipif(not AARCH64_CLI, reason="EDGEMBED_AARCH64_CLI not set (scripts/ci_aarch64.sh sets it)")
@pytest.mark.parametrize("dtype", ["f16", "int8"])
@pytest.mark.parametrize("cpu", AARCH64_CPUS)
def test_aarch64_agrees_with_x86(dtype: str, cpu: str, tmp_path: Path) -> None:
    if dtype != "int8" and cpu != AARCH64_CPUS[0] and not FULL_SHAPES:
        pytest.skip("the CPUs differ in dotprod, which only the int8 GEMM uses: f16 on the first CPU in CI")
    # qemu runs the aarch64 CLI at a few percent of native speed: 24 sentences and 1 man page.
    texts = held_out_sentences()[:24] + held_out_pages()[:1]
    x86 = edgembed_cli.embed(texts, model=model(dtype), max_length=MAX_LENGTH)
    (tmp_path / "texts.jsonl").write_text(edgembed_cli._jsonl(texts))
    out = tmp_path / "arm.npy"
    subprocess.run([QEMU, AARCH64_CLI, "embed", "-m", model(dtype), "--input", "jsonl", "--output", "npy",
                    "--max-length", str(MAX_LENGTH), "-o", str(out), str(tmp_path / "texts.jsonl")],
                   check=True, capture_output=True, env={**os.environ, "QEMU_CPU": cpu})
    arm = np.load(out)
    c = cosines(x86, arm)
    print(f"{dtype} aarch64 ({cpu}) vs x86-64: min cosine {c.min():.8f}"
          f"{' (identical)' if np.array_equal(x86, arm) else ''}")
    assert c.min() >= AGREEMENT
