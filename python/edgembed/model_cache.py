"""Hugging Face / sentence-transformers folders as edgembed models: converted once into a cache, reused after.

The cache lives in $EDGEMBED_CACHE_DIR, else $XDG_CACHE_HOME/edgembed, else ~/.cache/edgembed:

    models/<folder name>-<key>.<dtype>.edgembed   a converted model
    file-hashes.json                               content hashes of the files read, by (path, size, mtime, inode)

The key is a BLAKE2b hash of: the edgembed version (a new converter converts anew), the dtype, and for every
file of the folder (sorted by relative name) its name, size and content hash. Skipped: hidden files and
folders, and other runtimes' exports that the converter never reads (onnx/, openvino/, *.onnx, *.h5,
*.msgpack, *.ot, *.gguf, *.tflite). So a changed file (config, tokenizer, weights) gives a new key, and an
unchanged folder the same key wherever it lies. Content hashes are streamed (1 MiB at a time) and remembered
in file-hashes.json by (absolute path, size, mtime_ns, inode): the first load of a 400 MB folder reads it
once (about 0.5 s), later loads only stat its files.

Writes are atomic: a conversion writes a temporary file in models/ and renames it into place, and a lock
file (models/<name>.lock) makes concurrent processes (Ray or Spark workers starting together) wait for one
conversion instead of running their own.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Callable

DTYPES = ("f32", "f16", "int8")
_SKIPPED_DIRS = {"onnx", "openvino"}
_SKIPPED_SUFFIXES = {".onnx", ".h5", ".msgpack", ".ot", ".gguf", ".tflite"}
_CHUNK = 1 << 20


def cache_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder: override, else $EDGEMBED_CACHE_DIR, else $XDG_CACHE_HOME/edgembed, else ~/.cache/edgembed."""
    if override is not None:
        return Path(override)
    if os.environ.get("EDGEMBED_CACHE_DIR"):
        return Path(os.environ["EDGEMBED_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "edgembed"


def is_model_folder(path: Path) -> bool:
    """Whether path is a folder a conversion can start from (it has a config.json, or modules.json naming one)."""
    return path.is_dir() and ((path / "config.json").is_file() or (path / "modules.json").is_file())


def _folder_files(folder: Path) -> list[Path]:
    files = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS)
        for name in sorted(names):
            if name.startswith(".") or os.path.splitext(name)[1] in _SKIPPED_SUFFIXES:
                continue
            path = Path(root) / name
            if path.is_file():
                files.append(path)
    return files


class _HashIndex:
    """file-hashes.json: content hashes by (absolute path, size, mtime_ns, inode)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.entries = json.loads(path.read_text())
            if not isinstance(self.entries, dict):
                self.entries = {}
        except (OSError, ValueError):
            self.entries = {}
        self.changed = False

    def content_hash(self, file: Path) -> str:
        stat = file.stat()
        stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        key = str(file.resolve())
        entry = self.entries.get(key)
        if isinstance(entry, list) and entry[:3] == stamp and len(entry) == 4:
            return entry[3]
        digest = hashlib.blake2b(digest_size=16)
        with open(file, "rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
        self.entries[key] = stamp + [digest.hexdigest()]
        self.changed = True
        return digest.hexdigest()

    def save(self) -> None:
        if not self.changed:
            return
        _write_atomically(self.path, json.dumps(self.entries).encode())


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def folder_key(folder: Path, dtype: str, version: str, index: _HashIndex) -> str:
    digest = hashlib.blake2b(digest_size=8)
    digest.update(f"edgembed {version}\0dtype {dtype}\0".encode())
    for file in _folder_files(folder):
        name = file.relative_to(folder).as_posix()
        digest.update(f"{name}\0{file.stat().st_size}\0{index.content_hash(file)}\0".encode())
    return digest.hexdigest()


class _Lock:
    """An exclusive lock on a file while converting (fcntl; a no-op where fcntl is missing)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> "_Lock":
        self.file = open(self.path, "a+b")
        try:
            import fcntl

            fcntl.flock(self.file.fileno(), fcntl.LOCK_EX)
        except ImportError:
            pass
        return self

    def __exit__(self, *exc) -> None:
        self.file.close()  # releases the lock


def cached_model_file(folder: str | os.PathLike[str], dtype: str, version: str,
                      convert: Callable[[str, str, str], dict], cache: str | os.PathLike[str] | None = None) -> Path:
    """The model file converted from `folder` with `dtype`, converting it into the cache first if it is not
    there. convert(hf_dir, out_path, dtype) does the conversion."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
    folder = Path(folder).resolve()
    root = cache_dir(cache)
    models = root / "models"
    models.mkdir(parents=True, exist_ok=True)
    index = _HashIndex(root / "file-hashes.json")
    key = folder_key(folder, dtype, version, index)
    index.save()
    target = models / f"{folder.name}-{key}.{dtype}.edgembed"
    if target.is_file():
        return target
    with _Lock(models / f"{folder.name}-{key}.{dtype}.lock"):
        if target.is_file():  # converted by another process while this one waited
            return target
        fd, tmp = tempfile.mkstemp(dir=models, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
        try:
            convert(str(folder), tmp, dtype)
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
    return target
