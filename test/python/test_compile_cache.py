"""The on-disk compile cache: hits skip compiling, damage and races cost a recompile."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import mlc
from mlc.lowering.codegen_options import CodegenOptions
from mlc.runtime import cpu
from mlc.runtime.cache import CompileCache
from mlc.settings import Settings, configure, overridden, settings

SCALE_SHIFT = """
func.func @forward(%x: tensor<4x33xf32>) -> (tensor<4x33xf32>, tensor<33xf32>) {
  %w = nn.constant dense<[[1.5]]> : tensor<1x1xf32>
  %wb = nn.broadcast_in_dim %w dims = [0, 1] : tensor<1x1xf32> -> tensor<4x33xf32>
  %y = nn.mul %x, %wb : tensor<4x33xf32>
  %s = nn.reduce_sum %y axes = [0] : tensor<4x33xf32> -> tensor<33xf32>
  func.return %y, %s : tensor<4x33xf32>, tensor<33xf32>
}

func.func @bias() -> tensor<3xf32> {
  %b = nn.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  func.return %b : tensor<3xf32>
}
"""

X = np.arange(4 * 33, dtype=np.float32).reshape(4, 33) / 7


def expected(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = x * np.float32(1.5)
    return y, y.sum(axis=0)


@pytest.fixture
def cache_dir(tmp_path: Path):
    with overridden(cache=True, cache_dir=tmp_path / "cache"):
        yield tmp_path / "cache"


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every call of the code generator."""
    calls: list[object] = []
    original = cpu.compile_native

    def counting(module, *options):
        calls.append(module)
        return original(module, *options)

    monkeypatch.setattr(cpu, "compile_native", counting)
    return calls


def check(exe: mlc.Executable) -> None:
    y, s = exe.forward(X)
    want_y, want_s = expected(X)
    np.testing.assert_allclose(y, want_y, rtol=1e-6)
    np.testing.assert_allclose(s, want_s, rtol=1e-5)
    bias = exe.bias()
    np.testing.assert_array_equal(bias, [1, 2, 3])
    bias[0] = 9  # a returned constant is the caller's to change
    np.testing.assert_array_equal(exe.bias(), [1, 2, 3])


def flip_byte(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.mlcx"))


def test_a_second_compile_loads_from_the_cache(cache_dir, compiles):
    first = mlc.compile(SCALE_SHIFT)
    assert not first.from_cache and len(compiles) == 1
    (entry,) = entries(cache_dir)
    second = mlc.compile(SCALE_SHIFT)
    assert second.from_cache and len(compiles) == 1  # no code generated
    check(first)
    check(second)
    assert second.functions == first.functions == ("forward", "bias")
    # The transformed IR is still there for inspection, rebuilt on demand.
    assert "loop.kernel" in mlc.print(second.module)
    assert entries(cache_dir) == [entry]


def test_a_module_source_is_cached_too(cache_dir, compiles):
    module = mlc.parse(SCALE_SHIFT)
    mlc.compile(module)
    assert mlc.compile(module).from_cache and len(compiles) == 1


def test_another_process_hits_the_cache(cache_dir, tmp_path):
    mlc.compile(SCALE_SHIFT)
    source = tmp_path / "m.mlir"
    source.write_text(SCALE_SHIFT)
    script = "import sys, mlc\nexe = mlc.compile(open(sys.argv[1]).read())\nprint(exe.from_cache)\n"
    env = {**os.environ, "MLC_CACHE": "1", "MLC_CACHE_DIR": str(cache_dir)}
    result = subprocess.run(
        [sys.executable, "-c", script, str(source)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "True"


def test_what_changes_the_code_changes_the_key(cache_dir, compiles):
    mlc.compile(SCALE_SHIFT)
    mlc.compile(SCALE_SHIFT.replace("1.5", "2.5"))
    mlc.compile(SCALE_SHIFT, codegen=CodegenOptions(fast_math=True))
    assert len(compiles) == 3 and len(entries(cache_dir)) == 3
    # Thread counts are chosen per call: the same code.
    assert mlc.compile(SCALE_SHIFT, num_threads=1).from_cache


def test_cache_off_writes_nothing(tmp_path, compiles):
    with overridden(cache=False, cache_dir=tmp_path):
        mlc.compile(SCALE_SHIFT)
        mlc.compile(SCALE_SHIFT)
    assert len(compiles) == 2 and not entries(tmp_path)
    with overridden(cache=True, cache_dir=tmp_path):
        assert not mlc.compile(SCALE_SHIFT, cache=False).from_cache
    assert not entries(tmp_path)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: b"not a zip file at all", id="garbage"),
        pytest.param(lambda data: flip_byte(data, len(data) // 3), id="byte-flip"),
    ],
)
def test_a_damaged_entry_is_recompiled_and_replaced(cache_dir, compiles, damage):
    mlc.compile(SCALE_SHIFT)
    (entry,) = entries(cache_dir)
    entry.write_bytes(damage(entry.read_bytes()))
    exe = mlc.compile(SCALE_SHIFT)
    check(exe)
    assert not exe.from_cache and len(compiles) == 2
    assert mlc.compile(SCALE_SHIFT).from_cache  # rewritten whole


def test_object_code_is_checksummed(cache_dir, compiles):
    mlc.compile(SCALE_SHIFT)
    (entry,) = entries(cache_dir)
    with zipfile.ZipFile(entry) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["kernels.o"] = members["kernels.o"][:-8] + bytes(8)  # still a valid zip
    with zipfile.ZipFile(entry, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    assert CompileCache(cache_dir).load(entry.stem) is None
    assert not entry.exists()  # discarded
    check(mlc.compile(SCALE_SHIFT))
    assert len(compiles) == 2


def test_an_unwritable_cache_warns_and_still_compiles(tmp_path, compiles):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    with (
        overridden(cache=True, cache_dir=blocker / "cache"),
        pytest.warns(RuntimeWarning, match="compile cache: cannot write"),
    ):
        exe = mlc.compile(SCALE_SHIFT)
    check(exe)


def test_concurrent_compiles_of_one_program(cache_dir):
    results: list[mlc.Executable] = []
    errors: list[BaseException] = []

    def compile_one() -> None:
        try:
            results.append(mlc.compile(SCALE_SHIFT))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=compile_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for exe in results:
        check(exe)
    assert len(entries(cache_dir)) == 1
    assert not list(cache_dir.glob(".tmp-*"))  # no half-written files left


def test_one_executable_called_from_many_threads(cache_dir):
    exe = mlc.compile(SCALE_SHIFT, num_threads=2)
    inputs = [X + i for i in range(8)]
    outputs: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def call(i: int) -> None:
        for _ in range(20):
            outputs[i] = exe.forward(inputs[i])

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, (y, s) in outputs.items():
        want_y, want_s = expected(inputs[i])
        np.testing.assert_allclose(y, want_y, rtol=1e-6)
        np.testing.assert_allclose(s, want_s, rtol=1e-5)


def test_clear_removes_entries(cache_dir):
    mlc.compile(SCALE_SHIFT)
    assert CompileCache(cache_dir).clear() == 1
    assert not entries(cache_dir)


def test_outputs_are_64_byte_aligned(cache_dir):
    y, s = mlc.compile(SCALE_SHIFT).forward(X)
    assert y.ctypes.data % 64 == 0 and s.ctypes.data % 64 == 0


# ---------------------------------------------------------------------------
# Settings


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MLC_CACHE", "off")
    monkeypatch.setenv("MLC_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("MLC_NUM_THREADS", "3")
    loaded = Settings.from_environment()
    assert loaded == Settings(cache=False, cache_dir=tmp_path, num_threads=3)
    monkeypatch.setenv("MLC_NUM_THREADS", "auto")
    assert Settings.from_environment().num_threads is None


@pytest.mark.parametrize(("variable", "value"), [("MLC_CACHE", "maybe"), ("MLC_NUM_THREADS", "0")])
def test_bad_environment_values_name_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=rf"^{variable}: "):
        Settings.from_environment()


def test_configure_rejects_unknown_settings():
    with pytest.raises(TypeError, match="cache_size: no such setting"):
        configure(cache_size=3)


def test_overridden_restores():
    before = settings()
    with overridden(num_threads=5):
        assert settings().num_threads == 5
    assert settings() == before


def test_every_setting_is_described():
    described = Settings.describe()
    assert [name for name, _, _ in described] == [
        "cache",
        "cache_dir",
        "output_pool_bytes",
        "num_threads",
        "thread_spin_us",
    ]
    assert all(env.startswith("MLC_") and doc for _, env, doc in described)


def test_no_warning_on_a_normal_compile(cache_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mlc.compile(SCALE_SHIFT)


# ---------------------------------------------------------------------------
# The output pool


BIG = """func.func @twice(%x: tensor<512x1024xf32>) -> tensor<512x1024xf32> {
  %y = nn.add %x, %x : tensor<512x1024xf32>
  func.return %y : tensor<512x1024xf32>
}"""


def test_dropped_results_are_reused_and_live_ones_never(monkeypatch):
    from mlc.runtime import program

    monkeypatch.setattr(program, "_output_pool", program.OutputPool(1 << 30))
    exe = mlc.compile(BIG)
    x = np.ones((512, 1024), np.float32)
    first = exe.twice(x)
    address = first.ctypes.data
    view = first[7:9]
    del first
    second = exe.twice(x + 1)  # a view of the first result lives: new memory
    assert second.ctypes.data != address
    np.testing.assert_array_equal(view, 2)
    del view
    third = exe.twice(x + 2)  # now the first result's memory is free again
    assert third.ctypes.data == address and third.ctypes.data % 64 == 0
    np.testing.assert_array_equal(second, 4)
    np.testing.assert_array_equal(third, 6)


def test_the_pool_keeps_at_most_its_limit():
    from mlc.runtime.program import OutputPool

    pool = OutputPool(3 << 20)
    arrays = [pool.empty((1 << 18,), np.float32) for _ in range(4)]  # 1 MiB each
    assert len(pool._buffers) == 2  # the third would pass the limit: not kept
    del arrays
    assert pool.idle_bytes() == 2 * ((1 << 20) + 64)
    small = pool.empty((16,), np.float32)  # below MIN_BYTES: plain allocation
    assert small.shape == (16,) and len(pool._buffers) == 2
    other = pool.empty((1 << 19,), np.float32)  # 2 MiB: idle buffers make room
    assert other.nbytes == 2 << 20 and sum(b.nbytes for b in pool._buffers) <= 3 << 20


def test_a_zero_limit_disables_the_pool():
    with overridden(output_pool_bytes=0):
        exe = mlc.compile(BIG)
        x = np.ones((512, 1024), np.float32)
        first = exe.twice(x)
        address = first.ctypes.data
        del first
        from mlc.runtime.program import output_pool

        assert output_pool().limit_bytes == 0 and not output_pool()._buffers
        assert exe.twice(x).shape == (512, 1024) and address  # allocated as usual


IN_PLACE_CHAIN = """
func.func @chain(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %a = loop.kernel "k0" domain(%i: 4, %j: 16) ins(%xi = %x : tensor<4x16xf32>) outs(%o : tensor<4x16xf32>) {
    %v = loop.load %xi[%i, %j] : tensor<4x16xf32>
    %n = arith.negf %v : f32
    loop.store %n, %o[%i, %j] : tensor<4x16xf32>
  }
  %b = loop.kernel "k1" domain(%i: 4, %j: 16) ins(%ai = %a : tensor<4x16xf32>) outs(%o : tensor<4x16xf32>) {
    %v = loop.load %ai[%i, %j] : tensor<4x16xf32>
    %s = arith.mulf %v, %v : f32
    loop.store %s, %o[%i, %j] : tensor<4x16xf32>
  }
  %y = loop.kernel "k2" domain(%i: 4, %j: 16) ins(%bi = %b : tensor<4x16xf32>) outs(%o : tensor<4x16xf32>) {
    %v = loop.load %bi[%i, %j] : tensor<4x16xf32>
    %n = arith.negf %v : f32
    loop.store %n, %o[%i, %j] : tensor<4x16xf32>
  }
  func.return %y : tensor<4x16xf32>
}
"""


def test_in_place_kernels_keep_their_pairs_through_the_cache(cache_dir, compiles):
    first = mlc.compile(IN_PLACE_CHAIN)
    again = mlc.compile(IN_PLACE_CHAIN)
    assert len(compiles) == 1  # the second came from the cache
    assert again.kernels["k1"].signature.in_place == (0,)
    assert again.kernels["k1"].signature == first.kernels["k1"].signature
    x = X[:, :16].copy()
    np.testing.assert_array_equal(again.chain(x), -(x * x))
    np.testing.assert_array_equal(first.chain(x), -(x * x))
