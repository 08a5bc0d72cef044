"""Fast-code choices of `convert-loop-to-llvm`, compiled natively against the interpreter.

* Rows long enough to be prefetched (odd lengths, several reduction dims, f16 and
  bf16), values kept between sweeps in scratch rows (softmax's exp), the
  reciprocal softmax and the sigmoid form of the tanh GELU from `decompose`, with
  NaN, ±inf and huge inputs: the same results as the interpreter, within the
  tolerances of `test_cpu_kernels`.
* Row ranges and threads: prefetching the row after the last one of a range reads
  nothing, and past the end of a tensor (a guard page after it) never faults.
* The assembly, through `export_llvm_ir` (which keeps the function attributes):
  512-bit registers where the CPU has AVX-512, prefetches, no libm calls.
"""

from __future__ import annotations

import ctypes
import mmap
import re
from typing import Any

import numpy as np
import pytest
from test_cpu_kernels import assert_close, reduction_length
from xdsl.dialects.builtin import ModuleOp

import mlc
from mlc.interpreter import lookup_function, random_inputs, run
from mlc.lowering.loop_to_llvm import CodegenOptions, export_llvm_ir, kernel_symbols, lower_kernel
from mlc.runtime.cpu import compile_kernels, kernel_signature, kernels_as_llvm
from mlc.runtime.native import CompiledKernel, NativeCode, llvm_host, load_kernels

PROGRAMS = {
    "softmax": "%y = nn.softmax %x axis = 1 : {t}",
    "log_softmax": "%y = nn.log_softmax %x axis = 1 : {t}",
    "gelu_tanh": "%y = nn.gelu %x approximate = tanh : {t}",
    "layer_norm_2_axes": "%y = nn.layer_norm %x axes = [1, 2] eps = 1.0e-05 : {t} -> {t}",
    "rms_norm": "%y = nn.rms_norm %x axes = [2] eps = 1.0e-06 : {t} -> {t}",
}
SHAPES = {  # rows longer than one prefetch chunk (256) and not a multiple of it
    "softmax": [(3, 300), (2, 513)],
    "log_softmax": [(4, 257)],
    "gelu_tanh": [(3, 300)],
    "layer_norm_2_axes": [(3, 4, 70)],
    "rms_norm": [(2, 3, 300)],
}


def program(name: str, shape: tuple[int, ...], dtype: str = "f32") -> str:
    t = f"tensor<{'x'.join(map(str, shape))}x{dtype}>"
    body = PROGRAMS[name].format(t=t)
    return f"func.func @f(%x: {t}) -> {t} {{\n  {body}\n  func.return %y : {t}\n}}"


def with_specials(x: np.ndarray) -> np.ndarray:
    """`x` with NaN, ±inf, a huge and a tiny value in its first row."""
    x = x.copy()
    specials = [np.nan, np.inf, -np.inf, 3e4, -3e4, 1e-30, -0.0]
    flat = x.reshape(x.shape[0], -1)
    flat[0, : len(specials)] = np.array(specials).astype(x.dtype)
    return x


def check(text: str, inputs: list[np.ndarray]) -> None:
    module = mlc.parse(text)
    executable = mlc.compile(text)
    expected = run(module, "f", *inputs)
    actual = executable.f(*inputs)
    assert_close(expected, actual, reduction_length(executable.module), text.splitlines()[1])


@pytest.mark.parametrize(
    ("name", "shape"), [(n, s) for n, shapes in SHAPES.items() for s in shapes]
)
def test_long_rows_match_the_interpreter(name: str, shape: tuple[int, ...]):
    text = program(name, shape)
    (x,) = random_inputs(lookup_function(mlc.parse(text), "f"), seed=len(shape))
    check(text, [x * 4])
    if name != "layer_norm_2_axes":  # one NaN would make every value of its row NaN
        check(text, [with_specials(x * 4)])


@pytest.mark.parametrize("dtype", ["f16", "bf16"])
def test_low_precision_softmax_keeps_f32_exp_in_scratch(dtype: str):
    text = program("softmax", (3, 300), dtype)
    (x,) = random_inputs(lookup_function(mlc.parse(text), "f"), seed=1)
    check(text, [x])


def test_softmax_keeps_exp_in_a_scratch_row():
    executable = mlc.compile(program("softmax", (3, 300)))
    llvm_ir = mlc.print(kernels_as_llvm(executable.module))
    assert llvm_ir.count("llvm.alloca") == 1
    between, last = llvm_ir.split("^sweep2_d1_end:")[1].split("^sweep3", 1)
    assert "llvm.fdiv" in between and "llvm.fdiv" not in last  # 1/sum once per row
    assert "llvm.fmuladd" not in last  # exp is reloaded, not recomputed


SOFTMAX_ROWS = """func.func @f(%x: tensor<6x300xf32>) -> tensor<6x300xf32> {
  %y = nn.softmax %x axis = 1 : tensor<6x300xf32>
  func.return %y : tensor<6x300xf32>
}"""


@pytest.fixture(scope="module")
def softmax_kernel():
    module = mlc.parse(SOFTMAX_ROWS)
    mlc.run_pipeline(module, "mlc-cpu-pipeline")
    (kernel,) = compile_kernels(module).values()
    return kernel


def test_row_ranges_and_threads(softmax_kernel):
    x = np.random.default_rng(0).standard_normal((6, 300)).astype(np.float32)
    full = np.empty_like(x)
    softmax_kernel(x, full)
    expected = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(full, expected / expected.sum(axis=1, keepdims=True), rtol=1e-5)
    pieces = np.full_like(x, np.nan)
    for begin, end in [(0, 1), (1, 4), (4, 6)]:
        softmax_kernel(x, pieces, begin=begin, end=end)
    np.testing.assert_array_equal(pieces, full)
    threaded = np.empty_like(x)
    softmax_kernel.launch(x, threaded, num_threads=3)
    np.testing.assert_array_equal(threaded, full)


def test_prefetching_past_the_last_row_never_faults(softmax_kernel):
    """The input ends right before a page that may not be read at all: the prefetches
    of the row after the last one point into it."""
    page = mmap.PAGESIZE
    memory = mmap.mmap(-1, 3 * page)
    base = ctypes.addressof(ctypes.c_char.from_buffer(memory))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    assert libc.mprotect(base + 2 * page, page, 0) == 0, ctypes.get_errno()  # PROT_NONE
    nbytes = 6 * 300 * 4
    x = np.frombuffer(memory, np.float32, 6 * 300, 2 * page - nbytes).reshape(6, 300)
    x[...] = np.linspace(-3, 3, x.size, dtype=np.float32).reshape(6, 300)
    out = np.empty_like(x)
    softmax_kernel(x, out)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)


def optimized(module) -> Any:
    """The `llvm.func`s of `module` exported by `export_llvm_ir` and optimised at O3
    for this CPU, as the runtime does (its export does not carry the function
    attributes and `!nontemporal` yet)."""
    import llvmlite.binding as llvm

    machine = llvm_host().machine
    llvm_module = llvm.parse_assembly(
        export_llvm_ir(module, llvm.get_process_triple(), str(machine.target_data))
    )
    options = llvm.create_pipeline_tuning_options(speed_level=3)
    options.loop_vectorization = True
    options.slp_vectorization = True
    passes = llvm.create_pass_builder(machine, options)
    passes.getModulePassManager().run(llvm_module, passes)
    return llvm_module


def lowered(module: ModuleOp, options: CodegenOptions | None = None) -> ModuleOp:
    """The `llvm.func`s of the kernels of a fused module, lowered with `options`."""
    options = options or CodegenOptions()
    functions = [lower_kernel(k, n, options).function for k, n in kernel_symbols(module).items()]
    return ModuleOp(functions)


def native_kernels(module: ModuleOp, options: CodegenOptions) -> dict[str, CompiledKernel]:
    """The kernels of a fused module, lowered with `options` and compiled through
    `optimized`."""
    object_code = llvm_host().machine.emit_object(optimized(lowered(module, options)))
    symbols = kernel_symbols(module).items()
    signatures = tuple(kernel_signature(kernel, name) for kernel, name in symbols)
    return load_kernels(NativeCode(object_code, signatures))


def test_the_assembly_uses_the_widest_vectors_and_prefetches():
    import llvmlite.binding as llvm

    gelu = program("gelu_tanh", (64, 1024)).replace("@f", "@g")
    module = mlc.parse(SOFTMAX_ROWS.replace("6x300", "64x1024") + "\n" + gelu)
    mlc.run_pipeline(module, "mlc-cpu-pipeline")
    assembly = llvm_host().machine.emit_assembly(optimized(lowered(module)))
    assert "call" not in assembly
    assert re.search(r"\tprefetcht[01]\s", assembly)
    register = "zmm" if llvm.get_host_cpu_features().get("avx512f") else "[xy]mm"
    assert re.search(rf"\tvfmadd\w+ps\s+.*%{register}", assembly)


def test_gelu_tanh_special_values():
    """x / (1 + exp(-2z)) has the limits of x (1 + tanh z) / 2: -0 far below zero,
    x far above, NaN at -inf (0 * inf) and NaN."""
    text = program("gelu_tanh", (1, 8))
    x = np.array([[-np.inf, -1e4, -20.0, -0.0, 0.0, 20.0, 1e4, np.inf]], np.float32)
    y = mlc.compile(text).f(x)
    expected = run(mlc.parse(text), "f", x)
    np.testing.assert_array_equal(y[:, 1:], expected[:, 1:])
    assert np.isnan(y[0, 0]) and np.isnan(expected[0, 0])


STREAMED = [("softmax", (1024, 2049)), ("layer_norm_2_axes", (256, 4, 2049))]


@pytest.fixture(scope="module", params=STREAMED, ids=[name for name, _ in STREAMED])
def streamed(request) -> tuple[str, tuple[int, ...], CompiledKernel]:
    name, shape = request.param
    text = program(name, shape)
    module = mlc.parse(text)
    mlc.run_pipeline(module, "mlc-cpu-pipeline")
    options = CodegenOptions(streaming_stores=True)
    assembly = llvm_host().machine.emit_assembly(optimized(lowered(module, options)))
    assert re.search(r"\tvmovnt\w+\s+%[xyz]mm", assembly) and "sfence" in assembly
    (kernel,) = native_kernels(module, options).values()
    return text, shape, kernel


@pytest.mark.parametrize("offset", [0, 1, 5])
def test_streaming_stores_into_unaligned_rows(streamed, offset: int):
    """With `streaming_stores`, an output of 8 MiB or more gets its rows through a
    scratch row and non-temporal stores (and a fence); rows of 2049 floats start at every
    alignment, and outputs moved by a few elements start misaligned too."""
    text, shape, kernel = streamed
    x = np.random.default_rng(offset).standard_normal(shape).astype(np.float32)
    out = np.empty(x.size + offset, np.float32)[offset:].reshape(x.shape)
    kernel(x, out)
    assert_close(run(mlc.parse(text), "f", x), out, 2049, f"offset {offset}")
