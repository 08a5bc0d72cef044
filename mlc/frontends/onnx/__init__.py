"""The ONNX frontend: models into nn modules, and an ONNX backend that runs them.

* `import_model(model, ...)`: a ModelProto (or a path to one) as an nn module
  (`mlc.frontends.onnx.importer`); `mlc-import-onnx` is its command line.
* `mlc.frontends.onnx.backend`: the `onnx.backend.base.Backend` form, so that
  `onnx.backend.test.BackendTest(mlc.frontends.onnx.backend, __name__)` runs the
  ONNX node conformance suite against mlc.
* `python -m mlc.frontends.onnx.conformance`: every node case of that suite, with
  pass / fail / unsupported counts.

Needs the `onnx` package (`pip install -e '.[onnx]'`); `import mlc` never loads it.
"""

from mlc.frontends.onnx.importer import (
    StaticInputRequired,
    UnsupportedModelError,
    graph_inputs,
    import_model,
)

__all__ = ["StaticInputRequired", "UnsupportedModelError", "graph_inputs", "import_model"]
