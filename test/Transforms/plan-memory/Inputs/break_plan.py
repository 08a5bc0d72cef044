"""A test-only pass that breaks a memory plan, loaded with `--load-pass-plugin`."""

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import DenseArrayBase, ModuleOp, i64
from xdsl.passes import ModulePass

from mlc.dialects.loop import KernelOp
from mlc.passes import register_pass
from mlc.transforms.plan_memory import ARENA_OFFSETS


@register_pass
@dataclass(frozen=True)
class CollapseArena(ModulePass):
    """Move every buffer of the arena to offset 0, where they overlap."""

    name = "test-collapse-arena"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for kernel in op.walk():
            if isinstance(kernel, KernelOp) and ARENA_OFFSETS in kernel.attributes:
                offsets = kernel.attributes[ARENA_OFFSETS].get_values()
                kernel.attributes[ARENA_OFFSETS] = DenseArrayBase.from_list(
                    i64, [min(offset, 0) for offset in offsets]
                )
