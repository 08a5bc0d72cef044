"""How the suite times things (the method of ../shared/guides/cpu-baselines.md).

* `round_robin`: every implementation of one workload is called in turn, one call
  each per round, with the order rotated every round, so a burst of noise from the
  shared machine hits all of them alike; after a warm-up call each (the call that
  checked its result, in the runner), rounds run until
  a minimum count is reached and the time budget is spent (or a maximum count).
  A call's result is dropped inside the timed region, so freeing a fresh output
  (munmap of a large one) counts against the implementation that allocated it.
  With `turn=k`, each implementation makes k calls in a row per round and the
  first is not timed: what a model called in a loop sees, without the threads of
  the implementation before it (OpenMP's and mlc's spin a while after a call)
  competing with its first call.
* `CopyProbe`: `np.copyto` into a preallocated array (read + write counted), split
  over the threads for more than one; timed in the same rounds as the workloads,
  its best time gives the copy bandwidth they are compared with.
* `thread_limits`: torch's intra-op threads and, through threadpoolctl when it is
  installed, numpy's BLAS threads.
* `OtherLoad`: the CPU time that processes other than this one used while a
  measurement ran, from /proc/stat, to flag cells the shared machine disturbed.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Budget",
    "CopyProbe",
    "OtherLoad",
    "Samples",
    "numpy_blas_info",
    "round_robin",
    "thread_limits",
]


@dataclass(frozen=True)
class Budget:
    """How long to time one group: at least `min_reps` rounds, then more while
    `seconds` last, never more than `max_reps`."""

    min_reps: int
    max_reps: int
    seconds: float


@dataclass
class Samples:
    """Wall times in seconds of one implementation's calls."""

    times: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def as_json(self) -> dict[str, Any]:
        return {
            "median_s": self.median,
            "min_s": min(self.times),
            "max_s": max(self.times),
            "reps": len(self.times),
            "times_s": self.times,
        }


def round_robin(
    calls: dict[str, Callable[[], Any]], budget: Budget, warm_up: bool = True, turn: int = 1
) -> dict[str, Samples]:
    """Times `calls` round-robin (see the module docstring); samples per key.
    `warm_up=False` when each was just called (to check its result, say); `turn`:
    calls in a row per round, the first untimed when there are several."""
    for call in calls.values() if warm_up else ():
        call()
    keys = list(calls)
    samples = {key: Samples([]) for key in keys}
    start = time.perf_counter()
    rounds = 0
    while rounds < budget.max_reps and (
        rounds < budget.min_reps or time.perf_counter() - start < budget.seconds
    ):
        shift = rounds % len(keys)
        for key in keys[shift:] + keys[:shift]:
            call = calls[key]
            if turn > 1:
                call()
            for _ in range(max(turn - 1, 1)):
                begin = time.perf_counter()
                result = call()
                del result
                samples[key].times.append(time.perf_counter() - begin)
        rounds += 1
    return samples


class CopyProbe:
    """`np.copyto` between two preallocated float32 arrays of `nbytes`, split into
    `threads` contiguous chunks: a call timed alongside the workloads, so that the
    copy bandwidth they are compared with is measured under the same noise."""

    def __init__(self, nbytes: int, threads: int) -> None:
        self.source = np.ones(max(nbytes // 4, threads), dtype=np.float32)
        self.target = np.zeros_like(self.source)
        self.chunks = list(
            zip(
                np.array_split(self.target, threads),
                np.array_split(self.source, threads),
                strict=True,
            )
        )
        # numpy releases the GIL while it copies, so pool threads copy in parallel.
        self.pool = ThreadPoolExecutor(threads) if threads > 1 else None

    def __call__(self) -> None:
        if self.pool is None:
            np.copyto(self.target, self.source)
        else:
            list(self.pool.map(lambda pair: np.copyto(*pair), self.chunks))

    def gbps(self, seconds: float) -> float:
        """Read + write bandwidth of a call that took `seconds`."""
        return 2 * self.source.nbytes / seconds / 1e9

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def numpy_blas_info() -> list[dict[str, Any]] | None:
    """threadpoolctl's view of the BLAS and OpenMP libraries numpy loaded (None
    without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return [
        {k: info.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
        for info in threadpool_info()
    ]


@contextlib.contextmanager
def thread_limits(threads: int, torch: Any | None) -> Iterator[bool]:
    """torch (when given) and numpy's BLAS limited to `threads` for a block; yields
    whether numpy's BLAS threads are controlled (threadpoolctl is installed)."""
    saved = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(threads)
    try:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            yield False
            return
        with threadpool_limits(limits=threads):
            yield True
    finally:
        if torch is not None:
            torch.set_num_threads(saved)


def _busy_seconds() -> tuple[float, float] | None:
    """(CPU seconds all processes spent busy, seconds stolen by the hypervisor) from
    /proc/stat, or None where it does not exist."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except OSError:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq) / tick, steal / tick


class OtherLoad:
    """Cores' worth of CPU time used by other processes (and stolen by the
    hypervisor) between `start()` and `stop()`; None where /proc/stat is missing."""

    def start(self) -> None:
        self._wall = time.perf_counter()
        self._own = _own_seconds()
        self._busy = _busy_seconds()

    def stop(self) -> dict[str, float] | None:
        busy = _busy_seconds()
        if busy is None or self._busy is None:
            return None
        wall = time.perf_counter() - self._wall
        own = _own_seconds() - self._own
        other = busy[0] - self._busy[0] - own
        return {
            "other_cores": max(other, 0.0) / wall,
            "steal_cores": (busy[1] - self._busy[1]) / wall,
        }


def _own_seconds() -> float:
    times = os.times()
    return times.user + times.system
