"""The kernel thread pool: native workers that spin briefly between launches.

A kernel split over threads (`CompiledKernel.dispatch`) runs one share on the
calling thread and the others on this pool's workers. Waking a sleeping thread
costs ~90 us on a busy VM, as much as a small kernel runs, and a model launches
kernels back to back, so, as OpenMP runtimes do, a worker that finished a share
spins for `settings().thread_spin_us` on its slot before it sleeps on a condition
variable; the caller spins until every share is done. Python threads cannot do
this (a spinning Python thread holds the GIL), so the pool is native code: LLVM IR
written here, compiled once per process and linked into the JIT like the kernels.

Protocol. Worker `w` (1 <= w < size) owns a cache line `slots[w]` = (generation,
begin, end). The caller publishes the kernel (its trampoline, its address, its
argument array), sets `pending` to the number of shares it hands out, writes each
chosen worker's bounds and bumps that worker's generation (seq_cst), wakes
sleepers if any, runs share 0 itself and spins until `pending` is 0. A worker that
sees its generation change runs its share and decrements `pending`. A worker about
to sleep counts itself in `sleepers` and re-checks its generation under the mutex,
and the caller reads `sleepers` after bumping generations (both seq_cst), so a
wake-up is never lost. Kernels take their buffers as separate pointer arguments;
`mlc_call_N(kernel, args, begin, end)` trampolines, one per argument count, give
the workers one calling convention.

One launch uses the pool at a time: a caller that finds it busy (another Python
thread is launching) runs its kernel alone instead of waiting. Workers are
stopped and joined at exit, and a forked child starts its own pool.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import threading
import time
from collections.abc import Sequence

from mlc.settings import settings

__all__ = ["MAX_ARGUMENTS", "Step", "ThreadPool", "thread_pool"]

MAX_ARGUMENTS = 64
"""Most buffers a kernel may take to be split over threads (a trampoline each)."""
MAX_WORKERS = 256
SLOT_WORDS = 8
"""i64s per worker slot: one cache line, so workers never share one."""


def _pause(triple: str) -> tuple[str, str]:
    """The spin-wait hint of the target, as (declaration, call)."""
    if triple.startswith(("x86_64", "i686", "i386")):
        return "declare void @llvm.x86.sse2.pause()", "call void @llvm.x86.sse2.pause()"
    if triple.startswith(("aarch64", "arm64")):
        return "declare void @llvm.aarch64.hint(i32)", "call void @llvm.aarch64.hint(i32 1)"
    return "", ""


def _trampoline(count: int) -> str:
    loads = "\n".join(
        f"  %a{n}.p = getelementptr inbounds ptr, ptr %args, i64 {n}\n"
        f"  %a{n} = load ptr, ptr %a{n}.p, align 8"
        for n in range(count)
    )
    arguments = ", ".join(f"ptr %a{n}" for n in range(count))
    return (
        f"define void @mlc_call_{count}(ptr %kernel, ptr %args, i64 %begin, i64 %end) {{\n"
        f"{loads}\n"
        f"  call void %kernel({arguments}, i64 %begin, i64 %end)\n"
        "  ret void\n}\n"
    )


def pool_ir(triple: str) -> str:
    """The pool's LLVM IR for `triple` (see the module docstring)."""
    declare_pause, pause = _pause(triple)
    slots = MAX_WORKERS * SLOT_WORDS
    return f"""
{declare_pause}
declare i32 @pthread_mutex_init(ptr, ptr)
declare i32 @pthread_mutex_lock(ptr)
declare i32 @pthread_mutex_unlock(ptr)
declare i32 @pthread_cond_init(ptr, ptr)
declare i32 @pthread_cond_wait(ptr, ptr)
declare i32 @pthread_cond_broadcast(ptr)
declare i32 @pthread_create(ptr, ptr, ptr, ptr)
declare i32 @pthread_join(i64, ptr)

@slots = internal global [{slots} x i64] zeroinitializer, align 64
@threads = internal global [{MAX_WORKERS} x i64] zeroinitializer, align 8
@mutex = internal global [256 x i8] zeroinitializer, align 64
@cond = internal global [256 x i8] zeroinitializer, align 64
@pending = internal global i64 0, align 64
@sleepers = internal global i64 0, align 64
@stop = internal global i64 0, align 64
@spin_limit = internal global i64 0, align 64
@trampoline = internal global ptr null, align 64
@kernel = internal global ptr null, align 8
@arguments = internal global ptr null, align 8
@workers = internal global i64 0, align 8
@busy = internal global i64 0, align 64

%Step = type {{ ptr, ptr, ptr, i64, i64, i64 }}

define internal ptr @slot(i64 %worker, i64 %field) {{
  %line = mul i64 %worker, {SLOT_WORDS}
  %index = add i64 %line, %field
  %p = getelementptr inbounds i64, ptr @slots, i64 %index
  ret ptr %p
}}

; Spins `n` rounds of the wait loop: what the pool calibrates its spin limit with.
define void @mlc_pool_spin(i64 %n) {{
entry:
  br label %loop
loop:
  %i = phi i64 [0, %entry], [%next, %loop]
  %seen = load atomic i64, ptr @stop acquire, align 8
  {pause}
  %next = add i64 %i, 1
  %more = icmp ult i64 %next, %n
  br i1 %more, label %loop, label %done
done:
  ret void
}}

define internal ptr @worker_main(ptr %argument) {{
entry:
  %w = ptrtoint ptr %argument to i64
  %generation.p = call ptr @slot(i64 %w, i64 0)
  %begin.p = call ptr @slot(i64 %w, i64 1)
  %end.p = call ptr @slot(i64 %w, i64 2)
  br label %wait
wait:
  %seen = phi i64 [0, %entry], [%now, %run]
  %limit = load i64, ptr @spin_limit, align 8
  br label %spin
spin:
  %i = phi i64 [0, %wait], [%i.next, %spin.again]
  %g.spin = load atomic i64, ptr %generation.p acquire, align 8
  %changed = icmp ne i64 %g.spin, %seen
  br i1 %changed, label %woken, label %spin.again
spin.again:
  {pause}
  %i.next = add i64 %i, 1
  %spin.more = icmp ult i64 %i.next, %limit
  br i1 %spin.more, label %spin, label %sleep
sleep:
  call i32 @pthread_mutex_lock(ptr @mutex)
  atomicrmw add ptr @sleepers, i64 1 seq_cst
  br label %sleep.check
sleep.check:
  %g.sleep = load atomic i64, ptr %generation.p seq_cst, align 8
  %same = icmp eq i64 %g.sleep, %seen
  br i1 %same, label %sleep.wait, label %sleep.done
sleep.wait:
  call i32 @pthread_cond_wait(ptr @cond, ptr @mutex)
  br label %sleep.check
sleep.done:
  atomicrmw sub ptr @sleepers, i64 1 seq_cst
  call i32 @pthread_mutex_unlock(ptr @mutex)
  br label %woken
woken:
  %now = phi i64 [%g.spin, %spin], [%g.sleep, %sleep.done]
  %stopping = load atomic i64, ptr @stop acquire, align 8
  %exit = icmp ne i64 %stopping, 0
  br i1 %exit, label %finish, label %run
run:
  %t = load ptr, ptr @trampoline, align 8
  %k = load ptr, ptr @kernel, align 8
  %a = load ptr, ptr @arguments, align 8
  %b = load i64, ptr %begin.p, align 8
  %e = load i64, ptr %end.p, align 8
  call void %t(ptr %k, ptr %a, i64 %b, i64 %e)
  atomicrmw sub ptr @pending, i64 1 release
  br label %wait
finish:
  ret ptr null
}}

define internal void @wake_all() {{
  call i32 @pthread_mutex_lock(ptr @mutex)
  call i32 @pthread_cond_broadcast(ptr @cond)
  call i32 @pthread_mutex_unlock(ptr @mutex)
  ret void
}}

define internal void @wake_sleepers() {{
entry:
  %sleeping = load atomic i64, ptr @sleepers seq_cst, align 8
  %any = icmp ne i64 %sleeping, 0
  br i1 %any, label %wake, label %done
wake:
  call void @wake_all()
  br label %done
done:
  ret void
}}

; Prepares the pool: no workers yet (the caller is share 0).
define void @mlc_pool_init(i64 %spin_limit) {{
        entry:
  store i64 %spin_limit, ptr @spin_limit, align 8
  call i32 @pthread_mutex_init(ptr @mutex, ptr null)
  call i32 @pthread_cond_init(ptr @cond, ptr null)
  store i64 1, ptr @workers, align 8
  ret void
}}

; Starts workers until there are `count` threads; returns how many there are.
define i64 @mlc_pool_grow(i64 %count) {{
        entry:
  %first = load i64, ptr @workers, align 8
  br label %loop
loop:
  %w = phi i64 [%first, %entry], [%w.next, %started]
  %more = icmp ult i64 %w, %count
  br i1 %more, label %create, label %done
create:
  %thread = getelementptr inbounds i64, ptr @threads, i64 %w
  %argument = inttoptr i64 %w to ptr
  %error = call i32 @pthread_create(ptr %thread, ptr null, ptr @worker_main, ptr %argument)
  %failed = icmp ne i32 %error, 0
  br i1 %failed, label %done, label %started
started:
  %w.next = add i64 %w, 1
  br label %loop
done:
  %workers = phi i64 [%w, %loop], [%w, %create]
  store i64 %workers, ptr @workers, align 8
  call void @unlock()
  ret i64 %workers
}}

; Stops and joins every worker.
define void @mlc_pool_stop() {{
entry:
  call void @lock()
  store atomic i64 1, ptr @stop seq_cst, align 8
  %count = load i64, ptr @workers, align 8
  br label %bump
bump:
  %w = phi i64 [1, %entry], [%w.next, %bump.body]
  %more = icmp ult i64 %w, %count
  br i1 %more, label %bump.body, label %wake
bump.body:
  %g = call ptr @slot(i64 %w, i64 0)
  atomicrmw add ptr %g, i64 1 seq_cst
  %w.next = add i64 %w, 1
  br label %bump
wake:
  call void @wake_all()
  br label %join
join:
  %j = phi i64 [1, %wake], [%j.next, %join.body]
  %more.j = icmp ult i64 %j, %count
  br i1 %more.j, label %join.body, label %done
join.body:
  %thread.p = getelementptr inbounds i64, ptr @threads, i64 %j
  %thread = load i64, ptr %thread.p, align 8
  call i32 @pthread_join(i64 %thread, ptr null)
  %j.next = add i64 %j, 1
  br label %join
done:
  store i64 1, ptr @workers, align 8
  call void @unlock()
  ret void
}}

; Runs kernel(args..., begin, end) over [0, size) in `asked` contiguous ranges (at
; most one per thread), share 0 on the calling thread, share s on worker s; returns
; when all are done. The caller holds the pool's lock.
define void @mlc_pool_run(ptr %trampoline, ptr %kernel, ptr %args, i64 %size, i64 %asked) {{
entry:
  %threads = load i64, ptr @workers, align 8
  %fewer = icmp ult i64 %asked, %threads
  %shares = select i1 %fewer, i64 %asked, i64 %threads
  store ptr %trampoline, ptr @trampoline, align 8
  store ptr %kernel, ptr @kernel, align 8
  store ptr %args, ptr @arguments, align 8
  %others = sub i64 %shares, 1
  store atomic i64 %others, ptr @pending seq_cst, align 8
  br label %hand
hand:
  %s = phi i64 [1, %entry], [%s.next, %hand.body]
  %more = icmp ult i64 %s, %shares
  br i1 %more, label %hand.body, label %own
hand.body:
  %lo = mul i64 %size, %s
  %b = udiv i64 %lo, %shares
  %s.next = add i64 %s, 1
  %hi = mul i64 %size, %s.next
  %e = udiv i64 %hi, %shares
  %b.p = call ptr @slot(i64 %s, i64 1)
  store i64 %b, ptr %b.p, align 8
  %e.p = call ptr @slot(i64 %s, i64 2)
  store i64 %e, ptr %e.p, align 8
  %g.p = call ptr @slot(i64 %s, i64 0)
  atomicrmw add ptr %g.p, i64 1 seq_cst
  br label %hand
own:
  call void @wake_sleepers()
  %first = udiv i64 %size, %shares
  call void %trampoline(ptr %kernel, ptr %args, i64 0, i64 %first)
  br label %join
join:
  %left = load atomic i64, ptr @pending acquire, align 8
  %done = icmp eq i64 %left, 0
  br i1 %done, label %finish, label %join.again
join.again:
  {pause}
  br label %join
finish:
  ret void
}}

define internal zeroext i1 @try_lock() {{
  %swap = cmpxchg ptr @busy, i64 0, i64 1 acquire monotonic
  %locked = extractvalue {{ i64, i1 }} %swap, 1
  ret i1 %locked
}}

define internal void @lock() {{
entry:
  br label %try
try:
  %locked = call zeroext i1 @try_lock()
  br i1 %locked, label %done, label %again
again:
  {pause}
  br label %try
done:
  ret void
}}

define internal void @unlock() {{
  store atomic i64 0, ptr @busy release, align 8
  ret void
}}

; mlc_pool_run unless another launch holds the pool (then nothing runs): returns
; whether it ran.
define zeroext i1 @mlc_pool_try_run(ptr %trampoline, ptr %kernel, ptr %args, i64 %size, i64 %shares) {{
entry:
  %locked = call zeroext i1 @try_lock()
  br i1 %locked, label %run, label %done
run:
  call void @mlc_pool_run(ptr %trampoline, ptr %kernel, ptr %args, i64 %size, i64 %shares)
  call void @unlock()
  br label %done
done:
  ret i1 %locked
}}

; Runs `count` steps in order. Step i calls its kernel on table[slots[0..n)], over
; threads when it has several shares and the pool is free (else alone).
define void @mlc_run_steps(ptr %steps, i64 %count, ptr %table) {{
entry:
  %args = alloca [{MAX_ARGUMENTS} x ptr], align 16
  %locked = call zeroext i1 @try_lock()
  br label %step
step:
  %i = phi i64 [0, %entry], [%i.next, %ran]
  %more = icmp ult i64 %i, %count
  br i1 %more, label %load, label %done
load:
  %s = getelementptr inbounds %Step, ptr %steps, i64 %i
  %trampoline.p = getelementptr inbounds %Step, ptr %s, i64 0, i32 0
  %trampoline = load ptr, ptr %trampoline.p, align 8
  %kernel.p = getelementptr inbounds %Step, ptr %s, i64 0, i32 1
  %kernel = load ptr, ptr %kernel.p, align 8
  %slots.p = getelementptr inbounds %Step, ptr %s, i64 0, i32 2
  %slots = load ptr, ptr %slots.p, align 8
  %n.p = getelementptr inbounds %Step, ptr %s, i64 0, i32 3
  %n = load i64, ptr %n.p, align 8
  %size.p = getelementptr inbounds %Step, ptr %s, i64 0, i32 4
  %size = load i64, ptr %size.p, align 8
  %shares.p = getelementptr inbounds %Step, ptr %s, i64 0, i32 5
  %shares = load i64, ptr %shares.p, align 8
  br label %gather
gather:
  %j = phi i64 [0, %load], [%j.next, %gather.body]
  %gathering = icmp ult i64 %j, %n
  br i1 %gathering, label %gather.body, label %launch
gather.body:
  %slot.p = getelementptr inbounds i64, ptr %slots, i64 %j
  %slot = load i64, ptr %slot.p, align 8
  %value.p = getelementptr inbounds ptr, ptr %table, i64 %slot
  %value = load ptr, ptr %value.p, align 8
  %arg.p = getelementptr inbounds ptr, ptr %args, i64 %j
  store ptr %value, ptr %arg.p, align 8
  %j.next = add i64 %j, 1
  br label %gather
launch:
  %several = icmp ugt i64 %shares, 1
  %split = and i1 %locked, %several
  br i1 %split, label %threads, label %alone
threads:
  call void @mlc_pool_run(ptr %trampoline, ptr %kernel, ptr %args, i64 %size, i64 %shares)
  br label %ran
alone:
  call void %trampoline(ptr %kernel, ptr %args, i64 0, i64 %size)
  br label %ran
ran:
  %i.next = add i64 %i, 1
  br label %step
done:
  br i1 %locked, label %release, label %exit
release:
  call void @unlock()
  br label %exit
exit:
  ret void
}}

{"".join(_trampoline(n) for n in range(1, MAX_ARGUMENTS + 1))}
"""


def _pool_object() -> bytes:
    """The pool's object code for this CPU: from the compile cache (its `runtime`
    folder) when there, else compiled (at LLVM's -O0: the pool waits and copies,
    and -O3 takes 0.2 s) and stored there."""
    import llvmlite.binding as llvm

    from mlc.runtime.cache import CompileCache, cache_key

    triple = llvm.get_process_triple()
    text = pool_ir(triple)
    key = cache_key(text.encode(), "cpu", "mlc-thread-pool", {})
    cache = CompileCache(settings().cache_dir / "runtime") if settings().cache else None
    entry = cache.load(key) if cache is not None else None
    if entry is not None:
        return entry.object_code
    module = llvm.parse_assembly(text)
    module.triple = triple
    module.verify()
    machine = llvm.Target.from_triple(triple).create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(), opt=0
    )
    module.data_layout = str(machine.target_data)
    object_code = machine.emit_object(module)
    if cache is not None:
        cache.store(key, {}, object_code, {})
    return object_code


class ThreadPool:
    """The native pool: `size - 1` workers and the calling thread (see the module
    docstring). `run` splits one kernel launch over up to `size` threads."""

    def __init__(self, size: int, spin_us: int) -> None:
        import llvmlite.binding as llvm

        from mlc.runtime.native import llvm_host

        host = llvm_host()
        exports = ["mlc_pool_spin", "mlc_pool_init", "mlc_pool_grow", "mlc_pool_stop"]
        exports += ["mlc_pool_try_run", "mlc_run_steps"]
        exports += [f"mlc_call_{n}" for n in range(1, MAX_ARGUMENTS + 1)]
        builder = llvm.JITLibraryBuilder().add_object_img(_pool_object()).add_current_process()
        for name in exports:
            builder.export_symbol(name)
        self._tracker = builder.link(host.jit, f"mlc_thread_pool_{next(host.library_numbers)}")
        self.trampolines = [0] + [
            self._tracker[f"mlc_call_{n}"] for n in range(1, MAX_ARGUMENTS + 1)
        ]
        self._try_run = ctypes.CFUNCTYPE(
            ctypes.c_bool,
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_int64,
            ctypes.c_int64,
        )(self._tracker["mlc_pool_try_run"])
        self._run_steps = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p)(
            self._tracker["mlc_run_steps"]
        )
        self._stop = ctypes.CFUNCTYPE(None)(self._tracker["mlc_pool_stop"])
        self._grow = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64)(
            self._tracker["mlc_pool_grow"]
        )
        init = ctypes.CFUNCTYPE(None, ctypes.c_int64)(self._tracker["mlc_pool_init"])
        init(self._spin_rounds(spin_us))
        self._process = os.getpid()
        self.size = self._grow(min(size, MAX_WORKERS))
        """Threads a launch may use: the workers (fewer than asked if the system
        refuses to create more, at most MAX_WORKERS) and the caller."""

    def _spin_rounds(self, spin_us: int) -> int:
        """Rounds of the workers' wait loop that take about `spin_us` microseconds."""
        if spin_us <= 0:
            return 0
        spin = ctypes.CFUNCTYPE(None, ctypes.c_int64)(self._tracker["mlc_pool_spin"])
        rounds = 1 << 14
        start = time.perf_counter()
        spin(rounds)
        elapsed_us = max((time.perf_counter() - start) * 1e6, 1.0)
        return max(1, int(rounds * spin_us / elapsed_us))

    def run(self, address: int, pointers: Sequence[int], size: int, shares: int) -> bool:
        """Runs the kernel at `address` on `pointers` over `[0, size)` in `shares`
        threads; False (nothing run) when the pool is busy with another launch or
        the kernel takes more than MAX_ARGUMENTS buffers."""
        if shares < 2 or self.size < 2 or not 0 < len(pointers) <= MAX_ARGUMENTS:
            return False
        arguments = (ctypes.c_void_p * len(pointers))(*pointers)
        return self._try_run(self.trampolines[len(pointers)], address, arguments, size, shares)

    def run_steps(self, steps: ctypes.Array, table: ctypes.Array) -> None:
        """Runs `steps` (`Step`s) in order on the buffer addresses in `table`: a whole
        program in one call, each step over threads when the pool is free."""
        self._run_steps(steps, len(steps), table)

    def stop(self) -> None:
        """Stops and joins the workers (at exit; not in a forked child, which has
        none of them)."""
        if os.getpid() == self._process:
            self._stop()
            self.size = 1


class Step(ctypes.Structure):
    """One kernel launch of `ThreadPool.run_steps`: the kernel (through the trampoline
    for its argument count), the table slots of its buffers, the size of its
    outermost parallel dim and how many threads share it."""

    _fields_ = (
        ("trampoline", ctypes.c_void_p),
        ("kernel", ctypes.c_void_p),
        ("slots", ctypes.POINTER(ctypes.c_int64)),
        ("count", ctypes.c_int64),
        ("size", ctypes.c_int64),
        ("shares", ctypes.c_int64),
    )


_pool: ThreadPool | None = None
_pool_lock = threading.Lock()


def thread_pool(threads: int) -> ThreadPool:
    """The process's pool, started on first use with `threads` threads or one per
    available core, whichever is more. Its size is fixed then: a later launch
    asking for more threads gets the pool's (starting workers while other callers
    launch kernels is not supported)."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                from mlc.runtime.native import available_cores

                _pool = ThreadPool(max(threads, available_cores()), settings().thread_spin_us)
                atexit.register(_pool.stop)
    return _pool


def _forget_pool_in_child() -> None:
    """A forked child has none of the parent's threads: it starts its own pool."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)
