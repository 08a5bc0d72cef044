"""Frontends: programs from other frameworks into mlc's tensor level.

`torch_backend(...)` is a `torch.compile` backend (`mlc.frontends.torch`); torch is
imported on its first call, never by importing `mlc` or this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlc.frontends.torch.backend import MlcBackend

__all__ = ["torch_backend"]


def torch_backend(
    target: str = "cpu", *, num_threads: int | None = None, fallback: str = "eager"
) -> MlcBackend:
    """A configured `torch.compile` backend: `torch.compile(model, backend=torch_backend())`.

    `num_threads`: threads per kernel (None: the available cores); `fallback`:
    "eager" runs ops mlc cannot compile in PyTorch with a `FallbackWarning`, "error"
    raises `mlc.CompileError` naming them. ValueError names a bad argument.
    """
    from mlc.frontends.torch.backend import MlcBackend

    return MlcBackend(target, num_threads, fallback)
