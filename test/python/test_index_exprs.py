"""`simplify` of index expressions: exact over the domain, and simpler where it can be."""

from __future__ import annotations

import itertools
import random

import pytest
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
    AffineSymExpr,
)

from mlc.lowering.index_exprs import simplify

d0, d1, d2, d3, d4 = (AffineExpr.dimension(n) for n in range(5))
s0 = AffineExpr.symbol(0)


def evaluate(expr: AffineExpr, point: tuple[int, ...], symbol: int = 0) -> int:
    if isinstance(expr, AffineDimExpr):
        return point[expr.position]
    if isinstance(expr, AffineSymExpr):
        return symbol
    if isinstance(expr, AffineConstantExpr):
        return expr.value
    assert isinstance(expr, AffineBinaryOpExpr)
    a, b = evaluate(expr.lhs, point, symbol), evaluate(expr.rhs, point, symbol)
    return {
        AffineBinaryOpKind.Add: lambda: a + b,
        AffineBinaryOpKind.Mul: lambda: a * b,
        AffineBinaryOpKind.FloorDiv: lambda: a // b,
        AffineBinaryOpKind.CeilDiv: lambda: -(-a // b),
        AffineBinaryOpKind.Mod: lambda: a % b,
    }[expr.kind]()


def reshape(exprs, out_shape, in_shape):
    """The indices of `in_shape` holding a reshape's result at `exprs`."""
    linear = AffineExpr.constant(0)
    for e, size in zip(exprs, out_shape, strict=True):
        linear = linear * size + e
    result, stride = [], 1
    for size in reversed(in_shape):
        result.append((linear // stride) % size)
        stride *= size
    return list(reversed(result))


@pytest.mark.parametrize(
    ("expr", "sizes", "expected"),
    [
        # A reshape of [4, 64, 128] to [256, 128], read back as [4, 64, 128].
        ((d0 * 128 + d2) // 8192, (256, 1, 128), "(d0 floordiv 64)"),
        ((d0 * 128 + d2) % 8192 // 128, (256, 1, 128), "(d0 mod 64)"),
        ((d0 * 128 + d2) % 128, (256, 1, 128), "d2"),
        # Extraction of exact multiples, with and without known ranges.
        ((d0 * 64 + d1 * 8 + d2) // 8, (4, 8, 8), "((d0 * 8) + d1)"),
        ((s0 * 64 + d1) // 64, (4, 64), "s0"),
        ((d0 * 6 + d1) % 3, (5, 3), "d1"),
        # Nested divisions collapse.
        ((d0 // 4) // 8, (100,), "(d0 floordiv 32)"),
        ((d0 % 12) % 4, (100,), "(d0 mod 4)"),
        (-((-(d0 * 4 + d1)) // 4), (10, 4), None),  # ceildiv written by hand: kept exact
    ],
)
def test_simplifies_known_forms(expr, sizes, expected) -> None:
    simpler = simplify(expr, sizes)
    if expected is not None:
        assert str(simpler) == expected
    for point in itertools.product(*(range(s) for s in sizes)):
        assert evaluate(simpler, point, 7) == evaluate(expr, point, 7)


def test_attention_head_split_becomes_strided() -> None:
    """q[b, h, t, e] of a [4, 64, 384] qkv projection split into 4 heads of 32."""
    b, h, t, e = d0, d1, d2, d3
    sizes = (4, 4, 64, 32)
    # transpose [b, t, h, e] <- [b, h, t, e]; reshape [4, 64, 128] <- [4, 64, 4, 32];
    # slice of the last dim at 128 (k); reshape [256, 384] <- [4, 64, 384].
    viewed = reshape([b, t, h, e], (4, 64, 4, 32), (4, 64, 128))
    viewed = [viewed[0], viewed[1], viewed[2] + 128]
    row, column = reshape(viewed, (4, 64, 384), (256, 384))
    assert str(simplify(row, sizes)) == "((d0 * 64) + d2)"
    assert str(simplify(column, sizes)) == "(((d1 * 32) + d3) + 128)"


def test_keeps_what_it_cannot_simplify() -> None:
    expr = (d0 * 3 + d1) // 4
    assert simplify(expr, (10, 10)) is expr
    assert simplify(d0, (10,)) is d0
    assert simplify((s0 + d0) % 4, (3,)) == (s0 + d0) % 4


def random_expr(rng: random.Random, rank: int, depth: int) -> AffineExpr:
    if depth == 0 or rng.random() < 0.25:
        return AffineExpr.dimension(rng.randrange(rank)) * rng.choice([1, 1, 2, 3, 4, 8, 16])
    kind = rng.choice(["add", "add", "floordiv", "mod", "ceildiv", "mul"])
    lhs = random_expr(rng, rank, depth - 1)
    if kind == "add":
        return lhs + random_expr(rng, rank, depth - 1)
    if kind == "mul":
        return lhs * rng.choice([2, 3, 5, 8])
    k = rng.choice([2, 3, 4, 6, 8, 16, 32])
    return {"floordiv": lhs // k, "mod": lhs % k, "ceildiv": lhs.ceil_div(k)}[kind]


@pytest.mark.parametrize("seed", range(40))
def test_random_expressions_keep_their_values(seed: int) -> None:
    rng = random.Random(seed)
    rank = rng.randrange(1, 4)
    sizes = tuple(rng.choice([1, 2, 3, 4, 5, 8, 16]) for _ in range(rank))
    for _ in range(25):
        expr = random_expr(rng, rank, 4)
        simpler = simplify(expr, sizes)
        for point in itertools.product(*(range(s) for s in sizes)):
            assert evaluate(simpler, point) == evaluate(expr, point), (expr, simpler, point)
