"""Seeded mutations of valid IR: the malformed-input corpus of `mlc-opt`.

`mutants(text, rng)` yields `(kind, bytes)` pairs, each one small change of a valid
program of the kind a user, a buggy frontend or a damaged file produces:

* ``truncate``: cut at a random byte;
* ``flip``: a few bytes replaced by syntax characters or bytes that are not UTF-8;
* ``type``: an element type swapped for another (f32 -> i1, f16, index, ...);
* ``shape``: one dim of one tensor type changed (a shape mismatch), to 0, 1, a
  large prime, or a size no machine can hold (99999999999);
* ``huge``: every dim of every tensor type made 99999999999 (consistently: the IR
  stays valid, so the pipeline and code generation see it);
* ``unknown-op``, ``unknown-attr``: an op renamed to one no dialect has, or given an
  attribute nobody reads;
* ``duplicate``: an SSA name defined twice;
* ``swap``: two lines exchanged (uses before definitions);
* ``nest``: the program wrapped in many nested modules.

Every mutant must make `mlc-opt` answer with a located error or a result, never a
traceback, an internal error or a hang (`test/python/test_malformed_input.py`).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator

__all__ = ["HUGE_DIM", "KINDS", "mutants", "mutate"]

HUGE_DIM = 99999999999
"""A dim no machine can hold: its tensors must never be allocated."""

_TENSOR = re.compile(r"tensor<((?:\d+x)*)([a-z][a-z0-9]*)>")
_ELEMENT_TYPES = ("f32", "f64", "f16", "bf16", "i1", "i8", "i32", "i64", "index", "i4")
_DEFINITION = re.compile(r"^(\s*)(%[\w.$-]+)( = )", re.MULTILINE)
_OP_NAME = re.compile(r"\b(nn|arith|math|func|loop)\.(\w+)")
_FLIP_BYTES = b'%@^{}()<>[]:,="x0 \n\xff\xc3#!-.1e'


def _truncate(text: str, rng: random.Random) -> str | bytes:
    return text.encode()[: rng.randrange(len(text.encode()))]


def _flip(text: str, rng: random.Random) -> str | bytes:
    data = bytearray(text.encode())
    for _ in range(rng.randint(1, 4)):
        position = rng.randrange(len(data))
        if rng.random() < 0.7:
            data[position] = rng.choice(_FLIP_BYTES)
        else:
            del data[position]
    return bytes(data)


def _pick(pattern: re.Pattern[str], text: str, rng: random.Random) -> re.Match[str] | None:
    matches = list(pattern.finditer(text))
    return rng.choice(matches) if matches else None


def _retype(text: str, rng: random.Random) -> str | bytes:
    match = _pick(_TENSOR, text, rng)
    if match is None:
        return text.replace("f32", "i1", 1)
    new = rng.choice([t for t in _ELEMENT_TYPES if t != match.group(2)])
    return text[: match.start(2)] + new + text[match.end(2) :]


def _reshape(text: str, rng: random.Random) -> str | bytes:
    match = _pick(_TENSOR, text, rng)
    if match is None or not match.group(1):
        return text
    dims = match.group(1).split("x")[:-1]
    dims[rng.randrange(len(dims))] = str(rng.choice([0, 1, 9973, HUGE_DIM]))
    return text[: match.start(1)] + "".join(f"{d}x" for d in dims) + text[match.end(1) :]


def _huge(text: str, rng: random.Random) -> str | bytes:
    return _TENSOR.sub(
        lambda m: "tensor<" + f"{HUGE_DIM}x" * m.group(1).count("x") + m.group(2) + ">", text
    )


def _unknown_op(text: str, rng: random.Random) -> str | bytes:
    match = _pick(_OP_NAME, text, rng)
    if match is None:
        return text
    return text[: match.start(2)] + "no_such_op" + text[match.end(2) :]


def _unknown_attr(text: str, rng: random.Random) -> str | bytes:
    match = _pick(_OP_NAME, text, rng)
    if match is None:
        return text
    end = text.find("\n", match.end())
    end = len(text) if end < 0 else end
    return text[:end] + ' {"test.bogus" = 42 : i32}' + text[end:]


def _duplicate(text: str, rng: random.Random) -> str | bytes:
    definitions = list(_DEFINITION.finditer(text))
    if len(definitions) < 2:
        return text
    first, second = rng.sample(definitions, 2)
    return text[: second.start(2)] + first.group(2) + text[second.end(2) :]


def _swap(text: str, rng: random.Random) -> str | bytes:
    lines = text.split("\n")
    if len(lines) < 3:
        return text
    i, j = rng.sample(range(len(lines)), 2)
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def _nest(text: str, rng: random.Random) -> str | bytes:
    depth = rng.choice([100, 3000])
    return "builtin.module {\n" * depth + text + "}\n" * depth


_MUTATIONS: dict[str, Callable[[str, random.Random], str | bytes]] = {
    "truncate": _truncate,
    "flip": _flip,
    "type": _retype,
    "shape": _reshape,
    "huge": _huge,
    "unknown-op": _unknown_op,
    "unknown-attr": _unknown_attr,
    "duplicate": _duplicate,
    "swap": _swap,
    "nest": _nest,
}
KINDS = tuple(_MUTATIONS)
"""The mutation kinds, in the order `mutants` cycles through them."""


def mutate(text: str, kind: str, rng: random.Random) -> bytes:
    """One mutant of `text` of `kind` (see `KINDS`); ValueError naming `kind` if unknown."""
    if kind not in _MUTATIONS:
        raise ValueError(f"kind: unknown mutation {kind!r}; expected one of {', '.join(KINDS)}")
    mutant = _MUTATIONS[kind](text, rng)
    return mutant if isinstance(mutant, bytes) else mutant.encode()


def mutants(text: str, rng: random.Random, count: int) -> Iterator[tuple[str, bytes]]:
    """`count` mutants of `text`, cycling through the kinds."""
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        yield kind, mutate(text, kind, rng)
