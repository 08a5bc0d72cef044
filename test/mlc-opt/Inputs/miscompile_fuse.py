"""A test-only `fuse` that miscompiles exactly one decision, for the bisector's tests.

`test-miscompile-fuse` is `fuse`, except that an op whose result is named `%bad`
computes the negated value when it shares a kernel with ops before it: the decision
that fused it into that kernel is wrong. Kept apart (the `fuse` debug counter
refused that decision), the op starts a kernel of its own and is right.
"""

from dataclasses import dataclass
from unittest import mock

from xdsl.context import Context
from xdsl.dialects import arith
from xdsl.dialects.builtin import ModuleOp

from mlc.lowering.nn_to_loop import KernelBuilder
from mlc.passes import register_pass
from mlc.transforms.fuse import FusePass


@register_pass
@dataclass(frozen=True)
class TestMiscompileFuse(FusePass):
    """`fuse`, but an op named %bad fused after other ops computes its negation."""

    name = "test-miscompile-fuse"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        emit = KernelBuilder.emit

        def negated_when_fused(builder: KernelBuilder, member) -> None:
            fused = bool(builder.scalars)  # ops before it in this kernel
            emit(builder, member)
            result = member.op.results[0]
            if fused and result.name_hint == "bad":
                scalar, exprs = builder.scalars[result]
                builder.scalars[result] = (builder.add(arith.NegfOp(scalar)), exprs)

        with mock.patch.object(KernelBuilder, "emit", negated_when_fused):
            super().apply(ctx, op)
