"""`mlc-run`: evaluate a function of an MLIR file with the reference interpreter.

    mlc-run model.mlir --function forward --input x.npy --input w.npy
    mlc-run model.mlir --seed 3 --pipeline decompose --output-dir out/
    mlc-run model.mlir --backend=cpu --check

`--backend=cpu` runs native code instead (`mlc.compile`: `mlc-cpu-pipeline`, then
LLVM), on the same inputs. `--check` (with `--backend=cpu`) also runs the
interpreter and prints, per result, the largest absolute and relative difference;
the exit status is 1 when a result is outside the tolerance (`TOLERANCE`): element
by element, `|cpu - interpreter| <= atol * max(1, max|interpreter|) + rtol *
|interpreter|`, NaN and infinities in the same places, integers and booleans equal.

Without `--input` the inputs are generated from `--seed` (see
`mlc.interpreter.cli`); results are printed in a FileCheck-friendly form or saved as
`.npy` files. `--pipeline` runs passes before evaluating, which turns the tool into a
quick differential check: compare the output with and without it.

A thin shell over `mlc.parse`, `mlc.run_pipeline`, `mlc.compile` and
`mlc.interpreter.cli_run`.
Every failure ends as `file:line:col: error: ...` or `mlc-run: error: ...` with exit
status 1; a Python traceback appears only with `--show-traceback`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

import ml_dtypes
import numpy as np
from xdsl.dialects.builtin import ModuleOp

from mlc.api import decode_source, parse, run_pipeline
from mlc.diagnostics import CompileError, DiagnosticEngine
from mlc.interpreter import cli_run, default_function, run
from mlc.pipeline import PassCrashError, PipelineError
from mlc.tools.cli import ArgumentParser, UsageError, read_input

PROG = "mlc-run"

TOLERANCE: dict[Any, tuple[float, float]] = {
    np.dtype(np.float64): (1e-9, 1e-12),
    np.dtype(np.float32): (1e-4, 1e-5),
    np.dtype(np.float16): (1e-2, 1e-3),
    np.dtype(ml_dtypes.bfloat16): (4e-2, 1e-2),
}
"""`--check`'s (rtol, atol) per float dtype; atol is scaled by the result's magnitude.
Loose enough for a different order of summation and libm; exact types compare equal."""


def build_argument_parser() -> argparse.ArgumentParser:
    """The `mlc-run` command line."""
    p = ArgumentParser(
        prog=PROG,
        description="Run a function of an MLIR file with mlc's numpy reference interpreter "
        "or as native CPU code.",
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
        "--backend",
        choices=("interpreter", "cpu"),
        default="interpreter",
        help="run with the numpy interpreter or as native CPU code (default: interpreter)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="with --backend=cpu: also run the interpreter, report the differences and "
        "exit with 1 if they exceed the tolerance",
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
    if args.check and args.backend != "cpu":
        raise UsageError("--check compares the cpu backend with the interpreter: add --backend=cpu")
    if args.backend == "interpreter":
        sys.stdout.write(cli_run(module, func_name, args.inputs, args.seed, args.output_dir))
        return 0
    from mlc.runtime.executable import compile

    executable = compile(module, "cpu")
    report: list[str] = []
    failed = False

    def runner(module: ModuleOp, name: str, *inputs: np.ndarray) -> Any:
        nonlocal failed
        actual = executable[name](*inputs)
        if args.check:
            expected = run(module, name, *inputs)
            for n, (e, a) in enumerate(zip(_as_tuple(expected), _as_tuple(actual), strict=True)):
                line, ok = compare(e, a)
                report.append(f"check: result #{n}: {line}\n")
                failed |= not ok
        return actual

    sys.stdout.write(
        cli_run(module, func_name, args.inputs, args.seed, args.output_dir, runner=runner)
    )
    sys.stdout.write("".join(report))
    if failed:
        print(f"{PROG}: error: the cpu backend differs from the interpreter", file=sys.stderr)
    return int(failed)


def _as_tuple(value: Any) -> tuple[np.ndarray, ...]:
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


def compare(expected: np.ndarray, actual: np.ndarray) -> tuple[str, bool]:
    """`max abs diff ..., max rel diff ...` of `actual` against `expected`, and whether
    it is within `TOLERANCE` (see the module doc)."""
    if actual.dtype != expected.dtype or actual.shape != expected.shape:
        return (
            f"expected {expected.dtype}{list(expected.shape)}, "
            f"got {actual.dtype}{list(actual.shape)}: FAIL",
            False,
        )
    tolerance = TOLERANCE.get(expected.dtype)
    e, a = expected.astype(np.float64), actual.astype(np.float64)  # exact, bf16 included
    same_specials = np.array_equal(np.isnan(e), np.isnan(a)) and np.array_equal(
        np.where(np.isinf(e), e, 0), np.where(np.isinf(a), a, 0)
    )
    finite = np.isfinite(e) & np.isfinite(a)
    diff = np.abs(a[finite] - e[finite])
    max_abs = float(diff.max()) if diff.size else 0.0
    rel = diff / np.maximum(np.abs(e[finite]), np.finfo(np.float64).tiny)
    max_rel = float(rel.max()) if rel.size else 0.0
    if tolerance is None:
        ok, bound = same_specials and max_abs == 0, "exact"
    else:
        rtol, atol = tolerance
        magnitude = max(1.0, float(np.abs(e[finite]).max())) if diff.size else 1.0
        ok = same_specials and bool(np.all(diff <= atol * magnitude + rtol * np.abs(e[finite])))
        bound = f"rtol {rtol:g}, atol {atol:g}"
    verdict = "ok" if ok else "FAIL"
    return f"max abs diff {max_abs:.3g}, max rel diff {max_rel:.3g} ({bound}): {verdict}", ok


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
