"""f32 matmul, 1 thread: mlc (the contraction lowering) against numpy's BLAS.

    .venv/bin/python benchmarks/matmul.py [--sizes 1024 2048] [--reps 5]

For each size n: `n x n @ n x n`, and the same with a fused bias + gelu epilogue
(numpy: BLAS matmul, then the bias add and torch's gelu as separate passes). Calls of the
implementations alternate (one round each), BLAS is limited to one thread through
threadpoolctl; the figures are median GFLOP/s (2 n^3 flops per call) and mlc's
share of BLAS measured in the same run.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

import mlc


def source(n: int, epilogue: bool) -> str:
    t = f"tensor<{n}x{n}xf32>"
    if not epilogue:
        return (
            f"func.func @f(%a: {t}, %b: {t}) -> {t} {{\n"
            f"  %y = nn.matmul %a, %b : {t}, {t} -> {t}\n  func.return %y : {t}\n}}\n"
        )
    return (
        f"func.func @f(%a: {t}, %b: {t}, %bias: tensor<{n}xf32>) -> {t} {{\n"
        f"  %c = nn.matmul %a, %b : {t}, {t} -> {t}\n"
        f"  %h = nn.add %c, %bias : {t}, tensor<{n}xf32> -> {t}\n"
        f"  %y = nn.gelu %h : {t}\n  func.return %y : {t}\n}}\n"
    )


def exact_gelu(x: np.ndarray) -> np.ndarray:
    """numpy has no erf: torch's gelu, one thread, on the array in place of a copy."""
    import torch

    torch.set_num_threads(1)
    return torch.nn.functional.gelu(torch.from_numpy(x)).numpy()


def measure(n: int, epilogue: bool, reps: int) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((n, n), dtype=np.float32) for _ in range(2)]
    if epilogue:
        arrays.append(rng.standard_normal(n, dtype=np.float32))
    exe = mlc.compile(source(n, epilogue), num_threads=1, cache=False)

    def with_numpy() -> np.ndarray:
        c = arrays[0] @ arrays[1]
        return exact_gelu(c + arrays[2]) if epilogue else c

    def with_mlc() -> np.ndarray:
        return exe.f(*arrays)

    np.testing.assert_allclose(with_mlc(), with_numpy(), rtol=1e-3, atol=1e-3 * math.sqrt(n))
    times: dict[str, list[float]] = {"numpy": [], "mlc": []}
    for _ in range(reps):
        for name, fn in (("numpy", with_numpy), ("mlc", with_mlc)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    flops = 2 * n**3
    return flops / statistics.median(times["numpy"]) / 1e9, flops / statistics.median(
        times["mlc"]
    ) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    print("| n | epilogue | numpy BLAS GFLOP/s | mlc GFLOP/s | mlc / BLAS |")
    print("| ---: | --- | ---: | ---: | ---: |")
    with threadpool_limits(limits=1):
        for n in args.sizes:
            for epilogue in (False, True):
                blas, ours = measure(n, epilogue, args.reps)
                label = "bias+gelu" if epilogue else "-"
                print(
                    f"| {n} | {label} | {blas:.1f} | {ours:.1f} | {ours / blas:.0%} |", flush=True
                )


if __name__ == "__main__":
    main()
