"""The library entry points: `mlc.parse`, `mlc.print`, `mlc.run_pipeline`, diagnostics."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import FileLineColLoc, ModuleOp, i32

import mlc
from mlc.diagnostics import (
    CompileError,
    Diagnostic,
    DiagnosticEngine,
    Location,
    Severity,
    emit_error,
    emit_remark,
    location_of,
    verify_with_locations,
)
from mlc.passes import load_pass_plugin, scoped_registry
from mlc.pipeline import PassCrashError, Pipeline

TEST_PASSES = Path(__file__).resolve().parents[1] / "mlc-opt" / "Inputs" / "test_passes.py"

REDUNDANT = """\
func.func @f(%a: i32) -> i32 {
  %0 = arith.addi %a, %a : i32
  %1 = arith.addi %a, %a : i32
  %2 = arith.muli %0, %1 : i32
  func.return %2 : i32
}
"""

BAD_RETURN = """\
func.func @f(%a: i32) -> i64 {
  func.return %a : i32
}
"""


@pytest.fixture(scope="module", autouse=True)
def test_passes() -> Iterator[None]:
    """The test-only passes, registered for this module's tests alone."""
    with scoped_registry():
        load_pass_plugin(TEST_PASSES)
        yield


def ops_named(module: ModuleOp, name: str) -> list:
    return [op for op in module.walk() if op.name == name]


# ---------------------------------------------------------------------------
# parse


def test_parse_returns_a_verified_module_with_locations() -> None:
    module = mlc.parse(REDUNDANT, "redundant.mlir")
    assert isinstance(module, ModuleOp)
    (muli,) = ops_named(module, "arith.muli")
    assert isinstance(muli.location, FileLineColLoc)
    assert location_of(muli) == Location("redundant.mlir", 4, 3)
    assert location_of(ops_named(module, "func.func")[0]) == Location("redundant.mlir", 1, 1)


def test_parse_keeps_explicit_locations() -> None:
    module = mlc.parse('func.func @f() {\n  func.return loc("model.py":42:7)\n}', "explicit.mlir")
    (ret,) = ops_named(module, "func.return")
    assert location_of(ret) == Location("model.py", 42, 7)


def test_parse_counts_lines_from_the_offset() -> None:
    module = mlc.parse(REDUNDANT, "split.mlir", line_offset=10)
    (muli,) = ops_named(module, "arith.muli")
    assert location_of(muli) == Location("split.mlir", 14, 3)


def test_parse_accepts_bytes_and_defaults_the_name() -> None:
    module = mlc.parse(REDUNDANT.encode())
    assert location_of(ops_named(module, "func.func")[0]) == Location("<string>", 1, 1)


def test_parse_error_is_located_with_source_line_and_caret() -> None:
    with pytest.raises(CompileError) as info:
        mlc.parse("func.func @f(%a: i32) {\n  %0 = arith.addi %a, : i32\n}", "bad.mlir")
    (diag,) = info.value.diagnostics
    assert diag.severity is Severity.ERROR
    assert diag.location == Location("bad.mlir", 2, 23)
    assert str(info.value) == (
        "bad.mlir:2:23: error: operand expected\n"
        "  %0 = arith.addi %a, : i32\n"
        "                      ^"
    )


def test_parse_error_lines_count_from_the_offset() -> None:
    with pytest.raises(CompileError) as info:
        mlc.parse("\n%0 = arith.addi", "chunk.mlir", line_offset=20)
    assert info.value.diagnostics[0].location.line == 22


def test_undefined_value_is_reported_at_its_first_use() -> None:
    text = (
        "func.func @f(%a: i32) -> i32 {\n  %0 = arith.addi %a, %b : i32\n  func.return %0 : i32\n}"
    )
    with pytest.raises(CompileError) as info:
        mlc.parse(text, "u.mlir")
    (diag,) = info.value.diagnostics
    assert diag.location == Location("u.mlir", 2, 23)
    assert diag.message == "use of undefined value '%b'"


def test_verifier_error_names_the_op_and_its_location() -> None:
    with pytest.raises(CompileError) as info:
        mlc.parse(BAD_RETURN, "ret.mlir")
    (diag,) = info.value.diagnostics
    assert diag.location == Location("ret.mlir", 2, 3)
    assert diag.message.startswith("'func.return' op expected arguments to have the same types")
    assert str(info.value).splitlines()[1:] == ["  func.return %a : i32", "  ^"]


def test_parse_without_verification() -> None:
    module = mlc.parse(BAD_RETURN, verify=False)
    with pytest.raises(CompileError):
        verify_with_locations(module)


def test_non_utf8_input_is_located_at_the_bad_byte() -> None:
    with pytest.raises(CompileError) as info:
        mlc.parse(b"func.func @f() {\n  func.return \xff\n}", "bytes.mlir")
    (diag,) = info.value.diagnostics
    assert diag.location == Location("bytes.mlir", 2, 15)
    assert "invalid UTF-8 byte 0xff" in diag.message


def test_an_empty_input_is_an_error() -> None:
    with pytest.raises(CompileError, match="expected an operation, found end of input"):
        mlc.parse("  // nothing here\n", "empty.mlir")


# ---------------------------------------------------------------------------
# print


def test_print_custom_and_generic_forms_round_trip() -> None:
    module = mlc.parse(REDUNDANT)
    assert mlc.print is mlc.print_ir
    custom = mlc.print(module)
    generic = mlc.print(module, generic=True)
    assert custom.startswith("builtin.module {")
    assert '"arith.addi"' in generic
    assert mlc.print(mlc.parse(generic)) == custom
    assert mlc.print(mlc.parse(custom)) == custom


def test_print_with_debuginfo_shows_locations() -> None:
    text = mlc.print(mlc.parse(REDUNDANT, "r.mlir"), debuginfo=True)
    assert 'arith.muli %0, %1 : i32 loc("r.mlir":4:3)' in text


# ---------------------------------------------------------------------------
# run_pipeline


@pytest.mark.parametrize(
    "pipeline",
    ["cse", "builtin.module(func.func(cse))", Pipeline.parse("cse,canonicalize")],
)
def test_run_pipeline_transforms_the_module_in_place(pipeline: str | Pipeline) -> None:
    module = mlc.parse(REDUNDANT)
    assert mlc.run_pipeline(module, pipeline) is module
    assert len(ops_named(module, "arith.addi")) == 1


def test_run_pipeline_collects_remarks_in_the_given_engine() -> None:
    module = mlc.parse(
        'func.func @f() {\n  func.return {test.remark = "hello", test.note = "here"}\n}', "r.mlir"
    )
    engine = DiagnosticEngine()
    mlc.run_pipeline(module, "test-diagnostics", diagnostics=engine)
    (remark,) = engine.diagnostics
    assert remark.severity is Severity.REMARK
    assert remark.render() == "r.mlir:2:3: remark: hello\nr.mlir:1:1: note: here"


def test_errors_emitted_by_a_pass_fail_the_pipeline() -> None:
    module = mlc.parse('func.func @f() {\n  func.return {test.error = "no"}\n}', "e.mlir")
    engine = DiagnosticEngine()
    with pytest.raises(CompileError) as info:
        mlc.run_pipeline(module, "test-diagnostics,cse", diagnostics=engine)
    assert [d.message for d in info.value.diagnostics] == ["no"]
    assert engine.error_count == 1


def test_invalid_ir_after_a_pass_names_the_pass() -> None:
    module = mlc.parse(REDUNDANT, "b.mlir")
    with pytest.raises(CompileError) as info:
        mlc.run_pipeline(module, "test-break-ir")
    message = info.value.diagnostics[0].message
    assert message.startswith("'func.return' op expected arguments")
    assert message.endswith("(IR after pass 'test-break-ir' failed to verify)")


def test_verify_each_can_be_turned_off() -> None:
    module = mlc.parse(REDUNDANT)
    mlc.run_pipeline(module, "test-break-ir", verify_each=False)
    with pytest.raises(CompileError):
        verify_with_locations(module)


def test_a_crashing_pass_raises_pass_crash_error() -> None:
    module = mlc.parse(REDUNDANT)
    with pytest.raises(PassCrashError) as info:
        mlc.run_pipeline(module, "cse,test-crash")
    assert info.value.pass_.name == "test-crash"
    assert info.value.index == 1
    assert isinstance(info.value.__cause__, RuntimeError)
    assert str(info.value) == (
        "internal error in pass 'test-crash': RuntimeError: the test pass crashed on purpose"
    )


# ---------------------------------------------------------------------------
# diagnostics


def built_op() -> arith.ConstantOp:
    """An op in a function parsed from text, but itself built by hand (no location)."""
    module = mlc.parse("func.func @f() {\n  func.return\n}", "built.mlir")
    fn = ops_named(module, "func.func")[0]
    op = arith.ConstantOp.from_int_and_width(1, i32)
    fn.body.block.insert_op_before(op, fn.body.block.last_op)
    return op


def test_ops_without_a_location_report_their_parents() -> None:
    assert location_of(built_op()) == Location("built.mlir", 1, 1)
    assert location_of(func.ReturnOp()) is None


def test_emit_without_an_engine_raises_errors_and_logs_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    op = built_op()
    with caplog.at_level(logging.INFO, logger="mlc.diagnostics"):
        emit_remark(op, "just so you know")
    assert "built.mlir:1:1: remark: just so you know" in caplog.text
    with pytest.raises(CompileError, match=r"built\.mlir:1:1: error: broken"):
        emit_error(op, "broken")


def test_engine_activation_handler_and_source_lines() -> None:
    seen: list[Diagnostic] = []
    engine = DiagnosticEngine({"built.mlir": "func.func @f() {\n  func.return\n}"}, seen.append)
    with engine.activate():
        diag = emit_remark(built_op(), "seen")
    assert seen == [diag]
    engine.emit(diag)  # emitting twice records once
    assert engine.diagnostics == [diag]
    assert diag.render().splitlines() == [
        "built.mlir:1:1: remark: seen",
        "func.func @f() {",
        "^",
    ]


def test_rendering_without_location_and_of_long_lines() -> None:
    assert Diagnostic(Severity.ERROR, "oops").render("mlc-opt") == "mlc-opt: error: oops"
    line = "x" * 300 + "ERR" + "y" * 300
    diag = Diagnostic(Severity.ERROR, "here", Location("f", 1, 301), source_line=line, length=3)
    shown, caret = diag.render().splitlines()[1:]
    assert len(shown) < 140
    assert shown[caret.index("^") :].startswith("ERR")
    assert caret.endswith("^~~")


def test_compile_error_needs_a_diagnostic() -> None:
    with pytest.raises(ValueError, match="at least one diagnostic"):
        CompileError([])


# ---------------------------------------------------------------------------
# the package


def test_version_and_exports() -> None:
    assert mlc.__version__.count(".") >= 1
    assert mlc.make_context is not None and mlc.passes.get_pass("cse").name == "cse"
    with pytest.raises(AttributeError):
        _ = mlc.no_such_thing


def test_importing_mlc_stays_light() -> None:
    code = (
        "import sys, mlc; heavy = [m for m in ('torch', 'llvmlite', 'numpy', 'mlc.dialects.nn') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
