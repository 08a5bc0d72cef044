"""`mlc-run`: evaluate a function of an MLIR file with the reference interpreter.

    mlc-run model.mlir --function forward --input x.npy --input w.npy
    mlc-run model.mlir --seed 3 --pipeline decompose --output-dir out/

Without `--input` the inputs are generated from `--seed` (see
`mlc.interpreter.cli`); results are printed in a FileCheck-friendly form or saved as
`.npy` files. `--pipeline` runs passes before evaluating, which turns the tool into a
quick differential check: compare the output with and without it.

A thin shell over `mlc.parse`, `mlc.run_pipeline` and `mlc.interpreter.cli_run`.
Every failure ends as `file:line:col: error: ...` or `mlc-run: error: ...` with exit
status 1; a Python traceback appears only with `--show-traceback`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from mlc.api import decode_source, parse, run_pipeline
from mlc.diagnostics import CompileError, DiagnosticEngine
from mlc.interpreter import cli_run, default_function
from mlc.pipeline import PassCrashError, PipelineError
from mlc.tools.cli import ArgumentParser, UsageError, read_input

PROG = "mlc-run"


def build_argument_parser() -> argparse.ArgumentParser:
    """The `mlc-run` command line."""
    p = ArgumentParser(
        prog=PROG,
        description="Run a function of an MLIR file with mlc's numpy reference interpreter.",
    )
    p.add_argument("input", metavar="FILE", help="input file, '-' for stdin")
    p.add_argument(
        "-f",
        "--function",
        metavar="NAME",
        help="function to run (default: the first public function)",
    )
    p.add_argument(
        "--input",
        dest="inputs",
        action="extend",
        nargs="+",
        default=[],
        metavar="FILE.npy",
        help="argument values, one .npy file per parameter in order (default: random)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the random arguments (default: 0)")
    p.add_argument(
        "--output-dir",
        metavar="DIR",
        help="save the results as DIR/result0.npy, ... instead of printing them",
    )
    p.add_argument(
        "--pipeline",
        metavar="PIPELINE",
        help="passes to run first, e.g. 'decompose,canonicalize' or 'builtin.module(...)'",
    )
    p.add_argument(
        "--show-traceback", action="store_true", help="show Python tracebacks of internal errors"
    )
    return p


def _run(args: argparse.Namespace, engine: DiagnosticEngine) -> int:
    filename = "<stdin>" if args.input == "-" else args.input
    source = decode_source(read_input(args.input), filename)
    engine.add_source(filename, source)  # so run-time errors show their source line
    module = parse(source, filename)
    if args.pipeline is not None:
        run_pipeline(module, args.pipeline, diagnostics=engine)
    func_name = args.function or default_function(module)
    sys.stdout.write(cli_run(module, func_name, args.inputs, args.seed, args.output_dir))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run `mlc-run` with `argv` (default: the process arguments); the exit status."""
    args = build_argument_parser().parse_args(argv)
    # Prints pass remarks and warnings as they come, and each error once.
    engine = DiagnosticEngine(
        handler=lambda d: print(d.render(unlocated_prefix=PROG), file=sys.stderr)
    )
    try:
        return _run(args, engine)
    except (UsageError, PipelineError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
    except CompileError as e:
        for d in e.diagnostics:
            engine.emit(d)
    except BrokenPipeError:  # the reader went away (`mlc-run ... | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        if args.show_traceback:
            raise
        what = (
            str(e) if isinstance(e, PassCrashError) else f"internal error: {type(e).__name__}: {e}"
        )
        print(f"{PROG}: {what}", file=sys.stderr)
        print(
            f"{PROG}: note: this is a bug in mlc; rerun with --show-traceback to see where",
            file=sys.stderr,
        )
    return 1


if __name__ == "__main__":
    sys.exit(main())
