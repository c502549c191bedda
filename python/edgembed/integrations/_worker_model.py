"""One loaded Model per worker process for each model spec, so that a framework that runs many tasks in one
worker process (Spark's reused Python workers) loads the model once, not once per task."""
from __future__ import annotations

import os
import pickle
import threading
from typing import Union

from ..model import Model

ModelSource = Union[str, "os.PathLike[str]", Model]

_models: dict[bytes, Model] = {}
_lock = threading.Lock()


def model_spec(model: ModelSource, **options) -> bytes:
    """A picklable description of a model (its path and options): a Model, or a path (model file or Hugging
    Face folder, converted here, in the calling process, so that workers on this machine find it in the
    cache) with Model's keyword options."""
    if not isinstance(model, Model):
        model = Model(model, **options)
    elif options:
        raise ValueError("options go to Model(path, ...); pass either a path with options or a Model")
    return pickle.dumps(model)


def worker_model(spec: bytes) -> Model:
    """The Model of a spec, loaded once per process."""
    with _lock:
        model = _models.get(spec)
        if model is None:
            model = _models[spec] = pickle.loads(spec)
        return model
