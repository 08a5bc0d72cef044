"""Seeded random programs of nn primitives (and composites), as MLIR text.

`random_graph(seed)` is the generator behind the fusion differential tests
(`test/python/test_fuse_random.py`), the CPU kernel tests and the differential
fuzzer (`mlc.testing.fuzz`): chains, diamonds, several results, broadcasts,
reductions over random axes with and without keepdims, softmax and norms spelled as
primitives, matmuls, views, slices, concat, gather, masks, casts; with
`composites`, composite ops (softmax, layer_norm, gelu, ...) for `decompose`.
Everything is a function of the seed and the options, so a seed names a program.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mlc.dialects import nn

__all__ = ["DIMS", "FLOATS", "GraphValue", "RandomGraph", "random_graph", "tensor_text"]

FLOATS = ("f32", "f64", "f16", "bf16")

DIMS = (1, 2, 3, 4, 5, 7, 8)
"""The dim sizes `random_graph` draws from by default: size 1, odd and even."""


@dataclass
class GraphValue:
    """A tensor of a generated graph: its SSA name, shape and element type.

    `exact`: computed from the arguments by element-wise ops and views only, so every
    correct lowering gives the same bits (a comparison of it never flips); values
    downstream of a reduction or matmul differ in the last bits with the order of
    the sum, so `random_graph` compares them only with masks built from `iota`.
    """

    name: str
    shape: tuple[int, ...]
    dtype: str
    exact: bool = True


def tensor_text(shape: Sequence[int], dtype: str) -> str:
    return "tensor<" + "".join(f"{d}x" for d in shape) + dtype + ">"


@dataclass
class RandomGraph:
    """A generated program: its text and what the comparison needs to know."""

    text: str
    dtype: str
    reduction_length: int
    """The longest sum a result depends on (products of reduced and contracted dims,
    multiplied along chains): float results may differ by reassociation that much."""
    has_composites: bool


class _GraphBuilder:
    """State of `random_graph`: the lines, the arguments and the values made so far."""

    FLOAT_UNARY = ("neg", "abs", "tanh", "sin", "cos")
    BINARY = ("add", "sub", "mul", "max", "min")
    COMPARE = ("lt", "le", "gt", "ge", "eq", "ne")

    def __init__(
        self, rng: np.random.Generator, dtype: str, composites: bool, dims: Sequence[int]
    ) -> None:
        self.rng = rng
        self.dims = tuple(dims)
        self.dtype = dtype
        self.composites = composites
        self.args: list[GraphValue] = []
        self.lines: list[str] = []
        self.values: list[GraphValue] = []
        self.uses: dict[str, int] = {}
        self.reduction_length = 1
        self.lengths: dict[str, int] = {}
        self.has_composites = False

    # -- helpers --------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def dim(self) -> int:
        return int(self.pick(self.dims))

    def shape(self, rank: int | None = None) -> tuple[int, ...]:
        if rank is None:
            rank = int(self.pick((1, 2, 2, 2, 3, 3)))
        return tuple(self.dim() for _ in range(rank))

    def arg(self, shape: Sequence[int], dtype: str | None = None) -> GraphValue:
        value = GraphValue(f"%a{len(self.args)}", tuple(shape), dtype or self.dtype)
        self.args.append(value)
        self.lengths[value.name] = 1
        return value

    def emit(
        self,
        text: str,
        shape: Sequence[int],
        dtype: str,
        operands: Sequence[GraphValue],
        *,
        exact: bool | None = None,
        length: int = 1,
    ) -> GraphValue:
        """`%vN = <text>` with the result `shape`/`dtype`; `length` multiplies the
        accumulation length of the operands (the reduced extent of this op)."""
        name = f"%v{len(self.lines)}"
        self.lines.append(f"    {name} = {text}")
        for o in operands:
            self.uses[o.name] = self.uses.get(o.name, 0) + 1
        if exact is None:
            exact = all(o.exact for o in operands)
        value = GraphValue(name, tuple(shape), dtype, exact and length == 1)
        self.lengths[name] = max((self.lengths[o.name] for o in operands), default=1) * length
        self.reduction_length = max(self.reduction_length, self.lengths[name])
        self.values.append(value)
        return value

    def t(self, v: GraphValue | tuple[Sequence[int], str]) -> str:
        if isinstance(v, GraphValue):
            return tensor_text(v.shape, v.dtype)
        return tensor_text(*v)

    def splat(self, value: float, shape: Sequence[int], dtype: str | None = None) -> GraphValue:
        dtype = dtype or self.dtype
        text = nn.format_float(float(value)) if dtype in FLOATS else str(int(value))
        return self.emit(f"nn.splat {text} : {tensor_text(shape, dtype)}", shape, dtype, [])

    def unary(self, name: str, v: GraphValue) -> GraphValue:
        return self.emit(f"nn.{name} {v.name} : {self.t(v)}", v.shape, v.dtype, [v])

    def binary(self, name: str, a: GraphValue, b: GraphValue) -> GraphValue:
        assert a.shape == b.shape and a.dtype == b.dtype, (a, b)
        return self.emit(f"nn.{name} {a.name}, {b.name} : {self.t(a)}", a.shape, a.dtype, [a, b])

    def compare(self, name: str, a: GraphValue, b: GraphValue) -> GraphValue:
        assert a.shape == b.shape and a.dtype == b.dtype, (a, b)
        return self.emit(
            f"nn.{name} {a.name}, {b.name} : {self.t(a)} -> {tensor_text(a.shape, 'i1')}",
            a.shape,
            "i1",
            [a, b],
        )

    def select(self, c: GraphValue, a: GraphValue, b: GraphValue) -> GraphValue:
        return self.emit(
            f"nn.select {c.name}, {a.name}, {b.name} : {self.t(c)}, {self.t(a)}, {self.t(b)}"
            f" -> {self.t(a)}",
            a.shape,
            a.dtype,
            [c, a, b],
        )

    def cast(self, v: GraphValue, dtype: str) -> GraphValue:
        out = (v.shape, dtype)
        return self.emit(f"nn.cast {v.name} : {self.t(v)} -> {self.t(out)}", v.shape, dtype, [v])

    def broadcast_in_dim(
        self, v: GraphValue, dims: Sequence[int], shape: Sequence[int]
    ) -> GraphValue:
        out = (tuple(shape), v.dtype)
        return self.emit(
            f"nn.broadcast_in_dim {v.name} dims = {list(dims)} : {self.t(v)} -> {self.t(out)}",
            shape,
            v.dtype,
            [v],
        )

    def transpose(self, v: GraphValue, perm: Sequence[int]) -> GraphValue:
        shape = tuple(v.shape[p] for p in perm)
        out = (shape, v.dtype)
        return self.emit(
            f"nn.transpose {v.name} perm = {list(perm)} : {self.t(v)} -> {self.t(out)}",
            shape,
            v.dtype,
            [v],
        )

    def reshape(self, v: GraphValue, shape: Sequence[int]) -> GraphValue:
        out = (tuple(shape), v.dtype)
        return self.emit(f"nn.reshape {v.name} : {self.t(v)} -> {self.t(out)}", shape, v.dtype, [v])

    def reduce(self, kind: str, v: GraphValue, axes: Sequence[int], keep: bool) -> GraphValue:
        axes = sorted(axes)
        shape = tuple(1 if d in axes else s for d, s in enumerate(v.shape) if keep or d not in axes)
        out = (shape, v.dtype)
        length = math.prod(v.shape[a] for a in axes) if kind in ("sum", "prod") else 1
        keepdims = " keepdims" if keep else ""
        return self.emit(
            f"nn.reduce_{kind} {v.name} axes = {axes}{keepdims} : {self.t(v)} -> {self.t(out)}",
            shape,
            v.dtype,
            [v],
            exact=False if kind in ("sum", "prod") else None,
            length=max(length, 1),
        )

    def matmul(self, a: GraphValue, b: GraphValue) -> GraphValue:
        shape = (*a.shape[:-1], b.shape[-1])
        out = (shape, a.dtype)
        return self.emit(
            f"nn.matmul {a.name}, {b.name} : {self.t(a)}, {self.t(b)} -> {self.t(out)}",
            shape,
            a.dtype,
            [a, b],
            exact=False,
            length=a.shape[-1],
        )

    # -- operands ---------------------------------------------------------------

    def same_shaped(self, v: GraphValue, *, exact: bool = False) -> GraphValue:
        """Another value of `v`'s shape and type: an earlier one (a diamond), `v`
        itself, an argument, a splat, or a smaller tensor broadcast explicitly."""
        earlier = [
            w
            for w in self.values
            if w.shape == v.shape and w.dtype == v.dtype and w is not v and (w.exact or not exact)
        ]
        choice = self.rng.random()
        if earlier and choice < 0.3:
            return self.pick(earlier)
        if choice < 0.4 and (v.exact or not exact):
            return v
        if choice < 0.6:
            return self.arg(v.shape, v.dtype)
        if choice < 0.7:
            return self.splat(self.pick((0.5, 2.0, -1.0, 3.0)), v.shape, v.dtype)
        return self.broadcast_from_smaller(v.shape, v.dtype, exact=exact)

    def broadcast_from_smaller(
        self, shape: tuple[int, ...], dtype: str, *, exact: bool = False
    ) -> GraphValue:
        """A value of a sub-shape of `shape` (some dims dropped, some set to 1),
        broadcast to `shape` with `nn.broadcast_in_dim`: an earlier value if one fits."""
        fits = [
            (w, dims)
            for w in self.values
            if w.dtype == dtype
            and w.shape != shape
            and (w.exact or not exact)
            and (dims := _broadcast_dims(w.shape, shape)) is not None
        ]
        if fits and self.chance(0.5):
            w, dims = self.pick(fits)
            return self.broadcast_in_dim(w, dims, shape)
        dims = sorted(d for d in range(len(shape)) if self.chance(0.6))
        small = tuple(1 if self.chance(0.3) else shape[d] for d in dims)
        return self.broadcast_in_dim(self.arg(small, dtype), dims, shape)

    # -- steps --------------------------------------------------------------------

    def step(self, v: GraphValue) -> GraphValue:
        """One random construct applied to `v`; returns the value to continue from."""
        kinds = [
            "unary",
            "unary",
            "binary",
            "binary",
            "binary",
            "reduce",
            "softmax",
            "norm",
            "matmul",
            "view",
            "view",
            "slice",
            "concat",
            "gather",
            "mask",
            "cast",
        ]
        if self.composites:
            kinds += ["composite", "composite"]
        for _ in range(20):
            kind = self.pick(kinds)
            result = getattr(self, f"step_{kind}")(v)
            if result is not None:
                return result
        return self.step_unary(v)

    def step_unary(self, v: GraphValue) -> GraphValue:
        if v.dtype not in FLOATS:
            return self.unary("neg", v)
        form = self.pick(("plain", "plain", "exp", "log", "sqrt", "rsqrt"))
        if form == "plain":
            return self.unary(self.pick(self.FLOAT_UNARY), v)
        if form == "exp":  # bounded: exp(tanh(v)) or exp(-|v|)
            inner = (
                self.unary("tanh", v)
                if self.chance(0.5)
                else self.unary("neg", self.unary("abs", v))
            )
            return self.unary("exp", inner)
        positive = self.binary("add", self.unary("abs", v), self.splat(1.0, v.shape, v.dtype))
        if form == "log":
            return self.unary("log", positive)
        return self.unary(form, positive)

    def step_binary(self, v: GraphValue) -> GraphValue:
        other = self.same_shaped(v)
        if self.chance(0.15):
            denominator = self.binary(
                "add", self.unary("abs", other), self.splat(1.0, v.shape, v.dtype)
            )
            return self.binary("div", v, denominator)
        lhs, rhs = (v, other) if self.chance(0.6) else (other, v)
        return self.binary(self.pick(self.BINARY), lhs, rhs)

    def step_reduce(self, v: GraphValue) -> GraphValue | None:
        if not v.shape:
            return None
        rank = len(v.shape)
        axes = [d for d in range(rank) if self.chance(0.4)] or [int(self.rng.integers(rank))]
        kind = self.pick(("sum", "sum", "max", "min", "prod"))
        source = v
        if kind == "prod":  # bounded factors: |tanh| < 1
            source = self.unary("tanh", v)
        keep = self.chance(0.5)
        r = self.reduce(kind, source, axes, keep)
        if self.chance(0.3):
            return r
        # Broadcast back over the reduced dims and combine with the rows (softmax-like).
        kept = [d for d in range(rank) if keep or d not in axes]
        back = self.broadcast_in_dim(r, kept if not keep else list(range(rank)), v.shape)
        return self.binary(self.pick(("sub", "add", "mul", "max")), v, back)

    def step_softmax(self, v: GraphValue) -> GraphValue | None:
        if not v.shape or v.dtype not in FLOATS:
            return None
        rank = len(v.shape)
        axes = sorted({int(self.rng.integers(rank)), int(self.rng.integers(rank))})
        keep = self.chance(0.5)
        kept = list(range(rank)) if keep else [d for d in range(rank) if d not in axes]
        m = self.reduce("max", v, axes, keep)
        shifted = self.binary("sub", v, self.broadcast_in_dim(m, kept, v.shape))
        e = self.unary("exp", shifted)
        s = self.reduce("sum", e, axes, keep)
        if self.chance(0.3):  # log_softmax
            log_s = self.unary("log", s)
            return self.binary("sub", shifted, self.broadcast_in_dim(log_s, kept, v.shape))
        return self.binary("div", e, self.broadcast_in_dim(s, kept, v.shape))

    def step_norm(self, v: GraphValue) -> GraphValue | None:
        """layer_norm or rms_norm over trailing axes, spelled as primitives."""
        if not v.shape or v.dtype not in FLOATS:
            return None
        rank = len(v.shape)
        first = int(self.rng.integers(rank))
        axes = list(range(first, rank))
        count = math.prod(v.shape[a] for a in axes)
        kept = list(range(rank))
        n = self.splat(float(count), tuple(1 if d in axes else s for d, s in enumerate(v.shape)))
        eps = self.splat(1e-5, n.shape)
        centered = v
        if self.chance(0.6):
            mean = self.binary("div", self.reduce("sum", v, axes, True), n)
            centered = self.binary("sub", v, self.broadcast_in_dim(mean, kept, v.shape))
        square = self.binary("mul", centered, centered)
        var = self.binary("div", self.reduce("sum", square, axes, True), n)
        inv = self.unary("rsqrt", self.binary("add", var, eps))
        y = self.binary("mul", centered, self.broadcast_in_dim(inv, kept, v.shape))
        if self.chance(0.5):
            norm_shape = tuple(v.shape[a] for a in axes)
            w = self.broadcast_in_dim(self.arg(norm_shape), axes, v.shape)
            y = self.binary("mul", y, w)
            if self.chance(0.5):
                b = self.broadcast_in_dim(self.arg(norm_shape), axes, v.shape)
                y = self.binary("add", y, b)
        return y

    def step_matmul(self, v: GraphValue) -> GraphValue | None:
        if v.dtype not in FLOATS:
            return None
        a = v
        if len(a.shape) < 2:
            a = self.reshape(a, (1, *a.shape) if a.shape else (1, 1))
        if len(a.shape) > 3:
            return None
        batch, k = a.shape[:-2], a.shape[-1]
        n = self.dim()
        form = self.rng.random()
        if form < 0.2 and len(a.shape) >= 2:  # a @ a^T: both operands computed
            perm = [*range(len(batch)), len(a.shape) - 1, len(a.shape) - 2]
            b = self.transpose(a, perm)
        elif form < 0.35:  # a computed right operand: weights on the left
            m = self.dim()
            w = self.arg((*batch, m, a.shape[-2]))
            out = self.matmul(w, a)
            return self.epilogue(out)
        else:
            b = self.arg((*batch, k, n))
            if self.chance(0.3):  # PyTorch layout: a transposed weight
                wt = self.arg((*batch, n, k))
                perm = [*range(len(batch)), len(batch) + 1, len(batch)]
                b = self.transpose(wt, perm)
        if self.chance(0.2) and a is v:  # a prologue
            a = self.unary("tanh", a)
        return self.epilogue(self.matmul(a, b))

    def epilogue(self, out: GraphValue) -> GraphValue:
        if self.chance(0.6):
            bias = self.arg((out.shape[-1],))
            out = self.binary(
                "add", out, self.broadcast_in_dim(bias, [len(out.shape) - 1], out.shape)
            )
        if self.chance(0.5):
            out = self.unary(self.pick(("tanh", "abs", "neg")), out)
        if self.chance(0.3):
            out = self.binary("max", out, self.splat(0.0, out.shape, out.dtype))
        return out

    def step_view(self, v: GraphValue) -> GraphValue | None:
        form = self.pick(("transpose", "reshape", "expand", "squeeze", "broadcast"))
        rank = len(v.shape)
        if form == "transpose" and rank >= 2:
            perm = [int(p) for p in self.rng.permutation(rank)]
            out = self.transpose(v, perm)
        elif form == "reshape" and math.prod(v.shape) > 0:
            out = self.reshape(v, _random_factorization(self.rng, math.prod(v.shape)))
        elif form == "expand" and rank < 4:
            axis = int(self.rng.integers(rank + 1))
            shape = (*v.shape[:axis], 1, *v.shape[axis:])
            out = self.emit(
                f"nn.expand_dims {v.name} axes = [{axis}] : {self.t(v)} -> "
                f"{tensor_text(shape, v.dtype)}",
                shape,
                v.dtype,
                [v],
            )
        elif form == "squeeze" and 1 in v.shape:
            axes = [d for d, s in enumerate(v.shape) if s == 1 and self.chance(0.7)]
            if not axes:
                return None
            shape = tuple(s for d, s in enumerate(v.shape) if d not in axes)
            out = self.emit(
                f"nn.squeeze {v.name} axes = {axes} : {self.t(v)} -> {tensor_text(shape, v.dtype)}",
                shape,
                v.dtype,
                [v],
            )
        elif form == "broadcast" and rank < 3 and math.prod(v.shape) <= 64:
            # A new dim, and size-1 dims stretched.
            axis = int(self.rng.integers(rank + 1))
            shape = [self.dim() if s == 1 else s for s in v.shape]
            shape.insert(axis, self.dim())
            dims = [d for d in range(rank + 1) if d != axis]
            out = self.broadcast_in_dim(v, dims, shape)
        else:
            return None
        if self.chance(0.6):  # a consumer reading through the view
            return self.step_unary(out) if self.chance(0.5) else self.step_binary(out)
        return out

    def step_slice(self, v: GraphValue) -> GraphValue | None:
        if not v.shape or 0 in v.shape:
            return None
        start, stop, step, shape = [], [], [], []
        for s in v.shape:
            lo = int(self.rng.integers(s))
            hi = int(self.rng.integers(lo + 1, s + 1))
            st = int(self.pick((1, 1, 2, 3)))
            start.append(lo)
            stop.append(hi)
            step.append(st)
            shape.append(-(-(hi - lo) // st))
        out = (tuple(shape), v.dtype)
        result = self.emit(
            f"nn.slice {v.name} start = {start} stop = {stop} step = {step} : "
            f"{self.t(v)} -> {self.t(out)}",
            shape,
            v.dtype,
            [v],
        )
        if self.chance(0.7):
            return self.step_unary(result)
        return result

    def step_concat(self, v: GraphValue) -> GraphValue | None:
        if not v.shape:
            return None
        axis = int(self.rng.integers(len(v.shape)))
        if self.chance(0.5):
            other = self.same_shaped(v)
        else:
            shape = list(v.shape)
            shape[axis] = self.dim()
            other = self.arg(shape, v.dtype)
        parts = [v, other] if self.chance(0.5) else [other, v]
        shape = list(v.shape)
        shape[axis] += other.shape[axis]
        names = ", ".join(p.name for p in parts)
        types = ", ".join(self.t(p) for p in parts)
        out = self.emit(
            f"nn.concat {names} axis = {axis} : {types} -> {tensor_text(shape, v.dtype)}",
            shape,
            v.dtype,
            parts,
        )
        return self.step_unary(out) if self.chance(0.5) else out

    def step_gather(self, v: GraphValue) -> GraphValue | None:
        if not v.shape or 0 in v.shape:
            return None
        axis = int(self.rng.integers(len(v.shape)))
        size = v.shape[axis]
        index_shape = self.shape(int(self.pick((0, 1, 1, 2))))
        index_type = self.pick(("i32", "i64"))
        form = self.rng.random()
        sources = [w for w in self.values if w.exact and w.dtype in FLOATS and len(w.shape) <= 2]
        if form >= 0.75 and sources:
            # Computed from values: trunc(min(|tanh(w)| * size, size - 0.5)) is in
            # [0, size) (tanh rounds to 1 for large w). Only from exact values, so
            # that every lowering computes the same rows.
            w = self.pick(sources)
            scaled = self.binary(
                "mul", self.unary("abs", self.unary("tanh", w)), self.splat(size, w.shape, w.dtype)
            )
            capped = self.binary("min", scaled, self.splat(size - 0.5, w.shape, w.dtype))
            indices = self.cast(capped, index_type)
            index_shape = w.shape
        elif form < 0.5 or not index_shape:
            values = self.rng.integers(0, size, size=index_shape)
            literal = np.array2string(np.asarray(values), separator=", ").replace("\n", "")
            if not index_shape:
                literal = str(int(values))
            indices = self.emit(
                f"nn.constant dense<{literal}> : {tensor_text(index_shape, index_type)}",
                index_shape,
                index_type,
                [],
            )
        else:  # computed from iota: reversed positions, modulo the table size
            d = int(self.rng.integers(len(index_shape)))
            iota = self.emit(
                f"nn.iota dim = {d} : {tensor_text(index_shape, index_type)}",
                index_shape,
                index_type,
                [],
            )
            top = self.splat(max(size - 1, 0), index_shape, index_type)
            rev = self.binary("sub", top, iota)
            zero = self.splat(0, index_shape, index_type)
            indices = self.binary("max", rev, zero)
        shape = (*v.shape[:axis], *index_shape, *v.shape[axis + 1 :])
        out = self.emit(
            f"nn.gather {v.name}, {indices.name} axis = {axis} : {self.t(v)}, "
            f"{self.t(indices)} -> {tensor_text(shape, v.dtype)}",
            shape,
            v.dtype,
            [v, indices],
        )
        return self.step_unary(out) if self.chance(0.5) else out

    def step_mask(self, v: GraphValue) -> GraphValue | None:
        """compare + select: an iota mask (causal-like), or a comparison of values."""
        form = self.rng.random()
        if len(v.shape) >= 2 and form < 0.5:
            rank = len(v.shape)
            d0, d1 = (int(x) for x in self.rng.choice(rank, size=2, replace=False))
            mask_dtype = self.pick(("i64", "i32", v.dtype))
            # The mask over two dims, broadcast to the rest.
            small = (v.shape[d0], v.shape[d1]) if d0 < d1 else (v.shape[d1], v.shape[d0])
            i = self.emit(
                f"nn.iota dim = 0 : {tensor_text(small, mask_dtype)}", small, mask_dtype, []
            )
            j = self.emit(
                f"nn.iota dim = 1 : {tensor_text(small, mask_dtype)}", small, mask_dtype, []
            )
            mask = self.compare(self.pick(self.COMPARE), i, j)
            mask = self.broadcast_in_dim(mask, sorted((d0, d1)), v.shape)
        elif form < 0.7 and v.shape:
            d = int(self.rng.integers(len(v.shape)))
            iota = self.emit(
                f"nn.iota dim = {d} : {tensor_text(v.shape, v.dtype)}", v.shape, v.dtype, []
            )
            bound = self.splat(float(v.shape[d] // 2), v.shape, v.dtype)
            mask = self.compare(self.pick(self.COMPARE), iota, bound)
        elif v.exact:
            other = self.same_shaped(v, exact=True)
            mask = self.compare(self.pick(self.COMPARE[:4]), v, other)
        else:
            return None
        form = self.rng.random()
        if form < 0.3:  # the mask as a 0/1 factor
            return self.binary("mul", v, self.cast(mask, v.dtype))
        fill = self.splat(self.pick((0.0, -1.0, 100.0)), v.shape, v.dtype)
        if form < 0.5:
            fill = self.same_shaped(v)
        return self.select(mask, v, fill) if self.chance(0.5) else self.select(mask, fill, v)

    def step_cast(self, v: GraphValue) -> GraphValue | None:
        if v.dtype not in ("f32", "f64"):
            return None
        other = "f64" if v.dtype == "f32" else "f32"
        wide = self.cast(v, other)
        return self.cast(self.step_unary(wide), v.dtype)

    def step_composite(self, v: GraphValue) -> GraphValue | None:
        """Composites and implicit broadcasts, for `decompose` to expand first."""
        if v.dtype not in FLOATS:
            return None
        self.has_composites = True
        form = self.pick(
            ("softmax", "layer_norm", "gelu", "sigmoid", "silu", "relu", "mean", "implicit")
        )
        t = self.t(v)
        if form == "softmax" and v.shape:
            axis = int(self.rng.integers(len(v.shape)))
            return self.emit(f"nn.softmax {v.name} axis = {axis} : {t}", v.shape, v.dtype, [v])
        if form == "layer_norm" and v.shape:
            first = int(self.rng.integers(len(v.shape)))
            axes = list(range(first, len(v.shape)))
            affine = [self.arg(v.shape[first:]) for _ in range(int(self.rng.integers(3)))]
            operands = "".join(f", {a.name}" for a in affine)
            types = "".join(f", {self.t(a)}" for a in affine)
            return self.emit(
                f"nn.layer_norm {v.name}{operands} axes = {axes} eps = 1.0e-05 : {t}{types} -> {t}",
                v.shape,
                v.dtype,
                [v, *affine],
                exact=False,
                length=math.prod(v.shape[first:]),
            )
        if form in ("gelu", "sigmoid", "silu", "relu"):
            return self.emit(f"nn.{form} {v.name} : {t}", v.shape, v.dtype, [v])
        if form == "mean" and v.shape:
            axes = [int(self.rng.integers(len(v.shape)))]
            shape = tuple(1 if d in axes else s for d, s in enumerate(v.shape))
            return self.emit(
                f"nn.reduce_mean {v.name} axes = {axes} keepdims : {t} -> "
                f"{tensor_text(shape, v.dtype)}",
                shape,
                v.dtype,
                [v],
                exact=False,
                length=math.prod(v.shape[a] for a in axes),
            )
        if form == "implicit" and v.shape:
            small = tuple(v.shape[-int(self.rng.integers(1, len(v.shape) + 1)) :])
            other = self.arg(small)
            return self.emit(
                f"nn.add {v.name}, {other.name} : {t}, {self.t(other)} -> {t}",
                v.shape,
                v.dtype,
                [v, other],
            )
        return None

    # -- the program ----------------------------------------------------------------

    def finish(self, outputs: Sequence[GraphValue]) -> str:
        params = ", ".join(f"{a.name}: {self.t(a)}" for a in self.args)
        results = ", ".join(self.t(o) for o in outputs)
        names = ", ".join(o.name for o in outputs)
        return (
            f"func.func @f({params}) -> ({results}) {{\n"
            + "\n".join(line[2:] for line in self.lines)
            + f"\n  func.return {names} : {results}\n}}\n"
        )


def _broadcast_dims(small: Sequence[int], shape: Sequence[int]) -> list[int] | None:
    """`dims` for `broadcast_in_dim` of `small` to `shape` (trailing alignment), if legal."""
    if len(small) > len(shape):
        return None
    offset = len(shape) - len(small)
    for i, s in enumerate(small):
        if s not in (1, shape[offset + i]):
            return None
    return [offset + i for i in range(len(small))]


def _random_factorization(rng: np.random.Generator, n: int) -> tuple[int, ...]:
    factors = []
    m = n
    for p in (2, 3, 5, 7):
        while m % p == 0:
            factors.append(p)
            m //= p
    if m > 1:
        factors.append(m)
    rank = int(rng.integers(1, 4))
    shape = [1] * rank
    for f in factors:
        shape[int(rng.integers(rank))] *= f
    return tuple(shape)


def random_graph(
    seed: int,
    *,
    steps: int | None = None,
    composites: bool | None = None,
    return_views: bool = False,
    dims: Sequence[int] = DIMS,
    max_elements: int = 256,
) -> RandomGraph:
    """A seeded random program of nn primitives over f32 or f64 for fusion tests.

    Chains of constructs applied to a current value, each drawing its other operands
    from earlier values (diamonds), new arguments, splats or explicitly broadcast
    smaller tensors: element-wise ops, reductions over random axes with and without
    keepdims and their broadcast-back consumers (softmax, layer_norm and rms_norm
    spelled as primitives), matmuls (2-D and batched, computed on either side, with
    point-wise epilogues), views (transpose, reshape, expand/squeeze, broadcast),
    slices, concat, gather (constant or iota-computed indices), compare + select with
    iota masks, f32<->f64 casts; with `composites`, also composite ops and implicit
    broadcasts. Shapes mix size-1 and odd dims. Several values are returned: the last
    one and sometimes intermediates that are also used inside.

    `return_views`: allow returning a view (transpose, reshape, ...) directly, which
    makes it a materialized copy. `dims`: the sizes dims are drawn from; a value
    with more than `max_elements` elements is reduced before the chain goes on.
    """
    rng = np.random.default_rng(seed)
    dtype = "f64" if rng.random() < 0.35 else "f32"
    if composites is None:
        composites = bool(rng.random() < 0.25)
    g = _GraphBuilder(rng, dtype, composites, dims)
    v = g.arg(g.shape())
    for _ in range(steps if steps is not None else int(rng.integers(2, 7))):
        v = g.step(v)
        if math.prod(v.shape) > max_elements or len(v.shape) > 4:  # keep tensors small
            axes = list(range(len(v.shape)))
            v = g.reduce("max", v, axes[: max(1, len(axes) - 2)], False)
    view_names = (
        "nn.transpose",
        "nn.reshape",
        "nn.expand_dims",
        "nn.squeeze",
        "nn.broadcast_in_dim",
        "nn.slice",
    )

    def returnable(w: GraphValue) -> bool:
        if w.dtype not in FLOATS:
            return False
        line = next(line for line in g.lines if line.startswith(f"    {w.name} ="))
        op_name = line.split("=", 1)[1].split()[0]
        if op_name in ("nn.splat", "nn.iota", "nn.constant"):
            return False
        return return_views or op_name not in view_names

    if not returnable(v):
        v = g.unary("neg", v)
    outputs = [v]
    used_inside = [w for w in g.values if g.uses.get(w.name) and returnable(w) and w is not v]
    for _ in range(int(rng.integers(0, 3))):
        if used_inside:
            w = g.pick(used_inside)
            if w not in outputs:
                outputs.append(w)
    rng.shuffle(outputs)
    return RandomGraph(g.finish(outputs), dtype, g.reduction_length, g.has_composites)
