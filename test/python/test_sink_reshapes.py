"""`sink-reshapes` against the oracle: every program of its lit test computes the
same before and after the pass (interpreter) and compiled (native CPU code), and
`sunk_shape` says why an op stays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from programs import after, assert_agree, inputs_for
from xdsl.dialects import func

import mlc
from mlc.interpreter import run
from mlc.transforms.sink_reshapes import sunk_shape

LIT = Path(__file__).parents[1] / "Transforms" / "sink-reshapes" / "sink-reshapes.mlir"
PROGRAMS = LIT.read_text().split("// -----")


def function_name(text: str) -> str:
    module = mlc.parse(text)
    return next(op for op in module.walk() if isinstance(op, func.FuncOp)).sym_name.data


@pytest.mark.parametrize("text", PROGRAMS, ids=[function_name(t) for t in PROGRAMS])
def test_values_are_kept(text: str):
    module, name = mlc.parse(text), function_name(text)
    inputs = inputs_for(module, np.random.default_rng(0))
    expected = run(module, name, *inputs)
    assert_agree(expected, run(after(module, "sink-reshapes"), name, *inputs))
    assert_agree(expected, mlc.compile(text, cache=False)[name](*inputs))


def reasons(text: str) -> list[str]:
    module = mlc.parse(text)
    return [
        r for op in module.walk() if isinstance(r := sunk_shape(op), str) and "element" not in r
    ]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("returned", "the function returns its result"),
        ("computed_operand", "an operand is computed in the op's own shape"),
        ("not_a_matmul", "no operand is a reshaped matmul result"),
        ("two_shapes", "operands are reshaped from different shapes"),
    ],
)
def test_reasons_to_stay(name: str, reason: str):
    (text,) = [t for t in PROGRAMS if function_name(t) == name]
    assert reason in reasons(text)
