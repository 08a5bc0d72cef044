"""Debug counters: named decision points whose decisions can be limited, to bisect.

Like LLVM's ``-debug-counter``. A transform asks `should_execute("fuse")` before
each decision it may take (each fusion, each merge); a counter spec limits which of
them go ahead::

    fuse-skip=N     refuse the first N decisions,
    fuse-count=M    then allow M more; every later one is refused.

So ``fuse-count=0`` compiles with no fusion decision taken and ``fuse-count=K`` with
the first K: when the result is right for K-1 and wrong for K, decision K is the one
to blame (`mlc.testing.bisect` searches K automatically). A refused decision leaves
correct, only less optimized, code: refusing is always safe.

From the command line: ``mlc-opt --debug-counter=fuse-skip=3,fuse-count=1``
(``--list-debug-counters`` lists them, ``--print-debug-counters`` reports how many
decisions each counter saw). From Python::

    with debug_counters("fuse-count=4") as counters:
        mlc.run_pipeline(module, "decompose,fuse")
    counters.seen["fuse"]   # decisions asked for, taken or not

Without an active spec every decision goes ahead. A transform registers its counter
once, at import: ``FUSE = register_counter("fuse", "each fusion decision")``.
"""

from __future__ import annotations

import contextvars
import difflib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = [
    "CounterLimit",
    "DebugCounters",
    "debug_counters",
    "decision_number",
    "register_counter",
    "registered_counters",
    "should_execute",
]

_counters: dict[str, str] = {}
"""Registered counter name -> what one decision of it is."""

_NAME = re.compile(r"[a-z][a-z0-9-]*")


def register_counter(name: str, description: str) -> str:
    """Make `name` a counter that specs may limit; returns `name`."""
    if not _NAME.fullmatch(name) or name.endswith(("-skip", "-count")):
        raise ValueError(f"name: {name!r} is not a valid debug counter name")
    if _counters.get(name, description) != description:
        raise ValueError(f"name: debug counter {name!r} is already registered")
    _counters[name] = description
    return name


def registered_counters() -> dict[str, str]:
    """Every counter (name -> description), sorted; mlc's transforms are loaded first."""
    from mlc.passes import all_passes

    all_passes()  # importing the pass modules registers their counters
    return dict(sorted(_counters.items()))


@dataclass(frozen=True)
class CounterLimit:
    """Which decisions of one counter go ahead: those numbered skip+1 .. skip+count."""

    skip: int = 0
    count: int | None = None
    """None: all decisions after the skipped ones."""

    def allows(self, number: int) -> bool:
        """Whether decision `number` (1-based) goes ahead."""
        if number <= self.skip:
            return False
        return self.count is None or number <= self.skip + self.count

    def __str__(self) -> str:
        parts = [f"skip={self.skip}"] if self.skip else []
        if self.count is not None:
            parts.append(f"count={self.count}")
        return ",".join(parts) or "unlimited"


@dataclass
class DebugCounters:
    """The limits of one compilation and how many decisions each counter saw."""

    limits: dict[str, CounterLimit] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)
    """Counter -> decisions asked for so far (taken or refused)."""

    @classmethod
    def parse(cls, spec: str) -> DebugCounters:
        """``name-skip=N,name-count=M,...``; ValueError (naming the part) if wrong."""
        known = registered_counters()
        values: dict[str, dict[str, int]] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            key, eq, number = part.partition("=")
            name, _, which = key.rpartition("-")
            if not eq or which not in ("skip", "count"):
                raise ValueError(f"expected NAME-skip=N or NAME-count=N, got {part!r}")
            if name not in known:
                close = difflib.get_close_matches(name, list(known), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(
                    f"unknown debug counter {name!r}{hint} (see --list-debug-counters)"
                )
            if not number.isdigit():
                raise ValueError(f"{key} needs a non-negative integer, got {number!r}")
            values.setdefault(name, {})[which] = int(number)
        return cls(
            {name: CounterLimit(v.get("skip", 0), v.get("count")) for name, v in values.items()}
        )

    def should_execute(self, name: str) -> bool:
        """Count one decision of `name`; whether it may go ahead."""
        number = self.seen.get(name, 0) + 1
        self.seen[name] = number
        limit = self.limits.get(name)
        return limit is None or limit.allows(number)

    def report(self) -> str:
        """One line per counter that saw decisions: how many, and its limit."""
        return "".join(
            f"debug counter '{name}': {seen} decision{'' if seen == 1 else 's'} "
            f"({self.limits.get(name, CounterLimit())})\n"
            for name, seen in sorted(self.seen.items())
        )


_active: contextvars.ContextVar[DebugCounters | None] = contextvars.ContextVar(
    "mlc_debug_counters", default=None
)


@contextmanager
def debug_counters(spec: str | DebugCounters = "") -> Iterator[DebugCounters]:
    """Activate counter limits (a spec string or `DebugCounters`) for the block.

    Yields the active `DebugCounters`, whose `seen` counts the decisions made.
    """
    counters = spec if isinstance(spec, DebugCounters) else DebugCounters.parse(spec)
    token = _active.set(counters)
    try:
        yield counters
    finally:
        _active.reset(token)


def should_execute(name: str) -> bool:
    """Whether the next decision of counter `name` may go ahead (always, with no
    active counters)."""
    if name not in _counters:
        raise KeyError(f"name: debug counter {name!r} is not registered")
    counters = _active.get()
    return counters is None or counters.should_execute(name)


def decision_number(name: str) -> int:
    """The number (1-based) of the latest decision of `name` in the active counters
    (0 when none are active), for messages that name a refused decision."""
    counters = _active.get()
    return 0 if counters is None else counters.seen.get(name, 0)
