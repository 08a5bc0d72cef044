"""Every process-wide setting of mlc, in one typed registry.

    from mlc.settings import settings, overridden

    settings().cache_dir                     # Path of the on-disk compile cache
    with overridden(cache=False):            # for a block (tests, benchmarks)
        exe = mlc.compile(text)

A setting is a field of `Settings`. Its default comes from the environment variable
named in the field's metadata when that is set (read once, at first use), else from
the field's default. Nothing else in mlc reads environment variables for
configuration, so this module (and `mlc-opt --help`) is the list of knobs.
`configure(...)` changes settings for the rest of the process; `overridden(...)`
for the duration of a `with` block (thread-wide changes are not supported: use
function arguments for per-call choices).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Settings", "configure", "overridden", "settings"]


def _default_cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "mlc"


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "on", "yes"):
        return True
    if lowered in ("0", "false", "off", "no", ""):
        return False
    raise ValueError(f"expected one of 1/0, true/false, on/off, yes/no; got {text!r}")


def _parse_bytes(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(f"expected a byte count >= 0, got {text!r}")
    return value


def _parse_microseconds(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(f"expected microseconds >= 0, got {text!r}")
    return value


def _parse_threads(text: str) -> int | None:
    if text.strip() in ("", "auto"):
        return None
    value = int(text)
    if value < 1:
        raise ValueError(f"expected a positive integer or 'auto', got {text!r}")
    return value


def _about(env: str, parse: Callable[[str], Any], doc: str) -> dict[str, Any]:
    return {"env": env, "parse": parse, "doc": doc}


@dataclass(frozen=True)
class Settings:
    cache: bool = field(
        default=True,
        metadata=_about("MLC_CACHE", _parse_bool, "reuse compiled code from the on-disk cache"),
    )
    cache_dir: Path = field(
        default_factory=_default_cache_dir,
        metadata=_about(
            "MLC_CACHE_DIR",
            Path,
            "where the compile cache lives (default: $XDG_CACHE_HOME/mlc or ~/.cache/mlc)",
        ),
    )
    output_pool_bytes: int = field(
        default=1 << 30,
        metadata=_about(
            "MLC_OUTPUT_POOL_BYTES",
            _parse_bytes,
            "idle memory kept to reuse for large results the caller dropped (0: none)",
        ),
    )
    num_threads: int | None = field(
        default=None,
        metadata=_about(
            "MLC_NUM_THREADS",
            _parse_threads,
            "threads a kernel may use when a call does not say (default: the available cores)",
        ),
    )

    thread_spin_us: int = field(
        default=2000,
        metadata=_about(
            "MLC_THREAD_SPIN_US",
            _parse_microseconds,
            "microseconds a kernel thread spins for the next launch before it sleeps (0: sleep at once)",
        ),
    )

    @classmethod
    def from_environment(cls) -> Settings:
        """Defaults, overridden by the environment variables that are set.

        Raises ValueError naming the variable for a value that does not parse.
        """
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            text = os.environ.get(f.metadata["env"])
            if text is None:
                continue
            try:
                values[f.name] = f.metadata["parse"](text)
            except ValueError as error:
                raise ValueError(f"{f.metadata['env']}: {error}") from None
        return cls(**values)

    @classmethod
    def describe(cls) -> list[tuple[str, str, str]]:
        """(field, environment variable, what it does) for every setting."""
        return [(f.name, f.metadata["env"], f.metadata["doc"]) for f in dataclasses.fields(cls)]


_current: Settings | None = None


def settings() -> Settings:
    """The settings in force (read from the environment on first use)."""
    global _current
    if _current is None:
        _current = Settings.from_environment()
    return _current


def configure(**changes: Any) -> Settings:
    """Changes settings for the rest of the process; TypeError for an unknown name."""
    global _current
    known = {f.name for f in dataclasses.fields(Settings)}
    for name in changes:
        if name not in known:
            raise TypeError(f"{name}: no such setting (known: {', '.join(sorted(known))})")
    _current = dataclasses.replace(settings(), **changes)
    return _current


@contextlib.contextmanager
def overridden(**changes: Any) -> Iterator[Settings]:
    """Settings changed for the duration of a `with` block, then restored."""
    global _current
    saved = settings()
    try:
        yield configure(**changes)
    finally:
        _current = saved
