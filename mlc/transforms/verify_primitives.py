"""`verify-primitives`: fails, at the op, if anything but explicit nn primitives remain.

This checks the contract `decompose` establishes for later passes: no composite ops,
and element-wise ops, `nn.select` and `nn.matmul` whose operands already have one
element type and one (batch) shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from mlc.diagnostics import CompileError, Diagnostic, Severity
from mlc.dialects import nn
from mlc.passes import register_pass


def why_not_primitive(op: Operation) -> str | None:
    """The reason `op` is not an explicit primitive, or None if it is one."""
    if not isinstance(op, nn.NNOp):
        return None
    if nn.is_composite(op):
        return f"'{op.name}' is a composite; run 'decompose' (without keeping it) first"
    types = [v.type for v in op.operands]
    if isinstance(op, nn.BinaryOp | nn.SelectOp):
        values = types[1:] if isinstance(op, nn.SelectOp) else types
        if len({t.element_type for t in values}) > 1:
            return f"'{op.name}' mixes element types; decompose makes the casts explicit"
        if len({nn.shape_of(t) for t in types}) > 1:
            return f"'{op.name}' broadcasts implicitly; decompose makes the broadcast explicit"
    if isinstance(op, nn.MatmulOp) and nn.shape_of(types[0])[:-2] != nn.shape_of(types[1])[:-2]:
        return "'nn.matmul' broadcasts batch dims implicitly; decompose makes them explicit"
    return None


@register_pass
@dataclass(frozen=True)
class VerifyPrimitivesPass(ModulePass):
    """Fails with a located error for each op that is not an explicit nn primitive."""

    name = "verify-primitives"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        errors = [
            Diagnostic.at(Severity.ERROR, inner, reason)
            for inner in op.walk()
            if (reason := why_not_primitive(inner)) is not None
        ]
        if errors:
            raise CompileError(errors)
