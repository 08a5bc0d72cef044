"""PyTorch frontend: a `torch.compile` backend that compiles ATen graphs with mlc.

Importing this package imports torch; `mlc` and `mlc.frontends` do not. See
`backend` for how graphs are taken from Dynamo and `aten` for the translations.
"""

from mlc.frontends.torch.backend import FallbackWarning, MlcBackend, mlc_backend

__all__ = ["FallbackWarning", "MlcBackend", "mlc_backend"]
