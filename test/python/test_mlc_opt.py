"""The `mlc-opt` driver in-process: input splitting, extension points, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from xdsl.dialects.builtin import ModuleOp

import mlc.interpreter
from mlc.tools import mlc_opt

SOURCE = "func.func @f(%a: i32) -> i32 {\n  func.return %a : i32\n}\n"


def test_split_input_keeps_line_offsets() -> None:
    text = "a\n// -----\nb\nc\n  // -----  \nd"
    assert mlc_opt.split_input(text, split=True) == [("a", 0), ("b\nc", 2), ("d", 5)]
    assert mlc_opt.split_input(text, split=False) == [(text, 0)]


def test_ir_dump_headers_are_not_split_markers() -> None:
    text = "a\n// -----// IR Dump After cse //----- //\nb"
    assert mlc_opt.split_input(text, split=True) == [(text, 0)]


def test_run_hands_the_module_to_the_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = []

    def fake_cli_run(module: ModuleOp, func_name: str, run_args: list[str]) -> str:
        calls.append((module, func_name, run_args))
        return "ran\n"

    monkeypatch.setattr(mlc.interpreter, "cli_run", fake_cli_run)
    path = tmp_path / "f.mlir"
    path.write_text(SOURCE)
    status = mlc_opt.run([str(path), "-p", "cse", "--run=f", "--run-arg=x.npy"])
    assert status == 0
    assert capsys.readouterr().out == "ran\n"
    ((module, name, args),) = calls
    assert isinstance(module, ModuleOp) and name == "f" and args == ["x.npy"]


def test_new_emitters_become_emit_choices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(mlc_opt.EMITTERS, "count", lambda m, args: f"{len(list(m.walk()))}\n")
    path = tmp_path / "f.mlir"
    path.write_text(SOURCE)
    assert mlc_opt.run([str(path), "--emit=count"]) == 0
    assert capsys.readouterr().out == "3\n"


def test_an_internal_error_outside_passes_is_reported_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(module: ModuleOp, args: object) -> str:
        raise AssertionError("printer bug")

    monkeypatch.setitem(mlc_opt.EMITTERS, "mlir", broken)
    path = tmp_path / "f.mlir"
    path.write_text(SOURCE)
    assert mlc_opt.run([str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mlc-opt: internal error: AssertionError: printer bug\n")
    assert "--show-traceback" in err
    with pytest.raises(AssertionError, match="printer bug"):
        mlc_opt.run([str(path), "--show-traceback"])


def test_usage_errors_exit_with_status_one(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        mlc_opt.run(["--emit=nothing"])
    assert info.value.code == 1
    assert "mlc-opt: error: argument --emit: invalid choice: 'nothing'" in capsys.readouterr().err
