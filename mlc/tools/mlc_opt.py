"""`mlc-opt`: parse MLIR, run a pass pipeline, print the result.

The interface follows `mlir-opt` (`--pass-pipeline`, `--split-input-file`,
`--verify-diagnostics`, IR dumps around passes, timing), and the implementation is a
thin shell over the library: `mlc.parse`, `Pipeline.run`, `mlc.print_ir`. Every failure
ends as `file:line:col: error: ...` or `mlc-opt: error: ...` with exit status 1; a
Python traceback appears only with `--show-traceback`.

Extension points:

* `EMITTERS` maps each `--emit` choice to a function from module to output text;
  later backends (llvm, asm, ptx) add an entry there.
* `--run=FUNC` hands the compiled module to `mlc.interpreter.cli_run(module,
  func_name, run_args)` (see `run_function`), whose returned text replaces the IR
  output.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

from mlc.api import decode_source, parse, print_ir
from mlc.context import make_context
from mlc.diagnostics import (
    CompileError,
    Diagnostic,
    DiagnosticEngine,
    check_expected_diagnostics,
    parse_expected_diagnostics,
)
from mlc.passes import UnknownPassError, all_passes, get_pass, load_pass_plugin, pass_info
from mlc.pipeline import (
    PassCrashError,
    PassInstrumentation,
    PassTiming,
    Pipeline,
    PipelineError,
    PrintIR,
    render_timing,
)
from mlc.tools.cli import ArgumentParser, UsageError, read_input

PROG = "mlc-opt"
SPLIT_MARKER = "// -----"


# ---------------------------------------------------------------------------
# Output formats and the interpreter hook
# ---------------------------------------------------------------------------


def emit_mlir(module: ModuleOp, args: argparse.Namespace) -> str:
    """The module as MLIR text, honouring `--print-op-generic` / `--print-debuginfo`."""
    return print_ir(module, generic=args.print_op_generic, debuginfo=args.print_debuginfo) + "\n"


def emit_llvm(module: ModuleOp, args: argparse.Namespace) -> str:
    """The module's loop kernels as LLVM IR, optimised at O3 for this CPU."""
    from mlc.runtime.cpu import kernels_as_llvm, optimized_llvm_ir

    return optimized_llvm_ir(kernels_as_llvm(module))


def emit_asm(module: ModuleOp, args: argparse.Namespace) -> str:
    """The module's loop kernels as this CPU's assembly."""
    from mlc.runtime.cpu import host_assembly, kernels_as_llvm

    return host_assembly(kernels_as_llvm(module))


EMITTERS: dict[str, Callable[[ModuleOp, argparse.Namespace], str]] = {
    "mlir": emit_mlir,
    "llvm": emit_llvm,
    "asm": emit_asm,
}
"""`--emit` choice -> function producing the output text for a compiled module."""


def run_function(module: ModuleOp, func_name: str, run_args: Sequence[str]) -> str:
    """Execute `func_name` with the interpreter; its returned text is the output.

    The interpreter lives in `mlc.interpreter` and is imported only when `--run` is
    used (it needs numpy). Its `cli_run(module, func_name, run_args)` receives the
    `--run-arg` values: one `.npy` input per parameter, or none for seeded random
    inputs.
    """
    from mlc.interpreter import cli_run

    return cli_run(module, func_name, list(run_args))


# ---------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------


def build_argument_parser() -> argparse.ArgumentParser:
    """The `mlc-opt` command line."""
    p = ArgumentParser(
        prog=PROG,
        description="Parse MLIR, run an mlc pass pipeline over it, and print the result.",
    )
    p.add_argument(
        "input", nargs="?", default="-", metavar="FILE", help="input file, '-' for stdin (default)"
    )
    p.add_argument(
        "-o", dest="output", default="-", metavar="FILE", help="output file (default: stdout)"
    )
    pipe = p.add_argument_group("pass pipeline")
    pipe.add_argument(
        "--pass-pipeline",
        metavar="PIPELINE",
        help="MLIR-style pipeline, e.g. 'builtin.module(canonicalize,func.func(cse))'",
    )
    pipe.add_argument(
        "-p", "--passes", metavar="PASSES", help="shorthand pipeline, e.g. 'canonicalize,cse{...}'"
    )
    pipe.add_argument(
        "--print-pipeline",
        action="store_true",
        help="print the full pipeline (to stderr) and go on",
    )
    pipe.add_argument(
        "--list-passes", action="store_true", help="list the passes with their options and exit"
    )
    pipe.add_argument(
        "--load-pass-plugin",
        action="append",
        default=[],
        metavar="FILE.py",
        help="import a Python file that registers more passes (repeatable)",
    )
    pipe.add_argument(
        "--verify-each",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="verify the IR after every pass (default: on)",
    )
    inp = p.add_argument_group("input and output")
    inp.add_argument(
        "--split-input-file",
        action="store_true",
        help=f"process each '{SPLIT_MARKER}'-separated chunk on its own; join outputs the same way",
    )
    inp.add_argument(
        "--verify-diagnostics",
        action="store_true",
        help="check the diagnostics against '// expected-error {{...}}' annotations",
    )
    inp.add_argument(
        "--emit", choices=sorted(EMITTERS), default="mlir", help="output format (default: mlir)"
    )
    inp.add_argument("--print-op-generic", action="store_true", help="print ops in generic form")
    inp.add_argument(
        "--print-debuginfo", action="store_true", help="print source locations, loc(...)"
    )
    inp.add_argument(
        "--run", metavar="FUNC", help="run FUNC with the interpreter and print its result"
    )
    inp.add_argument(
        "--run-arg",
        action="append",
        default=[],
        metavar="VALUE",
        help="input .npy file for --run, one per parameter (default: seeded random inputs)",
    )
    dbg = p.add_argument_group("debugging")
    dbg.add_argument(
        "--print-ir-after-all", action="store_true", help="print the IR after every pass (stderr)"
    )
    dbg.add_argument(
        "--print-ir-after",
        action="append",
        default=[],
        metavar="PASS",
        help="print the IR after PASS (repeatable)",
    )
    dbg.add_argument(
        "--print-ir-before",
        action="append",
        default=[],
        metavar="PASS",
        help="print the IR before PASS (repeatable)",
    )
    dbg.add_argument(
        "--timing", action="store_true", help="report the wall time of each pass (stderr)"
    )
    dbg.add_argument(
        "--show-traceback", action="store_true", help="show Python tracebacks of internal errors"
    )
    p.add_argument("--version", action="store_true", help="print the version and exit")
    return p


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------


def _version_text() -> str:
    from importlib.metadata import version

    from mlc import __version__

    return (
        f"{PROG} (mlc {__version__}) with xDSL {version('xdsl')}, Python {sys.version.split()[0]}"
    )


def _list_passes() -> str:
    infos = [pass_info(name) for name in all_passes()]
    width = max(len(i.name) for i in infos)
    lines = ["Available passes:"]
    for info in infos:
        lines.append(f"  {info.name:<{width}}  {info.summary}")
        described = [(o.describe(), o.help) for o in info.options]
        option_width = max((len(d) for d, _ in described), default=0)
        lines += [f"      {d:<{option_width}}  {h}".rstrip() for d, h in described]
    return "\n".join(lines) + "\n"


def _pipeline_from_args(args: argparse.Namespace) -> Pipeline:
    if args.pass_pipeline is not None and args.passes is not None:
        raise UsageError("give the pipeline with either --pass-pipeline or -p, not both")
    for flag, names in (
        ("--print-ir-after", args.print_ir_after),
        ("--print-ir-before", args.print_ir_before),
    ):
        for name in names:
            try:
                get_pass(name)  # an unknown name is a mistake, not a silent no-op
            except UnknownPassError as e:
                raise UsageError(f"{flag}: {e}") from None
    return Pipeline.parse(args.pass_pipeline or args.passes or "")


def split_input(text: str, split: bool) -> list[tuple[str, int]]:
    """(chunk text, lines before it) for each `// -----`-separated chunk of `text`."""
    if not split:
        return [(text, 0)]
    chunks: list[tuple[str, int]] = []
    current: list[str] = []
    start = 0
    for index, line in enumerate(text.split("\n")):
        if line.strip() == SPLIT_MARKER:
            chunks.append(("\n".join(current), start))
            current, start = [], index + 1
        else:
            current.append(line)
    chunks.append(("\n".join(current), start))
    return chunks


@dataclass
class _Driver:
    """State of one `mlc-opt` run: options, context, pipeline, timers."""

    args: argparse.Namespace
    pipeline: Pipeline
    ctx: Context
    filename: str
    source: str
    instrumentations: tuple[PassInstrumentation, ...]
    parse_seconds: float = 0.0
    output_seconds: float = 0.0

    def report(self, diag: Diagnostic) -> None:
        print(diag.render(unlocated_prefix=PROG), file=sys.stderr)

    def process(self, chunk: str, line_offset: int) -> tuple[bool, str]:
        """Compile one chunk: (success, output text).

        Success means no errors, or with `--verify-diagnostics` that the diagnostics
        were exactly the expected ones. A chunk with errors has no output.
        """
        engine = DiagnosticEngine(handler=None if self.args.verify_diagnostics else self.report)
        engine.add_source(self.filename, self.source)
        output = ""
        try:
            started = time.perf_counter()
            module = parse(chunk, self.filename, ctx=self.ctx, line_offset=line_offset)
            self.parse_seconds += time.perf_counter() - started
            self.pipeline.run(
                module,
                self.ctx,
                verify_each=self.args.verify_each,
                diagnostics=engine,
                instrumentations=self.instrumentations,
            )
            started = time.perf_counter()
            if self.args.run is not None:
                output = run_function(module, self.args.run, self.args.run_arg)
            else:
                output = EMITTERS[self.args.emit](module, self.args)
            self.output_seconds += time.perf_counter() - started
        except CompileError as e:
            for d in e.diagnostics:
                engine.emit(d)
        if not self.args.verify_diagnostics:
            return engine.error_count == 0, output
        expected = parse_expected_diagnostics(chunk, self.filename, line_offset)
        problems = check_expected_diagnostics(expected, engine.diagnostics, self.filename)
        for problem in problems:
            engine.fill_source_lines(problem)
            self.report(problem)
        return not problems, output


def _write_output(path: str, text: str) -> None:
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise UsageError(f"cannot write '{path}': {e.strerror or e}") from None


def run(argv: Sequence[str] | None = None) -> int:
    """Run `mlc-opt` with `argv` (default: the process arguments); the exit status."""
    args = build_argument_parser().parse_args(argv)
    try:
        return _run(args)
    except (UsageError, PipelineError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except CompileError as e:  # input-level problems found before any chunk (bad UTF-8)
        for d in e.diagnostics:
            print(d.render(unlocated_prefix=PROG), file=sys.stderr)
        return 1
    except PassCrashError as e:
        if args.show_traceback:
            raise
        return _internal_error(str(e))
    except BrokenPipeError:  # the reader went away (`mlc-opt ... | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        if args.show_traceback:
            raise
        return _internal_error(f"internal error: {type(e).__name__}: {e}")


def _internal_error(message: str) -> int:
    """Report a bug in mlc (not in the input) without a traceback; the exit status."""
    print(f"{PROG}: {message}", file=sys.stderr)
    print(
        f"{PROG}: note: this is a bug in mlc; rerun with --show-traceback to see where",
        file=sys.stderr,
    )
    return 1


def _run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    if args.version:
        print(_version_text())
        return 0
    for plugin in args.load_pass_plugin:
        try:
            load_pass_plugin(plugin)
        except Exception as e:
            if args.show_traceback:
                raise
            raise UsageError(f"cannot load pass plugin '{plugin}': {type(e).__name__}: {e}") from e
    if args.list_passes:
        _write_output(args.output, _list_passes())
        return 0
    pipeline = _pipeline_from_args(args)
    if args.print_pipeline:
        print(pipeline, file=sys.stderr)

    filename = "<stdin>" if args.input == "-" else args.input
    source = decode_source(read_input(args.input), filename)
    instrumentations: list[PassInstrumentation] = []
    if args.print_ir_after_all or args.print_ir_after or args.print_ir_before:
        instrumentations.append(
            PrintIR(
                sys.stderr,
                before=set(args.print_ir_before),
                after=set(args.print_ir_after),
                after_all=args.print_ir_after_all,
                generic=args.print_op_generic,
                debuginfo=args.print_debuginfo,
            )
        )
    timing = PassTiming() if args.timing else None
    if timing is not None:
        instrumentations.append(timing)
    driver = _Driver(args, pipeline, make_context(), filename, source, tuple(instrumentations))

    results = [
        driver.process(chunk, offset)
        for chunk, offset in split_input(source, args.split_input_file)
    ]
    failed = not all(ok for ok, _ in results)
    if args.output == "-" or not failed:  # a file is only written by a successful run
        _write_output(args.output, f"{SPLIT_MARKER}\n".join(out for _, out in results))
    if timing is not None:
        rows = [("Parser", driver.parse_seconds), *timing.rows(), ("Output", driver.output_seconds)]
        sys.stderr.write(render_timing(rows, time.perf_counter() - started))
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Console-script entry point: run and exit with the status."""
    sys.exit(run(argv))


if __name__ == "__main__":
    main()
