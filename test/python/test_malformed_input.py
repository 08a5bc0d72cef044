"""Malformed input never crashes `mlc-opt`: a located error, exit status 1, no traceback."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlc.tools import mlc_opt

VALID = """\
func.func @axpy(%a: f32, %x: f32, %y: f32) -> f32 {
  %0 = arith.mulf %a, %x : f32
  %1 = arith.addf %0, %y : f32
  func.return %1 : f32
}

func.func @count(%n: i32) -> i32 {
  %c1 = arith.constant 1 : i32
  %0 = arith.addi %n, %c1 : i32
  func.return %0 : i32
}
"""

LOCATED_ERROR = re.compile(r"^(?:<stdin>|\S+\.mlir):\d+:\d+: error: \S", re.MULTILINE)


def mlc_opt_command() -> list[str]:
    """The installed console script, or the module when only the source is at hand."""
    script = shutil.which("mlc-opt", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "mlc.tools.mlc_opt"]


def run_mlc_opt(
    data: bytes, *args: str, tmp_path: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run mlc-opt on `data` (from a file in `tmp_path`, else from stdin)."""
    command = [*mlc_opt_command(), *args]
    if tmp_path is not None:
        path = tmp_path / "input.mlir"
        path.write_bytes(data)
        command.append(str(path))
    result = subprocess.run(
        command, input=None if tmp_path else data, capture_output=True, check=False, timeout=120
    )
    return subprocess.CompletedProcess(
        result.args,
        result.returncode,
        result.stdout.decode("utf-8", "replace"),
        result.stderr.decode("utf-8", "replace"),
    )


def assert_clean_failure(result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == 1, output
    assert LOCATED_ERROR.search(result.stderr), result.stderr


def test_the_valid_input_is_accepted(tmp_path: Path) -> None:
    result = run_mlc_opt(VALID.encode(), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "func.func @axpy" in result.stdout


@pytest.mark.parametrize("cut", [0.1, 0.3, 0.5, 0.7, 0.95])
def test_truncated_file(tmp_path: Path, cut: float) -> None:
    assert_clean_failure(run_mlc_opt(VALID[: int(len(VALID) * cut)].encode(), tmp_path=tmp_path))


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe\x00\x01garbage",
        b"func.func @f() {\n  func.return\n}\n\x80\x81",
        bytes(range(256)),
        b"%%%%%%%%",
        b"}}}}",
        b"func.func @f() { func.return } }",
        b"\x00\x00\x00\x00",
    ],
)
def test_garbage_bytes(data: bytes) -> None:
    assert_clean_failure(run_mlc_opt(data))


def test_non_utf8_error_points_at_the_byte(tmp_path: Path) -> None:
    result = run_mlc_opt(b"func.func @f() {\n  func.return \xc3\x28\n}\n", tmp_path=tmp_path)
    assert_clean_failure(result)
    assert "input.mlir:2:15: error: invalid UTF-8 byte 0xc3" in result.stderr


def test_unknown_dialect_op() -> None:
    result = run_mlc_opt(b"func.func @f() {\n  %0 = mystery.op : i32\n  func.return\n}\n")
    assert_clean_failure(result)
    assert "<stdin>:2:8: error: unknown operation 'mystery.op'" in result.stderr


def test_wrong_result_type() -> None:
    result = run_mlc_opt(b"func.func @f(%a: i32) -> f32 {\n  func.return %a : i32\n}\n")
    assert_clean_failure(result)
    assert (
        "<stdin>:2:3: error: 'func.return' op expected arguments to have the same types"
        in result.stderr
    )


def test_bad_pass_option() -> None:
    result = run_mlc_opt(VALID.encode(), "-p", "cse{bogus=1}")
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "Traceback" not in output
    assert result.stderr.startswith(
        "mlc-opt: error: invalid pass pipeline: pass 'cse' has no option 'bogus'"
    )


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", b"// only a comment\n"])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    result = run_mlc_opt(data, tmp_path=tmp_path)
    assert_clean_failure(result)
    assert "error: expected an operation, found end of input" in result.stderr


@pytest.mark.parametrize("depth", [50, 5000])
def test_deeply_nested_regions(depth: int) -> None:
    """Deep but reasonable nesting works; absurd nesting is a located error."""
    body = "func.func @f() {\n  func.return\n}\n"
    data = ("builtin.module {\n" * depth + body + "}\n" * depth).encode()
    result = run_mlc_opt(data, "-p", "cse")
    if depth <= 50:
        assert result.returncode == 0, result.stderr
        assert result.stdout.count("builtin.module") == depth
    else:
        assert_clean_failure(result)
        assert "error: operations are nested too deeply to parse" in result.stderr


def test_unclosed_string_does_not_hang() -> None:
    """xDSL's lexer takes exponential time on this; mlc's must answer at once."""
    line = '  %0 = "arith.addi(%a, %a) : (i32, i32) -> i32 // and a long comment after it'
    result = run_mlc_opt(f"func.func @f(%a: i32) {{\n{line}\n  func.return\n}}\n".encode())
    assert_clean_failure(result)
    assert "<stdin>:2:8: error: end of file reached before closing string literal" in result.stderr


def test_random_mutations_never_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Byte-level mutations of valid IR: each run either succeeds or fails cleanly.

    In-process for speed: an exception escaping `run` would fail the test just as a
    traceback would.
    """
    rng = random.Random(0)
    alphabet = b'%@^{}()<>[]:,="x0 \n\xff#!-.1e'
    path = tmp_path / "mutant.mlir"
    for _ in range(150):
        data = bytearray(VALID.encode())
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(data))
            if rng.random() < 0.7:
                data[position] = rng.choice(alphabet)
            else:
                del data[position]
        path.write_bytes(data)
        status = mlc_opt.run([str(path), "-p", "canonicalize,cse"])
        err = capsys.readouterr().err
        assert status in (0, 1), bytes(data)
        if status:
            assert LOCATED_ERROR.search(err), (bytes(data), err)


# ---------------------------------------------------------------------------
# The generated corpus: seeded mutations of real programs, through every pipeline

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.mlir"))
RANDOM_PROGRAM_SEEDS = (3, 8, 21)
MUTANTS_PER_PROGRAM = 12
MUTATION_PIPELINES = (
    ("-p", "mlc-cpu-pipeline"),
    ("-p", "decompose"),
    ("-p", "decompose,fuse"),
    ("-p", "decompose,convert-nn-to-loop"),
    ("-p", "decompose,fuse,convert-loop-to-llvm"),
    ("-p", "mlc-cpu-pipeline", "--emit=llvm"),
    ("-p", "decompose,fuse", "--run={function}"),
)
SECONDS_PER_RUN = 30
"""A run slower than this counts as a hang (the slowest valid mutant takes ~3 s)."""


def _programs() -> list[tuple[str, str]]:
    from mlc.testing.random_programs import random_graph

    programs = [(path.stem, path.read_text()) for path in EXAMPLES]
    programs += [
        (f"random_{s}", random_graph(s, composites=True).text) for s in RANDOM_PROGRAM_SEEDS
    ]
    return programs


@pytest.mark.parametrize(("name", "text"), _programs(), ids=lambda v: v if "\n" not in v else "")
def test_mutants_of_real_programs_fail_cleanly(
    name: str, text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every mutation kind through every pipeline: a result, or a located error.

    `--run`'s own errors (no such function, a parameter it cannot make an input
    for) are located too: at the module, at the function.
    """
    from mlc.testing.mutate import mutants

    function = re.search(r"func\.func @(\w+)", text)
    assert function is not None
    rng = random.Random(name)
    path = tmp_path / f"{name}.mlir"
    for n, (kind, data) in enumerate(mutants(text, rng, MUTANTS_PER_PROGRAM)):
        pipeline = rng.choice(MUTATION_PIPELINES)
        args = [a.format(function=function.group(1)) for a in pipeline]
        path.write_bytes(data)
        started = time.monotonic()
        status = mlc_opt.run([str(path), *args])
        seconds = time.monotonic() - started
        err = capsys.readouterr().err
        what = f"{kind} mutant #{n} of {name} with {' '.join(args)}:\n{err[:2000]}"
        assert seconds < SECONDS_PER_RUN, f"{what}\ntook {seconds:.0f} s"
        assert status in (0, 1), what
        assert "internal error" not in err and "Traceback" not in err, what
        if status:
            assert LOCATED_ERROR.search(err), what


ONE_DIM_SOFTMAX = """\
func.func @softmax(%x: tensor<128xf32>) -> tensor<128xf32> {
  %y = nn.softmax %x axis = 0 : tensor<128xf32>
  func.return %y : tensor<128xf32>
}
"""


def test_huge_dims_compile_without_allocating(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """99999999999 elements (400 GB): code is generated (64-bit index arithmetic),
    nothing is allocated, and `--run` refuses at the function."""
    from mlc.testing.mutate import HUGE_DIM, mutate

    path = tmp_path / "huge.mlir"
    path.write_bytes(mutate(ONE_DIM_SOFTMAX, "huge", random.Random(0)))
    assert mlc_opt.run([str(path), "-p", "mlc-cpu-pipeline", "--emit=llvm"]) == 0
    out = capsys.readouterr().out
    # The last elements' addresses: byte offsets near 400e9, far past 2^32.
    assert re.search(r"getelementptr .*, i64 3999999999\d\d\n", out), out[:2000]
    assert mlc_opt.run([str(path), "-p", "mlc-cpu-pipeline", "--run=softmax"]) == 1
    err = capsys.readouterr().err
    assert re.search(
        rf"huge.mlir:\d+:1: error: 'func.func' op: a tensor<{HUGE_DIM}xf32> takes "
        r"\d+ bytes, more than this machine's \d+: --run cannot interpret it",
        err,
    ), err


def test_tensors_past_64_bit_offsets_are_errors_at_the_op(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """99999999999 x 99999999999 f32 is 4e22 bytes: no i64 offset reaches its end."""
    from mlc.testing.mutate import HUGE_DIM, mutate

    text = (Path(__file__).resolve().parents[2] / "examples" / "softmax.mlir").read_text()
    path = tmp_path / "huge.mlir"
    path.write_bytes(mutate(text, "huge", random.Random(0)))
    assert mlc_opt.run([str(path), "-p", "mlc-cpu-pipeline", "--emit=llvm"]) == 1
    err = capsys.readouterr().err
    assert re.search(
        rf"huge.mlir:\d+:3: error: 'nn.softmax' op operand #0 tensor<{HUGE_DIM}x{HUGE_DIM}xf32> "
        r"takes 39999999999200000000004 bytes, more than 64-bit offsets can address",
        err,
    ), err
