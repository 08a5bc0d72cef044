"""The `tile` pass: tiled kernels compute what untiled ones and the interpreter do."""

from __future__ import annotations

import numpy as np
import pytest

from mlc.api import parse, run_pipeline
from mlc.dialects.loop import KernelOp
from mlc.interpreter import random_inputs, run
from mlc.runtime.cpu import compile_kernels, run_function
from mlc.testing.differential import check_program
from mlc.testing.random_programs import random_graph
from mlc.transforms.tile import DEFAULT_CACHES, CacheSizes, TilePass, host_caches, plan_tiles

FUSE = "decompose,canonicalize,cse,fuse"

TRANSPOSE_SOFTMAX = """
func.func @f(%x: tensor<37x53xf32>, %y: tensor<53x37xf32>) -> (tensor<53x37xf32>, tensor<37x53xf32>) {
  %t = nn.transpose %x perm = [1, 0] : tensor<37x53xf32> -> tensor<53x37xf32>
  %r = nn.add %t, %y : tensor<53x37xf32>, tensor<53x37xf32> -> tensor<53x37xf32>
  %s = nn.softmax %x axis = 1 : tensor<37x53xf32> -> tensor<37x53xf32>
  func.return %r, %s : tensor<53x37xf32>, tensor<37x53xf32>
}
"""


def _compiled(text: str, pipeline: str):
    module = parse(text)
    run_pipeline(module, pipeline)
    return module, compile_kernels(module)


def _tile_sizes(module) -> list[tuple[int, ...] | None]:
    return [k.tile_sizes for k in module.walk() if isinstance(k, KernelOp)]


@pytest.mark.parametrize(
    "tile, expected",
    [
        ("tile", [(32, 32), None]),
        ("tile{sizes=7,5}", [(7, 5), (5, 53)]),
        ("tile{sizes=1,1}", [None, None]),
        ("tile{sizes=64,3}", [(53, 3), (3, 53)]),
        ("tile{sizes=4,0}", [(4, 37), None]),
    ],
)
def test_tiled_equals_untiled_and_interpreter_on_odd_sizes(tile, expected):
    """Remainder tiles on 37 x 53, split over 1 and 3 threads: bit for bit the
    untiled kernels' results (tiling reorders points, never a point's arithmetic)."""
    plain, plain_kernels = _compiled(TRANSPOSE_SOFTMAX, FUSE)
    tiled, tiled_kernels = _compiled(TRANSPOSE_SOFTMAX, f"{FUSE},{tile}")
    assert _tile_sizes(tiled) == expected
    function = next(iter(plain.body.block.ops))
    inputs = random_inputs(function, 0)
    reference = run(plain, "f", *inputs)
    untiled = run_function(plain, "f", *inputs, kernels=plain_kernels, num_threads=1)
    for threads in (1, 3):
        got = run_function(tiled, "f", *inputs, kernels=tiled_kernels, num_threads=threads)
        for u, g, r in zip(untiled, got, reference, strict=True):
            np.testing.assert_array_equal(g, u)
            np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("seed", range(8))
def test_random_programs_with_random_tile_sizes(seed):
    rng = np.random.default_rng(seed)
    graph = random_graph(seed, dims=(1, 3, 5, 7, 11), max_elements=512)
    sizes = ",".join(str(int(s)) for s in rng.integers(0, 9, size=rng.integers(1, 4)))
    threads = int(rng.integers(1, 4))
    assert check_program(graph.text, f"{FUSE},tile{{sizes={sizes}}}", num_threads=threads) is None


def test_random_programs_get_tiled():
    """The random programs above do exercise the tile loops."""
    tiled = 0
    for seed in range(8):
        module = parse(random_graph(seed, dims=(1, 3, 5, 7, 11), max_elements=512).text)
        run_pipeline(module, f"{FUSE},tile{{sizes=2,3}}")
        tiled += sum(s is not None for s in _tile_sizes(module))
    assert tiled >= 4


def test_heuristic_tile_fits_half_of_l1():
    module = parse(TRANSPOSE_SOFTMAX.replace("37", "300").replace("53", "500"))
    run_pipeline(module, FUSE)
    transpose = next(k for k in module.walk() if isinstance(k, KernelOp))
    small = plan_tiles(transpose, caches=CacheSizes(l1=16 * 1024, l2=DEFAULT_CACHES.l2))
    large = plan_tiles(transpose, caches=CacheSizes(l1=256 * 1024, l2=DEFAULT_CACHES.l2))
    # three f32 tensors: 3 * 16 * 16 * 4 B fit 8 KiB, 3 * 64 * 64 * 4 B fit 128 KiB
    assert small.tiles == (16, 16)
    assert large.tiles == (64, 64)
    assert "strided along the innermost dim d1" in small.reasons[-1]


def test_host_caches_reads_sysfs(tmp_path):
    for name, (level, kind, size) in {
        "index0": ("1", "Data", "32K"),
        "index1": ("1", "Instruction", "64K"),
        "index2": ("2", "Unified", "1024K"),
    }.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "level").write_text(level + "\n")
        (tmp_path / name / "type").write_text(kind + "\n")
        (tmp_path / name / "size").write_text(size + "\n")
    assert host_caches(tmp_path) == CacheSizes(l1=32 * 1024, l2=1024 * 1024)
    assert host_caches(tmp_path / "missing") == DEFAULT_CACHES


def test_negative_sizes_are_rejected():
    with pytest.raises(ValueError, match="sizes must be >= 0"):
        TilePass(sizes=(4, -1))
