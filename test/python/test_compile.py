"""`mlc.compile`, `mlc-cpu-pipeline` and `mlc-run --backend=cpu --check`.

Every example compiled with `mlc.compile` matches the interpreter on seeded inputs,
within the tolerance of `test_cpu_kernels` (a few ulps, and an absolute error that
grows with the reduction length). Also: the caller's module is left alone, kernels
are compiled once per `compile`, and every mistake is a clear error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_cpu_kernels import EXAMPLES, as_tuple, assert_close, reduction_length

import mlc
import mlc.runtime.cpu
import mlc.runtime.executable
from mlc.diagnostics import CompileError
from mlc.interpreter import lookup_function, random_inputs, run
from mlc.tools import mlc_run

BIAS_RELU = """func.func @forward(%x: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %h = nn.add %x, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %y = nn.relu %h : tensor<2x3xf32>
  func.return %y : tensor<2x3xf32>
}
func.func @double(%x: tensor<4xf64>) -> tensor<4xf64> {
  %y = nn.add %x, %x : tensor<4xf64>
  func.return %y : tensor<4xf64>
}
"""


@pytest.fixture(scope="module")
def exe() -> mlc.Executable:
    return mlc.compile(BIAS_RELU)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_match_the_interpreter(path: Path):
    module = mlc.parse(path.read_text(), str(path))
    executable = mlc.compile(path.read_text(), filename=str(path))
    assert executable.functions
    length = reduction_length(executable.module)
    for name in executable.functions:
        inputs = random_inputs(lookup_function(module, name), seed=0)
        expected = as_tuple(run(module, name, *inputs))
        actual = as_tuple(executable[name](*inputs))
        assert len(actual) == len(expected)
        for n, (e, a) in enumerate(zip(expected, actual, strict=True)):
            assert_close(e, a, length, f"{path.stem} @{name} result #{n}")


def test_calls_by_name_and_attribute(exe):
    assert exe.functions == ("forward", "double")
    assert "forward" in exe and "nope" not in exe
    x = np.array([[1, -2, 3], [-4, 5, -6]], np.float32)
    b = np.array([1, 1, 1], np.float32)
    np.testing.assert_array_equal(exe.forward(x, b), np.maximum(x + b, 0))
    np.testing.assert_array_equal(exe["forward"](x, b), np.maximum(x + b, 0))
    np.testing.assert_array_equal(exe.double(np.arange(4.0)), [0, 2, 4, 6])
    assert "mlc-cpu-pipeline" not in mlc.print(exe.module)  # the compiled IR, fused
    assert "loop.kernel" in mlc.print(exe.module) and "nn.relu" not in mlc.print(exe.module)


def test_the_callers_module_is_not_changed():
    module = mlc.parse(BIAS_RELU)
    before = mlc.print(module, debuginfo=True)
    executable = mlc.compile(module)
    assert mlc.print(module, debuginfo=True) == before
    assert executable.module is not module
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(executable.forward(x, x[0]), np.full((2, 3), 2.0))


def test_kernels_are_compiled_once(monkeypatch):
    calls = []
    original = mlc.runtime.cpu.compile_native

    def counting(module, *options):
        calls.append(module)
        return original(module, *options)

    monkeypatch.setattr(mlc.runtime.cpu, "compile_native", counting)
    executable = mlc.compile(BIAS_RELU)
    assert len(calls) == 1
    x = np.ones((2, 3), np.float32)
    for _ in range(3):
        executable.forward(x, x[0])
        executable["double"](np.ones(4))
    assert len(calls) == 1


def test_unsupported_target():
    with pytest.raises(ValueError, match=r"target: unsupported target 'tpu'; supported: cpu"):
        mlc.compile(BIAS_RELU, target="tpu")


def test_unknown_function(exe):
    with pytest.raises(AttributeError, match=r"no function @nope .*available: @forward, @double"):
        _ = exe.nope
    with pytest.raises(KeyError, match=r"no function @nope .*available: @forward, @double"):
        exe["nope"]
    with pytest.raises(AttributeError):
        _ = exe.__wrapped__  # private names are never functions


def test_bad_arguments(exe):
    x = np.ones((2, 3), np.float32)
    with pytest.raises(TypeError, match=r"argument #0 \(%x\): expected dtype float32"):
        exe.forward(x.astype(np.float64), x[0])
    with pytest.raises(ValueError, match=r"argument #1 \(%b\): expected shape \(3,\), got \(2,\)"):
        exe.forward(x, x[0, :2])
    with pytest.raises(TypeError, match=r"@forward takes 2 arguments"):
        exe.forward(x)
    with pytest.raises(TypeError, match=r"argument #0 \(%x\): expected a numpy.ndarray"):
        exe.forward(x.tolist(), x[0])


def test_bad_source_is_a_located_error():
    with pytest.raises(CompileError, match=r"model\.mlir:2:\d+: error: "):
        mlc.compile("func.func @f() {\n  %y = nn.bogus\n}", filename="model.mlir")
    with pytest.raises(TypeError, match="source: expected MLIR text or a ModuleOp, got int"):
        mlc.compile(3)


def test_what_the_runtime_cannot_run_is_a_located_compile_error():
    text = """func.func @g(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = nn.exp %x : tensor<4xf32>
  func.return %y : tensor<4xf32>
}
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = func.call @g(%x) : (tensor<4xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}"""
    with pytest.raises(CompileError, match=r"m\.mlir:6:\d+: error: .*'func.call' op"):
        mlc.compile(text, filename="m.mlir")


def test_cpu_pipeline_is_decompose_canonicalize_cse_fuse_tile_plan_memory():
    source = (Path(EXAMPLES[0]).read_text(), str(EXAMPLES[0]))
    for options, fuse in (
        ("", "fuse"),
        ("{max-recompute=0 max-ops=3}", "fuse{max-recompute=0 max-ops=3}"),
    ):
        ours = mlc.run_pipeline(mlc.parse(*source), f"mlc-cpu-pipeline{options}")
        reference = mlc.run_pipeline(
            mlc.parse(*source), f"decompose,canonicalize,cse,{fuse},tile,plan-memory"
        )
        assert mlc.print(ours) == mlc.print(reference)
    with pytest.raises(mlc.PipelineError, match="max-recompute must be >= 0"):
        mlc.Pipeline.parse("mlc-cpu-pipeline{max-recompute=-1}")


# ---------------------------------------------------------------------------
# mlc-run --backend=cpu --check


def test_mlc_run_check_fails_when_the_backends_differ(tmp_path, monkeypatch, capsys):
    path = tmp_path / "m.mlir"
    path.write_text(BIAS_RELU)
    assert mlc_run.main([str(path), "--backend=cpu", "--check"]) == 0
    assert "check: result #0: max abs diff 0, max rel diff 0" in capsys.readouterr().out

    real = mlc.runtime.executable.BoundProgram.run
    monkeypatch.setattr(
        mlc.runtime.executable.BoundProgram,
        "run",
        lambda *a, **k: real(*a, **k) + np.float32(1e-3),
    )
    assert mlc_run.main([str(path), "--backend=cpu", "--check"]) == 1
    captured = capsys.readouterr()
    assert "max abs diff 0.001" in captured.out and captured.out.rstrip().endswith("FAIL")
    assert "mlc-run: error: the cpu backend differs from the interpreter" in captured.err


def test_compare_tolerances():
    f32 = np.array([1.0, np.nan, np.inf, 1000.0], np.float32)
    assert mlc_run.compare(f32, f32 * np.float32(1 + 2e-5))[1]  # within rtol 1e-4
    assert not mlc_run.compare(f32, f32 * np.float32(1 + 1e-3))[1]
    assert not mlc_run.compare(f32, np.where(np.isnan(f32), 0, f32).astype(np.float32))[1]
    f64 = np.array([1.0, 2.0])
    assert not mlc_run.compare(f64, f64 * (1 + 1e-6))[1]  # tighter than f32
    ints = np.array([1, 2, 3], np.int32)
    assert mlc_run.compare(ints, ints.copy()) == (
        "max abs diff 0, max rel diff 0 (exact): ok",
        True,
    )
    assert not mlc_run.compare(ints, ints + 1)[1]
    assert not mlc_run.compare(ints, ints.astype(np.int64))[1]


# ---------------------------------------------------------------------------
# Threads


SOFTMAX_ROWS = """func.func @softmax(%x: tensor<256x512xf32>) -> tensor<256x512xf32> {
  %y = nn.softmax %x axis = 1 : tensor<256x512xf32>
  func.return %y : tensor<256x512xf32>
}"""
SOFTMAX_BIG = SOFTMAX_ROWS.replace("256x512", "1024x1024")
"""Enough points for four threads (`MIN_POINTS_PER_THREAD` each)."""


@pytest.mark.parametrize("num_threads", [1, 2, 3, 7])
def test_threads_split_rows_and_agree(num_threads: int):
    x = np.random.default_rng(0).standard_normal((1024, 1024)).astype(np.float32)
    single = mlc.compile(SOFTMAX_BIG, num_threads=1).softmax(x)
    threaded = mlc.compile(SOFTMAX_BIG, num_threads=num_threads).softmax(x)
    np.testing.assert_array_equal(threaded, single)


def test_launch_splits_the_outermost_parallel_dim():
    from mlc.runtime import cpu

    exe = mlc.compile(SOFTMAX_BIG, num_threads=4)
    (kernel,) = exe.kernels.values()
    x = np.ones((1024, 1024), np.float32)
    np.testing.assert_allclose(exe.softmax(x), 1 / 1024)
    assert exe.softmax.bound.threads_per_launch(4) == [(kernel.name, 4)]
    assert kernel.points // cpu.MIN_POINTS_PER_THREAD >= 4


def test_small_kernels_run_on_the_calling_thread():
    exe = mlc.compile(SOFTMAX_ROWS.replace("256x512", "4x8"), num_threads=4)
    (kernel,) = exe.kernels.values()
    np.testing.assert_allclose(exe.softmax(np.ones((4, 8), np.float32)), 1 / 8)
    assert exe.softmax.bound.threads_per_launch(4) == [(kernel.name, 1)]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_thread_counts_are_rejected(bad):
    with pytest.raises(ValueError, match="num_threads"):
        mlc.compile(SOFTMAX_ROWS, num_threads=bad)


# ---------------------------------------------------------------------------
# Results written into caller-provided arrays


TWO_RESULTS = """func.func @f(%x: tensor<64x32xf32>) -> (tensor<64x32xf32>, tensor<64xf32>, tensor<64x32xf32>, tensor<64x32xf32>) {
  %e = nn.exp %x : tensor<64x32xf32>
  %s = nn.reduce_sum %e axes = [1] : tensor<64x32xf32> -> tensor<64xf32>
  func.return %e, %s, %e, %x : tensor<64x32xf32>, tensor<64xf32>, tensor<64x32xf32>, tensor<64x32xf32>
}"""


def test_out_receives_every_result_without_aliasing():
    exe = mlc.compile(TWO_RESULTS)
    x = np.random.default_rng(1).standard_normal((64, 32)).astype(np.float32)
    expected = exe.f(x)
    rows = np.empty((64, 32), np.float32)
    outs = (rows, np.empty(64, np.float32), rows.copy(), rows.copy())
    results = exe.f(x, out=outs)
    assert all(r is o for r, o in zip(results, outs, strict=True))
    for got, want in zip(results, expected, strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(outs[3], x)  # a returned argument is copied in


def test_out_is_written_by_the_kernel_itself(monkeypatch: pytest.MonkeyPatch):
    exe = mlc.compile(SOFTMAX_ROWS, num_threads=1)
    x = np.ones((256, 512), np.float32)
    y = np.empty((256, 512), np.float32)
    copies = []
    monkeypatch.setattr(np, "copyto", lambda *args, **kw: copies.append(args))
    assert exe.softmax(x, out=y) is y
    np.testing.assert_allclose(y, 1 / 512)
    assert copies == []


@pytest.mark.parametrize(
    ("out", "error", "message"),
    [
        (np.empty((256, 512), np.float64), ValueError, r"out\[0\]: expected float32\[256, 512\]"),
        (
            np.empty((512, 256), np.float32).T,
            ValueError,
            r"out\[0\]: the array must be C-contiguous",
        ),
        ([np.empty((256, 512), np.float32)] * 2, TypeError, "has 1 result, got 2"),
        ("y", TypeError, r"out: expected a numpy.ndarray or a tuple or list of them, got str"),
    ],
)
def test_bad_out_is_rejected(out, error, message):
    exe = mlc.compile(SOFTMAX_ROWS)
    with pytest.raises(error, match=message):
        exe.softmax(np.ones((256, 512), np.float32), out=out)


def test_out_may_not_alias_an_argument():
    exe = mlc.compile(SOFTMAX_ROWS)
    x = np.ones((256, 512), np.float32)
    with pytest.raises(ValueError, match="shares memory"):
        exe.softmax(x, out=x)


def test_zero_size_reshapes_compile_and_run():
    text = """func.func @f(%x: tensor<0x3x4xf32>) -> tensor<3x4x0xf32> {
  %y = nn.reshape %x : tensor<0x3x4xf32> -> tensor<3x4x0xf32>
  func.return %y : tensor<3x4x0xf32>
}"""
    y = mlc.compile(text).f(np.zeros((0, 3, 4), np.float32))
    assert y.shape == (3, 4, 0) and y.dtype == np.float32


@pytest.mark.parametrize("op", ["exp", "tanh", "erf", "log", "sigmoid"])
def test_fast_math_keeps_math_functions_accurate(op):
    """fast_math flags the program's own arithmetic, never the polynomials' range
    reduction, which reassociation would fold away."""
    from mlc.lowering.codegen_options import CodegenOptions

    text = f"""func.func @f(%x: tensor<4x67xf32>) -> tensor<4x67xf32> {{
  %y = nn.{op} %x : tensor<4x67xf32>
  %z = nn.add %y, %x : tensor<4x67xf32>
  func.return %z : tensor<4x67xf32>
}}"""
    x = np.random.default_rng(1).uniform(0.01, 6, (4, 67)).astype(np.float32)
    reference = run(mlc.parse(text), "f", x)
    fast = mlc.compile(text, codegen=CodegenOptions(fast_math=True)).f(x)
    np.testing.assert_allclose(fast, reference, rtol=2e-6)


def test_run_on_addresses_writes_the_callers_buffers():
    exe = mlc.compile(SOFTMAX_BIG, num_threads=2)
    bound = exe.softmax.bound
    assert bound.runs_on_addresses
    x = np.random.default_rng(0).standard_normal((1024, 1024)).astype(np.float32)
    y = np.empty_like(x)
    bound.run_on_addresses([x.ctypes.data], [y.ctypes.data], 2)
    np.testing.assert_array_equal(y, exe.softmax(x))
    with pytest.raises(TypeError, match="1 argument and 1 result addresses, got 2 and 1"):
        bound.run_on_addresses([x.ctypes.data] * 2, [y.ctypes.data], 2)


def test_a_program_returning_its_argument_does_not_run_on_addresses():
    t = "tensor<4xf32>"
    exe = mlc.compile(
        f"func.func @f(%x: {t}) -> ({t}, {t}) {{\n"
        f"  %y = nn.exp %x : {t}\n  func.return %x, %y : {t}, {t}\n}}"
    )
    assert not exe.f.bound.runs_on_addresses
    with pytest.raises(ValueError, match="cannot run on addresses"):
        exe.f.bound.run_on_addresses([0], [0, 0], 1)
