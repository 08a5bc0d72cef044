"""The `torch.compile` backend: Dynamo's graph → ATen → nn → native CPU code.

    model = torch.compile(model, backend="mlc")                 # the entry point
    model = torch.compile(model, backend=mlc.frontends.torch_backend(num_threads=4))

How a graph gets here. Dynamo hands the backend a torch-level FX graph; the backend
runs it through AOT autograd (`torch._dynamo.backends.common.aot_autograd`), the path
Inductor takes. AOT autograd functionalizes it (in-place ops become values, mutated
inputs become extra outputs it copies back), lowers it to ATen overloads with
`DECOMPOSITIONS` applied, lifts parameters and buffers to graph inputs, and
regenerates outputs that alias inputs outside the compiled code; under
`torch.no_grad()` it hands over one inference graph, otherwise a forward and a
backward graph, each compiled the same way. It is the robust choice in 2.13 because
Dynamo integrates it (guards, recompiles, input mutation, aliasing); `aot_export_*`
and `make_fx` leave those to the caller. The decomposition table is small on
purpose: ops nn has as composites (`gelu`, `_softmax`, `native_layer_norm`, SDPA)
stay whole, and only ops without a translation but with an exact decomposition into
translated ones are decomposed.

Each graph is translated node by node (`aten.TRANSLATIONS`) into one `func.func`
and compiled with `mlc.compile`. A node without a translation does not stop the
program: the graph is split with `CapabilityBasedPartitioner`, the supported parts
run in mlc and the rest in eager PyTorch, and one `FallbackWarning` names the ops
left to PyTorch (`fallback="error"` raises a located `CompileError` instead).

Shapes are static: nn has no dynamic dims. A graph Dynamo made shape-generic (its
automatic dynamic shapes, after a second input shape; `dynamic=False` prevents it)
is compiled once per concrete input shape on first call, so it still runs in mlc.

Tensors cross into mlc without copies where they are contiguous (`Tensor.numpy()`,
`torch.from_numpy`; bf16 through an int16 view); others are made contiguous first.
"""

from __future__ import annotations

import operator
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import ml_dtypes
import numpy as np
import torch
from torch import fx
from torch._decomp import get_decompositions
from torch._dynamo.backends.common import aot_autograd
from torch._functorch.aot_autograd import make_boxed_func
from torch.fx.passes.infra.partitioner import CapabilityBasedPartitioner
from torch.fx.passes.operator_support import OperatorSupportBase
from torch.utils import _pytree as pytree
from xdsl.dialects import func
from xdsl.dialects.builtin import FunctionType, ModuleOp
from xdsl.ir import Block, Region, SSAValue
from xdsl.utils.exceptions import VerifyException

from mlc.diagnostics import CompileError, Diagnostic, Location, Severity
from mlc.frontends.torch.aten import (
    AtenEmitter,
    Unsupported,
    source_location,
    tensor_type,
    translate_node,
)
from mlc.runtime.executable import TARGETS
from mlc.runtime.executable import compile as compile_module
from mlc.runtime.native import checked_threads
from mlc.runtime.program import address_of

__all__ = ["DECOMPOSITIONS", "FALLBACKS", "FallbackWarning", "MlcBackend", "mlc_backend"]

aten = torch.ops.aten

DECOMPOSITIONS = get_decompositions(
    [
        aten.addcdiv,
        aten.addcmul,
        aten.elu,
        aten.hardsigmoid,
        aten.hardswish,
        aten.hardtanh,
        aten.leaky_relu,
        aten.lerp,
        aten.logsumexp,
        aten.mish,
        aten.softplus,
        aten.std,
        aten.var_mean,
        aten._native_batch_norm_legit_no_training,
    ]
)
"""ATen ops decomposed before translation: exact rewrites into translated ops."""

FALLBACKS = ("eager", "error")
"""What the backend does with an op it cannot translate: run it in PyTorch, or raise."""

_FREE = {
    operator.getitem,
    aten.view.default,
    aten._unsafe_view.default,
    aten.reshape.default,
    aten.t.default,
    aten.transpose.int,
    aten.permute.default,
    aten.unsqueeze.default,
    aten.squeeze.dim,
    aten.squeeze.dims,
    aten.squeeze.default,
    aten.expand.default,
    aten.slice.Tensor,
    aten.select.int,
    aten.split.Tensor,
    aten.split_with_sizes.default,
    aten.unbind.int,
    aten.alias.default,
    aten.detach.default,
    aten.clone.default,
}
"""Ops that are views or copies in PyTorch: a part made only of them stays in PyTorch."""


class FallbackWarning(UserWarning):
    """Part of a graph runs in eager PyTorch because mlc cannot compile it."""


# ---------------------------------------------------------------------------
# Tensors across the boundary

_BF16 = np.dtype(ml_dtypes.bfloat16)


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """The tensor's data as an array, shared when the tensor is contiguous."""
    if tensor.requires_grad:
        tensor = tensor.detach()
    if not tensor.is_contiguous():
        tensor = tensor.contiguous()
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().view(_BF16)
    return tensor.numpy()


def to_torch(array: np.ndarray) -> torch.Tensor:
    """A tensor sharing the array's data."""
    if array.dtype == _BF16:
        return torch.from_numpy(array.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(array)


# ---------------------------------------------------------------------------
# Which nodes translate


def _fake(node: fx.Node, gm: fx.GraphModule) -> Any:
    if node.op == "get_attr" and "val" not in node.meta:
        return getattr(gm, node.target)
    return node.meta["val"]


def _block_values(block: Block, fake: Any) -> SSAValue | tuple:
    """Block arguments standing for a node's value: one per tensor."""
    if isinstance(fake, torch.Tensor):
        return block.insert_arg(tensor_type(fake), len(block.args))
    if isinstance(fake, tuple | list):
        return tuple(_block_values(block, f) if f is not None else None for f in fake)
    raise Unsupported(f"an input that is not a tensor ({type(fake).__name__})")


def unsupported_reason(node: fx.Node, gm: fx.GraphModule) -> str | None:
    """Why `node` cannot be translated, or None: a trial translation on a scratch block."""
    block = Block()
    try:
        env = {n: _block_values(block, _fake(n, gm)) for n in node.all_input_nodes}
        args = fx.node.map_arg(node.args, env.__getitem__)
        kwargs = fx.node.map_arg(node.kwargs, env.__getitem__)
        translate_node(AtenEmitter(block, node), args, kwargs)
    except (Unsupported, VerifyException) as error:
        return str(error)
    except Exception as error:  # a translation bug must not crash the user's program
        return f"translation failed: {type(error).__name__}: {error}"
    return None


def _op_name(node: fx.Node) -> str:
    target = node.target
    return f"aten.{target.__name__}" if isinstance(target, torch._ops.OpOverload) else str(target)


# ---------------------------------------------------------------------------
# A graph as one mlc function


class CompiledGraph:
    """An FX graph compiled by mlc, called like the graph: tensors in, tensors out.

    Tensors cross without numpy where they can: when every input has the expected
    dtype and shape and is contiguous, the kernels run on the tensors' own memory
    (`BoundProgram.run_on_addresses`) and write results into fresh tensors;
    otherwise (or for programs that return an argument or a constant) through
    numpy views and `CompiledFunction`.
    """

    def __init__(
        self,
        function: Callable[..., Any],
        sources: Sequence[int | np.ndarray],
        outputs: Sequence[bool | Any],
        spec: pytree.TreeSpec,
    ) -> None:
        self.function = function
        self.sources = sources
        """Per function argument: the graph input's position, or a constant's array."""
        self.outputs = outputs
        """Per output leaf: True for the function's next result, else the constant itself."""
        self.spec = spec
        self._direct: _DirectCall | None = None
        self._direct_checked = False

    def __call__(self, *inputs: Any) -> Any:
        if not self._direct_checked:
            self._direct = _DirectCall.of(self.function, self.sources)
            self._direct_checked = True
        results = self._direct(inputs) if self._direct is not None else None
        if results is None:
            arrays = [to_numpy(inputs[s]) if isinstance(s, int) else s for s in self.sources]
            returned = self.function(*arrays)
            returned = returned if isinstance(returned, tuple) else (returned,)
            results = [to_torch(array) for array in returned]
        flow = iter(results)
        leaves = [next(flow) if o is True else o for o in self.outputs]
        return pytree.tree_unflatten(leaves, self.spec)


class _DirectCall:
    """A compiled function run on tensors' memory (see `CompiledGraph`)."""

    def __init__(self, function: Any, sources: Sequence[int | np.ndarray]) -> None:
        bound = function.bound
        program = bound.program
        self.function = function
        self.bound = bound
        self.arguments = [
            (s, tuple(spec.shape), _torch_dtype(spec.dtype))
            if isinstance(s, int)
            else (None, address_of(s), None)
            for s, spec in zip(sources, program.parameters, strict=True)
        ]
        self.results = [
            (tuple(spec.shape), _torch_dtype(spec.dtype)) for spec in program.result_specs
        ]

    @classmethod
    def of(cls, function: Any, sources: Sequence[int | np.ndarray]) -> _DirectCall | None:
        """The direct call of `function`, or None where it cannot have one."""
        bound = getattr(function, "bound", None)
        if bound is None or not bound.runs_on_addresses:
            return None
        specs = [*bound.program.parameters, *bound.program.result_specs]
        if any(0 in spec.shape or _torch_dtype(spec.dtype) is None for spec in specs):
            return None
        return cls(function, sources)

    def __call__(self, inputs: Sequence[Any]) -> list[torch.Tensor] | None:
        """The results, or None (nothing run) for an input it cannot take as it is."""
        addresses = []
        for position, expected, dtype in self.arguments:
            if position is None:
                addresses.append(expected)  # a constant's address
                continue
            tensor = inputs[position]
            if not (
                isinstance(tensor, torch.Tensor)
                and tensor.dtype == dtype
                and tensor.shape == expected
                and tensor.is_cpu
                and tensor.is_contiguous()
            ):
                return None
            addresses.append(tensor.data_ptr())
        results = [torch.empty(shape, dtype=dtype) for shape, dtype in self.results]
        threads = checked_threads(self.function.executable.num_threads)
        self.bound.run_on_addresses(addresses, [r.data_ptr() for r in results], threads)
        return results


def _torch_dtype(dtype: np.dtype) -> torch.dtype | None:
    """The torch dtype of a numpy one (bf16 included), None if torch has none."""
    if dtype == _BF16:
        return torch.bfloat16
    try:
        return torch.from_numpy(np.empty(0, dtype)).dtype
    except TypeError:
        return None


def translate_graph(gm: fx.GraphModule, name: str = "forward") -> tuple[ModuleOp, CompiledGraph]:
    """`gm` as a module with one `func.func @name`, and how to call it (its function unset).

    Tensor inputs become the function's arguments, then the constants the graph reads
    (`get_attr`), bound at compile time. Raises `Unsupported` for a node that does not
    translate (check with `unsupported_reason` first).
    """
    block = Block()
    env: dict[fx.Node, Any] = {}
    sources: list[int | np.ndarray] = []
    position = 0
    for node in gm.graph.nodes:
        if node.op == "placeholder":
            fake = node.meta.get("val")
            if isinstance(fake, torch.Tensor):
                env[node] = _block_values(block, fake)
                sources.append(position)
            position += 1
        elif node.op == "get_attr":
            constant = getattr(gm, node.target)
            env[node] = _block_values(block, constant)
            sources.append(to_numpy(constant))
        elif node.op == "call_function":
            args = fx.node.map_arg(node.args, env.__getitem__)
            kwargs = fx.node.map_arg(node.kwargs, env.__getitem__)
            env[node] = translate_node(AtenEmitter(block, node), args, kwargs)
        elif node.op == "output":
            leaves, spec = pytree.tree_flatten(node.args[0])
            results = [env[leaf] for leaf in leaves if isinstance(leaf, fx.Node)]
            block.add_op(func.ReturnOp(*results))
            outputs = [True if isinstance(leaf, fx.Node) else leaf for leaf in leaves]
        else:
            raise Unsupported(f"FX node kind '{node.op}'")
    signature = FunctionType.from_lists(
        [a.type for a in block.args], [r.type for r in block.last_op.operands]
    )
    module = ModuleOp([func.FuncOp(name, signature, Region(block))])
    return module, CompiledGraph(None, sources, outputs, spec)


# ---------------------------------------------------------------------------
# The backend


class _Supported(OperatorSupportBase):
    def __init__(self, supported: set[fx.Node]) -> None:
        self.supported = supported

    def is_node_supported(self, submodules: Any, node: fx.Node) -> bool:
        return node in self.supported


class _Subgraph(torch.nn.Module):
    """A partition compiled by mlc, in place of the partition's FX submodule."""

    def __init__(self, compiled: CompiledGraph) -> None:
        super().__init__()
        self.compiled = compiled

    def forward(self, *inputs: Any) -> Any:
        return self.compiled(*inputs)


@dataclass(eq=False)  # hashed by identity: Dynamo keys caches on the backend
class MlcBackend:
    """A `torch.compile` backend: `torch.compile(model, backend=MlcBackend(...))`.

    `target`: what `mlc.compile` compiles for; `num_threads`: threads per kernel
    (None: the available cores); `fallback`: "eager" runs what mlc cannot compile
    in PyTorch with a `FallbackWarning`, "error" raises `CompileError` instead
    (Dynamo wraps it in its `BackendCompilerFailed`). Not frozen: Dynamo tags the
    backends it registers with attributes.
    """

    target: str = "cpu"
    num_threads: int | None = None
    fallback: str = "eager"
    _aot: Callable[..., Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ValueError(f"target: unsupported target {self.target!r}; supported: {TARGETS}")
        threads = self.num_threads
        if threads is not None and (type(threads) is not int or threads < 1):
            raise ValueError(f"num_threads: expected a positive integer, got {threads!r}")
        if self.fallback not in FALLBACKS:
            raise ValueError(f"fallback: expected one of {FALLBACKS}, got {self.fallback!r}")
        self._aot = aot_autograd(
            fw_compiler=self.compile_graph,
            bw_compiler=self.compile_graph,
            decompositions=DECOMPOSITIONS,
        )

    def __call__(self, gm: fx.GraphModule, example_inputs: Sequence[Any]) -> Callable[..., Any]:
        """Dynamo's entry: compiles `gm` for its example inputs' shapes."""
        if not any(_is_symbolic(x) for x in example_inputs):
            return self._aot(gm, example_inputs)
        compiled: dict[tuple, Callable[..., Any]] = {}

        def per_shape(*args: Any) -> Any:
            key = tuple((tuple(a.shape), a.dtype) if torch.is_tensor(a) else a for a in args)
            if key not in compiled:
                compiled[key] = self._aot(gm, list(args))
            return compiled[key](*args)

        return per_shape

    def compile_graph(self, gm: fx.GraphModule, example_inputs: Sequence[Any]) -> Callable:
        """AOT autograd's compiler: an ATen graph → a boxed callable running it."""
        reasons = {
            node: reason
            for node in gm.graph.nodes
            if node.op == "call_function" and (reason := unsupported_reason(node, gm)) is not None
        }
        if not reasons:
            compiled = self._compile(gm)
            return make_boxed_func(compiled if compiled is not None else gm.forward)
        # A getitem of an unsupported op is not an op of its own to report.
        reported = {n: r for n, r in reasons.items() if n.target is not operator.getitem}
        if self.fallback == "error":
            raise CompileError([_diagnostic(n, r) for n, r in reported.items()])
        counts = Counter(f"{_op_name(n)} ({r})" for n, r in reported.items())
        listed = "; ".join(f"{op}{f' x{k}' if k > 1 else ''}" for op, k in counts.items())
        warnings.warn(
            f"mlc: {len(reported)} op(s) run in eager PyTorch: {listed}",
            FallbackWarning,
            stacklevel=2,
        )
        supported = {n for n in gm.graph.nodes if n.op == "call_function" and n not in reasons}
        return make_boxed_func(self._partition(gm, supported).forward)

    def _partition(self, gm: fx.GraphModule, supported: set[fx.Node]) -> fx.GraphModule:
        """`gm` with each maximal supported part replaced by an mlc-compiled submodule."""
        partitioner = CapabilityBasedPartitioner(
            gm, _Supported(supported), allows_single_node_partition=True
        )
        partitions = [
            p
            for p in partitioner.propose_partitions()
            if any(n.target not in _FREE for n in p.nodes)
        ]
        fused = partitioner.fuse_partitions(partitions)
        for node in fused.graph.nodes:
            if node.op == "call_module":
                compiled = self._compile(getattr(fused, node.target))
                if compiled is not None:
                    setattr(fused, node.target, _Subgraph(compiled))
        fused.graph.set_codegen(fx.graph.CodeGen())  # AOT's may be boxed: take *args
        fused.recompile()
        return fused

    def _compile(self, gm: fx.GraphModule) -> CompiledGraph | None:
        """`gm` compiled by mlc; None (with a warning) when mlc cannot compile it."""
        module, compiled = translate_graph(gm)
        try:
            executable = compile_module(module, self.target, num_threads=self.num_threads)
        except CompileError as error:
            if self.fallback == "error":
                raise
            warnings.warn(
                f"mlc: a translated graph failed to compile and runs in eager PyTorch: {error}",
                FallbackWarning,
                stacklevel=3,
            )
            return None
        compiled.function = executable.forward
        return compiled


def _is_symbolic(value: Any) -> bool:
    if isinstance(value, torch.SymInt):
        return True
    return torch.is_tensor(value) and not all(isinstance(d, int) for d in value.shape)


def _diagnostic(node: fx.Node, reason: str) -> Diagnostic:
    found = source_location(node)
    location = Location(found[0], found[1], 1) if found else None
    return Diagnostic(
        Severity.ERROR,
        f"'{_op_name(node)}' cannot be compiled by mlc: {reason}",
        location,
        source_line=found[2] if found else None,
    )


mlc_backend = MlcBackend()
"""The default backend, registered as `backend="mlc"` (pyproject's entry point)."""
