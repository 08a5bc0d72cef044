"""The xDSL context every mlc tool and API call parses into."""

from xdsl.context import Context
from xdsl.dialects import get_all_dialects

# Upstream dialects that mlc programs may use next to its own.
UPSTREAM_DIALECTS = ("builtin", "func", "arith", "math", "scf", "cf", "memref", "llvm", "tensor")


def mlc_dialects() -> dict:
    """Name -> factory of the dialects mlc defines itself."""
    from mlc.dialects.nn import NN

    return {"nn": lambda: NN}


def make_context() -> Context:
    """A fresh context with mlc's dialects and the upstream dialects it builds on."""
    ctx = Context()
    upstream = get_all_dialects()
    for name in UPSTREAM_DIALECTS:
        ctx.register_dialect(name, upstream[name])
    for name, factory in mlc_dialects().items():
        ctx.register_dialect(name, factory)
    return ctx
