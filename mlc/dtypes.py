"""Element types and the numpy dtypes that hold them: the one mapping shared by the
interpreter, the runtime's calling convention and the tools.

Keyed by the element type's MLIR spelling (`f32`, `bf16`, `i1`), so the runtime
can use it without loading xDSL. bf16 is `ml_dtypes.bfloat16`.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

__all__ = ["ELEMENT_TYPES", "element_dtype"]

ELEMENT_TYPES: dict[str, np.dtype] = {
    "f16": np.dtype(np.float16),
    "bf16": np.dtype(ml_dtypes.bfloat16),
    "f32": np.dtype(np.float32),
    "f64": np.dtype(np.float64),
    "i1": np.dtype(np.bool_),
    "i32": np.dtype(np.int32),
    "i64": np.dtype(np.int64),
}
"""Element type name -> numpy dtype, for every element type nn supports."""


def element_dtype(name: str) -> np.dtype:
    """The numpy dtype of element type `name`; TypeError listing the supported ones."""
    try:
        return ELEMENT_TYPES[name]
    except KeyError:
        supported = ", ".join(ELEMENT_TYPES)
        raise TypeError(
            f"element type {name} has no numpy dtype (supported: {supported})"
        ) from None
