"""`cli_run` (shared by `mlc-run` and `mlc-opt --run`) and the `mlc-run` tool."""

from __future__ import annotations

import re
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
from xdsl.dialects.builtin import TensorType, bf16, f32, i1, i32, i64

import mlc
from mlc.diagnostics import CompileError
from mlc.dialects import nn
from mlc.interpreter import cli_run, default_function, lookup_function, random_inputs, run
from mlc.tools import mlc_opt, mlc_run

PROGRAM = """\
func.func private @helper(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  func.return %x : tensor<2x3xf32>
}
func.func @main(%x: tensor<2x3xf32>, %i: tensor<2xi32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<f32>) {
  %s = nn.softmax %x axis = 1 : tensor<2x3xf32>
  %g = nn.gather %x, %i axis = 0 : tensor<2x3xf32>, tensor<2xi32> -> tensor<2x3xf32>
  %t = nn.reduce_sum %x axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  func.return %s, %g, %t : tensor<2x3xf32>, tensor<2x3xf32>, tensor<f32>
}
func.func @half(%x: tensor<3xbf16>) -> tensor<3xbf16> {
  %y = nn.add %x, %x : tensor<3xbf16>
  func.return %y : tensor<3xbf16>
}
"""

X = np.array([[0.0, 1.0, 2.0], [-1.0, 0.5, 100.0]], np.float32)
IDX = np.array([1, 0], np.int32)
EXPECTED = """\
result #0: tensor<2x3xf32> = [[0.090031, 0.244728, 0.665241],
                              [0.000000, 0.000000, 1.000000]]
result #1: tensor<2x3xf32> = [[ -1.000000,   0.500000, 100.000000],
                              [  0.000000,   1.000000,   2.000000]]
result #2: tensor<f32> = 102.500000
"""


@pytest.fixture
def program_file(tmp_path: Path) -> Path:
    path = tmp_path / "program.mlir"
    path.write_text(PROGRAM)
    return path


@pytest.fixture
def module():
    return mlc.parse(PROGRAM, "program.mlir")


@pytest.fixture
def inputs(tmp_path: Path) -> list[str]:
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "i.npy", IDX)
    return [str(tmp_path / "x.npy"), str(tmp_path / "i.npy")]


# ---------------------------------------------------------------------------
# cli_run


def test_results_print_in_a_stable_format(module, inputs):
    assert cli_run(module, "main", inputs) == EXPECTED


def test_bf16_inputs_load_from_npy_and_print_exactly(module, tmp_path):
    path = tmp_path / "h.npy"
    np.save(path, np.array([1.5, -0.1, 3.0], ml_dtypes.bfloat16))  # stored as |V2
    assert cli_run(module, "half", [str(path)]) == (
        "result #0: tensor<3xbf16> = [ 3.000000, -0.200195,  6.000000]\n"
    )


def test_large_results_are_summarised(build_module):
    module = build_module(nn.NegOp, [TensorType(i64, [2000])])
    text = cli_run(module, "f", [], seed=0)
    assert text.startswith("result #0: tensor<2000xi64> = [")
    assert ", ..., " in text and text.count("\n") == 1


def test_output_dir_saves_npy_files(module, inputs, tmp_path):
    out = tmp_path / "out"
    text = cli_run(module, "main", inputs, out_dir=out)
    assert text.splitlines() == [
        f"result #0: tensor<2x3xf32> -> {out / 'result0.npy'}",
        f"result #1: tensor<2x3xf32> -> {out / 'result1.npy'}",
        f"result #2: tensor<f32> -> {out / 'result2.npy'}",
    ]
    expected = run(module, "main", X, IDX)
    for index, value in enumerate(expected):
        np.testing.assert_array_equal(np.load(out / f"result{index}.npy"), value, strict=True)


def test_random_inputs_depend_on_the_seed_only(module):
    assert cli_run(module, "main", [], seed=3) == cli_run(module, "main", [], seed=3)
    assert cli_run(module, "main", [], seed=3) != cli_run(module, "main", [], seed=4)


def test_random_inputs_by_element_type(build_module):
    types = [TensorType(t, [4000]) for t in (f32, bf16, i1, i32)]
    module = build_module(lambda a, b, c, d: nn.NegOp(a), types)
    floats, halves, flags, ints = random_inputs(lookup_function(module, "f"), seed=1)
    assert floats.dtype == np.float32 and abs(floats.mean()) < 0.1 and 0.9 < floats.std() < 1.1
    assert halves.dtype == ml_dtypes.bfloat16
    assert flags.dtype == np.bool_ and 0.4 < flags.mean() < 0.6
    assert ints.dtype == np.int32 and set(np.unique(ints)) == set(range(8))


def test_random_gather_indices_are_in_range(build_module):
    types = [TensorType(f32, [3, 2]), TensorType(i64, [1000]), TensorType(f32, [5, 7])]
    module = build_module(
        lambda table, idx, other: [
            nn.GatherOp(other, idx, axis=1),
            nn.GatherOp(table, idx, axis=0),
        ],
        types,
    )
    _, indices, _ = random_inputs(lookup_function(module, "f"), seed=0)
    assert set(np.unique(indices)) == {0, 1, 2}  # the smaller of the two gathered axes


def test_default_function_is_the_first_public_one(module):
    assert default_function(module) == "main"
    with pytest.raises(CompileError, match="no public function to run") as info:
        default_function(mlc.parse("\nfunc.func private @f() {\n  func.return\n}\n", "p.mlir"))
    assert str(info.value.diagnostics[0].location) == "p.mlir:2:1"


MAIN_AT = "program.mlir:4:1"
"""Where @main of PROGRAM starts: input errors are located there (parameters have no
locations of their own, so the message names the parameter)."""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["x.npy"], r"^@main takes 2 arguments, got 1 input files$"),
        (["x.npy", "missing.npy"], r"^argument #1 \(%i\): cannot read input '.*missing.npy': "),
        (["i.npy", "i.npy"], r"^argument #0 \(%x\): expected dtype float32 \(f32\), got int32$"),
        (["x.npy", "x.npy"], r"^argument #1 \(%i\): expected dtype int32 \(i32\), got float32$"),
    ],
)
def test_bad_inputs_are_errors_at_the_function(module, inputs, argv, message):
    directory = Path(inputs[0]).parent
    with pytest.raises(CompileError) as info:
        cli_run(module, "main", [str(directory / a) for a in argv])
    (diagnostic,) = info.value.diagnostics
    assert str(diagnostic.location) == MAIN_AT
    assert re.search(message, diagnostic.message)


def test_wrong_shape_input_is_an_error_at_the_function(module, tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((3, 2), np.float32))
    np.save(tmp_path / "i.npy", IDX)
    with pytest.raises(CompileError) as info:
        cli_run(module, "main", [str(tmp_path / "x.npy"), str(tmp_path / "i.npy")])
    (diagnostic,) = info.value.diagnostics
    assert str(diagnostic.location) == MAIN_AT
    assert diagnostic.message == "argument #0 (%x): expected shape (2, 3), got (3, 2)"


def test_unknown_function_is_an_error_at_the_module(module):
    with pytest.raises(CompileError) as info:
        cli_run(module, "nope", [])
    (diagnostic,) = info.value.diagnostics
    assert str(diagnostic.location) == "program.mlir:1:1"
    assert diagnostic.message.startswith("no function @nope in the module (functions: @helper")


def test_a_parameter_without_random_inputs_is_an_error_at_the_function():
    module = mlc.parse(
        "func.func @scalar(%t: tensor<2xf32>, %s: f32) -> f32 {\n  func.return %s : f32\n}\n",
        "scalar.mlir",
    )
    with pytest.raises(CompileError) as info:
        cli_run(module, "scalar", [])
    (diagnostic,) = info.value.diagnostics
    assert str(diagnostic.location) == "scalar.mlir:1:1"
    assert diagnostic.message == (
        "argument #1 (%s): cannot generate an input of type f32, only tensors"
    )


def test_unwritable_output_directory_is_an_unlocated_error(module, tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(CompileError) as info:
        cli_run(module, "main", [], out_dir=tmp_path / "file" / "out")
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.location is None


# ---------------------------------------------------------------------------
# mlc-run


def test_mlc_run_prints_the_results(program_file, inputs, capsys):
    assert mlc_run.main([str(program_file), "--input", *inputs]) == 0
    assert capsys.readouterr().out == EXPECTED


def test_mlc_run_options(program_file, tmp_path, capsys):
    assert mlc_run.main([str(program_file), "-f", "main", "--seed", "5"]) == 0
    seeded = capsys.readouterr().out
    assert mlc_run.main([str(program_file), "--seed", "5", "--pipeline", "decompose,cse"]) == 0
    after_passes = capsys.readouterr().out
    assert seeded.splitlines()[1:] == after_passes.splitlines()[1:]  # gather, sum: unchanged
    assert mlc_run.main([str(program_file), "--output-dir", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "result2.npy").exists()


def test_mlc_run_reports_runtime_errors_at_the_op(program_file, tmp_path, capsys):
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "bad.npy", np.array([0, 2], np.int32))
    argv = [str(program_file), "--input", str(tmp_path / "x.npy"), str(tmp_path / "bad.npy")]
    assert mlc_run.main(argv) == 1
    assert capsys.readouterr().err == (
        f"{program_file}:6:3: error: 'nn.gather' op index 2 at position [1] is out of range "
        "[0, 2) for axis 0\n"
        "  %g = nn.gather %x, %i axis = 0 : tensor<2x3xf32>, tensor<2xi32> -> tensor<2x3xf32>\n"
        "  ^\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["{file}", "-f", "nope"], "program.mlir:1:1: error: no function @nope in the module"),
        (["{dir}/missing.mlir"], "mlc-run: error: cannot read '"),
        (["{file}", "--pipeline", "no-such-pass"], "mlc-run: error: invalid pass pipeline"),
        (["{dir}/bad.mlir"], "bad.mlir:1:1: error: "),
    ],
)
def test_mlc_run_errors_exit_1_without_traceback(program_file, argv, message, capsys):
    (program_file.parent / "bad.mlir").write_text("nn.bogus\n")
    filled = [a.format(file=program_file, dir=program_file.parent) for a in argv]
    assert mlc_run.main(filled) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_mlc_run_usage_errors_exit_1(program_file, capsys):
    with pytest.raises(SystemExit) as info:
        mlc_run.main([str(program_file), "--seed", "x"])
    assert info.value.code == 1
    assert "mlc-run: error: argument --seed: invalid int value: 'x'" in capsys.readouterr().err


def test_mlc_run_internal_errors_need_show_traceback(program_file, monkeypatch, capsys):
    def crash(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(mlc_run, "cli_run", crash)
    assert mlc_run.main([str(program_file)]) == 1
    err = capsys.readouterr().err
    assert "mlc-run: internal error: RuntimeError: boom" in err
    assert "--show-traceback" in err
    with pytest.raises(RuntimeError, match="boom"):
        mlc_run.main([str(program_file), "--show-traceback"])


def test_mlc_opt_run_errors_are_located_with_the_source_line(program_file, capsys):
    assert mlc_opt.run([str(program_file), "--run", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{program_file}:1:1: error: no function @nope in the module")
    assert "\nfunc.func private @helper" in err
    assert mlc_opt.run([str(program_file), "--run", "main", "--run-arg=missing.npy"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{program_file}:4:1: error: @main takes 2 arguments, got 1 input")
    assert "\nfunc.func @main(" in err


def test_mlc_opt_run_uses_the_same_output(program_file, inputs, capsys):
    argv = [str(program_file), "--run", "main", *(f"--run-arg={a}" for a in inputs)]
    assert mlc_opt.run(argv) == 0
    assert capsys.readouterr().out == EXPECTED
