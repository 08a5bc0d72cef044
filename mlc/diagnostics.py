"""Located diagnostics: every message mlc reports names a place in the input.

xDSL's parser records no source positions and its verifier raises exceptions that do
not say which operation failed, so its errors cannot point at the offending line. This
module closes that gap the way MLIR does:

* `LocParser` stamps each parsed operation with `loc("file":line:col)` of its first
  token, counting lines of the *original* file even for `--split-input-file` chunks;
* `verify_with_locations` finds the operation whose verifier fails and reports
  `'op.name' op <message>` at that operation's location, then runs the verifiers
  registered for the discardable attributes ops carry (`register_attribute_verifier`);
* `Diagnostic` / `DiagnosticEngine` carry errors, warnings, remarks and notes, and
  render them clang-style (`file:line:col: error: msg`, the source line, a caret);
* `CompileError` is the one exception type the library raises for bad input.

Passes report through the engine that the running pipeline activates::

    from mlc.diagnostics import emit_remark
    emit_remark(op, "fused 3 ops")

Outside an active engine (a pass applied by hand), errors raise `CompileError` at once
and remarks and warnings go to the `mlc.diagnostics` logger, so nothing is lost and the
library never writes to stderr on its own.
"""

from __future__ import annotations

import bisect
import contextvars
import dataclasses
import importlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Self

from xdsl.context import Context
from xdsl.dialects.builtin import (
    CallSiteLoc,
    FileLineColLoc,
    FusedLoc,
    IntAttr,
    ModuleOp,
    NameLoc,
    StringAttr,
    UnknownLoc,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.irdl.dominance import DominanceInfo
from xdsl.parser import Parser, UnresolvedOperand
from xdsl.parser.generic_parser import ParserState
from xdsl.utils.exceptions import (
    DiagnosticException,
    MultipleSpansParseError,
    ParseError,
    VerifyException,
)
from xdsl.utils.lexer import Input, Location, Span
from xdsl.utils.mlir_lexer import MLIRLexer, MLIRTokenKind

__all__ = [
    "CompileError",
    "Diagnostic",
    "DiagnosticEngine",
    "ExpectedDiagnostic",
    "LocParser",
    "Location",
    "Severity",
    "check_expected_diagnostics",
    "current_engine",
    "diagnostic_from_parse_error",
    "emit",
    "emit_error",
    "emit_remark",
    "emit_warning",
    "location_of",
    "log_diagnostic",
    "note",
    "parse_expected_diagnostics",
    "provide_attribute_verifier",
    "register_attribute_verifier",
    "verify_with_locations",
]

_logger = logging.getLogger(__name__)


class Severity(StrEnum):
    """How serious a diagnostic is; the value is the word printed before the message."""

    ERROR = "error"
    WARNING = "warning"
    REMARK = "remark"
    NOTE = "note"


# ---------------------------------------------------------------------------
# Locations
# ---------------------------------------------------------------------------


def _file_location(loc: Attribute) -> Location | None:
    """The first file:line:col inside a location attribute, as MLIR's printer picks it."""
    match loc:
        case FileLineColLoc():
            return Location(loc.filename.data, loc.line.data, loc.column.data)
        case NameLoc():
            return _file_location(loc.location)
        case CallSiteLoc():
            return _file_location(loc.callee) or _file_location(loc.caller)
        case FusedLoc():
            for inner in loc.locations:
                if (found := _file_location(inner)) is not None:
                    return found
    return None


def location_of(op: Operation) -> Location | None:
    """Where `op` came from, or where its nearest located ancestor came from.

    Ops built by rewrites and by custom parsers (an implicit terminator, say) carry
    `loc(unknown)`; pointing at the enclosing op is far more useful than printing no
    place at all, so the search walks up the parents.
    """
    current: Operation | None = op
    while current is not None:
        if (loc := _file_location(current.location)) is not None:
            return loc
        current = current.parent_op()
    return None


Locatable = Operation | Location | None
"""Anything a diagnostic can be attached to: an op, an explicit location, or nothing."""


def _resolve(at: Locatable) -> Location | None:
    return location_of(at) if isinstance(at, Operation) else at


# ---------------------------------------------------------------------------
# Diagnostics
# ---------------------------------------------------------------------------


_MAX_SHOWN_LINE = 120
"""Longer source lines are cut to this many characters around the caret."""


@dataclass(eq=False)
class Diagnostic:
    """One message at one place, with optional notes, rendered like clang and MLIR.

    Identity matters (`eq=False`): an engine records a diagnostic once even when it is
    both emitted by a pass and carried by the `CompileError` that stops the pipeline.
    """

    severity: Severity
    message: str
    location: Location | None = None
    notes: list[Diagnostic] = field(default_factory=list)
    source_line: str | None = None
    """The text of the line `location` points into, when known; shown under the message."""
    length: int = 1
    """How many columns the caret marker spans (a parse error underlines its token)."""

    @classmethod
    def at(cls, severity: Severity, at: Locatable, message: str) -> Diagnostic:
        """A diagnostic located at an op (its source location), a location, or nowhere."""
        return cls(severity, message, _resolve(at))

    def render(self, unlocated_prefix: str = "<unknown>") -> str:
        """`file:line:col: severity: message`, the source line and a caret, then notes.

        Diagnostics without a location start with `unlocated_prefix` instead, which a
        command-line tool sets to its own name (`mlc-opt: error: ...`).
        """
        where = str(self.location) if self.location is not None else unlocated_prefix
        message = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in self.message)
        lines = [f"{where}: {self.severity}: {message}"]
        if self.location is not None and self.source_line is not None:
            # Control characters would garble the terminal; one stand-in each keeps columns.
            text = "".join(
                c if c.isprintable() or c == "\t" else "\ufffd"
                for c in self.source_line.rstrip("\r\n")
            )
            col = min(max(self.location.col - 1, 0), len(text))
            if len(text) > _MAX_SHOWN_LINE:  # show a window around the column
                start = max(0, col - _MAX_SHOWN_LINE // 2)
                before = "..." if start > 0 else ""
                after = "..." if start + _MAX_SHOWN_LINE < len(text) else ""
                text = before + text[start : start + _MAX_SHOWN_LINE] + after
                col += len(before) - start
            # Reuse the line's own tabs so the caret lines up in any terminal.
            indent = "".join(c if c == "\t" else " " for c in text[:col])
            width = max(1, min(self.length, len(text) - col))
            lines += [text, indent + "^" + "~" * (width - 1)]
        rendered = "\n".join(lines)
        for n in self.notes:
            rendered += "\n" + n.render(unlocated_prefix)
        return rendered

    def __str__(self) -> str:
        return self.render()

    def walk(self) -> Iterator[Diagnostic]:
        """This diagnostic followed by its notes (recursively)."""
        yield self
        for n in self.notes:
            yield from n.walk()


def note(message: str, at: Locatable = None) -> Diagnostic:
    """A note to pass as `notes=` to an `emit_*` call."""
    return Diagnostic.at(Severity.NOTE, at, message)


class CompileError(DiagnosticException):
    """Bad input: carries the located diagnostics that explain what is wrong.

    Raised by `mlc.parse`, by verification and by passes (`raise CompileError.at(op,
    "msg")`); `str()` renders every diagnostic with its source line when known.
    """

    def __init__(self, diagnostics: Diagnostic | Iterable[Diagnostic]) -> None:
        diags = (diagnostics,) if isinstance(diagnostics, Diagnostic) else tuple(diagnostics)
        if not diags:
            raise ValueError("CompileError needs at least one diagnostic")
        super().__init__(diags[0].message)
        self.diagnostics: tuple[Diagnostic, ...] = diags

    @classmethod
    def at(cls, at: Locatable, message: str) -> CompileError:
        """An error with a single diagnostic at an op or location."""
        return cls(Diagnostic.at(Severity.ERROR, at, message))

    def __str__(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)


# ---------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------

_active: contextvars.ContextVar[DiagnosticEngine | None] = contextvars.ContextVar(
    "mlc_diagnostic_engine", default=None
)


class DiagnosticEngine:
    """Collects the diagnostics of one compilation and fills in their source lines.

    `sources` maps a file name (as it appears in locations) to that file's full text, so
    a diagnostic at `f.mlir:12:3` can show line 12 even when only a split chunk of the
    file was parsed. `handler`, when given, sees every diagnostic as it is emitted (a
    command-line tool prints them there); all of them are also kept in `diagnostics`.
    """

    def __init__(
        self,
        sources: Mapping[str, str] | None = None,
        handler: Callable[[Diagnostic], None] | None = None,
    ) -> None:
        self._lines: dict[str, tuple[int, list[str]]] = {}
        for name, text in (sources or {}).items():
            self.add_source(name, text)
        self.handler = handler
        self.diagnostics: list[Diagnostic] = []
        self._seen: set[int] = set()

    def add_source(self, name: str, text: str, line_offset: int = 0) -> None:
        """Make the text of file `name` available for source lines under diagnostics.

        `line_offset` is the number of file lines before `text` (a split chunk).
        """
        self._lines[name] = (line_offset, text.splitlines())

    def source_line(self, loc: Location) -> str | None:
        """The text of line `loc.line` of `loc.file`, if that file was registered."""
        offset, lines = self._lines.get(loc.file, (0, []))
        index = loc.line - 1 - offset
        return lines[index] if 0 <= index < len(lines) else None

    def fill_source_lines(self, diag: Diagnostic) -> None:
        """Attach the source line under `diag` and its notes where it is known."""
        for d in diag.walk():
            if d.source_line is None and d.location is not None:
                d.source_line = self.source_line(d.location)

    def emit(self, diag: Diagnostic) -> Diagnostic:
        """Record `diag` (once, however often it is emitted) and hand it to the handler."""
        if id(diag) in self._seen:
            return diag
        self._seen.add(id(diag))
        self.fill_source_lines(diag)
        self.diagnostics.append(diag)
        if self.handler is not None:
            self.handler(diag)
        return diag

    @property
    def error_count(self) -> int:
        """How many errors were emitted so far (a pass failed if this grew)."""
        return sum(d.severity is Severity.ERROR for d in self.diagnostics)

    def errors_since(self, count: int) -> list[Diagnostic]:
        """The errors emitted after `error_count` was `count`."""
        return [d for d in self.diagnostics if d.severity is Severity.ERROR][count:]

    @contextmanager
    def activate(self) -> Iterator[Self]:
        """Make this the engine that the module-level `emit_*` functions report to."""
        token = _active.set(self)
        try:
            yield self
        finally:
            _active.reset(token)


def _with_notes(diag: Diagnostic, notes: Iterable[Diagnostic]) -> Diagnostic:
    for n in notes:
        if n.location is None:
            n.location = diag.location
        diag.notes.append(n)
    return diag


def current_engine() -> DiagnosticEngine | None:
    """The engine activated by the running pipeline (or by the caller), if any."""
    return _active.get()


def emit(diag: Diagnostic) -> Diagnostic:
    """Report `diag` to the active engine.

    Without one, an error is raised as `CompileError` (so it cannot go unnoticed) and
    anything milder is logged to the `mlc.diagnostics` logger (warnings as warnings,
    remarks and notes as info).
    """
    engine = _active.get()
    if engine is not None:
        return engine.emit(diag)
    if diag.severity is Severity.ERROR:
        raise CompileError(diag)
    log_diagnostic(diag)
    return diag


def log_diagnostic(diag: Diagnostic) -> None:
    """Send `diag` to the `mlc.diagnostics` logger: the handler for library use.

    Warnings log as warnings, remarks and notes as info, errors as errors (they also
    travel in the `CompileError` that stops compilation).
    """
    levels = {Severity.ERROR: logging.ERROR, Severity.WARNING: logging.WARNING}
    _logger.log(levels.get(diag.severity, logging.INFO), "%s", diag.render())


def emit_error(at: Locatable, message: str, *, notes: Iterable[Diagnostic] = ()) -> Diagnostic:
    """Report an error at `at`; the pipeline fails after the pass (see `emit`)."""
    return emit(_with_notes(Diagnostic.at(Severity.ERROR, at, message), notes))


def emit_warning(at: Locatable, message: str, *, notes: Iterable[Diagnostic] = ()) -> Diagnostic:
    """Report a warning at `at`; compilation goes on (see `emit`)."""
    return emit(_with_notes(Diagnostic.at(Severity.WARNING, at, message), notes))


def emit_remark(at: Locatable, message: str, *, notes: Iterable[Diagnostic] = ()) -> Diagnostic:
    """Report a remark at `at`: what a pass did or declined to do, and why (see `emit`)."""
    return emit(_with_notes(Diagnostic.at(Severity.REMARK, at, message), notes))


# ---------------------------------------------------------------------------
# Parsing with locations
# ---------------------------------------------------------------------------


def _span_diagnostic(span: Span, message: str, line_offset: int) -> Diagnostic:
    loc = dataclasses.replace(span, line_offset=line_offset).get_location()
    start = span.input.get_start_of_line(span.start)
    text = span.input.content[start : span.input.get_end_of_line(span.start)]
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return Diagnostic(Severity.ERROR, message, loc, source_line=text, length=max(1, len(span)))


def _lowercase_first(message: str) -> str:
    """One line, starting in lower case unless it starts with an acronym (MLIR style)."""
    message = " ".join(message.split("\n"))
    if len(message) > 1 and message[0].isupper() and message[1].islower():
        message = message[0].lower() + message[1:]
    return message


def _readable(error: ParseError) -> str:
    """The message of `error`, with two broken xDSL messages repaired."""
    found = error.span.text
    if error.msg == " in block definition":  # a region body stopped at a stray token
        return f"expected an operation or '}}', found '{found}'"
    # A lexer message that forgot its f-string.
    return _lowercase_first(error.msg.replace("{first_char}", f"'{found[:1]}'"))


def diagnostic_from_parse_error(error: ParseError, line_offset: int = 0) -> Diagnostic:
    """A located error for an xDSL `ParseError`, lines shifted by `line_offset`."""
    diag = _span_diagnostic(error.span, _readable(error), line_offset)
    if isinstance(error, MultipleSpansParseError):
        for span, msg in error.refs:
            ref = _span_diagnostic(span, msg or error.ref_text or "see here", line_offset)
            ref.severity = Severity.NOTE
            diag.notes.append(ref)
    return diag


class _LinearTimeLexer(MLIRLexer):
    """xDSL's lexer with a string-literal pattern that cannot backtrack exponentially.

    Upstream's `"(?:[^"...]+|...)*"` nests two quantifiers, so an unclosed string
    takes time exponential in the rest of its line: a one-character typo hangs the
    parser. Matching one character per repetition accepts the same strings in linear
    time.
    """

    _unescaped_characters_regex = re.compile(r'"(?:[^"\\\n\v\f]|\\(?:["nt\\]|[0-9A-Fa-f]{2}))*"')


class LocParser(Parser):
    """An xDSL parser that records where each operation starts.

    Every parsed op without an explicit `loc(...)` gets `loc("file":line:col)` of its
    first token (the result list or the op name). `line_offset` is the number of lines
    that precede the parsed text in its file, so chunks of a `--split-input-file` run
    report lines of the original file.

    Errors also improve on plain xDSL: a value used but never defined is reported at its
    first use instead of at the end of the input, an unknown op at its name, input
    nested too deeply for Python's stack becomes a parse error instead of a
    `RecursionError`, and an unclosed string no longer hangs the lexer.
    """

    def __init__(
        self, ctx: Context, text: str, name: str = "<unknown>", line_offset: int = 0
    ) -> None:
        super().__init__(ctx, "", name)
        self._parser_state = ParserState(_LinearTimeLexer(Input(text, name)))
        self.line_offset = line_offset
        self._first_forward_use: dict[str, Span] = {}
        # Stamping every op must stay cheap: xDSL's Span.get_location counts newlines
        # from the start of the file (quadratic over a file), so line starts are
        # indexed once, and the attributes that repeat are built once.
        self._line_starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self._file_attr = StringAttr(name)
        self._ints: dict[int, IntAttr] = {}

    def _int(self, value: int) -> IntAttr:
        if (attr := self._ints.get(value)) is None:
            attr = self._ints[value] = IntAttr(value)
        return attr

    def _loc(self, span: Span) -> FileLineColLoc:
        line = bisect.bisect_right(self._line_starts, span.start)
        column = span.start - self._line_starts[line - 1] + 1
        return FileLineColLoc(
            self._file_attr, self._int(line + self.line_offset), self._int(column)
        )

    def parse_operation(self) -> Operation:
        start = self._current_token.span
        try:
            op = super().parse_operation()
        except VerifyException as e:
            # Attribute and type constructors check their parameters while parsing;
            # blame the op being parsed rather than the token after it.
            raise ParseError(start, str(e)) from None
        except ValueError as e:
            # xDSL rejects some malformed names (block labels like `^1`) with a plain
            # ValueError while parsing; it is still an error in the input.
            message = e.args[0] if e.args and isinstance(e.args[0], str) else str(e)
            raise ParseError(self._current_token.span, message) from None
        if isinstance(op.location, UnknownLoc):
            op.location = self._loc(start)
        return op

    def resolve_operand(self, operand: UnresolvedOperand, type: Attribute) -> SSAValue:
        name = operand.operand_name
        if name not in self.ssa_values:
            self._first_forward_use.setdefault(name, operand.span)
        return super().resolve_operand(operand, type)

    def parse_module(self, allow_implicit_module: bool = True) -> ModuleOp:
        """Parse the whole input; raises `ParseError` (never `RecursionError`)."""
        start = self._current_token.span
        try:
            module = super().parse_module(allow_implicit_module)
        except RecursionError:
            raise ParseError(
                self._current_token.span,
                "operations are nested too deeply to parse",
            ) from None
        except ParseError as e:
            raise self._better_error(e) from None
        if isinstance(module.location, UnknownLoc):  # the implicit module around loose ops
            module.location = self._loc(start)
        return module

    def _get_op_by_name(self, name: str) -> type[Operation]:
        # xDSL reports an unknown op at the token after its name; point at the name.
        try:
            return super()._get_op_by_name(name)
        except ParseError:
            text = self.lexer.input.content
            at = text.rfind(name, 0, self._current_token.span.start)
            span = (
                Span(at, at + len(name), self.lexer.input) if at >= 0 else self._current_token.span
            )
            raise ParseError(span, f"unknown operation '{name}'") from None

    def _better_error(self, error: ParseError) -> ParseError:
        if error.msg == "Could not parse entire input!":
            token = self._current_token
            if token.kind is MLIRTokenKind.EOF:
                return ParseError(token.span, "expected an operation, found end of input")
            return ParseError(token.span, f"expected an operation, found '{token.text}'")
        undefined = [n for n in self.forward_ssa_references if n in self._first_forward_use]
        if not undefined or not error.msg.startswith("values used but not defined"):
            return error
        undefined.sort(key=lambda n: self._first_forward_use[n].start)
        first, rest = undefined[0], undefined[1:]
        msg = f"use of undefined value '%{first}'"
        if rest:
            msg += " (also undefined: " + ", ".join(f"'%{n}'" for n in rest) + ")"
        return ParseError(self._first_forward_use[first], msg)


# ---------------------------------------------------------------------------
# Verification with locations
# ---------------------------------------------------------------------------

# xDSL reports broken structural invariants (erased operands, stale parent pointers)
# as ValueError; a pass that leaves IR like that has produced invalid IR.
_VERIFY_ERRORS = (VerifyException, ValueError)


def _mlir_style(op: Operation, message: str) -> str:
    """`'op.name' op <message>`, with xDSL's phrasing made to read like MLIR's."""
    message = message.removeprefix(f"Operation {op.name} ")
    message = message.removeprefix("Operation does not verify: ")
    return f"'{op.name}' op {_lowercase_first(message)}"


def _find_failure(op: Operation, error: Exception) -> tuple[Operation, Exception]:
    """The deepest op whose own checks fail, given that `op.verify()` raised `error`.

    xDSL verifies children before an op's custom verifier, so when every child of `op`
    verifies, the failure is `op`'s own (its structure, its blocks, or its verifier).
    """
    for region in op.regions:
        for block in region.blocks:
            for child in block.ops:
                try:
                    child.verify()
                except _VERIFY_ERRORS as e:
                    return _find_failure(child, e)
    return op, error


def _defined_in(block: Block) -> Iterator[SSAValue]:
    """The values `block` defines: its arguments, then the results of its ops."""
    yield from block.args
    for op in block.ops:
        yield from op.results


def _check_dominance(op: Operation, visible: set[SSAValue]) -> None:
    """Raise `CompileError` at the first use, inside `op`'s regions, of a value whose
    definition does not dominate it (MLIR's "operand #N does not dominate this use").

    `visible` holds the values that dominate `op`: those of enclosing blocks defined
    before it. A value is visible in a block after its definition there, in the
    blocks its block dominates, and in the regions nested below both. xDSL's verifier
    checks none of this, and a use before its definition reaches passes and the
    interpreter as an internal KeyError.
    """
    # builtin.module's body is a graph region (MLIR's RegionKind::Graph): its ops may
    # refer to each other in any order.
    ordered = not isinstance(op, ModuleOp)
    for region in op.regions:
        if len(region.blocks) == 1:  # the common case: no control flow to analyse
            _check_block(region.block, visible, (), ordered)
            continue
        info = DominanceInfo(region)
        entry = region.blocks.first
        for block in region.blocks:
            if entry is not None and not info.dominates(entry, block):
                # Unreachable: MLIR does not check dominance there. xDSL's DominanceInfo
                # also lets unreachable predecessors count, so a block reached from both
                # is skipped too: a missed error at worst, never a false one.
                continue
            dominating = [
                value
                for other in region.blocks
                if other is not block and info.dominates(other, block)
                for value in _defined_in(other)
            ]
            _check_block(block, visible, dominating, ordered)


def _check_block(
    block: Block, visible: set[SSAValue], inherited: Iterable[SSAValue], ordered: bool
) -> None:
    """`_check_dominance` for one block; `visible` is left as it was found."""
    added = [*inherited, *(block.args if ordered else _defined_in(block))]
    visible.update(added)
    for op in block.ops:
        for index, operand in enumerate(op.operands):
            if operand not in visible:
                owner = operand.owner
                where = owner if isinstance(owner, Operation) else owner.parent_op()
                diag = Diagnostic.at(
                    Severity.ERROR,
                    op,
                    f"'{op.name}' op operand #{index} does not dominate this use",
                )
                raise CompileError(_with_notes(diag, [note("operand defined here", where)]))
        _check_dominance(op, visible)
        if ordered:
            visible.update(op.results)
            added.extend(op.results)
    visible.difference_update(added)


AttributeVerifier = Callable[[Operation], Iterable[Diagnostic]]
"""Checks the op that carries an attribute; returns errors (or raises CompileError)."""

_attribute_verifiers: dict[str, AttributeVerifier] = {}
_attribute_providers: dict[str, str] = {}


def register_attribute_verifier(name: str, verifier: AttributeVerifier) -> None:
    """Make `verify_with_locations` call `verifier(op)` for every op that carries the
    discardable attribute `name` (MLIR's `verifyOperationAttribute`): an attribute
    that ties ops together, like a memory plan, is checked wherever IR is verified."""
    _attribute_verifiers[name] = verifier


def provide_attribute_verifier(name: str, module: str) -> None:
    """Name the module that registers the verifier of attribute `name`; it is imported
    the first time an op carrying `name` is verified, so that a program that never
    imported it still gets the check, and one without the attribute never pays for it."""
    _attribute_providers[name] = module


def _attribute_verifier(name: str) -> AttributeVerifier | None:
    if name not in _attribute_verifiers and name in _attribute_providers:
        importlib.import_module(_attribute_providers[name])
    return _attribute_verifiers.get(name)


def _verify_attributes(module: Operation) -> None:
    """CompileError with the errors of the registered attribute verifiers."""
    names = _attribute_verifiers.keys() | _attribute_providers.keys()
    errors: list[Diagnostic] = []
    for op in module.walk():
        for name in [n for n in op.attributes if n in names]:
            verifier = _attribute_verifier(name)
            if verifier is not None:
                errors.extend(verifier(op))
    if errors:
        raise CompileError(errors)


def verify_with_locations(module: Operation) -> None:
    """Verify `module`; on failure raise `CompileError` at the op that is wrong.

    The whole module is verified in one call first (the common, fast case); only when
    that fails does the search descend to the failing op. Then every use must be
    dominated by its definition (see `_check_dominance`), and the verifier of every
    registered attribute an op carries must report no error.
    """
    try:
        module.verify()
        _check_dominance(module, set())
    except _VERIFY_ERRORS as e:
        op, error = _find_failure(module, e)
        raise CompileError.at(op, _mlir_style(op, str(error) or type(error).__name__)) from None
    except RecursionError:
        raise CompileError.at(module, "IR is nested too deeply to verify") from None
    _verify_attributes(module)


# ---------------------------------------------------------------------------
# Checking expected diagnostics (`--verify-diagnostics`)
# ---------------------------------------------------------------------------

_EXPECTED = re.compile(
    r"expected-(?P<severity>error|warning|remark|note)(?P<regex>-re)?"
    r" *(?:@(?P<where>[+-]\d+|above|below|unknown))? *\{\{(?P<message>.*)\}\}\s*$"
)


@dataclass(eq=False)
class ExpectedDiagnostic:
    """One `// expected-<severity>[@where] {{message}}` annotation in a test file.

    `line` is the line the diagnostic must be at (None for `@unknown`), `location`
    where the annotation itself is written (to report it when nothing matched).
    """

    severity: Severity
    message: str
    is_regex: bool
    line: int | None
    location: Location

    def matches(self, diag: Diagnostic) -> bool:
        """True if `diag` has this severity and line and contains the message."""
        if diag.severity is not self.severity:
            return False
        if (diag.location.line if diag.location else None) != self.line:
            return False
        if not self.is_regex:
            return self.message in diag.message
        # `-re`: `{{...}}` parts are regular expressions, the rest is literal text.
        parts = re.split(r"\{\{(.*?)\}\}", self.message)
        pattern = "".join(p if i % 2 else re.escape(p) for i, p in enumerate(parts))
        return re.search(pattern, diag.message) is not None


def parse_expected_diagnostics(
    text: str, filename: str, line_offset: int = 0
) -> list[ExpectedDiagnostic]:
    """The expected-* annotations in `text`, with MLIR's line designators resolved.

    No designator means the annotation's own line; `@+N`/`@-N` are relative to it;
    `@above` is the nearest line above that holds no annotation, `@below` the nearest
    such line below; `@unknown` matches a diagnostic without a location.
    """
    expected: list[ExpectedDiagnostic] = []
    pending_below: list[ExpectedDiagnostic] = []
    last_plain_line: int | None = None
    for index, line_text in enumerate(text.splitlines()):
        line = index + 1 + line_offset
        match = _EXPECTED.search(line_text)
        if match is None:
            last_plain_line = line
            for e in pending_below:
                e.line = line
            pending_below.clear()
            continue
        where = match["where"]
        target: int | None
        if where is None:
            target = line
        elif where == "unknown":
            target = None
        elif where == "above":
            target = last_plain_line
        elif where == "below":
            target = -1  # resolved when the next plain line is reached
        else:
            target = line + int(where)
        e = ExpectedDiagnostic(
            Severity(match["severity"]),
            match["message"],
            match["regex"] is not None,
            target,
            Location(filename, line, match.start() + 1),
        )
        if where == "below":
            pending_below.append(e)
        expected.append(e)
    return expected


def check_expected_diagnostics(
    expected: Iterable[ExpectedDiagnostic], diagnostics: Iterable[Diagnostic], filename: str
) -> list[Diagnostic]:
    """Match emitted diagnostics (notes included) against the expected ones.

    Returns the problems as errors, MLIR's wording: `unexpected <severity>: <msg>` at
    each diagnostic nothing expected, and `expected <severity> "<msg>" was not
    produced` at each annotation nothing matched. Diagnostics about other files are
    not checked. An empty list means the file's expectations hold.
    """
    unmatched = list(expected)
    problems = []
    for diag in (d for top in diagnostics for d in top.walk()):
        if diag.location is not None and diag.location.file != filename:
            continue
        found = next((e for e in unmatched if e.matches(diag)), None)
        if found is not None:
            unmatched.remove(found)
            continue
        message = f"unexpected {diag.severity}: {diag.message}"
        problems.append(
            dataclasses.replace(diag, severity=Severity.ERROR, message=message, notes=[])
        )
    problems += [
        Diagnostic(
            Severity.ERROR, f'expected {e.severity} "{e.message}" was not produced', e.location
        )
        for e in unmatched
    ]
    return problems
