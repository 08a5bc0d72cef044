"""Simplifying index expressions with what is known of the dims' ranges.

Views compose into index maps: reading a `[4, 64, 128]` tensor through a reshape to
`[256, 384]`, a slice, a reshape to `[4, 64, 4, 32]` and a transpose gives indices
such as `((d0 * 8192 + d2 * 128 + d1 * 32 + d4) floordiv 8192) * 24576 + ...`. Over
the domain (d1 < 4, d2 < 64, d4 < 32) that is `d0 * 64 + d2`: a plain strided
access that the code generators vectorise and that a contraction can be matched
on. `simplify` finds such forms the way Inductor's `FloorDiv`/`ModularIndexing`
rules with variable ranges do:

* an expression is a sum of terms `c * atom` plus a constant, where an atom is a
  dim, a symbol, or a `floordiv`/`ceildiv`/`mod` of a simplified sum;
* `(q * k + r) floordiv k = q + r floordiv k` and `(q * k + r) mod k = r mod k` for
  any integer `q`; then `r floordiv k` is the constant `m` and `r mod k` is
  `r - m * k` when the range of `r` lies in one `[m * k, (m + 1) * k)`;
* with `g` dividing `k`, `(g * y + z) floordiv k = y floordiv (k / g)` and
  `(g * y + z) mod k = g * (y mod (k / g)) + z` when `z` lies in `[0, g)`: the
  reshape of a row index `d0 * 128 + d2` (d2 < 128) back into rows of 8192;
* `c * k * (x floordiv k) + c * (x mod k) = c * x`: the flat offset of a reshaped
  tensor's indices (`flat_offset`) is the flat index it was reshaped from;
* `(x floordiv a) floordiv b = x floordiv (a * b)` and `(x mod a) mod b = x mod b`
  when `b` divides `a`.

Dims range over `[0, size)`; symbols (computed indices) have no known range, so
only the exact `q * k` extraction applies to sums that hold one. The result is
kept only when it is simpler than the input (fewer divisions, then fewer nodes),
so expressions that do not simplify print as they were written.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
    AffineSymExpr,
)

__all__ = ["flat_offset", "simplify", "simplify_all"]

Range = tuple[int, int] | None
"""Smallest and largest value, None where unknown (a symbol)."""


class _Sum:
    """`sum(coefficient * atom) + constant`, atoms in order of first appearance."""

    def __init__(self, terms: dict[AffineExpr, int] | None = None, constant: int = 0) -> None:
        self.terms = {a: c for a, c in (terms or {}).items() if c}
        self.constant = constant

    def __add__(self, other: _Sum) -> _Sum:
        terms = dict(self.terms)
        for atom, c in other.terms.items():
            terms[atom] = terms.get(atom, 0) + c
        return _Sum(terms, self.constant + other.constant).recombined()

    def recombined(self) -> _Sum:
        """`c * k * (x floordiv k) + c * (x mod k)` replaced by `c * x`, which is what
        a flat offset of a reshaped tensor's indices usually adds up to."""
        for atom, c in self.terms.items():
            if not (_is_division(atom, AffineBinaryOpKind.Mod) and c):
                continue
            k = atom.rhs.value  # type: ignore[attr-defined]
            for partner, d in self.terms.items():
                if (
                    d == c * k
                    and _is_division(partner, AffineBinaryOpKind.FloorDiv)
                    and partner.rhs.value == k  # type: ignore[attr-defined]
                    and partner.lhs == atom.lhs  # type: ignore[attr-defined]
                ):
                    terms = {a: v for a, v in self.terms.items() if a not in (atom, partner)}
                    x = _Simplifier(()).linear(atom.lhs)  # type: ignore[attr-defined]
                    return (_Sum(terms, self.constant) + x.scaled(c)).recombined()
        return self

    def scaled(self, factor: int) -> _Sum:
        return _Sum({a: c * factor for a, c in self.terms.items()}, self.constant * factor)

    def split(self, k: int) -> tuple[_Sum, _Sum]:
        """(q, r) with self = q * k + r: the terms whose coefficient k divides go to q."""
        q = {a: c // k for a, c in self.terms.items() if c % k == 0}
        r = {a: c for a, c in self.terms.items() if c % k}
        return _Sum(q, self.constant // k), _Sum(r, self.constant % k)

    def as_expr(self) -> AffineExpr:
        expr: AffineExpr | None = None
        for atom, c in self.terms.items():
            term = atom if c == 1 else atom * c
            expr = term if expr is None else expr + term
        if expr is None:
            return AffineExpr.constant(self.constant)
        return expr + self.constant if self.constant else expr

    def single_atom(self) -> AffineExpr | None:
        """The atom if self is exactly one atom, else None."""
        if self.constant == 0 and len(self.terms) == 1:
            ((atom, c),) = self.terms.items()
            return atom if c == 1 else None
        return None


def _is_division(expr: AffineExpr, kind: AffineBinaryOpKind) -> bool:
    """Whether `expr` is a `kind` (floordiv, ceildiv, mod) by a positive constant."""
    return (
        isinstance(expr, AffineBinaryOpExpr)
        and expr.kind == kind
        and isinstance(expr.rhs, AffineConstantExpr)
        and expr.rhs.value > 0
    )


class _Simplifier:
    def __init__(self, sizes: Sequence[int]) -> None:
        self.sizes = sizes

    def range_of(self, s: _Sum) -> Range:
        low = high = s.constant
        for atom, c in s.terms.items():
            r = self.atom_range(atom)
            if r is None:
                return None
            a, b = r[0] * c, r[1] * c
            low, high = low + min(a, b), high + max(a, b)
        return low, high

    def atom_range(self, atom: AffineExpr) -> Range:
        if isinstance(atom, AffineDimExpr):
            size = self.sizes[atom.position] if atom.position < len(self.sizes) else 0
            return (0, size - 1) if size > 0 else None
        if _is_division(atom, AffineBinaryOpKind.Mod):
            return 0, atom.rhs.value - 1  # type: ignore[attr-defined]
        floor = _is_division(atom, AffineBinaryOpKind.FloorDiv)
        if floor or _is_division(atom, AffineBinaryOpKind.CeilDiv):
            k = atom.rhs.value  # type: ignore[attr-defined]
            inner = self.range_of(self.linear(atom.lhs))  # type: ignore[attr-defined]
            if inner is None:
                return None
            if floor:
                return inner[0] // k, inner[1] // k
            return -(-inner[0] // k), -(-inner[1] // k)
        return None  # a symbol, or a product or division kept as written

    def linear(self, expr: AffineExpr) -> _Sum:
        if isinstance(expr, AffineConstantExpr):
            return _Sum(constant=expr.value)
        if isinstance(expr, AffineDimExpr | AffineSymExpr):
            return _Sum({expr: 1})
        assert isinstance(expr, AffineBinaryOpExpr), f"unexpected index expression {expr}"
        kind = expr.kind
        if kind == AffineBinaryOpKind.Add:
            return self.linear(expr.lhs) + self.linear(expr.rhs)
        if kind == AffineBinaryOpKind.Mul:
            lhs, rhs = self.linear(expr.lhs), self.linear(expr.rhs)
            if not rhs.terms:
                return lhs.scaled(rhs.constant)
            if not lhs.terms:
                return rhs.scaled(lhs.constant)
            return _Sum({expr: 1})  # not affine; kept as written
        divisor = self.linear(expr.rhs)
        if divisor.terms or divisor.constant <= 0:
            return _Sum({expr: 1})
        k = divisor.constant
        if kind == AffineBinaryOpKind.FloorDiv:
            return self.floordiv(self.linear(expr.lhs), k)
        if kind == AffineBinaryOpKind.Mod:
            return self.mod(self.linear(expr.lhs), k)
        inner = self.linear(expr.lhs)  # ceildiv(x, k) = -floordiv(-x, k)
        return self.floordiv(inner.scaled(-1), k).scaled(-1)

    def floordiv(self, x: _Sum, k: int) -> _Sum:
        if k == 1:
            return x
        q, r = x.split(k)
        bounds = self.range_of(r)
        if bounds is not None and bounds[0] // k == bounds[1] // k:
            return q + _Sum(constant=bounds[0] // k)
        if grouped := self.grouped(r, k):
            g, y, _ = grouped
            return q + self.floordiv(y, k // g)
        atom = r.single_atom()
        if atom is not None and _is_division(atom, AffineBinaryOpKind.FloorDiv):
            return q + self.floordiv(self.linear(atom.lhs), atom.rhs.value * k)  # type: ignore[attr-defined]
        return q + _Sum({r.as_expr() // k: 1})

    def grouped(self, x: _Sum, k: int) -> tuple[int, _Sum, _Sum] | None:
        """(g, y, z) with x = g * y + z, g > 1 dividing k and z in [0, g), the
        largest such g; None if there is none."""
        for g in sorted({math.gcd(c, k) for c in x.terms.values()}, reverse=True):
            if g == 1:
                break
            y, z = x.split(g)
            bounds = self.range_of(z)
            if y.terms and bounds is not None and bounds[0] >= 0 and bounds[1] < g:
                return g, y, z
        return None

    def mod(self, x: _Sum, k: int) -> _Sum:
        if k == 1:
            return _Sum()
        _, r = x.split(k)
        r = _Sum({a: c % k for a, c in r.terms.items()}, r.constant)
        bounds = self.range_of(r)
        if bounds is not None and bounds[0] // k == bounds[1] // k:
            return r + _Sum(constant=-(bounds[0] // k) * k)
        if grouped := self.grouped(r, k):
            g, y, z = grouped
            return self.mod(y, k // g).scaled(g) + z
        atom = r.single_atom()
        if (
            atom is not None
            and _is_division(atom, AffineBinaryOpKind.Mod)
            and atom.rhs.value % k == 0  # type: ignore[attr-defined]
        ):
            return self.mod(self.linear(atom.lhs), k)  # type: ignore[attr-defined]
        return _Sum({r.as_expr() % k: 1})


def _cost(expr: AffineExpr) -> tuple[int, int]:
    """(divisions and remainders, nodes): what `simplify` lowers."""
    if isinstance(expr, AffineBinaryOpExpr):
        (d1, n1), (d2, n2) = _cost(expr.lhs), _cost(expr.rhs)
        division = expr.kind not in (AffineBinaryOpKind.Add, AffineBinaryOpKind.Mul)
        return d1 + d2 + division, n1 + n2 + 1
    return 0, 1


def simplify(expr: AffineExpr, sizes: Sequence[int]) -> AffineExpr:
    """`expr` in its simplest known form for dims `d` ranging over `[0, sizes[d])`
    (see the module doc); `expr` itself when nothing simpler is found."""
    if not isinstance(expr, AffineBinaryOpExpr):
        return expr
    simpler = _Simplifier(sizes).linear(expr).as_expr()
    return simpler if _cost(simpler) < _cost(expr) else expr


def simplify_all(exprs: Sequence[AffineExpr], sizes: Sequence[int]) -> tuple[AffineExpr, ...]:
    """`simplify` of each of `exprs`."""
    return tuple(simplify(e, sizes) for e in exprs)


def flat_offset(
    exprs: Sequence[AffineExpr], shape: Sequence[int], sizes: Sequence[int]
) -> AffineExpr:
    """The row-major element offset of indices `exprs` into a tensor of `shape`,
    simplified over dims `d` in `[0, sizes[d])`."""
    offset: AffineExpr = AffineExpr.constant(0)
    stride = 1
    for expr, size in reversed(list(zip(exprs, shape, strict=True))):
        offset = expr * stride + offset
        stride *= size
    return simplify(offset, sizes)
