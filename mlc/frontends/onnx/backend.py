"""mlc as an ONNX backend, in the form `onnx.backend.test.BackendTest` expects.

    import onnx.backend.test
    import mlc.frontends.onnx.backend as backend

    rep = backend.prepare(model)                 # import_model + mlc.compile
    outputs = rep.run([x, w])                    # a tuple of numpy arrays
    globals().update(onnx.backend.test.BackendTest(backend, __name__).test_cases)

`prepare` imports and compiles the model for the CPU. A graph input that nn needs
as a constant (a `Reshape`'s shape, reduction axes given as inputs) makes the
representation specialize instead: each `run` imports and compiles the model with
those inputs' values baked in, once per distinct set of values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import onnx
from onnx.backend.base import Backend, BackendRep

from mlc.frontends.onnx.importer import StaticInputRequired, graph_inputs, import_model
from mlc.runtime.executable import Executable, compile

__all__ = [
    "MlcBackend",
    "MlcBackendRep",
    "is_compatible",
    "prepare",
    "run_model",
    "run_node",
    "supports_device",
]

DEVICES = ("CPU",)


class MlcBackendRep(BackendRep):
    """A prepared model: `run(inputs)` with inputs in graph order (or by name)."""

    def __init__(self, model: onnx.ModelProto, num_threads: int | None = None) -> None:
        self.model = model
        self.num_threads = num_threads
        self.input_names = graph_inputs(model)
        self.static_names: list[str] = []
        """Graph inputs compiled in as constants, in the order they were found."""
        self._compiled: dict[tuple, Executable] = {}
        try:
            self._compiled[()] = self._compile({})
        except StaticInputRequired as e:
            self.static_names.append(e.input_name)

    def _compile(self, static_inputs: Mapping[str, np.ndarray]) -> Executable:
        module = import_model(self.model, name="main", static_inputs=static_inputs)
        return compile(module, num_threads=self.num_threads)

    def _executable(self, arrays: Mapping[str, np.ndarray]) -> Executable:
        while True:
            static = {n: arrays[n] for n in self.static_names}
            key = tuple((n, a.dtype.str, a.shape, a.tobytes()) for n, a in static.items())
            if key in self._compiled:
                return self._compiled[key]
            try:
                self._compiled[key] = self._compile(static)
            except StaticInputRequired as e:
                if e.input_name in self.static_names:
                    raise
                self.static_names.append(e.input_name)

    def run(self, inputs: Any, **kwargs: Any) -> tuple[np.ndarray, ...]:
        """The graph outputs for `inputs`: a list in graph-input order, a dict, or one array."""
        if kwargs:
            raise TypeError(f"run: unexpected keyword arguments {', '.join(kwargs)}")
        if isinstance(inputs, np.ndarray):
            inputs = [inputs]
        if isinstance(inputs, Mapping):
            missing = [n for n in self.input_names if n not in inputs]
            if missing:
                raise ValueError(f"inputs: no value for {', '.join(missing)}")
            arrays = {n: np.asarray(inputs[n]) for n in self.input_names}
        elif isinstance(inputs, Sequence):
            if len(inputs) != len(self.input_names):
                raise ValueError(
                    f"inputs: the model takes {len(self.input_names)} inputs "
                    f"({', '.join(self.input_names)}), got {len(inputs)}"
                )
            arrays = {n: np.asarray(a) for n, a in zip(self.input_names, inputs, strict=True)}
        else:
            raise TypeError(
                f"inputs: expected a list or dict of arrays, got {type(inputs).__name__}"
            )
        exe = self._executable(arrays)
        args = [
            np.asarray(arrays[n], order="C") for n in self.input_names if n not in self.static_names
        ]
        results = exe.main(*args)
        return results if isinstance(results, tuple) else (results,)


class MlcBackend(Backend):
    """The ONNX backend interface over `MlcBackendRep`; CPU only."""

    @classmethod
    def is_compatible(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs: Any) -> bool:
        return cls.supports_device(device)

    @classmethod
    def supports_device(cls, device: str) -> bool:
        return device in DEVICES

    @classmethod
    def prepare(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs: Any) -> MlcBackendRep:
        """Imports and compiles `model`; `num_threads=` is the one option."""
        if not cls.supports_device(device):
            raise ValueError(
                f"device: mlc runs ONNX models on {', '.join(DEVICES)}, not {device!r}"
            )
        unknown = set(kwargs) - {"num_threads"}
        if unknown:
            raise TypeError(f"prepare: unexpected keyword arguments {', '.join(sorted(unknown))}")
        return MlcBackendRep(model, num_threads=kwargs.get("num_threads"))

    @classmethod
    def run_model(
        cls, model: onnx.ModelProto, inputs: Any, device: str = "CPU", **kwargs: Any
    ) -> tuple[np.ndarray, ...]:
        return cls.prepare(model, device, **kwargs).run(inputs)

    @classmethod
    def run_node(
        cls,
        node: onnx.NodeProto,
        inputs: Any,
        device: str = "CPU",
        outputs_info: Sequence[tuple[np.dtype, tuple[int, ...]]] | None = None,
        **kwargs: Any,
    ) -> tuple[np.ndarray, ...]:
        """Runs one node on `inputs` (arrays for its non-empty inputs, in order).

        `opset_version=` picks the opset the node is read with (default: the latest).
        """
        opset = kwargs.pop("opset_version", onnx.defs.onnx_opset_version())
        arrays = [
            np.asarray(a) for a in (inputs.values() if isinstance(inputs, Mapping) else inputs)
        ]
        names = [n for n in node.input if n]
        if len(arrays) != len(names):
            raise ValueError(f"inputs: the node takes {len(names)} inputs, got {len(arrays)}")
        graph = onnx.helper.make_graph(
            [node],
            node.name or node.op_type,
            [
                onnx.helper.make_tensor_value_info(
                    n, onnx.helper.np_dtype_to_tensor_dtype(a.dtype), a.shape
                )
                for n, a in zip(names, arrays, strict=True)
            ],
            [onnx.helper.make_empty_tensor_value_info(n) for n in node.output if n],
        )
        model = onnx.helper.make_model(
            graph, opset_imports=[onnx.helper.make_operatorsetid("", opset)]
        )
        return cls.prepare(model, device, **kwargs).run(arrays)


is_compatible = MlcBackend.is_compatible
prepare = MlcBackend.prepare
run_model = MlcBackend.run_model
run_node = MlcBackend.run_node
supports_device = MlcBackend.supports_device
