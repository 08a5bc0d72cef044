"""`verify-memory-plan`: fails, at the kernel, unless each function's memory plan is sound.

A plan (`plan-memory`'s attributes) is sound when every intermediate sits at an
aligned offset inside the arena and no two buffers live at the same kernel share a
byte, except a point-wise result that legally takes over the input dying there
(`mlc.transforms.plan_memory.check_memory_plan`). A function without a plan passes.
The same check runs wherever IR is verified (it is the verifier of the function's
`arena_bytes` attribute); this pass asks for it at one point of a pipeline, also
when the pipeline runs without `verify_each`.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from mlc.diagnostics import CompileError
from mlc.passes import register_pass
from mlc.transforms.plan_memory import check_memory_plan, functions_of


@register_pass
@dataclass(frozen=True)
class VerifyMemoryPlanPass(ModulePass):
    """Fails with a located error for each overlapping, unaligned or out-of-arena buffer."""

    name = "verify-memory-plan"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        errors = [e for function in functions_of(op) for e in check_memory_plan(function)]
        if errors:
            raise CompileError(errors)
