"""`plan-memory`: every intermediate tensor of a function placed in one arena.

After `fuse` a function body is `nn.constant`s, `loop.kernel`s and `func.return`;
each kernel result is a buffer that some later kernels read. A result the function
returns belongs to the caller (a fresh array per call, or the caller's `out=`); every
other result, an *intermediate*, lives from the kernel that writes it to the last
kernel that reads it (its *lifetime*, in kernel positions; a result nobody reads
lives at its kernel only). This pass gives each intermediate an offset in one arena
per function such that no two buffers whose lifetimes meet share a byte:

* buffers are placed biggest first (ties: earlier start), each at the lowest-waste
  gap among the buffers already placed whose lifetimes meet its own (best fit), or
  above them all; offsets and sizes are rounded up to `ALIGNMENT` (64) bytes;
* with `in-place` (the default), a point-wise kernel (no reduction dims) writes an
  intermediate into the buffer of an input that dies at that kernel, when both have
  one type, the input is passed once and every read of it is at exactly the index
  the output is stored at, before that store in the body (so each element is read
  before it is overwritten, by the thread computing that point, whatever the order
  of points: tiles and threads only reorder points). Function arguments, constants
  and returned values are never reused.

The plan is in the IR, as discardable attributes that print, parse and survive
cloning:

    func.func @f(...) -> ... attributes {arena_bytes = 8192 : i64} {
      %t = loop.kernel "f_k0" ... attributes {arena_offsets = array<i64: 0>} {...}
      %u = loop.kernel "f_k1" ... attributes {arena_offsets = array<i64: 0>,
                                              in_place = array<i64: 0>} {...}
      %r = loop.kernel "f_k2" ... attributes {arena_offsets = array<i64: -1>} {...}

`arena_offsets` has one entry per kernel result: its byte offset in the arena, or
-1 for a returned value. `in_place` (only with reuse) has one entry per result: the
input number whose buffer the result takes over, or -1. `check_memory_plan` proves
a plan correct (the `verify-memory-plan` pass runs it); `mlc.runtime.cpu` places
kernel outputs by it. Kernels must not be reordered, added or removed after this
pass (the checker notices). `plan-memory{report=true}` prints, per function, the
arena bytes next to the naive sum of all intermediates and the lower bound: the
most bytes live at once over the kernel sequence.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, ModuleOp, i64
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from mlc.debug_counter import register_counter, should_execute
from mlc.diagnostics import CompileError, Diagnostic, Severity, register_attribute_verifier
from mlc.dialects import nn
from mlc.dialects.loop import KernelOp, LoadOp, StoreOp
from mlc.passes import register_pass
from mlc.runtime.program import ALIGNMENT
from mlc.transforms.fuse import tensor_bytes

__all__ = [
    "ARENA_BYTES",
    "ARENA_OFFSETS",
    "IN_PLACE",
    "NOT_IN_ARENA",
    "Buffer",
    "MemoryPlan",
    "PlanMemoryPass",
    "check_memory_plan",
    "function_kernels",
    "in_place_inputs",
    "intermediates",
    "plan_function",
    "read_plan",
    "verify_arena_bytes",
    "why_not_in_place",
]

ARENA_BYTES = "arena_bytes"
"""Function attribute: the arena's size in bytes."""
ARENA_OFFSETS = "arena_offsets"
"""Kernel attribute: per result, its byte offset in the arena, or NOT_IN_ARENA."""
IN_PLACE = "in_place"
"""Kernel attribute: per result, the input whose buffer it takes over, or -1."""
NOT_IN_ARENA = -1
"""The offset of a returned value: the runtime allocates it (or the caller's `out=`)."""

REUSE_COUNTER = register_counter(
    "plan-memory-reuse", "plan-memory: a result taking over a dying input's buffer in place"
)


def aligned(size: int) -> int:
    """`size` rounded up to a multiple of ALIGNMENT."""
    return -(-size // ALIGNMENT) * ALIGNMENT


@dataclass(frozen=True)
class Buffer:
    """An intermediate: result `result` of the kernel at position `start`, last read
    by the kernel at position `end` (`start` if nobody reads it)."""

    kernel: KernelOp
    result: int
    start: int
    end: int
    bytes: int

    @property
    def value(self) -> SSAValue:
        return self.kernel.outputs[self.result]

    @property
    def size(self) -> int:
        """Bytes the buffer takes in the arena (rounded up to ALIGNMENT)."""
        return aligned(self.bytes)

    def meets(self, other: Buffer) -> bool:
        """True if the lifetimes share a kernel."""
        return self.start <= other.end and other.start <= self.end

    def describe(self) -> str:
        return f"result #{self.result} of kernel #{self.start} ({self.kernel.outputs[0].type})"


def function_kernels(function: func.FuncOp) -> list[KernelOp]:
    """The kernels of a planned-for function body, in order.

    CompileError, located, for an op other than `nn.constant`, `loop.kernel` and
    `func.return` (what `fuse` leaves).
    """
    kernels = []
    for op in function.body.block.ops:
        if isinstance(op, KernelOp):
            kernels.append(op)
        elif not isinstance(op, nn.ConstantOp | func.ReturnOp):
            raise CompileError.at(
                op,
                f"memory planning needs a fused function ('{op.name}' op found): only "
                "nn.constant, loop.kernel and func.return may remain (run 'fuse' first)",
            )
    return kernels


def intermediates(function: func.FuncOp) -> list[Buffer]:
    """Every kernel result the function does not return, with its lifetime."""
    kernels = function_kernels(function)
    position = {kernel: n for n, kernel in enumerate(kernels)}
    returned = set(function.body.block.last_op.operands)
    buffers = []
    for start, kernel in enumerate(kernels):
        for number, value in enumerate(kernel.outputs):
            if value in returned:
                continue
            readers = [position[use.operation] for use in value.uses]
            end = max(readers, default=start)
            buffers.append(Buffer(kernel, number, start, end, tensor_bytes(value.type)))
    return buffers


def why_not_in_place(kernel: KernelOp, input_number: int, result: int) -> str | None:
    """Why result `result` of `kernel` may not be written over input `input_number`
    (None if it may).

    Compiled code runs the body of one point in body order, and points in any order
    (tiles) and on any thread (`[begin, end)` slices); the store index is a distinct
    dim per parallel dim, so every point writes its own element. Writing over the
    input is then safe when the kernel is point-wise, the two have one type, the input
    is passed once (another argument for the same tensor would alias the result
    unannounced), and every read of it is a load at the store's index that comes
    before the store: each element is read by the point that overwrites it, first.
    """
    if kernel.reduced:
        return "the kernel reduces (it reads inputs across a row before writing)"
    value = kernel.inputs[input_number]
    target = kernel.outputs[result].type
    if value.type != target:
        return f"{value.type} and {target} differ"
    twins = [n for n, v in enumerate(kernel.inputs) if v is value and n != input_number]
    if twins:
        return f"the same tensor is also input #{twins[0]}"
    output = kernel.output_args[result]
    store = next(use.operation for use in output.uses if isinstance(use.operation, StoreOp))
    stored_at = kernel.domain_map(store)
    for use in kernel.input_args[input_number].uses:
        load = use.operation
        if not isinstance(load, LoadOp) or load.parent_op() is not kernel:
            return f"input #{input_number} is used by '{load.name}', not only loaded"
        if kernel.domain_map(load) != stored_at:
            return f"input #{input_number} is read at other indices than the result is stored at"
        if store.is_before_in_block(load):
            return (
                f"input #{input_number} is loaded after result #{result} is stored "
                "(it would read the stored value)"
            )
    return None


def in_place_inputs(kernel: KernelOp) -> tuple[int, ...]:
    """Per result of `kernel`, the input it is written over (its `in_place`
    attribute), or -1. CompileError, located, for a malformed attribute."""
    numbers = _per_result(kernel, IN_PLACE, len(kernel.outputs), required=False)
    for result, number in enumerate(numbers):
        if not -1 <= number < len(kernel.inputs):
            raise CompileError.at(
                kernel,
                f"'{IN_PLACE}' gives input #{number} for result #{result} of a kernel of "
                f"{len(kernel.inputs)} inputs",
            )
    return tuple(numbers)


@dataclass(frozen=True)
class MemoryPlan:
    """Where each intermediate of one function goes, and what that saves."""

    offsets: dict[Buffer, int]
    in_place: dict[Buffer, int]
    """Buffers that take over an input's buffer, with that input's number."""
    arena_bytes: int

    @property
    def naive_bytes(self) -> int:
        """Every intermediate in its own (aligned) buffer."""
        return sum(b.size for b in self.offsets)

    @property
    def lower_bound_bytes(self) -> int:
        """The most (aligned) bytes live at one kernel, counting an in-place pair once."""
        return lower_bound(self.offsets, self.in_place)


def lower_bound(buffers: Iterable[Buffer], in_place: Iterable[Buffer] = ()) -> int:
    """The most bytes of `buffers` live at one kernel; a buffer in `in_place` does
    not count at the kernel that writes it over its input."""
    reusing = set(in_place)
    live: dict[int, int] = {}
    for b in buffers:
        for position in range(b.start + (b in reusing), b.end + 1):
            live[position] = live.get(position, 0) + b.size
    return max(live.values(), default=0)


def plan_function(function: func.FuncOp, in_place: bool = True) -> MemoryPlan:
    """A plan for `function`'s intermediates (see the module doc)."""
    buffers = intermediates(function)
    reuses = in_place_reuses(buffers) if in_place else {}
    # A buffer taken over in place and the one that takes it over are one slot.
    successor = {reuses_from: b for b, (_, reuses_from) in reuses.items()}
    chains: list[list[Buffer]] = []
    for b in buffers:
        if b not in reuses:
            chain = [b]
            while chain[-1] in successor:
                chain.append(successor[chain[-1]])
            chains.append(chain)
    slots = [Buffer(c[0].kernel, c[0].result, c[0].start, c[-1].end, c[0].bytes) for c in chains]
    offsets, arena = best_fit(slots)
    return MemoryPlan(
        {b: offsets[n] for n, chain in enumerate(chains) for b in chain},
        {b: number for b, (number, _) in reuses.items()},
        arena,
    )


def in_place_reuses(buffers: Sequence[Buffer]) -> dict[Buffer, tuple[int, Buffer]]:
    """Results that may take over a dying input's buffer: input number and buffer."""
    by_value = {b.value: b for b in buffers}
    reuses: dict[Buffer, tuple[int, Buffer]] = {}
    taken: set[Buffer] = set()
    for b in buffers:
        for number, value in enumerate(b.kernel.inputs):
            dying = by_value.get(value)
            if (
                dying is not None
                and dying not in taken
                and dying.end == b.start
                and why_not_in_place(b.kernel, number, b.result) is None
                and should_execute(REUSE_COUNTER)
            ):
                reuses[b] = (number, dying)
                taken.add(dying)
                break
    return reuses


def best_fit(slots: Sequence[Buffer]) -> tuple[list[int], int]:
    """Offsets for `slots` such that slots whose lifetimes meet never overlap, and
    the arena size: biggest first, each in the tightest gap that holds it."""
    order = sorted(range(len(slots)), key=lambda n: (-slots[n].size, slots[n].start, n))
    offsets: list[int] = [0] * len(slots)
    placed: list[int] = []
    arena = 0
    for n in order:
        slot = slots[n]
        taken = sorted(
            (offsets[m], offsets[m] + slots[m].size) for m in placed if slots[m].meets(slot)
        )
        best: tuple[int, int] | None = None  # (waste, offset)
        cursor = 0
        for begin, end in taken:
            gap = begin - cursor
            if gap >= slot.size and (best is None or gap - slot.size < best[0]):
                best = (gap - slot.size, cursor)
            cursor = max(cursor, end)
        offsets[n] = cursor if best is None else best[1]
        placed.append(n)
        arena = max(arena, offsets[n] + slot.size)
    return offsets, arena


def write_plan(function: func.FuncOp, plan: MemoryPlan) -> None:
    """The plan as attributes on `function` and its kernels (see the module doc)."""
    kernels = function_kernels(function)
    offsets = {(b.kernel, b.result): offset for b, offset in plan.offsets.items()}
    reused = {(b.kernel, b.result): number for b, number in plan.in_place.items()}
    for kernel in kernels:
        results = range(len(kernel.outputs))
        kernel.attributes[ARENA_OFFSETS] = DenseArrayBase.from_list(
            i64, [offsets.get((kernel, r), NOT_IN_ARENA) for r in results]
        )
        if any((kernel, r) in reused for r in results):
            kernel.attributes[IN_PLACE] = DenseArrayBase.from_list(
                i64, [reused.get((kernel, r), -1) for r in results]
            )
        else:
            kernel.attributes.pop(IN_PLACE, None)
    function.attributes[ARENA_BYTES] = IntegerAttr(plan.arena_bytes, i64)


def read_plan(function: func.FuncOp) -> MemoryPlan | None:
    """The plan written on `function`, None if it has none. Raises CompileError,
    located, for a malformed one (see `check_memory_plan` for a wrong one)."""
    arena = function.attributes.get(ARENA_BYTES)
    kernels = function_kernels(function)
    if arena is None:
        for kernel in kernels:
            if ARENA_OFFSETS in kernel.attributes or IN_PLACE in kernel.attributes:
                raise CompileError.at(
                    kernel, f"kernel has a memory plan but its function has no '{ARENA_BYTES}'"
                )
        return None
    if not isinstance(arena, IntegerAttr) or arena.value.data < 0:
        raise CompileError.at(function, f"'{ARENA_BYTES}' must be an integer >= 0, got {arena}")
    offsets: dict[Buffer, int] = {}
    in_place: dict[Buffer, int] = {}
    by_place = {(b.kernel, b.result): b for b in intermediates(function)}
    for kernel in kernels:
        results = len(kernel.outputs)
        placed = _per_result(kernel, ARENA_OFFSETS, results, required=True)
        reused = in_place_inputs(kernel)
        for result, offset in enumerate(placed):
            buffer = by_place.get((kernel, result))
            if buffer is None:
                if offset != NOT_IN_ARENA or reused[result] != -1:
                    raise CompileError.at(
                        kernel,
                        f"result #{result} is returned: it must not be in the arena "
                        f"({ARENA_OFFSETS} {NOT_IN_ARENA}, no {IN_PLACE})",
                    )
                continue
            offsets[buffer] = offset
            if reused[result] != -1:
                in_place[buffer] = reused[result]
    return MemoryPlan(offsets, in_place, arena.value.data)


def _per_result(kernel: KernelOp, name: str, results: int, required: bool) -> list[int]:
    attribute = kernel.attributes.get(name)
    if attribute is None and not required:
        return [-1] * results
    if not isinstance(attribute, DenseArrayBase) or attribute.elt_type != i64:
        raise CompileError.at(
            kernel, f"kernel needs '{name}' as an array<i64> (one entry per result)"
        )
    values = list(attribute.get_values())
    if len(values) != results:
        raise CompileError.at(
            kernel, f"'{name}' has {len(values)} entries for a kernel of {results} results"
        )
    return values


def check_memory_plan(function: func.FuncOp) -> list[Diagnostic]:
    """Errors, located at the kernels, for everything wrong with `function`'s plan:
    an intermediate placed unaligned, outside the arena, or over a buffer live at
    the same time (unless it legally takes that buffer over in place). A function
    without a plan has none. Raises CompileError for a malformed plan."""
    plan = read_plan(function)
    if plan is None:
        return []
    errors = []

    def error(kernel: Operation, message: str) -> None:
        errors.append(Diagnostic.at(Severity.ERROR, kernel, message))

    for b, offset in plan.offsets.items():
        if offset < 0 or offset % ALIGNMENT:
            error(
                b.kernel,
                f"result #{b.result} at arena offset {offset}: not a multiple of {ALIGNMENT}",
            )
        elif offset + b.bytes > plan.arena_bytes:
            error(
                b.kernel,
                f"result #{b.result} at [{offset}, {offset + b.bytes}) overruns "
                f"the {plan.arena_bytes}-byte arena",
            )
    by_value = {b.value: b for b in plan.offsets}
    taken_over: dict[Buffer, Buffer] = {}
    for b, number in plan.in_place.items():
        dying = by_value.get(b.kernel.inputs[number])
        why = (
            "it is not an intermediate"
            if dying is None
            else "it is still read after this kernel"
            if dying.end != b.start
            else "it is not at the input's offset"
            if plan.offsets[dying] != plan.offsets[b]
            else why_not_in_place(b.kernel, number, b.result)
        )
        if why is not None:
            error(b.kernel, f"result #{b.result} cannot take over input #{number} in place: {why}")
        else:
            taken_over[b] = dying
    buffers = sorted(plan.offsets, key=lambda b: (b.start, b.result))
    for n, a in enumerate(buffers):
        for b in buffers[n + 1 :]:
            if not a.meets(b) or taken_over.get(b) is a:
                continue
            a_at, b_at = plan.offsets[a], plan.offsets[b]
            if a_at < b_at + b.bytes and b_at < a_at + a.bytes:
                error(
                    b.kernel,
                    f"result #{b.result} at [{b_at}, {b_at + b.bytes}) overlaps result "
                    f"#{a.result} of kernel #{a.start} at [{a_at}, {a_at + a.bytes}) while "
                    f"both are live (kernels #{max(a.start, b.start)} to #{min(a.end, b.end)})",
                )
    return errors


def verify_arena_bytes(op: Operation) -> list[Diagnostic]:
    """`check_memory_plan` of the function that carries `arena_bytes`: the verifier
    of that attribute, run wherever IR is verified."""
    if not isinstance(op, func.FuncOp) or op.is_declaration:
        return [
            Diagnostic.at(Severity.ERROR, op, f"'{ARENA_BYTES}' belongs on a func.func with a body")
        ]
    return check_memory_plan(op)


register_attribute_verifier(ARENA_BYTES, verify_arena_bytes)


def functions_of(module: ModuleOp) -> list[func.FuncOp]:
    return [f for f in module.ops if isinstance(f, func.FuncOp) and not f.is_declaration]


def format_report(name: str, plan: MemoryPlan) -> str:
    bound = plan.lower_bound_bytes
    ratio = f"{plan.arena_bytes / bound:.2f}" if bound else "-"
    return (
        f"memory plan for @{name}: {len(plan.offsets)} intermediates "
        f"({len(plan.in_place)} in place): arena {plan.arena_bytes} B, naive "
        f"{plan.naive_bytes} B, lower bound {bound} B (arena / lower bound = {ratio})\n"
    )


@register_pass
@dataclass(frozen=True)
class PlanMemoryPass(ModulePass):
    """Places every intermediate of a fused function at an offset in one arena.

    Liveness over the kernel sequence, then best-fit placement biggest first; with
    `in-place` (the default), point-wise kernels write over an input that dies
    there. The plan is written as `arena_bytes` on the function and `arena_offsets`
    (and `in_place`) on each kernel; see docs/memory-planning.md.
    """

    name = "plan-memory"

    in_place: bool = field(
        default=True,
        metadata={"help": "let point-wise kernels write over a dying input of the same type"},
    )
    report: bool = field(
        default=False,
        metadata={"help": "print arena bytes vs the naive sum and the lower bound to stderr"},
    )

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for function in functions_of(op):
            plan = plan_function(function, self.in_place)
            write_plan(function, plan)
            if self.report:
                sys.stderr.write(format_report(function.sym_name.data, plan))
