"""The benchmark runner cannot rot: `python -m benchmarks.run --quick` on two tiny
workloads measures, verifies against numpy and writes its reports; a wrong result is
reported as a mismatch; a changed example fails loudly; a docs page keeps its
hand-written notes. No timing is asserted (performance lives in the benchmarks).
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _import(name: str) -> ModuleType:
    """The repository's `benchmarks.<name>`: xDSL installs a top-level `benchmarks`
    package of its own, so the repository root has to come first on the path."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    module = importlib.import_module(f"benchmarks.{name}")
    assert Path(module.__file__).parent == ROOT / "benchmarks", module.__file__
    return module


def _has_torch() -> bool:
    return importlib.util.find_spec("torch") is not None


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("bench")
    command = [sys.executable, "-m", "benchmarks.run", "--quick", "--no-inductor"]
    command += ["--workloads", "softmax,add_layer_norm", "--shapes", "8x48", "--out", str(out)]
    done = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out, json.loads((out / "benchmarks.json").read_text())


def test_quick_run_measures_and_verifies_every_implementation(quick_run):
    _, results = quick_run
    threads = results["meta"]["threads"]
    cases = {(g["workload"], g["shape"], g["threads"]) for g in results["groups"]}
    assert cases == {(w, "8x48", n) for w in ("softmax", "add_layer_norm") for n in threads}
    expected = {"mlc", "mlc_out"} | ({"torch"} if _has_torch() else set())
    for group in results["groups"]:
        assert not group["failures"]
        implementations = group["implementations"]
        assert expected | ({"numpy"} if group["threads"] == 1 else set()) == set(implementations)
        rounds = len(group["copy_times_s"])  # the copy probe is timed in every round
        assert rounds >= results["meta"]["budget"]["min_reps"] and group["copy_gbps"] > 0
        for name, fact in implementations.items():
            assert fact["ok"], (group["workload"], name, fact["error"])
            assert fact["reps"] == len(fact["times_s"]) == rounds
            assert 0 < fact["min_s"] <= fact["median_s"] <= fact["max_s"]
            assert fact["gbps"] > 0 and fact["copy_fraction"] > 0
    cold = results["compile"]["softmax"]["cold"]
    assert cold["import_s"] > 0 and cold["compile_s"] > 0, cold


def test_quick_run_writes_markdown_and_chart_but_not_the_docs(quick_run):
    out, _ = quick_run
    page = (out / "benchmarks.md").read_text()
    assert "| softmax | 8x48 |" in page and "| add_layer_norm | 8x48 |" in page
    assert "Every result matched numpy within the tolerance." in page
    assert "## Compile time" in page
    if importlib.util.find_spec("matplotlib"):
        assert (out / "benchmarks.png").read_bytes().startswith(b"\x89PNG")
    assert _import("run").parse_args(["--quick"]).docs is None  # only a full run rewrites docs/


def test_a_wrong_result_is_reported_not_hidden(tmp_path, monkeypatch):
    run, workloads = _import("run"), _import("workloads")
    wrong = workloads.WORKLOADS["row_sum"]
    off_by_one = dataclasses.replace(wrong, numpy=lambda x: x.sum(axis=-1) + 1)
    monkeypatch.setitem(workloads.WORKLOADS, "row_sum", off_by_one)
    args = ["--quick", "--no-torch", "--no-compile-time", "--threads", "1"]
    args += ["--workloads", "row_sum", "--shapes", "4x16", "--out", str(tmp_path)]
    assert run.main(args) == 0
    group = json.loads((tmp_path / "benchmarks.json").read_text())["groups"][0]
    assert not group["implementations"]["mlc"]["ok"]
    assert group["implementations"]["numpy"]["ok"]  # the reference agrees with itself
    page = (tmp_path / "benchmarks.md").read_text()
    assert "row_sum 4x16 1t mlc: error" in page and "(mismatch; timed anyway)" in page
    assert " ✗" in page


def test_max_error_judges_values_against_their_row():
    max_error = _import("workloads").max_error
    expected = np.array([[1.0, 0.0, -1.0]], dtype=np.float32)
    assert max_error(expected + np.float32(1e-6), expected) < 1e-5  # 0 is not divided by
    assert max_error(expected * 2, expected) == pytest.approx(1.0)
    assert max_error(np.full_like(expected, np.nan), expected) == float("inf")
    assert max_error(expected[:, :2], expected) == float("inf")
    assert max_error((expected, expected), (expected, expected + 1)) > 0.5


def test_examples_are_renamed_or_rejected():
    workloads = _import("workloads")
    text = workloads.from_example("softmax", {8: 3, 128: 5})
    assert "tensor<3x5xf32>" in text and "128" not in text and "//" not in text
    with pytest.raises(ValueError, match=r"dims: softmax\.mlir has dim 128"):
        workloads.from_example("softmax", {8: 3})
    with pytest.raises(ValueError, match="occurs 0 times"):
        workloads.from_example("softmax", {8: 3, 128: 5}, {"nn.gelu": "x"})


def test_every_workload_builds_valid_inputs_and_has_a_torch_twin():
    workloads = _import("workloads")
    for workload in workloads.WORKLOADS.values():
        shape = workload.shape_for((4, 8), quick=True)
        inputs = workloads.make_inputs(workload.source(shape))
        assert inputs and all(a.dtype == np.float32 for a in inputs)
        workload.numpy(*inputs)  # the numpy twin takes exactly the program's arguments
    if _has_torch():
        assert set(workloads.torch_implementations()) == set(workloads.WORKLOADS)


def test_docs_page_keeps_its_hand_written_notes(quick_run, tmp_path):
    out, _ = quick_run
    run, report = _import("run"), _import("report")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "benchmarks.md").write_text(f"old table\n{report.MARKER}\n## Notes\nkeep me\n")
    args = ["--report-only", str(out / "benchmarks.json"), "--out", str(tmp_path / "r")]
    assert run.main([*args, "--docs", str(docs)]) == 0
    page = (docs / "benchmarks.md").read_text()
    assert "old table" not in page and page.endswith(f"{report.MARKER}\n## Notes\nkeep me\n")
    assert "| softmax | 8x48 |" in page.partition(report.MARKER)[0]
