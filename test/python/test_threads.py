"""The native kernel thread pool (`mlc.runtime.threads`): every share runs exactly
once, on spinning and on sleeping workers, with concurrent callers, across a fork
and at exit."""

from __future__ import annotations

import contextlib
import ctypes
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

import mlc
from mlc.runtime.threads import MAX_ARGUMENTS, Step, ThreadPool

DOUBLE = """
func.func @double(%x: tensor<4096x64xf32>) -> tensor<4096x64xf32> {
  %y = nn.add %x, %x : tensor<4096x64xf32>
  func.return %y : tensor<4096x64xf32>
}
"""


@pytest.fixture(scope="module")
def double():
    """The kernel `out = x + x`: run in place (out = x) n times, an element computed
    exactly once per launch reads 2^n."""
    exe = mlc.compile(DOUBLE, num_threads=1, cache=False)
    (kernel,) = exe.kernels.values()
    assert len(kernel.inputs) == len(kernel.outputs) == 1
    return kernel


@contextlib.contextmanager
def started(size: int, spin_us: int) -> Iterator[ThreadPool]:
    """A pool of its own for one test, stopped (workers joined) after it."""
    pool = ThreadPool(size, spin_us)
    try:
        yield pool
    finally:
        pool.stop()


def run_in_place(pool: ThreadPool, kernel, x: np.ndarray, shares: int) -> bool:
    address = x.ctypes.data
    return pool.run(kernel.address, [address, address], kernel.parallel_size, shares)


@pytest.mark.parametrize("spin_us", [2000, 0])
def test_every_share_runs_exactly_once(double, spin_us: int):
    with started(4, spin_us) as pool:
        assert pool.size == 4
        x = np.ones((4096, 64), np.float32)
        for shares in (2, 3, 4, 4, 3, 2):
            assert run_in_place(pool, double, x, shares)
            if spin_us == 0:
                time.sleep(0.001)  # the workers are asleep by the next launch
    np.testing.assert_array_equal(x, 2**6)


def test_a_schedule_runs_every_step_in_order_over_threads(double):
    x = np.ones((4096, 64), np.float32)
    table = (ctypes.c_void_p * 1)(x.ctypes.data)
    slots = (ctypes.c_int64 * 2)(0, 0)  # the kernel's input and output: x, in place
    steps = (Step * 3)()
    with started(3, 2000) as pool:
        for step, shares in zip(steps, (3, 1, 2), strict=True):
            step.trampoline = pool.trampolines[2]
            step.kernel, step.slots, step.count = double.address, slots, 2
            step.size, step.shares = double.parallel_size, shares
        pool.run_steps(steps, table)
    np.testing.assert_array_equal(x, 8)


def test_more_shares_than_rows_or_threads(double):
    x = np.ones((4096, 64), np.float32)
    with started(2, 100) as pool:
        assert run_in_place(pool, double, x, 16)  # capped to the pool's 2 threads
        assert not run_in_place(pool, double, x, 1)  # one share: the caller's job
        assert not pool.run(double.address, [0] * (MAX_ARGUMENTS + 1), 4096, 2)
    np.testing.assert_array_equal(x, 2)


def test_concurrent_callers_never_wait_on_each_other(double):
    """A launch that finds the pool busy is refused (its caller runs it alone), so
    every caller's array ends right."""
    arrays = [np.ones((4096, 64), np.float32) for _ in range(4)]

    def caller(pool: ThreadPool, x: np.ndarray) -> None:
        for _ in range(40):
            if not run_in_place(pool, double, x, 3):
                double._function(x.ctypes.data, x.ctypes.data, 0, double.parallel_size)

    with started(3, 500) as pool:
        threads = [threading.Thread(target=caller, args=(pool, x)) for x in arrays]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for x in arrays:
        np.testing.assert_array_equal(x, 2.0**40)


def test_a_stopped_pool_runs_nothing(double):
    pool = ThreadPool(2, 0)
    pool.stop()
    x = np.ones((4096, 64), np.float32)
    assert not run_in_place(pool, double, x, 2)
    np.testing.assert_array_equal(x, 1)


def test_forked_child_and_exit(tmp_path):
    """A forked child starts its own pool, and a process with running workers exits
    (they are stopped and joined) instead of hanging."""
    script = textwrap.dedent(
        f"""
        import os, numpy as np, mlc
        exe = mlc.compile({DOUBLE!r}, num_threads=2, cache=False)
        x = np.ones((4096, 64), np.float32)
        assert (exe.double(x) == 2).all()
        pid = os.fork()
        if pid == 0:
            ok = (exe.double(x + 1) == 4).all()
            os._exit(0 if ok else 3)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status
        assert (exe.double(x) == 2).all()
        print("done")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "done"


def test_concurrent_programs_with_different_thread_counts():
    """Python threads calling executables of 1-4 threads at once: every result
    right, no hang (a subprocess, so a hang fails the test instead of the run).
    This caught a lock whose i1 result lost its zero extension at -O0."""
    script = textwrap.dedent(
        f"""
        import random, threading, numpy as np, mlc
        exes = {{t: mlc.compile({MATMUL_SOFTMAX!r}, num_threads=t, cache=False) for t in (1, 2, 3, 4)}}
        rng = np.random.default_rng(0)
        x = rng.standard_normal((512, 256)).astype(np.float32)
        w = (rng.standard_normal((256, 128)) * 0.1).astype(np.float32)
        want = exes[1].f(x, w)
        bad = []
        def caller(seed):
            r = random.Random(seed)
            for _ in range(150):
                got = exes[r.choice((1, 2, 3, 4))].f(x, w)
                if not np.allclose(got, want, rtol=1e-5, atol=1e-6):
                    bad.append(seed)
        threads = [threading.Thread(target=caller, args=(s,)) for s in range(4)]
        for t in threads: t.start()
        for t in threads: t.join()
        print("bad", len(bad))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "bad 0"


MATMUL_SOFTMAX = """
func.func @f(%x: tensor<512x256xf32>, %w: tensor<256x128xf32>) -> tensor<512x128xf32> {
  %c = nn.matmul %x, %w : tensor<512x256xf32>, tensor<256x128xf32> -> tensor<512x128xf32>
  %s = nn.softmax %c axis = 1 : tensor<512x128xf32>
  func.return %s : tensor<512x128xf32>
}
"""
