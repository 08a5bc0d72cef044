"""`mlc-opt`: parse MLIR, run a pass pipeline, print the result.

The interface follows `mlir-opt` (`--pass-pipeline`, `--split-input-file`,
`--verify-diagnostics`, IR dumps around passes, timing), and the implementation is a
thin shell over the library: `mlc.parse`, `Pipeline.run`, `mlc.print_ir`. Every failure
ends as `file:line:col: error: ...` or `mlc-opt: error: ...` with exit status 1; a
Python traceback appears only with `--show-traceback`.

An internal error (an unexpected exception: a bug in mlc, not in the input) also
writes a crash reproducer, like MLIR's `--mlir-pass-pipeline-crash-reproducer`: the
input being compiled and the exact pipeline, in a file (`--crash-reproducer=PATH`,
default a new file in the temp dir), and prints the command that reproduces it.
`--debug-counter` limits the compiler's individual decisions (see
`mlc.debug_counter`), to bisect a miscompile to one of them.

Extension points:

* `EMITTERS` maps each `--emit` choice to a function from module to output text;
  later backends (llvm, asm, ptx) add an entry there.
* `--run=FUNC` hands the compiled module to `mlc.interpreter.cli_run(module,
  func_name, run_args)` (see `run_function`), whose returned text replaces the IR
  output.
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

from mlc.api import decode_source, parse, print_ir
from mlc.context import make_context
from mlc.debug_counter import DebugCounters, debug_counters, registered_counters
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


def emit_ptx(module: ModuleOp, args: argparse.Namespace) -> str:
    """The module's GPU-mapped kernels as PTX for `--gpu-arch` (default: the arch
    mlc-gpu-pipeline recorded, else sm_90), checked against its resource limits."""
    from mlc.lowering.ptx import compile_module_ptx

    return compile_module_ptx(module, args.gpu_arch).ptx


EMITTERS: dict[str, Callable[[ModuleOp, argparse.Namespace], str]] = {
    "mlir": emit_mlir,
    "llvm": emit_llvm,
    "asm": emit_asm,
    "ptx": emit_ptx,
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

    _check_fits_in_memory(module, func_name)
    return cli_run(module, func_name, list(run_args))


def _check_fits_in_memory(module: ModuleOp, func_name: str) -> None:
    """A located error for a tensor of `@func_name` larger than this machine's memory
    (the interpreter would try to allocate it: a MemoryError, or numpy's refusal)."""
    from xdsl.dialects import func
    from xdsl.dialects.builtin import TensorType

    from mlc.interpreter import numpy_dtype

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for function in module.ops:
        if not isinstance(function, func.FuncOp) or function.sym_name.data != func_name:
            continue
        for op in function.walk():
            values = function.args if op is function else op.results
            for value in values:
                if not isinstance(value.type, TensorType) or not all(
                    d >= 0 for d in value.type.get_shape()
                ):
                    continue
                try:
                    itemsize = numpy_dtype(value.type.element_type).itemsize
                except TypeError:  # a type the interpreter reports itself
                    continue
                size = math.prod(value.type.get_shape()) * itemsize
                if size > memory:
                    raise CompileError.at(
                        op,
                        f"'{op.name}' op: a {value.type} takes {size} bytes, more than this "
                        f"machine's {memory}: --run cannot interpret it",
                    )


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
    inp.add_argument(
        "--gpu-arch",
        default=None,
        help="--emit=ptx: sm_80 or sm_90 (default: mlc-gpu-pipeline's arch, else sm_90)",
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
    dbg.add_argument(
        "--crash-reproducer",
        metavar="PATH",
        help="on an internal error, write the input and pipeline here (default: a temp file)",
    )
    dbg.add_argument(
        "--debug-counter",
        action="append",
        default=[],
        metavar="SPEC",
        help="limit decisions: NAME-skip=N,NAME-count=M (repeatable; see --list-debug-counters)",
    )
    dbg.add_argument(
        "--list-debug-counters", action="store_true", help="list the debug counters and exit"
    )
    dbg.add_argument(
        "--print-debug-counters",
        action="store_true",
        help="report how many decisions each debug counter saw (stderr)",
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


def _list_debug_counters() -> str:
    counters = registered_counters()
    width = max(map(len, counters), default=0)
    lines = ["Available debug counters (--debug-counter=NAME-skip=N,NAME-count=M):"]
    lines += [f"  {name:<{width}}  {description}" for name, description in counters.items()]
    return "\n".join(lines) + "\n"


def _debug_counter_spec(args: argparse.Namespace) -> str:
    """The `--debug-counter` values as one spec, checked (UsageError if wrong)."""
    spec = ",".join(args.debug_counter)
    try:
        DebugCounters.parse(spec)
    except ValueError as e:
        raise UsageError(f"--debug-counter: {e}") from None
    return spec


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
    debug_counter: str = ""
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
        with debug_counters(self.debug_counter) as counters:
            output = self._compile(chunk, line_offset, engine)
        if self.args.print_debug_counters:
            sys.stderr.write(counters.report())
        if not self.args.verify_diagnostics:
            return engine.error_count == 0, output
        expected = parse_expected_diagnostics(chunk, self.filename, line_offset)
        problems = check_expected_diagnostics(expected, engine.diagnostics, self.filename)
        for problem in problems:
            engine.fill_source_lines(problem)
            self.report(problem)
        return not problems, output

    def _compile(self, chunk: str, line_offset: int, engine: DiagnosticEngine) -> str:
        """Parse, run the pipeline, emit: the output text ("" after errors)."""
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
        return output


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
    crash = _CrashContext()
    try:
        return _run(args, crash)
    except (UsageError, PipelineError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except CompileError as e:  # input-level problems found before any chunk (bad UTF-8)
        for d in e.diagnostics:
            print(d.render(unlocated_prefix=PROG), file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`mlc-opt ... | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        reproducer = crash.write(args, e)
        if args.show_traceback:
            if reproducer:
                print(f"{PROG}: note: {reproducer}", file=sys.stderr)
            raise
        message = (
            str(e) if isinstance(e, PassCrashError) else f"internal error: {type(e).__name__}: {e}"
        )
        return _internal_error(message, reproducer)


def _internal_error(message: str, reproducer: str | None) -> int:
    """Report a bug in mlc (not in the input) without a traceback; the exit status."""
    print(f"{PROG}: {message}", file=sys.stderr)
    print(
        f"{PROG}: note: this is a bug in mlc; rerun with --show-traceback to see where",
        file=sys.stderr,
    )
    if reproducer:
        print(f"{PROG}: note: {reproducer}", file=sys.stderr)
    return 1


@dataclass
class _CrashContext:
    """What a crash reproducer holds: the input being compiled when mlc crashed, and
    the pipeline. Filled in by `_run` as it goes."""

    pipeline: Pipeline | None = None
    chunk: str | None = None

    def command(self, args: argparse.Namespace, path: str) -> list[str]:
        """The `mlc-opt` command line that compiles the reproducer the same way."""
        command = [PROG, path]
        command += [f"--load-pass-plugin={os.path.abspath(p)}" for p in args.load_pass_plugin]
        command.append(f"--pass-pipeline={self.pipeline}")
        if not args.verify_each:
            command.append("--no-verify-each")
        if args.debug_counter:
            command.append(f"--debug-counter={','.join(args.debug_counter)}")
        if args.run is not None:
            command += [f"--run={args.run}", *(f"--run-arg={a}" for a in args.run_arg)]
        elif args.emit != "mlir":
            command.append(f"--emit={args.emit}")
        return command

    def write(self, args: argparse.Namespace, error: Exception) -> str | None:
        """Write the reproducer; a note saying where and how to run it (None when
        the crash came before any input was compiled)."""
        if self.chunk is None or self.pipeline is None:
            return None
        try:
            if args.crash_reproducer:
                path = args.crash_reproducer
                file = open(path, "w", encoding="utf-8")  # noqa: SIM115 -- closed below
            else:
                fd, path = tempfile.mkstemp(prefix="mlc-opt-crash-", suffix=".mlir")
                file = os.fdopen(fd, "w", encoding="utf-8")
            command = shlex.join(self.command(args, path))
            with file:
                file.write(f"// {PROG} crash reproducer: {type(error).__name__}: {error}\n")
                file.write(f"// reproduce with: {command}\n")
                file.write(self.chunk if self.chunk.endswith("\n") else self.chunk + "\n")
        except OSError as e:
            return f"cannot write the crash reproducer to '{args.crash_reproducer}': {e.strerror}"
        return f"crash reproducer written to {path}; reproduce with: {command}"


def _run(args: argparse.Namespace, crash: _CrashContext) -> int:
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
    if args.list_debug_counters:
        _write_output(args.output, _list_debug_counters())
        return 0
    pipeline = _pipeline_from_args(args)
    debug_counter = _debug_counter_spec(args)
    crash.pipeline = pipeline
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
    driver = _Driver(
        args, pipeline, make_context(), filename, source, tuple(instrumentations), debug_counter
    )

    results = []
    for chunk, offset in split_input(source, args.split_input_file):
        crash.chunk = chunk
        results.append(driver.process(chunk, offset))
    crash.chunk = None
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
