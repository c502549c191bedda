"""Bulk and framework integrations, each imported on its own so that `import edgembed` needs none of them:

    edgembed.integrations.ray        RayEmbedder: a callable class for ray.data.Dataset.map_batches
    edgembed.integrations.spark      embedding_udf(): a pandas UDF (iterator of Series) for PySpark
    edgembed.integrations.langchain  EdgembedEmbeddings: langchain_core.embeddings.Embeddings
"""
