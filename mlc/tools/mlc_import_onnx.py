"""`mlc-import-onnx`: an ONNX model as nn IR text.

    mlc-import-onnx model.onnx -o model.mlir
    mlc-import-onnx model.onnx --input-shape x=1,128 --initializers-as-arguments
    mlc-opt model.mlir -p 'decompose,fuse'          # then as any nn program

A thin shell over `mlc.frontends.onnx.import_model`. What the importer cannot
translate ends as `mlc-import-onnx: error: node 'name' (OpType): ...` with exit
status 1.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from mlc.tools.cli import ArgumentParser, UsageError, read_input

PROG = "mlc-import-onnx"


def _input_shape(text: str) -> tuple[str, list[int]]:
    name, equals, dims = text.rpartition("=")
    try:
        shape = [int(d) for d in dims.split(",") if d.strip()]
    except ValueError:
        shape = None
    if not equals or not name or shape is None or min(shape, default=0) < 0:
        raise UsageError(f"--input-shape expects NAME=D0,D1,... (e.g. x=1,128), got '{text}'")
    return name, shape


def main(argv: Sequence[str] | None = None) -> int:
    parser = ArgumentParser(prog=PROG, description="Import an ONNX model as nn IR (MLIR text).")
    parser.add_argument("model", metavar="MODEL.onnx", help="the model, '-' for stdin")
    parser.add_argument("-o", "--output", metavar="FILE", help="output file (default: stdout)")
    parser.add_argument("--name", help="the function's name (default: the graph's name)")
    parser.add_argument(
        "--initializers-as-arguments",
        action="store_true",
        help="make initializers parameters after the graph inputs instead of constants",
    )
    parser.add_argument(
        "--input-shape",
        action="append",
        default=[],
        metavar="NAME=D0,D1,...",
        help="the static shape of a graph input (for dynamic dimensions); repeatable",
    )
    args = parser.parse_args(argv)
    try:
        import onnx
    except ImportError:
        print(f"{PROG}: error: needs the onnx package (pip install 'mlc[onnx]')", file=sys.stderr)
        return 1
    from mlc.api import print_ir
    from mlc.frontends.onnx import import_model

    try:
        shapes = dict(_input_shape(s) for s in args.input_shape)
        data = read_input(args.model)
        try:
            model = onnx.load_from_string(data)
        except Exception as e:  # protobuf's DecodeError and friends
            raise UsageError(f"'{args.model}' is not an ONNX model: {e}") from None
        module = import_model(
            model,
            name=args.name,
            initializers_as_arguments=args.initializers_as_arguments,
            input_shapes=shapes,
        )
    except (UsageError, ValueError, TypeError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    text = print_ir(module) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        with open(args.output, "w") as out:
            out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
