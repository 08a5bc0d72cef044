"""`mlc-cpu-pipeline`: the passes that take an nn program to CPU kernels.

It runs `decompose`, `sink-reshapes` (element-wise ops after a linear layer run in
its matmul's shape, so they fuse as its epilogue), `canonicalize`, `cse`, `fuse`,
`tile` (its heuristic: only kernels with strided accesses) and `plan-memory`
(intermediates placed in one arena), in that order, and leaves functions whose bodies are `nn.constant`s, planned
`loop.kernel`s and `func.return`: what `mlc.runtime.cpu` compiles and runs, and what
`mlc.compile(..., target="cpu")` runs before compiling. The fuse options that shape
the kernels are its own options; the other passes' keep their defaults. `plan-memory`
runs last, because the plan depends on the final kernel order.

    mlc-opt model.mlir --pass-pipeline='builtin.module(mlc-cpu-pipeline)' --emit=llvm
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from mlc.passes import get_pass, register_pass
from mlc.transforms.decompose import DecomposePass
from mlc.transforms.fuse import FusePass
from mlc.transforms.plan_memory import PlanMemoryPass
from mlc.transforms.sink_reshapes import SinkReshapesPass
from mlc.transforms.tile import TilePass


@register_pass
@dataclass(frozen=True)
class CpuPipelinePass(ModulePass):
    """Compiles nn programs for the CPU, from decompose to plan-memory.

    The same as `decompose,sink-reshapes,canonicalize,cse,fuse{...},tile,plan-memory`
    with the fuse options given here.
    """

    name = "mlc-cpu-pipeline"

    max_ops: int = field(default=64, metadata={"help": "fuse: most nn ops in one kernel"})
    max_recompute: int = field(
        default=4,
        metadata={
            "help": "fuse: most element-wise ops a reader may recompute instead of loading a tensor"
        },
    )
    prologue: bool = field(
        default=False,
        metadata={"help": "fuse: recompute cheap producers of matmul operands inside the matmul"},
    )
    remarks: bool = field(
        default=False, metadata={"help": "fuse: explain each refused fusion as a remark"}
    )

    def __post_init__(self) -> None:
        self.fuse_pass()  # reject bad fuse options before the pass runs

    def fuse_pass(self) -> FusePass:
        return FusePass(
            max_ops=self.max_ops,
            max_recompute=self.max_recompute,
            prologue=self.prologue,
            remarks=self.remarks,
        )

    def passes(self) -> tuple[ModulePass, ...]:
        """The passes this one runs, in order."""
        return (
            DecomposePass(),
            SinkReshapesPass(),
            get_pass("canonicalize")(),
            get_pass("cse")(),
            self.fuse_pass(),
            TilePass(),
            PlanMemoryPass(),
        )

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for p in self.passes():
            p.apply(ctx, op)
