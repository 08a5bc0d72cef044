"""Pass pipelines: MLIR's textual syntax, parsed, printed back exactly, and run.

Two spellings are accepted:

* MLIR's anchored form, as given to `mlc-opt --pass-pipeline`::

      builtin.module(canonicalize,func.func(cse,my-pass{opt=1 sizes=4,8}),dce)

* the shorthand list given to `mlc-opt -p`: ``canonicalize,my-pass{opt=1}``.

Options go in braces after the pass name, separated by spaces: ``key=value``, a list
``key=1,2,3`` (or ``key={1,2,3}``, ``key={}`` for the empty list), a quoted string
``key="a b"``, or a bare ``key`` (true for a bool option, unset for an optional one).
Option names may be written with ``-`` or ``_``.

**How anchors map onto xDSL.** Every xDSL pass is a `ModulePass`: it receives the whole
`builtin.module`. A nest such as ``func.func(cse)`` is therefore kept (it is printed
back, so a pipeline reads the way it was written) but does not restrict where its passes
run: ``func.func(cse)`` runs `cse` once over the whole module, which covers every
function, and also everything outside functions. That equals MLIR's behaviour for
passes that only look inside functions and treat each function independently, which is
what function passes in MLIR must do anyway. Passes never run in parallel.

`str(pipeline)` is the canonical form ``builtin.module(a{x=1 y=false},b)`` with every
option and its value (unset optional options are left out), and parsing that string
gives an equal pipeline, so a printed pipeline reproduces a run exactly.
"""

from __future__ import annotations

import re
import sys
import time
import types
import typing
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Literal, get_args, get_origin

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.printer import Printer
from xdsl.utils.exceptions import DiagnosticException

from mlc.diagnostics import (
    CompileError,
    Diagnostic,
    DiagnosticEngine,
    Severity,
    current_engine,
    location_of,
    log_diagnostic,
    verify_with_locations,
)
from mlc.passes import (
    PassInfo,
    UnknownPassError,
    format_option_value,
    format_type,
    get_pass,
    pass_info,
)

__all__ = [
    "PassCrashError",
    "PassInstrumentation",
    "PassNest",
    "PassTiming",
    "Pipeline",
    "PipelineError",
    "PrintIR",
    "format_pass",
    "parse_option_value",
    "render_timing",
]

ROOT_ANCHOR = "builtin.module"


class PipelineError(Exception):
    """A pipeline string that cannot be parsed or names passes/options wrongly.

    `str()` is the message, followed by the pipeline text with a caret under the
    offending position when one is known.
    """

    def __init__(self, message: str, text: str | None = None, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.text = text
        self.position = position

    def __str__(self) -> str:
        if self.text is None or self.position is None:
            return self.message
        return f"{self.message}\n  {self.text}\n  {' ' * self.position}^"


class PassCrashError(Exception):
    """A pass raised an unexpected exception: a compiler bug, not bad input.

    Carries the failing pass and its position in the pipeline so that a tool can report
    it, and later write a reproducer (input + pipeline); the original exception is the
    `__cause__`.
    """

    def __init__(self, pass_: ModulePass, index: int, error: BaseException) -> None:
        super().__init__(f"internal error in pass '{pass_.name}': {type(error).__name__}: {error}")
        self.pass_ = pass_
        self.index = index


@dataclass(frozen=True)
class PassNest:
    """Passes written inside an op anchor, e.g. ``func.func(cse,canonicalize)``."""

    anchor: str
    elements: tuple[ModulePass | PassNest, ...] = ()

    def __str__(self) -> str:
        return f"{self.anchor}({','.join(_format_element(e) for e in self.elements)})"

    def flatten(self) -> tuple[ModulePass, ...]:
        """The passes of this nest and its sub-nests, in the order they run."""
        out: list[ModulePass] = []
        for e in self.elements:
            out.extend(e.flatten() if isinstance(e, PassNest) else (e,))
        return tuple(out)


def _format_element(e: ModulePass | PassNest) -> str:
    return str(e) if isinstance(e, PassNest) else format_pass(e)


def format_pass(p: ModulePass) -> str:
    """`name{opt-a=1 opt-b=false}` with every option set, `name` if it has none."""
    info = pass_info(type(p))
    items = []
    for o in info.options:
        value = getattr(p, o.field_name)
        if value is None:
            if o.default is not None:
                items.append(o.name)  # a bare key unsets an optional option
            continue
        items.append(f"{o.name}={format_option_value(value)}")
    return f"{p.name}{{{' '.join(items)}}}" if items else p.name


@dataclass(frozen=True)
class Pipeline:
    """A parsed pass pipeline: the contents of its root ``builtin.module(...)``."""

    elements: tuple[ModulePass | PassNest, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Pipeline:
        """Parse the anchored or the shorthand form; `PipelineError` if it is wrong."""
        elements = _PipelineParser(text).parse()
        if (
            len(elements) == 1
            and isinstance(elements[0], PassNest)
            and elements[0].anchor == ROOT_ANCHOR
        ):
            return cls(elements[0].elements)
        return cls(elements)

    @property
    def passes(self) -> tuple[ModulePass, ...]:
        """Every pass, nests flattened, in the order `run` applies them."""
        return PassNest(ROOT_ANCHOR, self.elements).flatten()

    def __str__(self) -> str:
        return str(PassNest(ROOT_ANCHOR, self.elements))

    def run(
        self,
        module: ModuleOp,
        ctx: Context | None = None,
        *,
        verify_each: bool = True,
        diagnostics: DiagnosticEngine | None = None,
        instrumentations: Sequence[PassInstrumentation] = (),
    ) -> ModuleOp:
        """Apply the passes to `module` in place and return it.

        Diagnostics that passes emit go to `diagnostics` (default: the active engine,
        or a fresh one that logs them, see `log_diagnostic`). After each pass, errors
        it emitted fail the run, and with `verify_each` the IR is verified (the
        registered attribute verifiers included, such as the memory plan's) so that
        a broken pass is named: ``error: ... (IR after pass 'x' failed to verify)``.
        Raises `CompileError` for such failures and `PassCrashError` when a pass
        raises anything unexpected. The input is assumed valid (`mlc.parse` verifies
        it).
        """
        if ctx is None:
            from mlc.context import make_context

            ctx = make_context()
        engine = diagnostics or current_engine() or DiagnosticEngine(handler=log_diagnostic)
        with engine.activate():
            for index, p in enumerate(self.passes):
                self._run_pass(p, index, module, ctx, engine, verify_each, instrumentations)
        return module

    @staticmethod
    def _run_pass(
        p: ModulePass,
        index: int,
        module: ModuleOp,
        ctx: Context,
        engine: DiagnosticEngine,
        verify_each: bool,
        instrumentations: Sequence[PassInstrumentation],
    ) -> None:
        for inst in instrumentations:
            inst.before_pass(p, module)
        errors_before = engine.error_count
        try:
            p.apply(ctx, module)
        except CompileError:
            raise
        except DiagnosticException as e:  # xDSL's PassFailedException and friends
            raise CompileError(
                Diagnostic(Severity.ERROR, f"pass '{p.name}' failed: {e}", location_of(module))
            ) from e
        except Exception as e:
            raise PassCrashError(p, index, e) from e
        for inst in instrumentations:
            inst.after_pass(p, module)
        if errors := engine.errors_since(errors_before):
            raise CompileError(errors)
        if not verify_each:
            return
        for inst in instrumentations:
            inst.before_verify(p, module)
        try:
            verify_with_locations(module)
        except CompileError as e:
            for d in e.diagnostics:
                d.message += f" (IR after pass '{p.name}' failed to verify)"
            raise
        for inst in instrumentations:
            inst.after_verify(p, module)


# ---------------------------------------------------------------------------
# Instrumentation: printing IR, timing
# ---------------------------------------------------------------------------


class PassInstrumentation:
    """Hooks `Pipeline.run` calls around every pass; override the ones you need."""

    def before_pass(self, pass_: ModulePass, module: ModuleOp) -> None:
        """Called just before `pass_` runs."""

    def after_pass(self, pass_: ModulePass, module: ModuleOp) -> None:
        """Called when `pass_` returned, before the IR is verified."""

    def before_verify(self, pass_: ModulePass, module: ModuleOp) -> None:
        """Called before verifying the IR that `pass_` produced (with `verify_each`)."""

    def after_verify(self, pass_: ModulePass, module: ModuleOp) -> None:
        """Called when the IR that `pass_` produced verified."""


@dataclass
class PrintIR(PassInstrumentation):
    """Print the module before/after selected passes, with MLIR's dump headers.

    `before`/`after` hold pass names; `after_all` prints after every pass.
    """

    stream: IO[str] = field(default_factory=lambda: sys.stderr)
    before: Collection[str] = ()
    after: Collection[str] = ()
    after_all: bool = False
    generic: bool = False
    debuginfo: bool = False

    def _dump(self, when: str, pass_: ModulePass, module: ModuleOp) -> None:
        self.stream.write(f"// -----// IR Dump {when} {pass_.name} //----- //\n")
        Printer(
            self.stream, print_generic_format=self.generic, print_debuginfo=self.debuginfo
        ).print_op(module)
        self.stream.write("\n\n")
        self.stream.flush()

    def before_pass(self, pass_: ModulePass, module: ModuleOp) -> None:
        if pass_.name in self.before:
            self._dump("Before", pass_, module)

    def after_pass(self, pass_: ModulePass, module: ModuleOp) -> None:
        if self.after_all or pass_.name in self.after:
            self._dump("After", pass_, module)


@dataclass
class PassTiming(PassInstrumentation):
    """Wall time of each pass (instances kept apart, runs summed) and of verification."""

    pass_seconds: dict[int, tuple[str, float]] = field(default_factory=dict)
    verify_seconds: float = 0.0
    _started: float = 0.0

    def before_pass(self, pass_: ModulePass, module: ModuleOp) -> None:
        self._started = time.perf_counter()

    def after_pass(self, pass_: ModulePass, module: ModuleOp) -> None:
        _, seconds = self.pass_seconds.get(id(pass_), (pass_.name, 0.0))
        self.pass_seconds[id(pass_)] = (pass_.name, seconds + time.perf_counter() - self._started)

    def before_verify(self, pass_: ModulePass, module: ModuleOp) -> None:
        self._started = time.perf_counter()

    def after_verify(self, pass_: ModulePass, module: ModuleOp) -> None:
        self.verify_seconds += time.perf_counter() - self._started

    def rows(self) -> list[tuple[str, float]]:
        """(name, seconds) per pass in pipeline order, then the verifier's total."""
        rows = list(self.pass_seconds.values())
        if self.verify_seconds:
            rows.append(("(verifier)", self.verify_seconds))
        return rows


def render_timing(rows: Sequence[tuple[str, float]], total: float) -> str:
    """An MLIR-style (`-mlir-timing`) wall-time report of `rows` out of `total` seconds."""
    bar = "===" + "-" * 73 + "==="
    lines = [
        bar,
        "... Execution time report ...".center(len(bar)).rstrip(),
        bar,
        f"  Total Execution Time: {total:.4f} seconds",
        "",
        "  ----Wall Time----  ----Name----",
    ]
    for name, seconds in [*rows, ("Total", total)]:
        share = 100.0 * seconds / total if total > 0 else 0.0
        lines.append(f"  {seconds:10.4f} ({share:5.1f}%)  {name}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Parsing pipeline text
# ---------------------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z0-9_$.\-]+")
_ANCHOR = re.compile(r"any|[A-Za-z_][\w$]*(\.[\w$]+)+")
_BARE_VALUE = re.compile(r"[^\s,{}\"=]+")


class _PipelineParser:
    """Recursive descent over a pipeline string, keeping positions for errors::

    pipeline ::= (element (`,` element)*)?
    element  ::= anchor `(` pipeline `)` | pass-name (`{` option* `}`)?
    option   ::= key (`=` value)?          -- options are separated by spaces
    value    ::= item (`,` item)* | `{` (item (`,` item)*)? `}`
    item     ::= bare-word | `"` string `"`
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, message: str, position: int | None = None) -> PipelineError:
        return PipelineError(
            f"invalid pass pipeline: {message}",
            self.text,
            self.pos if position is None else position,
        )

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def found(self) -> str:
        """The next character as error messages show it."""
        return repr(self.peek()) if self.peek() else "end of pipeline"

    def expect(self, char: str, what: str) -> None:
        if self.peek() != char:
            raise self.error(f"expected {what}, found {self.found()}")
        self.pos += 1

    def parse(self) -> tuple[ModulePass | PassNest, ...]:
        try:
            elements = self.parse_list()
        except RecursionError:
            raise self.error("nests are too deep") from None
        if self.pos < len(self.text):
            raise self.error(f"unexpected {self.peek()!r}")
        return elements

    def parse_list(self) -> tuple[ModulePass | PassNest, ...]:
        elements: list[ModulePass | PassNest] = []
        self.skip_ws()
        if self.peek() in ("", ")"):
            return ()
        while True:
            elements.append(self.parse_element())
            self.skip_ws()
            if self.peek() != ",":
                return tuple(elements)
            self.pos += 1
            self.skip_ws()

    def parse_name(self, what: str) -> tuple[str, int]:
        start = self.pos
        match = _NAME.match(self.text, self.pos)
        if match is None:
            raise self.error(f"expected {what}, found {self.found()}")
        self.pos = match.end()
        return match.group(), start

    def parse_element(self) -> ModulePass | PassNest:
        name, start = self.parse_name("a pass name")
        self.skip_ws()
        if self.peek() == "(":
            if not _ANCHOR.fullmatch(name):
                raise self.error(
                    f"'{name}' is not an operation name to anchor passes on "
                    f"(pass options go in braces: {name}{{...}})",
                    start,
                )
            self.pos += 1
            elements = self.parse_list()
            self.skip_ws()
            self.expect(")", f"',' or ')' to close '{name}('")
            return PassNest(name, elements)
        options: dict[str, tuple[str, ...] | None] = {}
        positions: dict[str, int] = {}
        if self.peek() == "{":
            self.pos += 1
            self.parse_options(name, options, positions)
        return _instantiate(name, options, positions, start, self)

    def parse_options(
        self, pass_name: str, options: dict[str, tuple[str, ...] | None], positions: dict[str, int]
    ) -> None:
        while True:
            self.skip_ws()
            if self.peek() == "}":
                self.pos += 1
                return
            key, start = self.parse_name(f"an option name or '}}' in the options of '{pass_name}'")
            normalized = key.replace("_", "-")
            if normalized in options:
                raise self.error(
                    f"option '{normalized}' of pass '{pass_name}' is given twice", start
                )
            positions[normalized] = start
            if self.peek() == "=":
                self.pos += 1
                options[normalized] = self.parse_value()
            else:
                options[normalized] = None
            if self.peek() not in ("}", "") and not self.peek().isspace():
                raise self.error(f"expected a space or '}}' after option '{key}'")
            if self.peek() == "":
                raise self.error(f"expected '}}' to close the options of '{pass_name}'")

    def parse_value(self) -> tuple[str, ...]:
        if self.peek() == "{":
            self.pos += 1
            if self.peek() == "}":
                self.pos += 1
                return ()
            items = self.parse_items()
            self.expect("}", "',' or '}' to close the list")
            return items
        return self.parse_items()

    def parse_items(self) -> tuple[str, ...]:
        items = [self.parse_item()]
        while self.peek() == ",":
            self.pos += 1
            items.append(self.parse_item())
        return tuple(items)

    def parse_item(self) -> str:
        if self.peek() == '"':
            start = self.pos
            self.pos += 1
            chars: list[str] = []
            while self.peek() != '"':
                if self.peek() == "":
                    raise self.error("unterminated string", start)
                if self.peek() == "\\" and self.pos + 1 < len(self.text):
                    self.pos += 1
                chars.append(self.peek())
                self.pos += 1
            self.pos += 1
            return "".join(chars)
        match = _BARE_VALUE.match(self.text, self.pos)
        if match is None:
            raise self.error(f"expected an option value, found {self.found()}")
        self.pos = match.end()
        return match.group()


def _valid_options(info: PassInfo) -> str:
    if not info.options:
        return f"pass '{info.name}' takes no options"
    return "valid options: " + ", ".join(o.describe() for o in info.options)


def _instantiate(
    name: str,
    options: dict[str, tuple[str, ...] | None],
    positions: dict[str, int],
    start: int,
    parser: _PipelineParser,
) -> ModulePass:
    """Build pass `name` from raw option text, checking names, types and requirements."""
    try:
        info = pass_info(get_pass(name))
    except UnknownPassError as e:
        raise parser.error(str(e), start) from None
    values: dict[str, Any] = {}
    for key, raw in options.items():
        option = info.option(key)
        if option is None:
            raise parser.error(
                f"pass '{name}' has no option '{key}'; {_valid_options(info)}", positions[key]
            )
        try:
            values[option.field_name] = parse_option_value(raw, option.type)
        except ValueError as e:
            raise parser.error(
                f"bad value for option '{key}' of pass '{name}': {e}; {_valid_options(info)}",
                positions[key],
            ) from None
    for option in info.options:
        if option.required and option.field_name not in values:
            raise parser.error(
                f"pass '{name}' requires option '{option.name}' ({option.type_name}); {_valid_options(info)}",
                start,
            )
    try:
        return info.pass_class(**values)
    except (TypeError, ValueError) as e:
        raise parser.error(f"invalid options for pass '{name}': {e}", start) from None


_TRUE = {"true", "1", "on", "yes"}
_FALSE = {"false", "0", "off", "no"}


def parse_option_value(raw: tuple[str, ...] | None, tp: Any) -> Any:
    """Convert the text of one option (`None` for a bare key) to a value of type `tp`.

    Raises `ValueError` with a message saying what was expected.
    """
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        members = get_args(tp)
        if raw is None:
            if type(None) in members:
                return None
            if bool in members:
                return True
            raise ValueError(f"expected a value of type {format_type(tp)}")
        # A string accepts anything, so try the other members first.
        ordered = sorted((m for m in members if m is not type(None)), key=lambda m: m is str)
        for member in ordered:
            try:
                return parse_option_value(raw, member)
            except ValueError:
                continue
        raise ValueError(f"expected {format_type(tp)}, got {_show(raw)}")
    if raw is None:
        if tp is bool:
            return True
        raise ValueError(f"expected a value of type {format_type(tp)}")
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(parse_option_value((item,), args[0]) for item in raw)
        if len(raw) != len(args):
            raise ValueError(f"expected {len(args)} values ({format_type(tp)}), got {_show(raw)}")
        return tuple(parse_option_value((item,), a) for item, a in zip(raw, args, strict=True))
    if tp is str:
        return ",".join(raw)
    if len(raw) != 1:
        raise ValueError(f"expected a single {format_type(tp)}, got {_show(raw)}")
    text = raw[0]
    if origin is Literal:
        for choice in get_args(tp):
            if str(choice) == text:
                return choice
        raise ValueError(f"expected one of {format_type(tp)}, got {text!r}")
    if tp is bool:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(f"expected true or false, got {text!r}")
    if tp is int:
        try:
            return int(text, 10)
        except ValueError:
            raise ValueError(f"expected an integer, got {text!r}") from None
    if tp is float:
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
    raise ValueError(f"options of type {format_type(tp)} are not supported")


def _show(raw: tuple[str, ...]) -> str:
    return repr(",".join(raw)) if raw else "an empty list"
