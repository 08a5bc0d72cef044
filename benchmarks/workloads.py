"""The benchmarked programs: nn text for a shape, and the same computation in numpy and torch.

Row-wise workloads (softmax, norms, point-wise chains, row reductions) run at every
shape of the run, `(rows, cols)`; attention and the MLP have their own fixed sizes
(`Workload.fixed_shape`, smaller with `--quick`). Where an example program fits,
its text is reused with the tensor dims renamed (`from_example`), so the benchmark
measures the programs the examples document.

Both GELUs use the tanh approximation (GPT-2's), because numpy has no `erf`: the
numpy baseline would otherwise be a Python-level loop. Every argument is filled with
standard-normal float32 values (`make_inputs`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "WORKLOADS",
    "Workload",
    "from_example",
    "make_inputs",
    "max_error",
    "torch_implementations",
]

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

Shape = tuple[int, ...]


def from_example(name: str, dims: Mapping[int, int], edits: Mapping[str, str] = {}) -> str:
    """`examples/<name>.mlir` with every tensor dim renamed through `dims` (old -> new)
    and each literal edit applied; comment lines are dropped (they state the old sizes).

    ValueError when the example has a dim `dims` does not rename or an edit does not
    match exactly once, so a changed example fails loudly instead of measuring
    something else.
    """
    text = (EXAMPLES / f"{name}.mlir").read_text()
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    for old, new in edits.items():
        if text.count(old) != 1:
            raise ValueError(f"edits: {old!r} occurs {text.count(old)} times in {name}.mlir")
        text = text.replace(old, new)

    def rename(match: re.Match[str]) -> str:
        old_dims = [int(d) for d in match.group(1).split("x")]
        missing = [d for d in old_dims if d not in dims]
        if missing:
            raise ValueError(f"dims: {name}.mlir has dim {missing[0]}, which is not renamed")
        return "tensor<" + "".join(f"{dims[d]}x" for d in old_dims) + match.group(2) + ">"

    return re.sub(r"tensor<((?:\d+x)*\d+)x(\w+)>", rename, text) + "\n"


def _row_reduction(name: str, op: str) -> Callable[[Shape], str]:
    """A one-op row reduction `x[rows, cols] -> [rows]`, as text for a shape."""

    def source(shape: Shape) -> str:
        rows, cols = shape
        return (
            f"func.func @{name}(%x: tensor<{rows}x{cols}xf32>) -> tensor<{rows}xf32> {{\n"
            f"  %y = {op} %x axes = [1] : tensor<{rows}x{cols}xf32> -> tensor<{rows}xf32>\n"
            f"  func.return %y : tensor<{rows}xf32>\n"
            "}\n"
        )

    return source


def _attention_source(shape: Shape) -> str:
    heads, seq, dim = shape
    t = f"tensor<{heads}x{seq}x{dim}xf32>"
    return (
        f"func.func @attention(%q: {t}, %k: {t}, %v: {t}) -> {t} {{\n"
        f"  %o = nn.attention %q, %k, %v : {t}\n"
        f"  func.return %o : {t}\n"
        "}\n"
    )


_GELU_TANH = {"nn.gelu %h :": "nn.gelu %h approximate = tanh :"}


def _rows(name: str, rows: int, cols: int, edits: Mapping[str, str] = {}):
    return lambda shape: from_example(name, {rows: shape[0], cols: shape[1]}, edits)


# numpy twins: what a numpy user writes; eager, one array op at a time.


def _np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _np_log_softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _np_layer_norm(x, weight, bias, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(var + np.float32(eps)) * weight + bias


def _np_rms_norm(x, weight):
    ms = (x * x).mean(axis=-1, keepdims=True)
    return x / np.sqrt(ms + np.float32(1e-6)) * weight


def _np_gelu_tanh(h):
    c = np.float32(math.sqrt(2 / math.pi))
    return np.float32(0.5) * h * (1 + np.tanh(c * (h + np.float32(0.044715) * h * h * h)))


def _np_gelu_bias(x, b):
    return _np_gelu_tanh(x + b)


def _np_chain6(x, b, gate):
    h = x + b
    return h / (np.exp(-h) + 1) * gate


def _np_add_layer_norm(x, residual, weight, bias):
    r = x + residual
    return _np_layer_norm(r, weight, bias), r


def _np_attention(q, k, v):
    scores = (q @ k.transpose(0, 2, 1)) * np.float32(1 / math.sqrt(q.shape[-1]))
    return _np_softmax(scores) @ v


def _np_mlp(x, w1, b1, w2, b2):
    return _np_gelu_tanh(x @ w1.T + b1) @ w2.T + b2


@dataclass(frozen=True)
class Workload:
    """One benchmarked program.

    `source(shape)` is its nn text; `numpy` computes the same from numpy arrays (the
    reference every other result is checked against); its torch twin is
    `torch_implementations()[name]`. `fixed_shape` (full run) and `quick_shape`
    (`--quick`) are set for workloads with their own size; row-wise ones take the
    run's `(rows, cols)`. `memory_bound` workloads count in the geomean against
    Inductor that the speed-of-light target is about; `flops(shape)` gives compute-
    bound ones a GFLOP/s figure; `blas` says numpy's time depends on its BLAS threads.
    """

    name: str
    summary: str
    source: Callable[[Shape], str]
    numpy: Callable[..., Any]
    memory_bound: bool = True
    fixed_shape: Shape | None = None
    quick_shape: Shape | None = None
    flops: Callable[[Shape], int] | None = None
    blas: bool = False

    def shape_for(self, row_shape: Shape, quick: bool) -> Shape:
        if self.fixed_shape is None:
            return row_shape
        return self.quick_shape if quick and self.quick_shape else self.fixed_shape


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in [
        Workload("softmax", "softmax over rows", _rows("softmax", 8, 128), _np_softmax),
        Workload(
            "log_softmax", "log-softmax over rows", _rows("log_softmax", 8, 512), _np_log_softmax
        ),
        Workload(
            "layer_norm", "layer norm with weight and bias", _rows("layer_norm", 32, 64),
            _np_layer_norm,
        ),
        Workload("rms_norm", "RMS norm with weight", _rows("rms_norm", 32, 64), _np_rms_norm),
        Workload(
            "gelu_bias", "gelu_tanh(x + b), b broadcast over rows",
            _rows("gelu_bias", 32, 256, _GELU_TANH), _np_gelu_bias,
        ),
        Workload(
            "chain6", "silu(x + b) * gate as 6 point-wise ops",
            _rows("pointwise_chain", 32, 128), _np_chain6,
        ),
        Workload(
            "add_layer_norm", "r = x + residual; (layer_norm(r), r)",
            _rows("add_layer_norm", 32, 64), _np_add_layer_norm,
        ),
        Workload(
            "row_sum", "sum of every row", _row_reduction("row_sum", "nn.reduce_sum"),
            lambda x: x.sum(axis=-1),
        ),
        Workload(
            "row_max", "max of every row", _row_reduction("row_max", "nn.reduce_max"),
            lambda x: x.max(axis=-1),
        ),
        Workload(
            "attention", "softmax(q kᵀ/√d) v per head (heads x seq x dim)", _attention_source,
            _np_attention, memory_bound=False, fixed_shape=(8, 512, 64),
            quick_shape=(2, 64, 32), flops=lambda s: 4 * s[0] * s[1] * s[1] * s[2], blas=True,
        ),
        Workload(
            "mlp", "linear-gelu_tanh-linear (tokens x d_model x hidden)",
            lambda s: from_example("mlp", {32: s[0], 64: s[1], 256: s[2]}, _GELU_TANH),
            _np_mlp, memory_bound=False, fixed_shape=(128, 512, 2048),
            quick_shape=(16, 32, 64), flops=lambda s: 4 * s[0] * s[1] * s[2], blas=True,
        ),
    ]
}  # fmt: skip


def torch_implementations() -> dict[str, Callable[..., Any]]:
    """The torch twin of every workload, as a torch user writes it (imports torch)."""
    import torch
    import torch.nn.functional as F

    def layer_norm(x, weight, bias):
        return F.layer_norm(x, x.shape[-1:], weight, bias, eps=1e-5)

    def add_layer_norm(x, residual, weight, bias):
        r = x + residual
        return layer_norm(r, weight, bias), r

    def chain6(x, b, gate):
        h = x + b
        return h / (torch.exp(-h) + 1) * gate

    return {
        "softmax": lambda x: torch.softmax(x, dim=-1),
        "log_softmax": lambda x: torch.log_softmax(x, dim=-1),
        "layer_norm": layer_norm,
        "rms_norm": lambda x, weight: F.rms_norm(x, x.shape[-1:], weight, eps=1e-6),
        "gelu_bias": lambda x, b: F.gelu(x + b, approximate="tanh"),
        "chain6": chain6,
        "add_layer_norm": add_layer_norm,
        "row_sum": lambda x: x.sum(dim=-1),
        "row_max": lambda x: x.amax(dim=-1),
        "attention": F.scaled_dot_product_attention,
        "mlp": lambda x, w1, b1, w2, b2: F.linear(
            F.gelu(F.linear(x, w1, b1), approximate="tanh"), w2, b2
        ),
    }


def make_inputs(source: str, seed: int = 0) -> list[np.ndarray]:
    """Standard-normal float32 arrays for the parameters of the function in `source`."""
    signature = source[source.index("(") : source.index(")")]
    shapes = [
        tuple(int(d) for d in dims.split("x"))
        for dims in re.findall(r"%\w+: tensor<((?:\d+x)*\d+)xf32>", signature)
    ]
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape, dtype=np.float32) for shape in shapes]


def max_error(got: Any, expected: Any) -> float:
    """Largest error of `got` against `expected` (arrays or tuples of arrays), each
    difference relative to max(|expected|, RMS of its row of `expected`).

    Judging a value against its row's size keeps exact zeros and cancellations (a
    normalised output near 0) from reading as infinite relative error.
    """
    if isinstance(expected, tuple):
        return max(max_error(g, e) for g, e in zip(got, expected, strict=True))
    got = np.asarray(got, dtype=np.float32)
    if got.shape != expected.shape:
        return math.inf
    if not np.array_equal(np.isnan(got), np.isnan(expected)):
        return math.inf
    rms = np.sqrt(np.mean(np.square(expected), axis=-1, keepdims=True))
    scale = np.maximum(np.abs(expected), rms)
    scale[scale == 0] = 1
    error = np.abs(got - expected)
    error /= scale
    return float(np.nanmax(error))
