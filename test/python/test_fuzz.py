"""The differential fuzzer, the minimizer, debug counters and the decision bisector.

`test_fuzzed_programs_match_the_interpreter` is the bounded CI run of
`python -m mlc.testing.fuzz`: 200 small seeded programs, each compiled for the CPU
with a random pipeline and thread count and compared with the interpreter. A
failure prints the minimized reproducer (rerun one chunk with `-k 'chunk_3'`).

The bisector is tested on an injected miscompile: `test-miscompile-fuse`
(test/mlc-opt/Inputs/miscompile_fuse.py) negates an op named `%bad` exactly when
a fusion decision puts it in a kernel after other ops.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import mlc
from mlc.debug_counter import (
    CounterLimit,
    DebugCounters,
    debug_counters,
    registered_counters,
    should_execute,
)
from mlc.dialects.loop import KernelOp
from mlc.passes import load_pass_plugin, scoped_registry
from mlc.testing import bisect as bisect_module
from mlc.testing.differential import check_program
from mlc.testing.fuzz import (
    FuzzCase,
    Reproducer,
    check_case,
    generate_case,
    minimize,
    minimize_case,
    replay,
    run_cases,
)
from mlc.testing.mutate import KINDS, mutate
from mlc.testing.random_programs import random_graph

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "test" / "mlc-opt" / "Inputs" / "miscompile_fuse.py"
CHUNKS = 10
SEEDS_PER_CHUNK = 20

# %bad joins the kernel of %a and %b (decision 2 of 'fuse'): the plugin negates it.
MISCOMPILED = """\
func.func @f(%x: tensor<4x4xf32>, %y: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %a = nn.exp %x : tensor<4x4xf32>
  %b = nn.tanh %a : tensor<4x4xf32>
  %bad = nn.add %b, %y : tensor<4x4xf32>
  %c = nn.neg %bad : tensor<4x4xf32>
  func.return %c : tensor<4x4xf32>
}
"""
MISCOMPILING_PIPELINE = "test-miscompile-fuse{max-recompute=0}"


@pytest.fixture
def miscompiling_fuse() -> Iterator[None]:
    with scoped_registry():
        load_pass_plugin(PLUGIN)
        yield


# ---------------------------------------------------------------------------
# The fuzzer


@pytest.mark.parametrize("chunk", range(CHUNKS), ids=lambda c: f"chunk_{c}")
def test_fuzzed_programs_match_the_interpreter(chunk: int, tmp_path: Path) -> None:
    seeds = range(chunk * SEEDS_PER_CHUNK, (chunk + 1) * SEEDS_PER_CHUNK)
    failures = [o for o in run_cases(seeds, out=tmp_path, small=True) if o.signature]
    reports = [Path(o.reproducer).read_text() for o in failures if o.reproducer]
    assert not failures, "\n\n".join(reports)


def test_cases_are_deterministic_and_varied() -> None:
    assert generate_case(11, small=True) == generate_case(11, small=True)
    cases = [generate_case(seed, small=True) for seed in range(CHUNKS * SEEDS_PER_CHUNK)]
    texts = "\n".join(c.text for c in cases)
    for construct in (
        "nn.matmul",
        "nn.reduce_sum",
        "keepdims",
        "nn.softmax",
        "nn.layer_norm",
        "nn.gelu",
        "nn.broadcast_in_dim",
        "xf64>",
        "x1x",
    ):
        assert construct in texts, construct
    pipelines = "\n".join(c.pipeline for c in cases)
    for option in ("vertical=false", "horizontal=false", "max-ops=1", "max-recompute=0"):
        assert option in pipelines, option
    assert {c.num_threads for c in cases} == {1, 2, 3, 4}
    assert any(",canonicalize," not in c.pipeline for c in cases)
    assert any(c.pipeline.startswith("mlc-cpu-pipeline{") for c in cases)


def test_an_invalid_generated_program_is_a_failure() -> None:
    case = FuzzCase(0, "func.func @f( {", "decompose,fuse", 1, 0)
    failure = check_case(case)
    assert failure is not None and failure.kind == "invalid"


def test_the_minimizer_keeps_what_makes_it_fail() -> None:
    text = random_graph(5).text
    assert "nn.reduce_max" in text
    small, attempts = minimize(text, lambda t: "nn.reduce_max" in t)
    assert 0 < attempts <= 400
    module = mlc.parse(small)
    ops = [op.name for op in module.walk() if op.name.startswith("nn.")]
    assert ops == ["nn.reduce_max"], small
    assert "tensor<1x1xf32>" in small  # dims shrunk as far as they go


def test_a_miscompile_is_minimized_and_written_as_a_reproducer(
    miscompiling_fuse: None, tmp_path: Path
) -> None:
    case = FuzzCase(7, MISCOMPILED, MISCOMPILING_PIPELINE, 2, 7)
    failure = check_case(case)
    assert failure is not None and failure.signature == "mismatch"
    small, small_failure = minimize_case(case, failure)
    assert small_failure.signature == "mismatch"
    assert small.text.count("nn.") < MISCOMPILED.count("nn.")
    assert "%bad = nn.add" in small.text

    path = tmp_path / "repro.mlir"
    path.write_text(Reproducer(small, small_failure).text(str(path)))
    again = Reproducer.read(path)
    assert (again.pipeline, again.num_threads, again.input_seed) == (
        MISCOMPILING_PIPELINE,
        2,
        7,
    )
    assert replay([str(path)]) == 1


def test_a_reproducer_without_its_header_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "plain.mlir"
    path.write_text(MISCOMPILED)
    with pytest.raises(ValueError, match=r"no '// pipeline: \.\.\.' line"):
        Reproducer.read(path)


def run_module(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m module args` from the repository root; fails the test unless it exits 0."""
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_the_command_line_runs_workers_and_writes_a_summary(tmp_path: Path) -> None:
    run_module(
        "mlc.testing.fuzz",
        *("--count", "4", "--seed", "3", "--small", "--jobs", "2", "--out", str(tmp_path)),
    )
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["programs"] == 4 and summary["failed"] == 0


# ---------------------------------------------------------------------------
# Debug counters


def test_counter_limits_follow_llvm() -> None:
    limit = CounterLimit(skip=2, count=3)
    assert [limit.allows(n) for n in range(1, 8)] == [False, False, True, True, True, False, False]
    assert all(CounterLimit().allows(n) for n in range(1, 5))
    assert DebugCounters.parse("fuse-skip=2,fuse-count=3").limits == {"fuse": limit}
    assert DebugCounters.parse("").limits == {}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("fuse=3", "expected NAME-skip=N or NAME-count=N"),
        ("fuse-count", "expected NAME-skip=N or NAME-count=N"),
        ("fuze-count=1", "unknown debug counter 'fuze'; did you mean 'fuse'"),
        ("fuse-count=-1", "needs a non-negative integer"),
    ],
)
def test_bad_counter_specs_are_rejected(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DebugCounters.parse(spec)


def test_counters_are_scoped_and_count_decisions() -> None:
    assert {"fuse", "fuse-recompute"} <= set(registered_counters())
    assert should_execute("fuse")  # nothing active: every decision goes ahead
    with debug_counters("fuse-skip=1,fuse-count=1") as counters:
        assert [should_execute("fuse") for _ in range(4)] == [False, True, False, False]
    assert counters.seen == {"fuse": 4}
    assert counters.report() == "debug counter 'fuse': 4 decisions (skip=1,count=1)\n"
    with pytest.raises(KeyError, match="not registered"):
        should_execute("no-such-counter")


def _kernels(text: str, spec: str) -> tuple[int, int]:
    module = mlc.parse(text)
    with debug_counters(spec) as counters:
        mlc.run_pipeline(module, "decompose,canonicalize,cse,fuse")
    return sum(isinstance(op, KernelOp) for op in module.walk()), counters.seen.get("fuse", 0)


def test_each_fusion_decision_is_counted_and_refusable() -> None:
    text = (ROOT / "examples" / "softmax.mlir").read_text()
    fused, decisions = _kernels(text, "")
    assert decisions > 0
    unfused, _ = _kernels(text, "fuse-count=0")
    assert unfused == fused + decisions  # every decision merged two kernels
    one_less, _ = _kernels(text, f"fuse-count={decisions - 1}")
    assert one_less == fused + 1


# ---------------------------------------------------------------------------
# Bisection


def test_bisect_finds_the_miscompiled_decision(miscompiling_fuse: None) -> None:
    result = bisect_module.bisect(
        MISCOMPILED, MISCOMPILING_PIPELINE, filename="bad.mlir", num_threads=2
    )
    assert result.decisions == 3 and result.culprit == 2
    assert result.failure is not None and result.failure.kind == "mismatch"
    assert len(result.remarks) == 1
    assert result.remarks[0].startswith(
        "bad.mlir:4:3: remark: not fused into kernel #0: vertical fusion refused by "
        "debug counter 'fuse' (decision 2)"
    )
    # The decisions around it are harmless.
    for spec in ("fuse-count=1", "fuse-skip=2"):
        assert check_program(MISCOMPILED, MISCOMPILING_PIPELINE, debug_counter=spec) is None


def test_bisect_says_when_no_decision_is_to_blame(miscompiling_fuse: None) -> None:
    correct = bisect_module.bisect(MISCOMPILED, "decompose,fuse")
    assert correct.failure is None and correct.culprit is None
    with pytest.raises(ValueError, match="counter: no debug counter named 'tiles'"):
        bisect_module.bisect(MISCOMPILED, "fuse", counter="tiles")


def test_bisect_command_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.mlir"
    path.write_text(MISCOMPILED)
    result = run_module(
        "mlc.testing.bisect",
        str(path),
        *(f"--load-pass-plugin={PLUGIN}", "--pipeline", MISCOMPILING_PIPELINE),
    )
    assert "3 'fuse' decisions: right with the first 1, wrong with the first 2" in result.stdout
    assert f"{path}:4:3: remark: not fused into kernel #0" in result.stdout
    assert "--debug-counter=fuse-count=1" in result.stdout


# ---------------------------------------------------------------------------
# Mutations (the malformed-input corpus is in test_malformed_input.py)


@pytest.mark.parametrize("kind", KINDS)
def test_each_mutation_changes_the_program(kind: str) -> None:
    text = (ROOT / "examples" / "transformer_block.mlir").read_text()
    rng = random.Random(1)
    assert any(mutate(text, kind, rng) != text.encode() for _ in range(5))
    with pytest.raises(ValueError, match="kind: unknown mutation 'rot13'"):
        mutate(text, "rot13", rng)
