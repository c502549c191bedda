"""Shared by the test_*_config_refusals.py files: edit one JSON file of a random-init folder (families.py; every
other file linked, not copied), run the converter (EDGEMBED_CONVERT) and check the refusal."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import families

CONVERT = Path(os.environ.get("EDGEMBED_CONVERT", families.REPO_ROOT / "build" / "tools" / "convert" / "edgembed-convert"))


def edited_copy(folder: Path, out: Path, file: str, changes: dict) -> Path:
    """folder with the JSON file `file` (relative) changed (a value None removes the key); everything else linked."""
    shutil.copytree(folder, out, copy_function=lambda src, dst: Path(dst).symlink_to(src),
                    ignore=shutil.ignore_patterns(".*"))
    target = out / file
    config = json.loads(target.read_text())
    for key, value in changes.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    target.unlink()
    target.write_text(json.dumps(config, indent=2))
    return out


def convert(folder: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CONVERT), str(folder), str(out), "--dtype", "f32", "--no-progress"],
                          capture_output=True, text=True, timeout=600)


def assert_refused(folder: Path, tmp_path: Path, what: str, file: str, changes: dict, fragment: str) -> None:
    """The edited folder's conversion fails, its message holds `fragment` and the file's name, and no file is left."""
    out = tmp_path / "out" / "model.edgembed"
    out.parent.mkdir()
    proc = convert(edited_copy(folder, tmp_path / "folder", file, changes), out)
    print(f"{what}: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else '(no message)'}")
    assert proc.returncode != 0, f"{what}: converted"
    assert fragment in proc.stderr, proc.stderr[-2000:]
    assert file in proc.stderr, proc.stderr[-2000:]
    assert not any(out.parent.iterdir()), "a refused conversion left files behind"
