"""Compiling for the CPU: fused modules to object code, host programs and kernels.

    from mlc.runtime.cpu import compile_kernels, run_function

    kernels = compile_kernels(module)            # every kernel of a fused module
    kernels["softmax_k0"](x, out)                # inputs, then outputs (written)
    y = run_function(module, "softmax", x)       # a whole fused function

`compile_native` lowers each kernel with `convert-loop-to-llvm`'s `lower_kernel`,
exports the `llvm` dialect with xDSL's `convert_module`, optimises at O3 for the host
CPU (its name and features; loop and SLP vectorisation on, no fast-math) and emits
object code: a `NativeCode`, which the compile cache stores as it is and
`mlc.runtime.native.load_kernels` links into the JIT (`compile_kernels` is the two
in one). `host_program` turns each function into the plain-data program that
`mlc.runtime.program.run_program` executes, with the arena placements of
`plan-memory` when the function has them (an output planned in place over its
input gets that input's offset: the kernel reads each element before writing it);
`run_function` runs one function of a fused module that way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.dialects.llvm import LLVMFunctionType
from xdsl.ir import SSAValue

from mlc.diagnostics import CompileError
from mlc.dialects import nn
from mlc.dialects.loop import KernelOp
from mlc.interpreter.core import check_arguments, implementation_for, lookup_function, numpy_dtype
from mlc.lowering.codegen_options import DEFAULT_CODEGEN, CodegenOptions
from mlc.lowering.loop_to_llvm import (
    declare_externals,
    export_llvm_ir,
    kernel_symbols,
    lower_kernel,
)
from mlc.runtime.native import (
    MIN_POINTS_PER_THREAD,
    CompiledKernel,
    KernelSignature,
    NativeCode,
    checked_threads,
    llvm_host,
    load_kernels,
)
from mlc.runtime.program import FunctionProgram, Launch, TensorSpec, run_program
from mlc.transforms.plan_memory import (
    MemoryPlan,
    check_memory_plan,
    in_place_inputs,
    read_plan,
    why_not_in_place,
)

__all__ = [
    "MIN_POINTS_PER_THREAD",
    "CompiledKernel",
    "compile_kernels",
    "compile_native",
    "host_assembly",
    "host_program",
    "kernel_signature",
    "optimized_llvm_ir",
    "run_function",
]


# ---------------------------------------------------------------------------
# Object code


def host_assembly(module: ModuleOp) -> str:
    """This CPU's assembly for a module of `llvm` dialect functions, after O3."""
    return llvm_host().machine.emit_assembly(_optimized(module))


def optimized_llvm_ir(module: ModuleOp) -> str:
    """LLVM IR text of a module of `llvm` dialect functions, optimised at O3 for this CPU.

    Loop and SLP vectorisation are on, fast-math is off.
    """
    return str(_optimized(module))


def compile_object(module: ModuleOp) -> tuple[bytes, str]:
    """This CPU's object code for a module of `llvm` dialect functions, optimised at
    O3, and the optimised LLVM IR it was generated from (for inspection)."""
    optimized = _optimized(module)
    return llvm_host().machine.emit_object(optimized), str(optimized)


def _optimized(module: ModuleOp) -> Any:
    import llvmlite.binding as llvm

    host = llvm_host()
    text = export_llvm_ir(module, llvm.get_process_triple(), str(host.machine.target_data))
    llvm_module = llvm.parse_assembly(text)
    llvm_module.verify()
    options = llvm.create_pipeline_tuning_options(speed_level=3)
    options.loop_vectorization = True
    options.slp_vectorization = True
    passes = llvm.create_pass_builder(host.machine, options)
    passes.getModulePassManager().run(llvm_module, passes)
    return llvm_module


def kernel_signature(kernel: KernelOp, name: str) -> KernelSignature:
    """What the runtime needs to know of `kernel`, compiled as symbol `name`.

    An output may be written over its input (the `in_place` attribute, which lets the
    launcher accept the very same array for both) only where `why_not_in_place`
    proves the kernel reads each element before writing it; CompileError, located,
    otherwise.
    """
    in_place = in_place_inputs(kernel)
    for result, number in enumerate(in_place):
        if number >= 0 and (why := why_not_in_place(kernel, number, result)) is not None:
            raise CompileError.at(
                kernel, f"result #{result} cannot be written over input #{number}: {why}"
            )
    parallel = [s for d, s in enumerate(kernel.sizes) if d not in kernel.reduced]
    return KernelSignature(
        name,
        tuple(tensor_spec(a, f"in{n}") for n, a in enumerate(kernel.input_args)),
        tuple(tensor_spec(a, f"out{n}") for n, a in enumerate(kernel.output_args)),
        parallel[0] if parallel else 1,
        math.prod(kernel.sizes),
        in_place,
    )


def kernels_as_llvm(module: ModuleOp, options: CodegenOptions = DEFAULT_CODEGEN) -> ModuleOp:
    """A module of one `llvm.func` per `loop.kernel` of `module` (and the externals
    they call). Raises CompileError for a kernel op or type without a lowering."""
    llvm_module = ModuleOp([])
    externals: dict[str, LLVMFunctionType] = {}
    for kernel, name in kernel_symbols(module).items():
        lowered = lower_kernel(kernel, name, options)
        llvm_module.body.block.add_op(lowered.function)
        externals |= lowered.externals
    declare_externals(llvm_module, externals)
    return llvm_module


def compile_native(module: ModuleOp, options: CodegenOptions = DEFAULT_CODEGEN) -> NativeCode:
    """Every `loop.kernel` of `module` compiled to object code for this CPU, with the
    code generation `options` of `convert-loop-to-llvm`.

    Raises CompileError (located at the op) for a kernel op or type without an LLVM
    lowering.
    """
    signatures = tuple(kernel_signature(k, name) for k, name in kernel_symbols(module).items())
    if not signatures:
        return NativeCode(b"", ())
    object_code, optimized_ir = compile_object(kernels_as_llvm(module, options))
    return NativeCode(object_code, signatures, optimized_ir)


def compile_kernels(module: ModuleOp) -> dict[str, CompiledKernel]:
    """Every `loop.kernel` of `module`, compiled for this CPU, by `llvm.func` name.

    Names are those of `convert-loop-to-llvm` (`kernel_symbols`). Raises CompileError
    (located at the op) for a kernel op or type without an LLVM lowering.
    """
    return load_kernels(compile_native(module))


# ---------------------------------------------------------------------------
# Functions


def run_function(
    module: ModuleOp,
    name: str,
    *arrays: np.ndarray,
    kernels: dict[str, CompiledKernel] | None = None,
    num_threads: int | None = None,
    out: np.ndarray | Sequence[np.ndarray] | None = None,
) -> np.ndarray | tuple[np.ndarray, ...] | None:
    """Runs fused function `@name` natively, with the interpreter's conventions.

    Arguments are checked like `mlc.interpreter.run`'s (exact dtype and shape); one
    result comes back as an array, several as a tuple, none as None, and results
    never alias the arguments or each other. `kernels` are those of an earlier
    `compile_kernels(module)` (compiled here when not given); each runs on up to
    `num_threads` threads (default: the `num_threads` setting, else the available
    cores). With `out` (an array per result), kernels write returned values straight
    into those arrays, which are returned; nothing is allocated for them.
    CompileError for an op other than `nn.constant`, `loop.kernel` and `func.return`
    in the body.
    """
    num_threads = checked_threads(num_threads)
    function = lookup_function(module, name)
    check_arguments(function, arrays)
    program = host_program(module, kernel_symbols(module))[name]
    if kernels is None:
        kernels = compile_kernels(module)
    return run_program(program, kernels, arrays, num_threads, out)


def tensor_spec(value: SSAValue, fallback: str) -> TensorSpec:
    """The calling-convention entry of a tensor value (named by its hint or `fallback`).

    CompileError, located, for a non-tensor; TypeError for an unsupported element type.
    """
    t = value.type
    if not isinstance(t, TensorType):
        raise CompileError.at(value.owner, f"only tensors cross the host boundary, got {t}")
    numpy_dtype(t.element_type)
    return TensorSpec(value.name_hint or fallback, str(t.element_type), tuple(t.get_shape()))


def host_program(module: ModuleOp, symbols: Mapping[KernelOp, str]) -> dict[str, FunctionProgram]:
    """A `FunctionProgram` per defined `func.func` of a module after `mlc-cpu-pipeline`.

    `symbols` names each kernel (`kernel_symbols(module)`). Raises CompileError,
    located, for an op other than `nn.constant`, `loop.kernel` and `func.return`
    at the top of a function body, and for a non-tensor parameter or result.
    """
    programs = {}
    for function in module.ops:
        if isinstance(function, func.FuncOp) and not function.is_declaration:
            programs[function.sym_name.data] = _function_program(function, symbols)
    return programs


def _function_program(function: func.FuncOp, symbols: Mapping[KernelOp, str]) -> FunctionProgram:
    plan = _checked_plan(function)
    placement = {(b.kernel, b.result): offset for b, offset in plan.offsets.items()} if plan else {}
    numbers: dict[SSAValue, int] = {}

    def number(value: SSAValue) -> int:
        return numbers.setdefault(value, len(numbers))

    parameters = tuple(
        tensor_spec(arg, f"arg{n}") for n, arg in enumerate(function.body.block.args)
    )
    for arg in function.body.block.args:
        number(arg)
    constants: dict[int, np.ndarray] = {}
    launches: list[Launch] = []
    for op in function.body.block.ops:
        if isinstance(op, KernelOp):
            inputs = tuple(numbers[v] for v in op.inputs)
            outputs = tuple(number(v) for v in op.outputs)
            offsets = (
                tuple(placement.get((op, r)) for r in range(len(op.outputs))) if plan else None
            )
            launches.append(Launch(symbols[op], inputs, outputs, offsets))
        elif isinstance(op, nn.ConstantOp):
            array = np.array(implementation_for(op)(op))
            array.flags.writeable = False
            constants[number(op.result)] = array
        elif isinstance(op, func.ReturnOp):
            return FunctionProgram(
                function.sym_name.data,
                parameters,
                constants,
                tuple(launches),
                tuple(numbers[v] for v in op.arguments),
                tuple(tensor_spec(v, f"result{n}") for n, v in enumerate(op.arguments)),
                *((plan.arena_bytes, plan.naive_bytes, plan.lower_bound_bytes) if plan else ()),
            )
        else:
            raise CompileError.at(
                op,
                f"'{op.name}' op cannot be compiled for the CPU: after mlc-cpu-pipeline a "
                "function may hold only nn.constant, loop.kernel and func.return",
            )
    raise AssertionError("a verified func.func ends with func.return")


def _checked_plan(function: func.FuncOp) -> MemoryPlan | None:
    """`function`'s memory plan (`plan-memory`), proven sound; None if it has none.

    CompileError, located, for an unsound plan: the runtime places outputs where the
    plan says, and the kernels accept overlapping arrays only for an in-place pair
    that is exactly one buffer.
    """
    if errors := check_memory_plan(function):
        raise CompileError(errors)
    return read_plan(function)
