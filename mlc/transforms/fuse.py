"""`fuse`: groups nn primitives into `loop.kernel`s that touch memory once.

Ops are visited in program order. A compute op joins the kernel of one of its
producers when it reads the producer's values at the very points the kernel
computes them, so the value passes as a scalar and never reaches memory:

* **vertical**: point-wise chains (broadcasts, transposes and other views are
  index maps on the way, never copies);
* **reduction**: producers into a reduction, and consumers that use the reduced
  value over the same rows; a parallel dim the consumer iterates becomes an inner
  dim swept after the reduction, so softmax and layer_norm are one kernel;
* **epilogue**: point-wise consumers of a matmul over its output dims;
* **horizontal**: afterwards, kernels with the same domain that read a common input
  merge so the input is read once.

`can_join` says why an op may *not* join a kernel; the reason becomes a remark
(`fuse{remarks=true}`). A value that leaves its kernel (used by another kernel or
returned) is stored once and loaded by its readers, with one exception decided by
a cost model (`recomputed_ops`, option `max-recompute`): a cheap element-wise
function of tensors already in memory is recomputed by each reader that visits
each of its elements once, instead of being stored. Splat, iota and element-wise
ops of them (masks) are always recomputed.

Every decision to fuse (an op joining a kernel, a horizontal merge) asks the debug
counter `fuse`, every decision to recompute the counter `fuse-recompute` (see
`mlc.debug_counter`): ``--debug-counter=fuse-count=K`` takes only the first K, so a
miscompile can be bisected to one decision. A refused decision is a remark too.

`fuse{report=true}` prints, per kernel, the ops it holds, its domain and the bytes
it reads and writes, then the total against the unfused traffic (one kernel per
primitive) and the minimum (each input read once, each output written once).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineExpr
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from mlc.debug_counter import decision_number, register_counter, should_execute
from mlc.diagnostics import CompileError, emit_remark
from mlc.dialects import nn
from mlc.lowering.nn_to_loop import (
    ELEMENTWISE_OPS,
    VIEW_OPS,
    Exprs,
    KernelBuilder,
    Member,
    is_compute,
    is_index_function,
    is_materialized_view,
    iteration_space,
    source_of,
    source_value,
)
from mlc.passes import register_pass
from mlc.transforms.verify_primitives import why_not_primitive

FUSION_KINDS = ("vertical", "reduction", "epilogue", "horizontal")

FUSE_COUNTER = register_counter(
    "fuse", "fuse: an op joining a kernel, or two kernels merging horizontally"
)
RECOMPUTE_COUNTER = register_counter(
    "fuse-recompute", "fuse: an element-wise value recomputed by its readers instead of stored"
)


def _refused_by_counter(counter: str, decision: str) -> str:
    """Why `decision` was not taken: the debug counter `counter` refused it."""
    return f"{decision} refused by debug counter '{counter}' (decision {decision_number(counter)})"


@dataclass
class Group:
    """A kernel in the making: a domain and the ops placed in it."""

    id: int
    sizes: list[int]
    reduced: set[int]
    members: list[Member] = field(default_factory=list)

    @property
    def has_contraction(self) -> bool:
        return any(isinstance(m.op, nn.MatmulOp) for m in self.members)

    @property
    def has_reduction(self) -> bool:
        return any(iteration_space(m.op).reduced for m in self.members)

    def member(self, op: Operation) -> Member | None:
        return next((m for m in self.members if m.op is op), None)


@dataclass(frozen=True)
class Placement:
    """Where an op goes in a kernel: its dims' kernel exprs and the kernel's reduced dims."""

    exprs: Exprs
    reduced: frozenset[int]
    kind: str


@dataclass
class FusionOptions:
    vertical: bool
    reduction: bool
    epilogue: bool
    horizontal: bool
    max_ops: int
    max_recompute: int
    prologue: bool


# ---------------------------------------------------------------------------
# The cost model for recomputation


def recomputed_ops(
    ops: Sequence[Operation], max_recompute: int, prologue: bool = False, remarks: bool = False
) -> set[Operation]:
    """Element-wise ops that readers recompute instead of reading from memory.

    An op qualifies when its value is a function of tensors already in memory
    (arguments, constants) through at most `max_recompute` element-wise ops, it is
    not returned, and no reader visits an element more than once (a matmul reading
    it would recompute it for every output column; a broadcast, for every row).
    With `prologue`, matmul readers may recompute it anyway: the producer then runs
    inside the contraction, once per output column.
    Then each reader recomputes it in registers, which costs those few scalar ops
    but saves writing the tensor and reading it back, and lets kernels that could
    not fuse share it. `max-recompute=0` stores every such value instead. Each
    choice asks the `fuse-recompute` debug counter; with `remarks`, a refusal is one.
    """
    cost: dict[Operation, int | None] = {}
    chosen: set[Operation] = set()
    for op in ops:
        if not isinstance(op, ELEMENTWISE_OPS) or not is_compute(op):
            continue
        total = 1
        for v in op.operands:
            owner = source_value(v).owner
            if isinstance(owner, Operation) and is_compute(owner):
                producer = cost.get(owner) if owner in chosen else None
                total = None if producer is None or total is None else total + producer
        cost[op] = total
        if total is not None and total <= max_recompute and _reads_each_element_once(op, prologue):
            if should_execute(RECOMPUTE_COUNTER):
                chosen.add(op)
            elif remarks:
                why = _refused_by_counter(RECOMPUTE_COUNTER, "recomputation")
                emit_remark(op, f"stored, not recomputed: {why}")
    return chosen


def _reads_each_element_once(op: Operation, prologue: bool) -> bool:
    numel = math.prod(nn.shape_of(op.result.type))
    readers = list(_readers(op.result))
    if not readers or any(not isinstance(r, nn.NNOp) for r in readers):
        return False
    return all(
        math.prod(iteration_space(r).sizes) <= numel or (prologue and isinstance(r, nn.MatmulOp))
        for r in readers
    )


def _readers(value: SSAValue) -> Iterator[Operation]:
    """The ops that read `value`, looking through views."""
    for use in value.uses:
        user = use.operation
        if isinstance(user, VIEW_OPS) and not is_materialized_view(user):
            yield from _readers(user.result)
        else:
            yield user


# ---------------------------------------------------------------------------
# The decision


@dataclass
class Fusion:
    """The state of one function's grouping: who computes what, and where."""

    options: FusionOptions
    remarks: bool
    recomputed: set[Operation]
    groups_of: dict[Operation, Group] = field(default_factory=dict)

    def read_in_place(self, op: Operation) -> bool:
        """Whether readers compute `op`'s value themselves instead of loading it."""
        return is_index_function(op) or op in self.recomputed

    def producer(self, value: SSAValue) -> Group | None:
        """The kernel a reader of `value` loads it from (None: an input or recomputed)."""
        owner = value.owner
        if not isinstance(owner, Operation) or self.read_in_place(owner):
            return None
        return self.groups_of.get(owner)

    def producers_read_by(self, group: Group) -> Iterator[Group]:
        """The other kernels whose stored values `group` loads."""
        for m in group.members:
            for value in self.memory_reads(m.op):
                producer = self.producer(value)
                if producer is not None and producer is not group:
                    yield producer

    def memory_reads(self, op: Operation) -> set[SSAValue]:
        """The tensors `op` reads from memory, looking through recomputed values."""
        found: set[SSAValue] = set()
        for _, value, _ in reads_of(op):
            owner = value.owner
            if isinstance(owner, Operation) and self.read_in_place(owner):
                found |= self.memory_reads(owner)
            else:
                found.add(value)
        return found


def reads_of(op: Operation) -> Iterator[tuple[int, SSAValue, Exprs | None]]:
    """Each operand's underlying tensor and indices (over the op's dims), through views."""
    space = iteration_space(op)
    for k, operand in enumerate(op.operands):
        exprs = space.operand_exprs[k]
        if exprs is None:
            yield k, source_value(operand), None
            continue
        value, source_exprs = source_of(operand, exprs, space.sizes)
        yield k, value, source_exprs


def can_join(group: Group, op: Operation, fusion: Fusion) -> Placement | str:
    """A placement of `op` in `group`, or the reason it cannot join."""
    options = fusion.options
    space = iteration_space(op)
    sizes = space.sizes
    phi: dict[int, AffineExpr] = {}
    for _, value, exprs in reads_of(op):
        if fusion.producer(value) is not group:
            continue
        name = _value_name(value)
        if exprs is None:
            return f"reads {name} at data-dependent indices"
        produced = group.member(value.owner).result_exprs()
        shape = nn.shape_of(value.type)
        for n, (p, r) in enumerate(zip(produced, exprs, strict=True)):
            if shape[n] == 1:
                continue
            if not isinstance(r, AffineDimExpr):
                return (
                    f"reads {name} through the index map ({r}) of a slice or reshape; "
                    "it would need values of other iterations"
                )
            if not isinstance(p, AffineDimExpr) or phi.get(r.position, p) != p:
                return f"reads {name} in a different order than the kernel computes it"
            if any(q == p and d != r.position for d, q in phi.items()):
                return (
                    f"reads {name} along two of its dims at one of the kernel's (a value "
                    "broadcast both ways): one iteration would need two of its values"
                )
            if sizes[r.position] != group.sizes[p.position]:
                return (
                    f"reads {sizes[r.position]} of the {group.sizes[p.position]} values of "
                    f"{name} along a dim: the kernel computes more than it needs"
                )
            phi[r.position] = p
    placed = {e.position for e in phi.values() if isinstance(e, AffineDimExpr)}
    free_reduced = [g for g in sorted(group.reduced) if g not in placed]
    for d in range(len(sizes)):
        if d in phi:
            continue
        if sizes[d] == 1:
            phi[d] = AffineExpr.constant(0)
            continue
        match = next((g for g in free_reduced if group.sizes[g] == sizes[d]), None)
        if match is None:
            prologue = " (a contraction prologue)" if isinstance(op, nn.MatmulOp) else ""
            return (
                f"would recompute kernel #{group.id} for each of the {sizes[d]} values of "
                f"dim {d}{prologue}"
            )
        free_reduced.remove(match)
        phi[d] = AffineExpr.dimension(match)
    covered = {e.position for e in phi.values() if isinstance(e, AffineDimExpr)}
    for g, size in enumerate(group.sizes):
        if g not in covered and g not in group.reduced and size > 1:
            return f"would compute it redundantly along dim {g} of kernel #{group.id}"
    own_reduced = frozenset(
        phi[d].position for d in space.reduced if isinstance(phi[d], AffineDimExpr)
    )
    kernel_reduced = {g for g in group.reduced if group.sizes[g] > 1}
    reduced = frozenset(group.reduced)
    if space.reduced:
        if group.has_reduction and own_reduced != kernel_reduced:
            return (
                f"reduction dims differ: kernel #{group.id} reduces dims {sorted(kernel_reduced)}, "
                f"the op dims {sorted(own_reduced)}"
            )
        reduced = reduced | own_reduced
    kind = _kind(group, op)
    if not getattr(options, kind):
        return f"{kind} fusion is disabled"
    if isinstance(op, nn.MatmulOp) and group.members:
        return "fusing into a contraction's prologue is not supported"
    if len(group.members) >= options.max_ops:
        return f"kernel #{group.id} already has the maximum of {options.max_ops} ops"
    for _, value, _ in reads_of(op):
        other = fusion.producer(value)
        if other is not None and other is not group and _depends_on(other, group, fusion):
            return f"kernel #{other.id} reads kernel #{group.id}: fusing would create a cycle"
    return Placement(tuple(phi[d] for d in range(len(sizes))), reduced, kind)


def _kind(group: Group, op: Operation) -> str:
    if group.has_contraction:
        return "epilogue"
    if iteration_space(op).reduced or group.has_reduction:
        return "reduction"
    return "vertical"


def _depends_on(group: Group, target: Group, fusion: Fusion) -> bool:
    """Whether `group` reads, directly or through other kernels, a value of `target`."""
    seen, work = set(), [group]
    while work:
        g = work.pop()
        if g is target:
            return True
        if g.id in seen:
            continue
        seen.add(g.id)
        work.extend(fusion.producers_read_by(g))
    return False


def _value_name(value: SSAValue) -> str:
    return f"%{value.name_hint}" if value.name_hint else f"the result of '{value.owner.name}'"


# ---------------------------------------------------------------------------
# Grouping


def form_groups(block_ops: Sequence[Operation], fusion: Fusion) -> list[Group]:
    groups: list[Group] = []
    for op in block_ops:
        if not is_compute(op) or op in fusion.recomputed or not op.results[0].uses:
            continue
        placement, target = None, None
        for candidate in _candidates(op, fusion):
            decision = can_join(candidate, op, fusion)
            if isinstance(decision, Placement) and not should_execute(FUSE_COUNTER):
                decision = _refused_by_counter(FUSE_COUNTER, f"{decision.kind} fusion")
            if isinstance(decision, Placement):
                placement, target = decision, candidate
                break
            if fusion.remarks:
                emit_remark(op, f"not fused into kernel #{candidate.id}: {decision}")
        if target is None:
            space = iteration_space(op)
            target = Group(len(groups), list(space.sizes), set(space.reduced))
            groups.append(target)
            placement = Placement(
                tuple(AffineExpr.dimension(d) for d in range(space.rank)),
                frozenset(space.reduced),
                "new",
            )
        target.reduced = set(placement.reduced)
        target.members.append(Member(op, placement.exprs))
        fusion.groups_of[op] = target
    if fusion.options.horizontal:
        groups = _merge_siblings(groups, fusion)
    return groups


def _candidates(op: Operation, fusion: Fusion) -> list[Group]:
    """Kernels producing what `op` reads, the most recently started first."""
    found: dict[int, Group] = {}
    for _, value, _ in reads_of(op):
        group = fusion.producer(value)
        if group is not None:
            found[group.id] = group
    return [found[i] for i in sorted(found, reverse=True)]


def _inputs(group: Group, fusion: Fusion) -> set[SSAValue]:
    """The tensors a kernel reads from memory."""
    return {
        value
        for m in group.members
        for value in fusion.memory_reads(m.op)
        if fusion.producer(value) is not group
    }


def _merge_siblings(groups: list[Group], fusion: Fusion) -> list[Group]:
    """Horizontal fusion: same domain, a shared input, no path between them."""
    merged: list[Group] = []
    for group in groups:
        target = next(
            (
                g
                for g in merged
                if g.sizes == group.sizes
                and g.reduced == group.reduced
                and _inputs(g, fusion) & _inputs(group, fusion)
                and not _depends_on(group, g, fusion)
                and not _depends_on(g, group, fusion)
            ),
            None,
        )
        if target is not None and not should_execute(FUSE_COUNTER):
            if fusion.remarks:
                emit_remark(
                    group.members[0].op,
                    f"kernel #{group.id} not merged into kernel #{target.id}: "
                    + _refused_by_counter(FUSE_COUNTER, "horizontal fusion"),
                )
            target = None
        if target is None:
            merged.append(group)
            continue
        target.members.extend(group.members)
        for m in group.members:
            fusion.groups_of[m.op] = target
    for n, g in enumerate(merged):
        g.id = n
    return merged


# ---------------------------------------------------------------------------
# Emission


def _escaping_values(group: Group, groups_of: dict[Operation, Group]) -> list[SSAValue]:
    """Member results needed outside the kernel: stored as its outputs."""

    def escapes(value: SSAValue) -> bool:
        for use in value.uses:
            user = use.operation
            if isinstance(user, VIEW_OPS) and not is_materialized_view(user):
                if escapes(user.result):
                    return True
            elif groups_of.get(user) is not group:
                return True
        return False

    return [m.op.results[0] for m in group.members if escapes(m.op.results[0])]


def _topological(groups: list[Group], fusion: Fusion) -> list[Group]:
    order: list[Group] = []
    placed: set[int] = set()

    def visit(g: Group) -> None:
        if g.id in placed:
            return
        placed.add(g.id)
        for producer in fusion.producers_read_by(g):
            visit(producer)
        order.append(g)

    for g in groups:
        visit(g)
    return order


@dataclass
class KernelReport:
    name: str
    ops: list[str]
    sizes: list[int]
    reduced: list[int]
    bytes_read: int
    bytes_written: int


def tensor_bytes(t: TensorType) -> int:
    from mlc.interpreter import numpy_dtype

    return math.prod(t.get_shape()) * numpy_dtype(t.element_type).itemsize


def fuse_function(
    function: func.FuncOp, options: FusionOptions, remarks: bool
) -> list[KernelReport]:
    block = function.body.block
    for op in block.ops:
        if (reason := why_not_primitive(op)) is not None:
            raise CompileError.at(op, f"fuse needs explicit primitives: {reason}")
    recomputed = recomputed_ops(list(block.ops), options.max_recompute, options.prologue, remarks)
    fusion = Fusion(options, remarks, recomputed)
    groups = form_groups(list(block.ops), fusion)
    groups_of = fusion.groups_of
    terminator = block.last_op
    position = {op: n for n, op in enumerate(block.ops)}
    reports = []
    for n, group in enumerate(_topological(groups, fusion)):
        name = f"{function.sym_name.data}_k{n}"
        builder = KernelBuilder(tuple(group.sizes), frozenset(group.reduced), name)
        builder.recomputed = fusion.read_in_place
        builder.location = group.members[0].op.location
        for member in sorted(group.members, key=lambda m: position[m.op]):
            builder.emit(member)
        escaping = _escaping_values(group, groups_of)
        for value in escaping:
            builder.store(value)
        kernel = builder.build()
        Rewriter.insert_op(kernel, InsertPoint.before(terminator))
        for value, result in zip(escaping, kernel.outputs, strict=True):
            result.name_hint = value.name_hint
            # Ops that readers recompute keep computing from the original value.
            value.replace_uses_with_if(result, lambda use: not fusion.read_in_place(use.operation))
        reports.append(
            KernelReport(
                name,
                [m.op.name for m in group.members],
                list(group.sizes),
                sorted(group.reduced),
                sum(tensor_bytes(v.type) for v in kernel.inputs),
                sum(tensor_bytes(r.type) for r in kernel.outputs),
            )
        )
    _erase_dead_nn_ops(block)
    return reports


def _erase_dead_nn_ops(block) -> None:
    for op in reversed(list(block.ops)):
        if isinstance(op, nn.NNOp) and not any(r.uses for r in op.results):
            Rewriter.erase_op(op)


# ---------------------------------------------------------------------------
# The pass


@register_pass
@dataclass(frozen=True)
class FusePass(ModulePass):
    """Groups nn primitives into loop.kernels that read inputs and write outputs once."""

    name = "fuse"

    vertical: bool = field(default=True, metadata={"help": "fuse point-wise chains"})
    reduction: bool = field(
        default=True, metadata={"help": "fuse into and after reductions over the same rows"}
    )
    epilogue: bool = field(
        default=True, metadata={"help": "fuse point-wise consumers into matmuls"}
    )
    horizontal: bool = field(
        default=True, metadata={"help": "merge kernels with one domain that read a common input"}
    )
    max_ops: int = field(default=64, metadata={"help": "most nn ops in one kernel"})
    prologue: bool = field(
        default=False,
        metadata={
            "help": "recompute cheap element-wise producers of matmul operands inside the matmul"
        },
    )
    max_recompute: int = field(
        default=4,
        metadata={
            "help": "most element-wise ops a reader may recompute instead of loading a tensor"
        },
    )
    remarks: bool = field(
        default=False, metadata={"help": "explain each refused fusion as a remark"}
    )
    report: bool = field(
        default=False, metadata={"help": "print the kernels and bytes moved to stderr"}
    )

    def __post_init__(self) -> None:
        if self.max_ops < 1:
            raise ValueError(f"max-ops must be >= 1, got {self.max_ops}")
        if self.max_recompute < 0:
            raise ValueError(f"max-recompute must be >= 0, got {self.max_recompute}")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        options = FusionOptions(
            self.vertical,
            self.reduction,
            self.epilogue,
            self.horizontal,
            self.max_ops,
            self.max_recompute,
            self.prologue,
        )
        for function in [f for f in op.walk() if isinstance(f, func.FuncOp) and f.body.blocks]:
            if len(function.body.blocks) != 1:
                raise CompileError.at(
                    function,
                    f"fuse needs functions of one block; @{function.sym_name.data} has "
                    f"{len(function.body.blocks)} (control flow is not supported)",
                )
            before = unfused_bytes(function)
            minimum = minimum_bytes(function)
            reports = fuse_function(function, options, self.remarks)
            if self.report:
                sys.stderr.write(format_report(function.sym_name.data, reports, before, minimum))


def unfused_bytes(function: func.FuncOp) -> int:
    """Memory traffic with one kernel per primitive: every operand read, every result written."""
    total = 0
    for op in function.body.block.ops:
        if isinstance(op, nn.NNOp) and not isinstance(op, nn.ConstantOp):
            tensors = {v for v in op.operands}
            total += sum(tensor_bytes(v.type) for v in tensors) + tensor_bytes(op.result.type)
    return total


def minimum_bytes(function: func.FuncOp) -> int:
    """Each input the program reads, read once, plus each output written once."""
    block = function.body.block
    used_args = [a for a in block.args if a.uses and isinstance(a.type, TensorType)]
    returned = {v for v in block.last_op.operands if isinstance(v.type, TensorType)}
    return sum(tensor_bytes(v.type) for v in used_args) + sum(
        tensor_bytes(v.type) for v in returned
    )


def format_report(function: str, kernels: list[KernelReport], before: int, minimum: int) -> str:
    lines = [f"fusion report for @{function}: {len(kernels)} kernels"]
    for k in kernels:
        domain = "x".join(map(str, k.sizes)) or "scalar"
        reduced = f" reduce {k.reduced}" if k.reduced else ""
        ops = ", ".join(k.ops)
        lines.append(
            f"  {k.name}: domain {domain}{reduced}: {len(k.ops)} ops ({ops}); "
            f"reads {k.bytes_read} B, writes {k.bytes_written} B"
        )
    after = sum(k.bytes_read + k.bytes_written for k in kernels)
    lines.append(f"  bytes moved: {before} B unfused, {after} B fused, {minimum} B minimum")
    return "\n".join(lines) + "\n"
