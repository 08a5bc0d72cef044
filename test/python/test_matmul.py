"""Matmul-like kernels through the contraction lowering (`mlc.lowering.contraction`)
against the interpreter: odd sizes (remainder rows and columns), transposed and
batched operands, broadcast batch dims, fused epilogues, thread splits, and the
kernels that keep the sweep lowering (f64, several reductions)."""

from __future__ import annotations

import numpy as np
import pytest
from programs import after

import mlc
from mlc.api import parse
from mlc.dialects.loop import KernelOp
from mlc.interpreter import run
from mlc.lowering.codegen_options import CodegenOptions
from mlc.lowering.contraction import Contraction, match_contraction, match_cpu_contraction
from mlc.lowering.loop_to_llvm import schedule


def t(shape: tuple[int, ...], dtype: str = "f32") -> str:
    return f"tensor<{'x'.join(map(str, shape))}x{dtype}>"


def matmul(a: tuple[int, ...], b: tuple[int, ...], c: tuple[int, ...], dtype: str = "f32") -> str:
    ta, tb, tc = t(a, dtype), t(b, dtype), t(c, dtype)
    return (
        f"func.func @f(%a: {ta}, %b: {tb}) -> {tc} {{\n"
        f"  %y = nn.matmul %a, %b : {ta}, {tb} -> {tc}\n"
        f"  func.return %y : {tc}\n}}\n"
    )


def check(source: str, num_threads: int = 1, contraction: bool = True) -> None:
    """Compiles `source` and compares `@f` with the interpreter on random inputs."""
    module = parse(source)
    rng = np.random.default_rng(0)
    function = next(iter(module.ops))
    arrays = [
        rng.standard_normal(arg.type.get_shape()).astype(
            np.float64 if "f64" in str(arg.type) else np.float32
        )
        for arg in function.body.block.args
    ]
    expected = run(module, "f", *arrays)
    codegen = CodegenOptions(contraction=contraction)
    actual = mlc.compile(source, num_threads=num_threads, cache=False, codegen=codegen).f(*arrays)
    depth = max(a.shape[-1] for a in arrays)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=2e-6 * depth**0.5)


def fused_kernels(source: str) -> list[KernelOp]:
    module = after(parse(source), "decompose,canonicalize,cse,fuse")
    return [op for op in module.walk() if isinstance(op, KernelOp)]


@pytest.mark.parametrize(
    ("m", "k", "n"),
    [(1, 1, 1), (7, 5, 33), (33, 65, 7), (65, 129, 40), (129, 3, 70), (16, 300, 64)],
)
def test_odd_sizes(m: int, k: int, n: int) -> None:
    check(matmul((m, k), (k, n), (m, n)))


def test_transposed_operands() -> None:
    check(
        f"func.func @f(%a: {t((37, 9))}, %b: {t((41, 37))}) -> {t((9, 41))} {{\n"
        f"  %at = nn.transpose %a perm = [1, 0] : {t((37, 9))} -> {t((9, 37))}\n"
        f"  %bt = nn.transpose %b perm = [1, 0] : {t((41, 37))} -> {t((37, 41))}\n"
        f"  %y = nn.matmul %at, %bt : {t((9, 37))}, {t((37, 41))} -> {t((9, 41))}\n"
        f"  func.return %y : {t((9, 41))}\n}}\n"
    )


def test_batched_and_broadcast_batch() -> None:
    check(matmul((3, 17, 9), (3, 9, 35), (3, 17, 35)))
    check(matmul((2, 1, 10, 6), (1, 3, 6, 33), (2, 3, 10, 33)))


def test_bias_gelu_epilogue_is_fused_into_the_contraction() -> None:
    m, k, n = 45, 70, 50
    source = (
        f"func.func @f(%a: {t((m, k))}, %b: {t((k, n))}, %bias: {t((n,))}) -> {t((m, n))} {{\n"
        f"  %c = nn.matmul %a, %b : {t((m, k))}, {t((k, n))} -> {t((m, n))}\n"
        f"  %h = nn.add %c, %bias : {t((m, n))}, {t((n,))} -> {t((m, n))}\n"
        f"  %y = nn.gelu %h : {t((m, n))}\n"
        f"  func.return %y : {t((m, n))}\n}}\n"
    )
    (kernel,) = fused_kernels(source)
    assert isinstance(match_contraction(kernel, schedule(kernel)), Contraction)
    check(source)


def test_thread_split_of_rows_and_of_batches() -> None:
    check(matmul((67, 20), (20, 38), (67, 38)), num_threads=2)
    check(matmul((5, 9, 20), (5, 20, 40), (5, 9, 40)), num_threads=2)


def test_same_result_without_the_contraction_lowering() -> None:
    check(matmul((19, 33), (33, 47), (19, 47)), contraction=False)


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (matmul((8, 4), (4, 8), (8, 8), "f64"), "reduce add of f64 (add of f32 wanted)"),
        (
            f"func.func @f(%a: {t((8, 4))}) -> {t((8,))} {{\n"
            f"  %y = nn.reduce_sum %a axes = [1] : {t((8, 4))} -> {t((8,))}\n"
            f"  func.return %y : {t((8,))}\n}}\n",
            "the reduced value is not a product of two loads",
        ),
    ],
)
def test_what_is_not_a_contraction(source: str, reason: str) -> None:
    (kernel,) = fused_kernels(source)
    assert match_contraction(kernel, schedule(kernel)) == reason
    check(source)


def test_f64_matmul_keeps_the_loop_nest() -> None:
    check(matmul((9, 13), (13, 11), (9, 11), "f64"))


def test_a_deep_reduction_is_a_contraction_but_not_a_cpu_one() -> None:
    """K = 8192 needs a 1 MiB packed panel: the CPU lowers it as a sweep, while the
    GPU (which stages K in chunks) still tiles it."""
    (kernel,) = fused_kernels(matmul((4, 8192), (8192, 3), (4, 3)))
    assert isinstance(match_contraction(kernel, schedule(kernel)), Contraction)
    reason = match_cpu_contraction(kernel, schedule(kernel))
    assert reason == "reduction of 8192 exceeds the packed panel's stack budget"
    check(matmul((4, 8192), (8192, 3), (4, 3)))


def test_a_batched_operand_times_a_shared_one_is_a_contraction() -> None:
    """x[b, m, k] @ w[k, n] (torch.matmul of a 3-D input and a 2-D weight): the batch
    dim only x uses is a batch dim, along which w's panel is the same."""
    source = (
        f"func.func @f(%x: {t((3, 19, 40))}, %w: {t((40, 37))}) -> {t((3, 19, 37))} {{\n"
        f"  %wb = nn.broadcast_in_dim %w dims = [1, 2] : {t((40, 37))} -> {t((3, 40, 37))}\n"
        f"  %y = nn.matmul %x, %wb : {t((3, 19, 40))}, {t((3, 40, 37))} -> {t((3, 19, 37))}\n"
        f"  func.return %y : {t((3, 19, 37))}\n}}\n"
    )
    (kernel,) = fused_kernels(source)
    c = match_contraction(kernel, schedule(kernel))
    assert isinstance(c, Contraction) and (c.m, c.n, c.k, c.batch) == (1, 2, 3, (0,))
    check(source)
    check(source, num_threads=2)
