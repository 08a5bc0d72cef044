"""Test-only passes for the driver tests, loaded with `--load-pass-plugin`.

They exercise what no product pass should do on purpose: emit every kind of
diagnostic, take every kind of option, crash, break the IR, and break a memory plan.
"""

from dataclasses import dataclass, field
from typing import Literal

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import DenseArrayBase, FunctionType, ModuleOp, StringAttr, i1, i64
from xdsl.passes import ModulePass

from mlc.diagnostics import emit_error, emit_remark, emit_warning, note
from mlc.dialects.loop import KernelOp
from mlc.passes import register_pass
from mlc.pipeline import format_pass
from mlc.transforms.plan_memory import ARENA_OFFSETS


@register_pass
@dataclass(frozen=True)
class TestDiagnostics(ModulePass):
    """Emit the diagnostics that ops ask for in `test.remark/warning/error` attributes.

    A `test.note` attribute adds a note at the op's parent; `test.unlocated` emits a
    remark without a location.
    """

    name = "test-diagnostics"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        emitters = {
            "test.remark": emit_remark,
            "test.warning": emit_warning,
            "test.error": emit_error,
        }
        for o in op.walk():
            for attr, emit in emitters.items():
                if isinstance(message := o.attributes.get(attr), StringAttr):
                    notes = []
                    if isinstance(text := o.attributes.get("test.note"), StringAttr):
                        notes.append(note(text.data, o.parent_op()))
                    emit(o, message.data, notes=notes)
            if isinstance(message := o.attributes.get("test.unlocated"), StringAttr):
                emit_remark(None, message.data)


@register_pass
@dataclass(frozen=True)
class TestOptions(ModulePass):
    """Take one option of every supported type and record them on the module."""

    name = "test-options"

    count: int = field(default=1, metadata={"help": "an integer"})
    flag: bool = field(default=False, metadata={"help": "a boolean"})
    ratio: float = 0.5
    label: str = "plain"
    sizes: tuple[int, ...] = (1, 2)
    mode: Literal["fast", "slow"] = "fast"
    limit: int | None = None

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        op.attributes["test.options"] = StringAttr(format_pass(self))


@register_pass
@dataclass(frozen=True)
class TestRequired(ModulePass):
    """Need an option without a default."""

    name = "test-required"

    tile_size: int

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        op.attributes["test.tile_size"] = StringAttr(str(self.tile_size))


@register_pass
@dataclass(frozen=True)
class TestCrash(ModulePass):
    """Raise an unexpected Python exception, like a buggy pass."""

    name = "test-crash"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        raise RuntimeError("the test pass crashed on purpose")


@register_pass
@dataclass(frozen=True)
class TestBreakIR(ModulePass):
    """Leave invalid IR behind: every function claims an extra i1 result."""

    name = "test-break-ir"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in op.walk():
            if isinstance(f, func.FuncOp):
                ty = f.function_type
                f.function_type = FunctionType.from_lists(ty.inputs.data, [*ty.outputs.data, i1])


@register_pass
@dataclass(frozen=True)
class TestCollapseArena(ModulePass):
    """Move every buffer of the arena to offset 0, where they overlap."""

    name = "test-collapse-arena"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for kernel in op.walk():
            if isinstance(kernel, KernelOp) and ARENA_OFFSETS in kernel.attributes:
                offsets = kernel.attributes[ARENA_OFFSETS].get_values()
                kernel.attributes[ARENA_OFFSETS] = DenseArrayBase.from_list(
                    i64, [min(offset, 0) for offset in offsets]
                )
