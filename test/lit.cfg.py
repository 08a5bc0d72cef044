"""lit configuration for mlc's FileCheck tests (`lit -sv test`).

Tests run in lit's internal shell (`not`, pipes, `&&` work everywhere). `%mlc-opt` is
the installed `mlc-opt` console script, and `MLC_ROUNDTRIP` checks that a file prints,
re-parses from the generic form and prints the same again::

    // RUN: MLC_ROUNDTRIP
"""

# ruff: noqa: F821 -- lit injects `config` and `lit_config` into this file's globals.

import os
import platform
import shutil
import sys

import lit.formats

config.name = "mlc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".py"]
# lit.cfg.py would match ".py"; Inputs hold files that tests read; python/ is pytest's.
config.excludes = ["lit.cfg.py", "Inputs", "python"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = config.test_source_root

repo_root = os.path.dirname(config.test_source_root)
venv_bin = os.path.dirname(sys.executable)  # lit runs from the project's virtualenv
config.environment["PATH"] = os.pathsep.join(
    [venv_bin, config.environment.get("PATH", os.environ["PATH"])]
)
# Python tests import the mlc of this checkout, and nothing an outer PYTHONPATH adds.
config.environment["PYTHONPATH"] = repo_root
# Each test compiles what it checks: no compile cache shared across runs.
config.environment["MLC_CACHE"] = "0"

mlc_opt = shutil.which("mlc-opt", path=config.environment["PATH"])
if mlc_opt is None:
    lit_config.fatal("mlc-opt is not installed in this environment; run `pip install -e .` first")

config.substitutions.append(("%mlc-opt", mlc_opt))
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(
    (
        "MLC_ROUNDTRIP",
        f"{mlc_opt} %s --print-op-generic --split-input-file"
        f" | {mlc_opt} --split-input-file | filecheck %s",
    )
)

# `REQUIRES: x86_64` marks tests of this host's assembly.
config.available_features.add(platform.machine())
