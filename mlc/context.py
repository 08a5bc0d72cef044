"""The xDSL context every mlc tool and API call parses into."""

from collections.abc import Callable

from xdsl.context import Context
from xdsl.dialects import get_all_dialects
from xdsl.ir import Dialect

# Upstream dialects that mlc programs may use next to its own.
UPSTREAM_DIALECTS = ("builtin", "func", "arith", "math", "scf", "cf", "memref", "llvm", "tensor")


def _load_nn() -> Dialect:
    from mlc.dialects.nn import NN

    return NN


def _load_loop() -> Dialect:
    from mlc.dialects.loop import LOOP

    return LOOP


def _load_mlc_gpu() -> Dialect:
    from mlc.dialects.gpu import MLC_GPU

    return MLC_GPU


def mlc_dialects() -> dict[str, Callable[[], Dialect]]:
    """Name -> factory of the dialects mlc defines itself.

    The factories import their dialect module only when the parser first meets one of
    its ops, so making a context stays cheap.
    """
    return {"nn": _load_nn, "loop": _load_loop, "mlc_gpu": _load_mlc_gpu}


def make_context() -> Context:
    """A fresh context with mlc's dialects and the upstream dialects it builds on."""
    ctx = Context()
    upstream = get_all_dialects()
    for name in UPSTREAM_DIALECTS:
        ctx.register_dialect(name, upstream[name])
    for name, factory in mlc_dialects().items():
        ctx.register_dialect(name, factory)
    return ctx
