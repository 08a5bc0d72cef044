"""The inline f32 transcendentals of `convert-loop-to-llvm` (`mlc/lowering/llvm_math.py`).

Each function is compiled once as a point-wise kernel and checked against float64
over random bit patterns of the whole f32 range plus a dense grid where the
polynomials switch ranges: within its documented ulps where the exact result is a
normal f32, within the smallest subnormal below that, and exactly right on NaN,
±inf, ±0, overflow and underflow. The assembly must not call libm.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import mlc
from mlc.runtime.cpu import host_assembly, kernels_as_llvm, run_function

N = 1 << 16
F32 = np.finfo(np.float32)

# name: (reference in float64, grid where the ranges meet, ulps allowed)
FUNCTIONS = {
    "exp": (np.exp, (-104.0, 89.0), 1.0),
    "log": (np.log, (0.0, 4.0), 1.0),
    "tanh": (np.tanh, (-10.0, 10.0), 2.0),
    "erf": (np.vectorize(math.erf, otypes=[np.float64]), (-4.5, 4.5), 2.0),
}

SPECIAL = np.array(
    [
        *(math.nan, -math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0, F32.max, -F32.max),
        *(F32.tiny, -F32.tiny, F32.smallest_subnormal, -F32.smallest_subnormal, 1e-30, -1e-30),
    ],
    dtype=np.float32,
)


def kernel(op: str, n: int) -> str:
    t = f"tensor<{n}xf32>"
    return f"""func.func @{op}(%a: {t}) -> {t} {{
  %y = loop.kernel "{op}" domain(%i: {n}) ins(%x = %a : {t}) outs(%o : {t}) {{
    %v = loop.load %x[%i] : {t}
    %r = math.{op} %v : f32
    loop.store %r, %o[%i] : {t}
  }}
  func.return %y : {t}
}}"""


@pytest.fixture(scope="module")
def compiled():
    return mlc.parse("\n".join(kernel(op, N) for op in FUNCTIONS))


def inputs(op: str) -> np.ndarray:
    rng = np.random.default_rng(sum(map(ord, op)))
    random_bits = rng.integers(0, 1 << 32, N // 2, dtype=np.uint64).astype(np.uint32)
    low, high = FUNCTIONS[op][1]
    grid = np.linspace(low, high, N // 2 - len(SPECIAL), dtype=np.float32)
    return np.concatenate([random_bits.view(np.float32), grid, SPECIAL])


@pytest.mark.parametrize("op", FUNCTIONS)
def test_within_a_few_ulps_over_the_whole_range(compiled, op: str):
    reference, _, allowed = FUNCTIONS[op]
    x = inputs(op)
    y = run_function(compiled, op, x)
    with np.errstate(all="ignore"):
        exact = reference(x.astype(np.float64))
        rounded = exact.astype(np.float32)
    normal = np.isfinite(rounded) & (np.abs(rounded) >= F32.tiny)
    ulps = np.abs(y[normal] - exact[normal]) / np.spacing(np.abs(rounded[normal]))
    assert ulps.max() <= allowed, f"{op}({x[normal][ulps.argmax()]!r}): {ulps.max()} ulps"
    tiny = np.isfinite(rounded) & ~normal
    assert np.all(np.abs(y[tiny] - exact[tiny]) <= F32.smallest_subnormal), x[tiny]
    # Everything else (NaN, ±inf, exact zeros) bit for bit, up to NaN payloads.
    rest = ~np.isfinite(rounded) | (rounded == 0)
    np.testing.assert_array_equal(y[rest], rounded[rest])
    assert np.array_equal(
        np.signbit(y[rest & (rounded == 0)]), np.signbit(rounded[rest & (rounded == 0)])
    )


@pytest.mark.parametrize(
    ("op", "x", "expected"),
    [
        ("exp", 88.7229, math.inf),  # overflow
        ("exp", -103.98, 0.0),  # underflow
        ("exp", -103.97207641601562, 2.0**-149),  # the last f32 whose exp is not 0
        ("exp", np.nextafter(np.float32(-103.97207641601562), np.float32(-200)), 0.0),
        ("exp", -1e30, 0.0),  # a masked score: selected, never computed
        ("exp", -math.inf, 0.0),
        ("exp", -0.0, 1.0),
        ("log", -0.0, -math.inf),
        ("log", -1e-45, math.nan),
        ("log", F32.smallest_subnormal, math.log(2.0**-149)),
        ("tanh", -0.0, -0.0),
        ("tanh", 1e-30, 1e-30),
        ("tanh", -1e4, -1.0),
        ("erf", -0.0, -0.0),
        ("erf", 1e-30, 1.1283791670955126e-30),
        ("erf", 5.0, 1.0),
        ("erf", -math.inf, -1.0),
    ],
)
def test_edge_cases(compiled, op: str, x: float, expected: float):
    y = run_function(compiled, op, np.full(N, x, dtype=np.float32))
    want = np.float32(expected)
    np.testing.assert_array_equal(y, np.full(N, want))
    assert np.all(np.signbit(y) == np.signbit(want))


def test_no_libm_calls_and_packed_simd(compiled):
    assembly = host_assembly(kernels_as_llvm(compiled))
    assert "call" not in assembly
    assert re.search(r"\tv(fmadd|mul)[0-9a-z]*ps\s+%[yz]mm", assembly)


def test_f64_keeps_libm():
    t = "tensor<8xf64>"
    text = f"""func.func @f(%a: {t}) -> {t} {{
  %y = loop.kernel "k" domain(%i: 8) ins(%x = %a : {t}) outs(%o : {t}) {{
    %v = loop.load %x[%i] : {t}
    %r = math.erf %v : f64
    loop.store %r, %o[%i] : {t}
  }}
  func.return %y : {t}
}}"""
    module = mlc.parse(text)
    x = np.linspace(-3, 3, 8)
    np.testing.assert_array_equal(run_function(module, "f", x), [math.erf(v) for v in x])
