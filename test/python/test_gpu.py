"""The GPU path: map-to-gpu's choices, PTX that ptxas accepts, the resource checks,
the CUDA runtime's errors without a GPU, and execution against the interpreter.

* Every example (examples/*.mlir, whose kernels are f32) and every kernel of the
  gpu-to-nvvm lit tests is compiled to PTX and assembled by `ptxas --gpu-name`
  sm_80 and sm_90: the PTX the test suite produces (skipped, with the reason,
  where ptxas is not on PATH).
* Every strategy runs on the CPU in `mlc.testing.gpu_emulator` (one OS thread per
  GPU thread, barriers, warp shuffles and shared memory emulated) and matches the
  interpreter: grid-stride loops, block reductions, contraction tiles with odd
  sizes.
* Execution tests run each example with `mlc.compile(target="cuda")` and compare
  with the interpreter; they skip, saying why, without a CUDA GPU.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from test_cpu_kernels import EXAMPLES, as_tuple, assert_close, reduction_length
from xdsl.dialects.builtin import ModuleOp

import mlc
from mlc.api import parse, run_pipeline
from mlc.diagnostics import CompileError
from mlc.dialects.gpu import MappingAttr
from mlc.dialects.loop import KernelOp
from mlc.interpreter import lookup_function, random_inputs, run
from mlc.lowering.gpu_to_nvvm import kernels_as_nvvm, mapping_of
from mlc.lowering.ptx import (
    ARCHS,
    GpuArch,
    KernelUsage,
    check_registers,
    check_static_resources,
    compile_module_ptx,
    gpu_arch,
    ptxas_usage,
)
from mlc.runtime.cuda import CudaUnavailable, cuda_available
from mlc.testing import gpu_emulator
from mlc.testing.gpu_emulator import EmulationError, run_emulated
from mlc.transforms.gpu_pipeline import GpuPipelinePass
from mlc.transforms.map_to_gpu import GpuMappingOptions, choose_mapping

ROOT = Path(__file__).resolve().parents[2]
LIT_KERNELS = ROOT / "test" / "Lowering" / "gpu-to-nvvm" / "kernels.mlir"
EXAMPLES_BY_NAME = {p.stem: p.read_text() for p in EXAMPLES}
PTXAS = shutil.which("ptxas")
needs_ptxas = pytest.mark.skipif(PTXAS is None, reason="ptxas is not on PATH")
needs_gpu = pytest.mark.skipif(
    not cuda_available(), reason="no CUDA GPU or driver (libcuda) in this machine"
)


def gpu_module(text: str, arch: str = "sm_90") -> ModuleOp:
    module = parse(text)
    run_pipeline(module, f"mlc-gpu-pipeline{{arch={arch}}}")
    return module


def lit_chunks() -> list[str]:
    return LIT_KERNELS.read_text().split("// -----")


def assemble(ptx: str, arch: str, tmp_path: Path) -> str:
    source = tmp_path / f"kernels_{arch}.ptx"
    source.write_text(ptx)
    done = subprocess.run(
        [PTXAS, "-v", "--gpu-name", arch, str(source), "-o", str(tmp_path / "k.cubin")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


# -- map-to-gpu ----------------------------------------------------------------------


def kernel_of(text: str) -> KernelOp:
    module = parse(text)
    run_pipeline(module, "mlc-cpu-pipeline")
    return next(op for op in module.walk() if isinstance(op, KernelOp))


def unary(op: str, shape: str, attrs: str = "") -> str:
    return (
        f"func.func @f(%x: tensor<{shape}xf32>) -> tensor<{shape}xf32> {{\n"
        f"  %y = nn.{op} %x{attrs} : tensor<{shape}xf32>\n"
        f"  func.return %y : tensor<{shape}xf32>\n}}"
    )


@pytest.mark.parametrize(
    ("text", "strategy", "block", "grid", "reason"),
    [
        (unary("exp", "1000"), "pointwise", 256, 4, "grid-stride"),
        (unary("softmax", "16x4096", " axis = 1"), "rows", 512, 16, "one block of 512"),
        (unary("softmax", "3x200", " axis = 1"), "rows", 224, 3, "one block of 224"),
        (unary("softmax", "64x16", " axis = 1"), "threads", 256, 1, "one output point per thread"),
    ],
)
def test_choose_mapping(text, strategy, block, grid, reason) -> None:
    mapping, why = choose_mapping(kernel_of(text), GpuMappingOptions())
    assert mapping == MappingAttr(strategy, block, grid)
    assert reason in why


def matmul(m: int, k: int, n: int) -> str:
    a, b, c = f"tensor<{m}x{k}xf32>", f"tensor<{k}x{n}xf32>", f"tensor<{m}x{n}xf32>"
    return (
        f"func.func @f(%a: {a}, %b: {b}) -> {c} {{\n"
        f"  %y = nn.matmul %a, %b : {a}, {b} -> {c}\n  func.return %y : {c}\n}}"
    )


@pytest.mark.parametrize(
    ("text", "tile", "grid"),
    [
        (matmul(70, 37, 50), (64, 64, 16), 2),
        (matmul(4096, 4096, 4096), (64, 64, 16), 4096),
        (matmul(8, 512, 1000), (32, 64, 16), 16),
        (matmul(1000, 512, 20), (64, 32, 16), 16),
    ],
)
def test_contractions_get_tiles(text, tile, grid) -> None:
    mapping, why = choose_mapping(kernel_of(text), GpuMappingOptions())
    assert mapping == MappingAttr("tiles", tile[0] * tile[1] // 16, grid, tile)
    assert f"tiles of {tile[0]}x{tile[1]} outputs" in why


def test_tile_options_override_the_heuristic() -> None:
    options = GpuMappingOptions(max_grid=3, tile_m=128, tile_n=32, tile_k=4)
    mapping, _ = choose_mapping(kernel_of(matmul(70, 37, 50)), options)
    assert mapping == MappingAttr("tiles", 256, 2, (128, 32, 4))
    with pytest.raises(
        ValueError, match=r"tile-m/tile-n/tile-k: tile = \[32, 32, -1\]: .*BK positive"
    ):
        GpuPipelinePass(tile_k=-1)


def test_mapping_options_override_the_heuristic() -> None:
    options = GpuMappingOptions(block=64, row_block=128, max_grid=2)
    rows, _ = choose_mapping(kernel_of(unary("softmax", "16x4096", " axis = 1")), options)
    assert rows == MappingAttr("rows", 128, 2)
    points, _ = choose_mapping(kernel_of(unary("exp", "1000")), options)
    assert points == MappingAttr("pointwise", 64, 2)


def test_pipeline_options_are_checked_when_made() -> None:
    with pytest.raises(ValueError, match="arch: unsupported GPU architecture 'sm_70'"):
        GpuPipelinePass(arch="sm_70")
    with pytest.raises(ValueError, match="row_block: 48 is not a multiple of 32"):
        GpuPipelinePass(row_block=48)


# -- PTX -----------------------------------------------------------------------------


@needs_ptxas
@pytest.mark.parametrize("arch", sorted(ARCHS))
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_examples_assemble(example: Path, arch: str, tmp_path: Path) -> None:
    code = compile_module_ptx(gpu_module(example.read_text(), arch))
    assert f".target {arch}" in code.ptx
    assert ".entry" in code.ptx and "call" not in code.ptx.split(".entry", 1)[1]
    report = assemble(code.ptx, arch, tmp_path)
    assert code.usage is not None and set(code.usage) == set(code.launches)
    assert "Compiling entry function" in report


@needs_ptxas
@pytest.mark.parametrize("arch", sorted(ARCHS))
@pytest.mark.parametrize("chunk", range(len(lit_chunks())))
def test_lit_kernels_assemble(chunk: int, arch: str, tmp_path: Path) -> None:
    module = parse(lit_chunks()[chunk])
    code = compile_module_ptx(module, arch)
    assemble(code.ptx, arch, tmp_path)


def test_ptx_without_ptxas_skips_the_register_check(monkeypatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    code = compile_module_ptx(gpu_module(unary("softmax", "4x300", " axis = 1")))
    assert code.usage is None
    assert "shfl.sync.bfly.b32" in code.ptx and "bar.sync" in code.ptx
    assert ".shared" in code.ptx and "ld.global" in code.ptx


@needs_ptxas
def test_ptxas_reports_registers_per_kernel() -> None:
    code = compile_module_ptx(gpu_module(unary("softmax", "4x300", " axis = 1")), "sm_80")
    usage = ptxas_usage(code.ptx, "sm_80")
    (only,) = usage.values()
    assert 0 < only.registers <= 255 and only.shared_bytes > 0


# -- resource limits -----------------------------------------------------------------


def test_too_many_registers_is_a_located_error() -> None:
    module = gpu_module(unary("softmax", "4x4096", " axis = 1"))
    device = kernels_as_nvvm(module)
    (name,) = device.kernels
    with pytest.raises(CompileError) as error:
        check_registers(device, {name: KernelUsage(registers=200, shared_bytes=0)}, ARCHS["sm_90"])
    message = str(error.value)
    assert f"kernel '{name}': 200 registers per thread" in message
    assert "block of 512 threads on sm_90 gets at most 128" in message
    assert "lower map-to-gpu's block/row-block" in message
    assert error.value.diagnostics[0].location is not None


def test_too_much_shared_memory_is_a_located_error() -> None:
    device = kernels_as_nvvm(gpu_module(unary("softmax", "4x4096", " axis = 1")))
    tiny = GpuArch("sm_test", "+ptx70", max_static_shared=32)
    with pytest.raises(
        CompileError, match=r"kernel .f_k0.: 128 bytes of shared memory exceed sm_test's 32"
    ):
        check_static_resources(device, tiny)
    check_static_resources(device, gpu_arch("sm_80"))


def test_unknown_arch_names_the_argument() -> None:
    with pytest.raises(ValueError, match="arch: unsupported GPU architecture 'sm_75'"):
        compile_module_ptx(gpu_module(unary("exp", "8")), "sm_75")


# -- the CUDA runtime ------------------------------------------------------------------


@pytest.mark.skipif(cuda_available(), reason="a CUDA GPU is present")
def test_cuda_target_without_a_gpu_says_so() -> None:
    with pytest.raises(CudaUnavailable, match="CUDA"):
        mlc.compile(unary("exp", "8"), target="cuda")


def test_compile_errors_come_before_the_driver() -> None:
    text = (
        "func.func @f(%x: tensor<8xf64>) -> tensor<8xf64> {\n"
        "  %y = nn.exp %x : tensor<8xf64>\n  func.return %y : tensor<8xf64>\n}"
    )
    with pytest.raises(CompileError, match="no GPU lowering for f64"):
        mlc.compile(text, target="cuda")


@needs_gpu
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_examples_match_the_interpreter_on_the_gpu(example: Path) -> None:
    text = example.read_text()
    module = parse(text)
    exe = mlc.compile(text, target="cuda")
    for name in exe.functions:
        args = random_inputs(lookup_function(module, name), seed=0)
        expected = as_tuple(run(module, name, *args))
        actual = as_tuple(exe[name](*args))
        for e, a in zip(expected, actual, strict=True):
            assert_close(e, a, reduction_length(exe.module), what=f"{example.stem} @{name}")


@needs_gpu
def test_long_rows_and_many_points_on_the_gpu() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((300, 5000), dtype=np.float32)
    exe = mlc.compile(unary("softmax", "300x5000", " axis = 1"), target="cuda")
    expected = np.exp(x - x.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(exe.f(x), expected, rtol=1e-5, atol=1e-7)


# -- emulation on the CPU ----------------------------------------------------------

LINEAR = """func.func @linear(%x: tensor<70x37xf32>, %w: tensor<50x37xf32>, %b: tensor<50xf32>) -> tensor<70x50xf32> {
  %h = nn.linear %x, %w, %b : tensor<70x37xf32>, tensor<50x37xf32>, tensor<50xf32> -> tensor<70x50xf32>
  %y = nn.gelu %h : tensor<70x50xf32>
  func.return %y : tensor<70x50xf32>
}"""
MATMUL = """func.func @mm(%a: tensor<70x37xf32>, %b: tensor<37x50xf32>) -> tensor<70x50xf32> {
  %y = nn.matmul %a, %b : tensor<70x37xf32>, tensor<37x50xf32> -> tensor<70x50xf32>
  func.return %y : tensor<70x50xf32>
}"""
LAYER_NORM = """func.func @ln(%x: tensor<3x200xf32>, %w: tensor<200xf32>, %b: tensor<200xf32>) -> tensor<3x200xf32> {
  %y = nn.layer_norm %x, %w, %b axes = [1] eps = 1.0e-05 : tensor<3x200xf32>, tensor<200xf32>, tensor<200xf32> -> tensor<3x200xf32>
  func.return %y : tensor<3x200xf32>
}"""
INT_ROW_SUM = """func.func @rowsum(%x: tensor<3x200xi32>) -> tensor<3xi32> {
  %y = nn.reduce_sum %x axes = [1] : tensor<3x200xi32> -> tensor<3xi32>
  func.return %y : tensor<3xi32>
}"""
BATCHED = """func.func @bmm(%a: tensor<3x33x20xf32>, %b: tensor<3x20x65xf32>) -> tensor<3x33x65xf32> {
  %y = nn.matmul %a, %b : tensor<3x33x20xf32>, tensor<3x20x65xf32> -> tensor<3x33x65xf32>
  func.return %y : tensor<3x33x65xf32>
}"""
SHARED_WEIGHT = """func.func @xw(%x: tensor<2x33x20xf32>, %w: tensor<20x45xf32>) -> tensor<2x33x45xf32> {
  %wb = nn.broadcast_in_dim %w dims = [1, 2] : tensor<20x45xf32> -> tensor<2x20x45xf32>
  %y = nn.matmul %x, %wb : tensor<2x33x20xf32>, tensor<2x20x45xf32> -> tensor<2x33x45xf32>
  func.return %y : tensor<2x33x45xf32>
}"""


@pytest.mark.parametrize(
    ("text", "options", "strategies"),
    [
        (EXAMPLES_BY_NAME["pointwise_chain"], "block=32", {"pointwise"}),
        (EXAMPLES_BY_NAME["gelu_bias"], "block=64", {"pointwise"}),
        (unary("softmax", "40x20", " axis = 1"), "block=32 max-grid=3", {"threads"}),
        (unary("softmax", "5x300", " axis = 1"), "row-block=96 max-grid=3", {"rows"}),
        (LAYER_NORM, "row-block=64", {"rows"}),
        (INT_ROW_SUM, "row-block=32", {"rows"}),
        (MATMUL, "", {"tiles"}),
        (BATCHED, "", {"tiles"}),
        (SHARED_WEIGHT, "", {"tiles"}),
        (LINEAR, "", {"tiles"}),
        (LINEAR, "tile-m=16 tile-n=32 tile-k=5 max-grid=3", {"tiles"}),
    ],
    ids=[
        "pointwise_chain",
        "gelu_bias",
        "short_softmax",
        "softmax_rows",
        "layer_norm",
        "one_warp_i32_rows",
        "matmul_70x50x37",
        "batched_3x33x65x20",
        "batched_x_shared_weight",
        "linear_bias_gelu",
        "linear_small_tiles_grid_stride",
    ],
)
def test_emulated_kernels_match_the_interpreter(text, options, strategies) -> None:
    """Every strategy run on the CPU by the emulator (each block's threads
    concurrently; barriers, warp shuffles and shared memory emulated): the
    grid-stride loops cover each point once, block reductions combine every
    thread's part, and contraction tiles (odd sizes: bounds checks on M, N and K)
    equal the interpreter."""
    module = parse(text)
    run_pipeline(module, f"mlc-cpu-pipeline,map-to-gpu{{{options}}}")
    kernels = [op for op in module.walk() if isinstance(op, KernelOp)]
    assert {mapping_of(k).strategy.data for k in kernels} == strategies
    source = parse(text)
    (name,) = [op.sym_name.data for op in source.ops]
    args = random_inputs(lookup_function(source, name), seed=3)
    expected = as_tuple(run(source, name, *args))
    actual = run_emulated(module, name, *args)
    for e, a in zip(expected, actual, strict=True):
        assert_close(e, a, reduction_length(module))


def test_a_barrier_not_every_thread_reaches_fails_the_launch(monkeypatch) -> None:
    """A block whose barrier waits for a thread that never comes (here: one more
    party than threads) raises instead of hanging."""
    module = gpu_module(unary("softmax", "2x300", " axis = 1"))
    real_block = gpu_emulator._Block
    monkeypatch.setattr(gpu_emulator, "BARRIER_TIMEOUT_S", 0.2)
    monkeypatch.setattr(gpu_emulator, "_Block", lambda threads: real_block(threads + 1))
    x = np.zeros((2, 300), np.float32)
    with pytest.raises(EmulationError, match=r"kernel 'f_k0', block 0: .*BrokenBarrierError"):
        run_emulated(module, "f", x)
