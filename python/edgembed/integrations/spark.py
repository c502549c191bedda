"""PySpark: a pandas UDF (iterator of Series) that embeds a string column, the model loaded once per Python
worker process (Spark reuses them across tasks: spark.python.worker.reuse, on by default).

    from edgembed.integrations.spark import embedding_udf

    embed = embedding_udf("all-MiniLM-L6-v2.int8.edgembed")
    df = df.withColumn("embedding", embed("text"))   # array<float> per row

Each Spark task runs the model on spark.task.cpus threads (threads=None). On a worker of C cores give an
executor spark.executor.cores = C and spark.task.cpus = T: C / T tasks run at once, each in its own Python
worker holding its own copy of the model (the int8 MiniLM: about 25 MB). Texts arrive in Arrow batches of
spark.sql.execution.arrow.maxRecordsPerBatch rows (10,000 by default).
"""
import os
from typing import Any, Iterator, Optional, Union

from ..model import Model
from ._worker_model import model_spec, worker_model


# No `from __future__ import annotations` here: pandas_udf reads the inner function's type hints, which
# must be real types (Iterator[pd.Series]), not strings naming a local import.
def embedding_udf(model: Union[str, "os.PathLike[str]", Model], *, threads: Optional[int] = None, batch_size: int = 32,
                  **encode_options: Any):
    """A pandas_udf(ArrayType(FloatType())) over a string column. model: a model file, a Hugging Face folder
    (converted here, on the driver, into the cache) or a Model; it reaches the executors as its path and
    options. encode_options go to Model.encode (prompt_name, normalize_embeddings, truncate_dim, ...);
    precision other than float32 is refused (int8 / uint8 would calibrate per batch; binary packs bytes
    that a float column cannot hold)."""
    import pandas as pd
    from pyspark.sql.functions import pandas_udf
    from pyspark.sql.types import ArrayType, FloatType

    if encode_options.get("precision", "float32") != "float32":
        raise ValueError("embedding_udf gives float vectors: quantize afterwards with edgembed.quantize_embeddings")
    spec = model_spec(model)

    @pandas_udf(ArrayType(FloatType()))
    def embed(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
        encoder = worker_model(spec)
        count = threads if threads is not None else _task_cpus()
        for texts in batches:
            vectors = encoder.encode(texts.tolist(), batch_size=batch_size, threads=count, **encode_options)
            yield pd.Series(list(vectors))

    return embed


def _task_cpus() -> Optional[int]:
    from pyspark import TaskContext

    context = TaskContext.get()
    return context.cpus() if context is not None else None
