"""Compile time of `mlc.compile`, measured in fresh Python processes.

Cold: a new process with an empty compile cache (`MLC_CACHE_DIR` pointed at a new
temporary folder) times `import mlc` (with the runtime modules that `mlc.compile`
imports on first use) and the first `mlc.compile`; the same process
then compiles the program again ("warm, in-process"). When that first process left
files in the cache folder, mlc has an on-disk compile cache, and a second fresh
process compiles the program against it ("warm cache, fresh process"); without one,
that figure is reported as absent. mlc versions that ignore `MLC_CACHE_DIR` are
measured the same way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["measure_compile_time"]

REPO = Path(__file__).resolve().parents[1]

_SCRIPT = """
import json, sys, time
start = time.perf_counter()
import mlc
compile = mlc.compile  # imports the runtime (numpy, ...), which `import mlc` defers
imported = time.perf_counter()
source = open(sys.argv[1]).read()
compile(source)
compiled = time.perf_counter()
compile(source)
recompiled = time.perf_counter()
print(json.dumps({"import_s": imported - start, "compile_s": compiled - imported,
                  "second_compile_s": recompiled - compiled}))
"""


def _compile_in_fresh_process(source_path: Path, cache_dir: Path) -> dict[str, Any]:
    env = {**os.environ, "MLC_CACHE_DIR": str(cache_dir)}
    env.pop("MLC_CACHE", None)  # the cache is on by default; a user's "off" would hide it
    begin = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(source_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - begin
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "process_wall_s": wall}


def measure_compile_time(source: str) -> dict[str, Any]:
    """Cold and warm compile times of `source` (see the module docstring).

    Keys: `cold` and `warm_cache` (each a dict of `import_s`, `compile_s`,
    `second_compile_s`, `process_wall_s`, or `error`; `warm_cache` is None without an
    on-disk cache) and `has_disk_cache`.
    """
    with tempfile.TemporaryDirectory(prefix="mlc-bench-") as scratch:
        source_path = Path(scratch) / "program.mlir"
        source_path.write_text(source)
        cache_dir = Path(scratch) / "cache"
        cache_dir.mkdir()
        cold = _compile_in_fresh_process(source_path, cache_dir)
        has_disk_cache = any(cache_dir.iterdir())
        warm = _compile_in_fresh_process(source_path, cache_dir) if has_disk_cache else None
    return {"cold": cold, "warm_cache": warm, "has_disk_cache": has_disk_cache}
