"""`CodegenOptions`: how `convert-loop-to-llvm` turns kernels into LLVM IR.

A module of its own, free of xDSL, so that the runtime (a warm `mlc.compile` that
loads its code from the compile cache) can name the options without loading the
compiler.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

__all__ = ["DEFAULT_CODEGEN", "CodegenOptions", "host_vector_width"]


@dataclass(frozen=True)
class CodegenOptions:
    """How `lower_kernel` turns a kernel into LLVM IR; the defaults are the fastest
    code that keeps the results within a few ulps of the interpreter.

    `fast_math`: float adds, subtracts, multiplies, divides and negations get the
    LLVM flags `reassoc nsz arcp contract afn` (reordered sums, FMA contraction,
    reciprocals instead of divisions, -0 treated as +0), so results drift further
    from the interpreter; NaN and ±inf keep their meaning (no `nnan`/`ninf`: a
    masked attention score is -inf).
    `vector_width`: the SIMD width in bits the loop vectoriser prefers (128, 256 or
    512; LLVM's `prefer-vector-width`). None asks for the widest the CPU has: LLVM
    alone picks 256 bits on AVX-512 CPUs, which costs 1.1-1.6x on transcendentals.
    The contraction micro-kernel is shaped for it (`vector_width` or, for None, the
    host's `host_vector_width()`): its accumulators must fit the register file.
    `prefetch`: row-wise kernels prefetch the next row of their inputs during the
    sweep over a row with the most work (see the module docstring).
    `streaming_stores` (x86-64 only): rows of large outputs (`STREAMING_MIN_BYTES`)
    are written with non-temporal stores, which skip reading each line before
    writing it (see the module docstring). Off by default: on the Cascade Lake
    machine this was measured on, the copy through a scratch row made layer
    normalisation and softmax at 16384x4096 1.1-1.3x slower, not faster.
    `contraction`: f32 matmul-like kernels (a sum of products of two loads, then a
    point-wise epilogue) become cache-blocked loops around a register-blocked FMA
    micro-kernel (`mlc.lowering.contraction`) instead of one dot product per output
    element.
    """

    fast_math: bool = False
    vector_width: int | None = None
    prefetch: bool = True
    streaming_stores: bool = False
    contraction: bool = True

    def __post_init__(self) -> None:
        if self.vector_width not in (None, 128, 256, 512):
            raise ValueError(
                f"vector_width: expected 128, 256, 512 or None, got {self.vector_width!r}"
            )

    @property
    def target_vector_width(self) -> int:
        """`vector_width`, or the host's widest when it is None."""
        return self.vector_width or host_vector_width()


@functools.cache
def host_vector_width() -> int:
    """The widest SIMD registers of this CPU in bits, as LLVM sees its features:
    512 with AVX-512, 256 with AVX, else 128 (SSE, NEON)."""
    import llvmlite.binding as llvm

    features = llvm.get_host_cpu_features()
    if features.get("avx512f", False):
        return 512
    return 256 if features.get("avx", False) else 128


DEFAULT_CODEGEN = CodegenOptions()
"""The options used where none are given."""
