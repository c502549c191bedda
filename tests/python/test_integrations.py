"""Bulk embedding through edgembed.integrations: Ray Data (map_batches over a local 2-CPU cluster), Spark (a
pandas UDF under local[2], Debian's OpenJDK), LangChain (Embeddings). Ray and Spark embed 4,000 short texts
(STS-B sentences, numbered; 20,000 with EDGEMBED_FULL_SHAPES=1) with the int8 all-MiniLM-L6-v2 in worker processes; their vectors must equal the
one-process results bit for bit (a text's vector has the same bits whatever the batch around it and the
thread count). `import edgembed` loads none of these frameworks.
"""
from __future__ import annotations

import asyncio
import importlib
import itertools
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import edgembed_cli
from conftest import FULL_SHAPES, load_texts

BULK_TEXTS = 20_000 if FULL_SHAPES else 4_000  # 4,000: several batches per worker

pytestmark = pytest.mark.skipif(not edgembed_cli.available(), reason="edgembed CLI or model not built")


def int8_model() -> str:
    candidate = Path(edgembed_cli.MODEL.replace(".f32.", ".int8."))
    return str(candidate) if candidate.is_file() else edgembed_cli.MODEL


@pytest.fixture(scope="module")
def texts() -> list[str]:
    sentences = load_texts("stsb_all")
    return [f"{s} #{i}" for i, s in enumerate(itertools.islice(itertools.cycle(sentences), BULK_TEXTS))]


@pytest.fixture(scope="module")
def one_process(edgembed_pkg, texts) -> np.ndarray:
    return edgembed_pkg.Model(int8_model()).encode(texts, batch_size=64)


@pytest.fixture
def workers_import_edgembed(edgembed_pkg_dir, monkeypatch):
    """Worker processes (Ray's, Spark's) find the package built for this session."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(edgembed_pkg_dir),
                                                                   os.environ.get("PYTHONPATH")])))


def test_import_edgembed_loads_no_framework(edgembed_pkg_dir):
    code = ("import sys, edgembed, edgembed.integrations; "
            "print(sorted(m for m in ('ray', 'pyspark', 'langchain_core', 'pandas') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(edgembed_pkg_dir)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_ray_data_map_batches(edgembed_pkg, texts, one_process, workers_import_edgembed):
    ray = pytest.importorskip("ray")
    RayEmbedder = importlib.import_module("edgembed.integrations.ray").RayEmbedder
    start = time.monotonic()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=200 * 1024**2)
    try:
        import ray.data

        ds = ray.data.from_items([{"id": i, "text": t} for i, t in enumerate(texts)])
        # Two actors of one thread each, the model (a Model: it pickles as its path) loaded once per actor.
        model = edgembed_pkg.Model(int8_model())
        out = ds.map_batches(RayEmbedder, fn_constructor_kwargs={"model": model, "batch_size": 64},
                             concurrency=2, num_cpus=1, batch_size=1000).to_pandas()
    finally:
        ray.shutdown()
    seconds = time.monotonic() - start
    order = np.argsort(out["id"].to_numpy())
    vectors = np.stack(out["embedding"].to_numpy()[order])
    print(f"Ray Data, {len(texts)} texts, 2 actors x 1 thread: {seconds:.1f} s with cluster start-up")
    assert vectors.shape == one_process.shape and vectors.dtype == np.float32
    assert np.array_equal(vectors, one_process)


def test_ray_embedder_options(edgembed_pkg, texts):
    RayEmbedder = importlib.import_module("edgembed.integrations.ray").RayEmbedder
    model = edgembed_pkg.Model(int8_model())
    embedder = RayEmbedder(int8_model(), text_column="body", output_column="vec", threads=1, truncate_dim=64,
                           precision="binary")
    batch = embedder({"body": np.array(texts[:10], dtype=object)})
    assert np.array_equal(batch["vec"], model.encode(texts[:10], truncate_dim=64, precision="binary"))
    pandas = pytest.importorskip("pandas")
    frame = embedder(pandas.DataFrame({"body": texts[:3]}))
    assert np.array_equal(np.stack(frame["vec"]), batch["vec"][:3])
    with pytest.raises(ValueError, match="calibrat"):
        RayEmbedder(int8_model(), precision="int8")


def test_spark_pandas_udf(edgembed_pkg, texts, one_process, workers_import_edgembed, monkeypatch):
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.fail("java is missing (scripts/setup.sh installs openjdk-17-jre-headless)")
    from pyspark.sql import SparkSession

    embedding_udf = importlib.import_module("edgembed.integrations.spark").embedding_udf
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)
    monkeypatch.setenv("PYSPARK_DRIVER_PYTHON", sys.executable)
    start = time.monotonic()
    spark = (SparkSession.builder.master("local[2]").appName("edgembed-test")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "2")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true")
             .config("spark.driver.memory", "1g").getOrCreate())
    try:
        import pandas as pd

        df = spark.createDataFrame(pd.DataFrame({"id": np.arange(len(texts)), "text": texts})).repartition(2)
        embed = embedding_udf(int8_model(), batch_size=64)
        out = df.withColumn("embedding", embed("text")).select("id", "embedding").toPandas()
    finally:
        spark.stop()
    seconds = time.monotonic() - start
    order = np.argsort(out["id"].to_numpy())
    vectors = np.stack(out["embedding"].to_numpy()[order]).astype(np.float32)
    print(f"Spark local[2], {len(texts)} texts: {seconds:.1f} s with JVM start-up")
    assert vectors.shape == one_process.shape
    assert np.array_equal(vectors, one_process)


def test_langchain_embeddings(edgembed_pkg, texts):
    pytest.importorskip("langchain_core")
    from langchain_core.embeddings import Embeddings
    from langchain_core.vectorstores import InMemoryVectorStore

    EdgembedEmbeddings = importlib.import_module("edgembed.integrations.langchain").EdgembedEmbeddings
    model = edgembed_pkg.Model(int8_model(), prompts={"query": "query: "})
    embeddings = EdgembedEmbeddings(model, batch_size=16)
    assert isinstance(embeddings, Embeddings)
    docs = embeddings.embed_documents(texts[:20])
    assert isinstance(docs, list) and isinstance(docs[0], list) and isinstance(docs[0][0], float)
    assert np.array_equal(np.array(docs, dtype=np.float32), model.encode(texts[:20]))
    query = embeddings.embed_query(texts[3])
    assert np.array_equal(np.array(query, dtype=np.float32), model.encode("query: " + texts[3]))
    assert asyncio.run(embeddings.aembed_query(texts[3])) == query
    assert embeddings.embed_documents([]) == []
    # In a LangChain vector store: a document is its own nearest neighbour.
    store = InMemoryVectorStore.from_texts(texts[:50], EdgembedEmbeddings(int8_model()))
    assert store.similarity_search(texts[7], k=1)[0].page_content == texts[7]
    with pytest.raises(ValueError, match="float32"):
        EdgembedEmbeddings(model, precision="int8")
