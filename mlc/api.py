"""The library entry points: parse text, run a pipeline, print IR.

`mlc-opt` is a thin shell over these functions, so what the command line does the
library does too, with the same located errors (`CompileError`).
"""

from __future__ import annotations

from io import StringIO

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.printer import Printer
from xdsl.utils.exceptions import ParseError

from mlc.context import make_context
from mlc.diagnostics import (
    CompileError,
    Diagnostic,
    DiagnosticEngine,
    Location,
    LocParser,
    Severity,
    diagnostic_from_parse_error,
    provide_attribute_verifier,
    verify_with_locations,
)
from mlc.pipeline import PassInstrumentation, Pipeline

__all__ = ["decode_source", "parse", "print_ir", "run_pipeline"]

# A memory plan ties a function's kernels together, so it is checked wherever IR is
# verified (parsing, after each pass); its checker loads only when a plan is present.
provide_attribute_verifier("arena_bytes", "mlc.transforms.plan_memory")


def decode_source(data: str | bytes, filename: str, line_offset: int = 0) -> str:
    """`data` as text; non-UTF-8 bytes raise `CompileError` at the first bad byte."""
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line_start = data.rfind(b"\n", 0, e.start) + 1
        line_end = data.find(b"\n", e.start)
        line = data[line_start : line_end if line_end >= 0 else len(data)]
        loc = Location(
            filename, data.count(b"\n", 0, e.start) + 1 + line_offset, e.start - line_start + 1
        )
        raise CompileError(
            Diagnostic(
                Severity.ERROR,
                f"invalid UTF-8 byte 0x{data[e.start]:02x}; input must be UTF-8 text",
                loc,
                source_line=line.decode("utf-8", "replace"),
            )
        ) from None


def parse(
    text: str | bytes,
    filename: str | None = None,
    *,
    ctx: Context | None = None,
    line_offset: int = 0,
    verify: bool = True,
) -> ModuleOp:
    """Parse MLIR text (custom or generic form) into a verified `builtin.module`.

    Every op gets its source location (see `LocParser`); `filename` names the input in
    them (default `<string>`) and `line_offset` counts the file's lines before `text`
    when `text` is one chunk of a split file. Loose top-level ops are wrapped in an
    implicit module. Raises `CompileError` with located diagnostics (source line and
    caret included) for syntax errors, undefined values, non-UTF-8 bytes and, with
    `verify`, for IR that does not verify.
    """
    name = filename or "<string>"
    source = decode_source(text, name, line_offset)
    try:
        module = LocParser(ctx or make_context(), source, name, line_offset).parse_module()
        if verify:
            verify_with_locations(module)
    except ParseError as e:
        raise CompileError(diagnostic_from_parse_error(e, line_offset)) from None
    except CompileError as e:
        sources = DiagnosticEngine()
        sources.add_source(name, source, line_offset)
        for d in e.diagnostics:
            sources.fill_source_lines(d)
        raise
    return module


def print_ir(op: Operation, *, generic: bool = False, debuginfo: bool = False) -> str:
    """`op` as MLIR text: custom form, or `generic`; `debuginfo` adds `loc(...)`."""
    out = StringIO()
    Printer(out, print_generic_format=generic, print_debuginfo=debuginfo).print_op(op)
    return out.getvalue()


def run_pipeline(
    module: ModuleOp,
    pipeline: str | Pipeline,
    *,
    ctx: Context | None = None,
    verify_each: bool = True,
    diagnostics: DiagnosticEngine | None = None,
    instrumentations: tuple[PassInstrumentation, ...] = (),
) -> ModuleOp:
    """Run `pipeline` (a `Pipeline` or its text, either syntax) on `module` in place.

    Returns `module`. Pass remarks and warnings go to `diagnostics` if given (or the
    active engine); see `Pipeline.run` for the errors raised.
    """
    if isinstance(pipeline, str):
        pipeline = Pipeline.parse(pipeline)
    return pipeline.run(
        module,
        ctx,
        verify_each=verify_each,
        diagnostics=diagnostics,
        instrumentations=instrumentations,
    )
