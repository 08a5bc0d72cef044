"""Generates the dialect references in `docs/dialects/` from the op definitions.

    python -m mlc.tools.gen_docs            # (re)write every reference
    python -m mlc.tools.gen_docs --check    # exit 1 with a unified diff if one is stale

Everything in a reference is read from the dialect itself, so the docs cannot drift
from the code: the op list and its order (`Dialect.operations`), summaries and
semantics (class docstrings, plus the docstrings of the category base classes an op
inherits), operands and parameters (the IRDL definition), whether an op is a
primitive or a composite (the dialect's `Composite` trait), an example line built
and verified for every op, and the verifier rules, which are the messages of the
`raise VerifyException(...)` statements in the op's verifier methods and in the
helpers they call (read with `inspect` + `ast`).

The generator is generic over xDSL dialects; `documented_dialects()` is the one
place that lists which dialects get a reference and their few dialect-specific
choices (table-of-contents groups, example operand types, extra facts).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import functools
import inspect
import io
import itertools
import re
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from xdsl.dialects.builtin import (
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    FloatAttr,
    IntegerAttr,
    StringAttr,
    TensorType,
    UnitAttr,
    f16,
    f32,
    f64,
    i1,
    i64,
)
from xdsl.ir import Attribute, Block, Dialect, Operation
from xdsl.irdl import (
    AnyAttr,
    AnyOf,
    AttrSizedOperandSegments,
    AttrSizedRegionSegments,
    AttrSizedResultSegments,
    AttrSizedSuccessorSegments,
    BaseAttr,
    EqAttrConstraint,
    IRDLOperation,
    OptOperandDef,
    OptPropertyDef,
    OptResultDef,
    ParamAttrConstraint,
    RangeLengthConstraint,
    RangeOf,
    VarConstraint,
    VarOperandDef,
    VarResultDef,
    VerificationContext,
)
from xdsl.printer import Printer

REPO_ROOT = Path(__file__).resolve().parents[2]
REGENERATE = "python -m mlc.tools.gen_docs"

# Properties xDSL adds for variadic segments: an implementation detail, not a parameter.
_SEGMENT_PROPERTIES = {
    c.attribute_name
    for c in (
        AttrSizedOperandSegments,
        AttrSizedResultSegments,
        AttrSizedRegionSegments,
        AttrSizedSuccessorSegments,
    )
}

OpClass = type[IRDLOperation]


# ---------------------------------------------------------------------------
# What to document


@dataclass(frozen=True, eq=False)  # hashed by identity: `render` caches per dialect
class DialectDoc:
    """How to document one dialect."""

    dialect: Dialect
    # Output path, relative to the repository root.
    output: str
    # Table-of-contents groups, in order: (title, predicate). An op goes into the
    # first group whose predicate holds; the others go into a final "Other ops".
    groups: tuple[tuple[str, Callable[[OpClass], bool]], ...] = ()
    # Whether an op is a composite (rewritten into primitives by a pass); None when
    # the dialect has no such distinction.
    is_composite: Callable[[OpClass], bool] | None = None
    # The pass that removes the composites, named in the primitive-set section.
    decompose_pass: str = "decompose"
    # Methods whose `raise VerifyException(...)` messages are the verifier rules.
    rule_methods: tuple[str, ...] = ("verify_",)
    # Candidate operand / result types for the generated examples, simplest first.
    example_types: tuple[Attribute, ...] = ()
    # Parameter values to try first, by parameter name (then defaults per kind).
    example_params: Mapping[str, Sequence[Attribute]] = field(default_factory=dict)
    # Result type an op infers from its operands and properties, or None; speeds up
    # the example search (tried before every candidate result type).
    infer_result: Callable[[OpClass, list[Attribute], dict[str, Attribute]], Attribute | None] = (
        lambda cls, types, props: None
    )
    # Syntax template of an op (one line), or None to show only the example.
    syntax: Callable[[OpClass], str | None] = lambda cls: None
    # Extra dialect-specific (label, markdown) rows for an op.
    facts: Callable[[OpClass], list[tuple[str, str]]] = lambda cls: []

    @property
    def ops(self) -> list[OpClass]:
        """The dialect's ops, in the order the dialect lists them."""
        return list(self.dialect.operations)

    @property
    def module(self) -> ModuleType:
        """The module that defines the dialect's ops."""
        return sys.modules[self.ops[0].__module__]


@functools.cache
def documented_dialects() -> tuple[DialectDoc, ...]:
    """Every dialect that has a generated reference, in the order they are written."""
    return (_nn_doc(), _loop_doc())


def _loop_doc() -> DialectDoc:
    from mlc.dialects import loop

    return DialectDoc(
        dialect=loop.LOOP,
        output="docs/dialects/loop.md",
        rule_methods=("verify_", "_verify_body_op", "_verify_store_map"),
    )


def _nn_doc() -> DialectDoc:
    from mlc.dialects import nn

    def members(*classes: type) -> Callable[[OpClass], bool]:
        return lambda cls: issubclass(cls, classes)

    kinds = {
        "float": "floating-point (f16, bf16, f32, f64)",
        "numeric": "numeric: f16, bf16, f32, f64, i32 or i64 (not i1)",
        "integer": "integer (i1, i32, i64)",
        None: "any supported element type (f16, bf16, f32, f64, i1, i32, i64)",
    }

    def facts(cls: OpClass) -> list[tuple[str, str]]:
        # PROMOTED_KIND only counts where the op's type inference checks it.
        infer = _implementation(cls, "infer_result_type")
        promoted = getattr(cls, "PROMOTED_KIND", None)
        if infer is None or "PROMOTED_KIND" not in inspect.getsource(infer[1]):
            promoted = None
        if promoted is not None and cls.ELEMENT_KIND is None:
            text = f"operands: any; their promoted type must be {kinds[promoted]}"
        elif not cls.get_irdl_definition().operands:
            text = f"result: {kinds[cls.ELEMENT_KIND]}"
        else:
            text = f"every operand: {kinds[cls.ELEMENT_KIND]}"
        return [("Element types", text)]

    def infer_result(cls, types, props):
        try:
            return cls.infer_result_type(types, props, None)
        except Exception:
            return None

    def syntax(cls: OpClass) -> str | None:
        if cls.print is not nn.NNOp.print:
            return None  # the op has its own syntax: its example shows it
        op_def = cls.get_irdl_definition()
        text, closing = "", ""
        for index, (name, d) in enumerate(op_def.operands):
            sep = ", " if index else " "
            arity = _arity(d)
            if arity == "optional":
                text += f"[{sep}%{name}"
                closing += "]"
            else:
                text += f"{sep}%{name}" + ("..." if arity == "variadic" else "")
        text += closing
        for name, kind, optional in _properties(cls):
            part = name if kind == "flag" else f"{name} = <{kind}>"
            text += f" [{part}]" if optional else f" {part}"
        return f"%{_result_name(cls)} = {cls.name}{text} : <types>"

    shapes = ([8], [8, 16], [16, 8], [16], [1, 8], [2, 4, 8], [8, 4], [32])
    example_types = (
        *(TensorType(element, [4, 8]) for element in (f32, f16, i1, i64)),
        *(TensorType(f32, s) for s in shapes),
        TensorType(i64, [4]),
    )

    def ints(*values: int) -> DenseArrayBase:
        return DenseArrayBase.from_list(i64, values)

    example_params = {
        "value": [FloatAttr(0.0, f64)],
        "eps": [FloatAttr(1e-05, f64)],
        "perm": [ints(1, 0)],
        "start": [ints(0, 2)],
        "stop": [ints(4, 8)],
        "step": [ints(1, 2)],
    }
    return DialectDoc(
        dialect=nn.NN,
        output="docs/dialects/nn.md",
        groups=(
            ("Constants", members(nn.ConstantOp, nn.SplatOp, nn.IotaOp)),
            ("Element-wise unary", members(nn.UnaryOp)),
            (
                "Element-wise binary",
                lambda cls: issubclass(cls, nn.BinaryOp) and not issubclass(cls, nn.CompareOp),
            ),
            ("Comparisons & select", members(nn.CompareOp, nn.SelectOp)),
            ("Casts", members(nn.CastOp)),
            ("Reductions", members(nn.ReduceOp)),
            (
                "Contraction & data movement",
                members(
                    nn.MatmulOp,
                    nn.TransposeOp,
                    nn.ReshapeOp,
                    nn.BroadcastToOp,
                    nn.BroadcastInDimOp,
                    nn.ExpandDimsOp,
                    nn.SqueezeOp,
                    nn.ConcatOp,
                    nn.SliceOp,
                    nn.GatherOp,
                ),
            ),
            (
                "Composites",
                members(
                    nn.SoftmaxLikeOp, nn.LayerNormOp, nn.RmsNormOp, nn.LinearOp, nn.AttentionOp
                ),
            ),
        ),
        is_composite=nn.is_composite,
        rule_methods=("verify_", "infer_result_type"),
        example_types=example_types,
        example_params=example_params,
        infer_result=infer_result,
        syntax=syntax,
        facts=facts,
    )


# ---------------------------------------------------------------------------
# Reading op definitions


def _doc(obj: object) -> str:
    """The object's own docstring (not an inherited one), dedented."""
    raw = obj.__dict__.get("__doc__") if isinstance(obj, type) else obj.__doc__
    return inspect.cleandoc(raw) if raw else ""


def _split_doc(doc: str) -> tuple[str, str]:
    """(first paragraph as one line, the rest)."""
    first, _, rest = doc.partition("\n\n")
    return " ".join(first.split()), rest.strip()


def _dialect_base(ops: Sequence[OpClass]) -> type:
    """The most derived class every op of the dialect inherits (IRDLOperation at worst)."""
    common = [c for c in ops[0].__mro__ if all(issubclass(op, c) for op in ops)]
    return common[0] if common[0] not in ops else IRDLOperation


def _categories(cls: OpClass, stop: type) -> list[type]:
    """The op's base classes below `stop` that carry a docstring: its categories."""
    found = []
    for base in cls.__mro__[1:]:
        if base is stop or not issubclass(base, stop):
            break
        if _doc(base):
            found.append(base)
    return found


def _constraint_name(constr: object) -> str:
    """A short readable form of an IRDL constraint (`tensor`, `float | integer`)."""
    if isinstance(constr, RangeLengthConstraint):
        return _constraint_name(constr.constraint)
    if isinstance(constr, RangeOf):
        return _constraint_name(constr.constr)
    if isinstance(constr, BaseAttr | ParamAttrConstraint):
        attr = constr.attr if isinstance(constr, BaseAttr) else constr.base_attr
        return attr.name.removeprefix("builtin.")
    if isinstance(constr, AnyOf):
        return " | ".join(_constraint_name(c) for c in constr.attr_constrs)
    if isinstance(constr, VarConstraint):  # one type shared by several operands / results
        return f"{_constraint_name(constr.constraint)} `{constr.name}`"
    if isinstance(constr, EqAttrConstraint):
        return str(constr.attr)
    if isinstance(constr, AnyAttr):
        return "any"
    return str(constr)


_PROPERTY_KINDS: tuple[tuple[type[Attribute], str], ...] = (
    (DenseArrayBase, "integer list"),
    (IntegerAttr, "integer"),
    (FloatAttr, "float"),
    (StringAttr, "keyword"),
    (UnitAttr, "flag"),
    (DenseIntOrFPElementsAttr, "dense elements"),
)


def _property_kind(constr: object) -> str:
    if isinstance(constr, AnyOf):
        return " or ".join(_property_kind(c) for c in constr.attr_constrs)
    if isinstance(constr, BaseAttr):
        for attr_type, kind in _PROPERTY_KINDS:
            if issubclass(constr.attr, attr_type):
                return kind
    return _constraint_name(constr)


def _properties(cls: OpClass) -> list[tuple[str, str, bool]]:
    """(name, kind, optional) of every parameter, in definition order."""
    return [
        (name, _property_kind(p.constr), isinstance(p, OptPropertyDef))
        for name, p in cls.get_irdl_definition().properties.items()
        if name not in _SEGMENT_PROPERTIES
    ]


def _result_name(cls: OpClass) -> str:
    results = cls.get_irdl_definition().results
    return results[0][0] if results else "result"


# ---------------------------------------------------------------------------
# Verifier rules: the messages of `raise VerifyException(...)`


@dataclass(frozen=True)
class Rule:
    message: str
    # The helper function that raises it, or None when the method itself does.
    helper: str | None = None


def _message(node: ast.expr, env: dict[str, object]) -> str:
    """An f-string as its template: `axis {a} is out of range for rank {rank}`.

    Placeholders whose value is known where the message is raised are filled in:
    module constants (`{', '.join(GELU_FORMS)}` reads `none, tanh`), constant
    arguments and defaults of helpers, and the op's class attributes (`cls.name`).
    """
    values = node.values if isinstance(node, ast.JoinedStr) else [node]
    parts = []
    for value in values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
            continue
        expr = value.value if isinstance(value, ast.FormattedValue) else value
        known, constant = _evaluate(expr, env)
        parts.append(str(constant) if known else "{" + ast.unparse(expr) + "}")
    return "".join(parts)


_SAFE_BUILTINS: dict[str, object] = {"len": len, "list": list, "sorted": sorted, "str": str}


def _is_constant(value: object) -> bool:
    if isinstance(value, str | int | float | bool | None):
        return True
    if isinstance(value, tuple | list | frozenset):
        return all(_is_constant(v) for v in value)
    if isinstance(value, dict):
        return all(_is_constant(k) and _is_constant(v) for k, v in value.items())
    return False


def _evaluate(expr: ast.expr, env: dict[str, object], constant: bool = True) -> tuple[bool, object]:
    """(True, value) when `expr` reads only names of `env`, literals and a few builtins.

    Calls other than to those builtins and to methods of literals are refused. With
    `constant`, so is a value that is not plain data (`_is_constant`).
    """
    for node in ast.walk(expr):
        if isinstance(node, ast.Name) and node.id not in env and node.id not in _SAFE_BUILTINS:
            return False, None
        if isinstance(node, ast.Call):
            callee = node.func
            if not (
                (isinstance(callee, ast.Name) and callee.id in _SAFE_BUILTINS)
                or (isinstance(callee, ast.Attribute) and isinstance(callee.value, ast.Constant))
            ):
                return False, None
        if isinstance(node, ast.Lambda | ast.NamedExpr):
            return False, None
    try:
        code = compile(ast.Expression(expr), "<message>", "eval")
        value = eval(code, {"__builtins__": _SAFE_BUILTINS}, dict(env))
    except Exception:
        return False, None
    return (True, value) if not constant or _is_constant(value) else (False, None)


def _environment(
    func: Callable, source: _Source, bindings: dict[str, object], cls: OpClass | None
) -> dict[str, object]:
    """Names whose value is known throughout `func`.

    Module constants it does not shadow, the caller's constant arguments, `cls` /
    `self` (the op class, when rules are read for one op), and locals assigned
    once from a constant expression.
    """
    local_names = set(func.__code__.co_varnames) | source.stored
    env = {k: v for k, v in vars(sys.modules[func.__module__]).items() if k not in local_names}
    env.update(bindings)
    if cls is not None:
        env["cls"] = env["self"] = cls
    for names, unpack, expr in source.assignments:
        known, value = _evaluate(expr, env, constant=False)
        values = value if unpack else (value,)
        if not known or not isinstance(values, tuple | list) or len(values) != len(names):
            continue
        for name, item in zip(names, values, strict=True):
            if name not in bindings and _is_constant(item):
                env[name] = item
    return env


@dataclass(frozen=True)
class _Source:
    """What rule extraction needs from one function's syntax tree."""

    # `raise VerifyException(...)` message expressions and calls, in source order.
    events: tuple[ast.expr, ...]
    # (names, unpack, value) of the assignments `a = ...` (unpack False) and
    # `a, b = ...` (unpack True) to locals assigned once.
    assignments: tuple[tuple[tuple[str, ...], bool, ast.expr], ...]
    # Every name the function binds, comprehension variables included.
    stored: frozenset[str]


@functools.cache
def _source(func: Callable) -> _Source | None:
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError):
        return None
    events: list[ast.expr] = []
    for node in _in_source_order(tree):
        if isinstance(node, ast.Raise) and _is_verify_exception(node.exc):
            events += node.exc.args[:1]  # type: ignore[union-attr]
        elif isinstance(node, ast.Call) and not _is_verify_exception(node):
            events.append(node)
    stores = [
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    ]
    assignments = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target = node.targets[0]
        unpack = isinstance(target, ast.Tuple | ast.List)
        targets = target.elts if unpack else [target]  # type: ignore[union-attr]
        names = tuple(t.id for t in targets if isinstance(t, ast.Name))
        if len(names) == len(targets) and all(stores.count(n) == 1 for n in names):
            assignments.append((names, unpack, node.value))
    return _Source(tuple(events), tuple(assignments), frozenset(stores))


def _bindings(call: ast.Call, target: Callable, env: dict[str, object]) -> dict[str, object]:
    """The parameters of `target` whose values are known at `call`."""
    params = list(inspect.signature(target).parameters.values())
    if isinstance(call.func, ast.Attribute):
        params = params[1:]  # `self.m(...)` / `cls.m(...)` pass the first one implicitly
    given: dict[str, ast.expr] = dict(zip((p.name for p in params), call.args, strict=False))
    given.update({k.arg: k.value for k in call.keywords if k.arg is not None})
    bound: dict[str, object] = {}
    for p in params:
        if p.name in given:
            known, value = _evaluate(given[p.name], env)
            if known:
                bound[p.name] = value
            elif isinstance(given[p.name], ast.JoinedStr):
                # A partly known f-string: pass on its template (`operand #{index}`).
                bound[p.name] = _message(given[p.name], env)
        elif p.default is not inspect.Parameter.empty and _is_constant(p.default):
            bound[p.name] = p.default
    return bound


def _is_verify_exception(call: ast.expr | None) -> bool:
    if not isinstance(call, ast.Call):
        return False
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name == "VerifyException"


def _function(obj: object) -> Callable | None:
    obj = getattr(obj, "__func__", obj)  # classmethod / bound method
    return obj if inspect.isfunction(obj) else None


def _rules_of(
    func: Callable,
    cls: OpClass,
    for_op: bool,
    skip: Sequence[str],
    helper: str | None = None,
    bindings: dict[str, object] | None = None,
    seen: set[tuple[Callable, str]] | None = None,
) -> Iterator[Rule]:
    """The rules `func` raises, in source order, then those of the helpers it calls.

    Helpers are functions of the same module called by name, and methods of the
    op called as `self.m(...)` / `cls.m(...)` other than those named in `skip`.
    With `for_op`, the op's class attributes fill in the messages.
    """
    bindings = bindings or {}
    seen = set() if seen is None else seen
    key = (func, repr(sorted(bindings.items())))
    if key in seen:
        return
    seen.add(key)
    source = _source(func)
    if source is None:
        return
    env = _environment(func, source, bindings, cls if for_op else None)
    helpers: list[tuple[str, Callable, dict[str, object]]] = []
    for node in source.events:
        if not isinstance(node, ast.Call):
            yield Rule(_message(node, env), helper)
        else:
            target = _callee(node.func, func, cls)
            if target is not None and target[0] not in skip:
                helpers.append((*target, _bindings(node, target[1], env)))
    for name, target, bound in helpers:
        yield from _rules_of(target, cls, for_op, skip, name, bound, seen)


def _in_source_order(node: ast.AST) -> Iterator[ast.AST]:
    yield node
    for child in ast.iter_child_nodes(node):
        yield from _in_source_order(child)


def _callee(expr: ast.expr, caller: Callable, cls: OpClass) -> tuple[str, Callable] | None:
    if isinstance(expr, ast.Name):
        target = _function(caller.__globals__.get(expr.id))
        if target is not None and target.__module__ == caller.__module__:
            return expr.id, target
    elif (
        isinstance(expr, ast.Attribute)
        and isinstance(expr.value, ast.Name)
        and expr.value.id in ("self", "cls")
    ):
        target = _function(getattr(cls, expr.attr, None))
        if target is not None and target.__module__ == cls.__module__:
            return expr.attr, target
    return None


def _implementation(cls: OpClass, method: str) -> tuple[type, Callable] | None:
    """(defining class, function) of the dialect's own `method` of `cls`.

    Framework code is passed over: `irdl_op_definition` wraps every op's `verify_`
    in a generated one that calls the dialect's.
    """
    for c in cls.__mro__:
        func = _function(c.__dict__.get(method))
        if func is not None and not func.__module__.startswith("xdsl."):
            return c, func
    return None


def verifier_rules(doc: DialectDoc, cls: OpClass) -> tuple[list[Rule], list[Rule]]:
    """(rules shared by every op of the dialect, the op's own rules)."""
    base = _dialect_base(doc.ops)
    shared: list[Rule] = []
    own: list[Rule] = []
    for method in doc.rule_methods:
        found = _implementation(cls, method)
        if found is None:
            continue
        owner, func = found
        target = shared if owner is base else own
        for rule in _rules_of(func, cls, owner is not base, doc.rule_methods):
            if rule not in target:
                target.append(rule)
    return shared, own


# ---------------------------------------------------------------------------
# Examples: one op per class, built from candidate types and verified


@dataclass(frozen=True)
class Example:
    text: str
    operand_types: tuple[Attribute, ...]
    # Whether the op infers its result type (no other result type verifies).
    result_inferred: bool
    # Whether the result type differs from the operand types and is not empty.
    telling: bool = True


def _property_candidates(constr: object, hints: Sequence[Attribute]) -> list[Attribute]:
    """Values to try for a parameter: the dialect's hints, then defaults per kind."""
    defaults: list[Attribute] = []
    for c in constr.attr_constrs if isinstance(constr, AnyOf) else (constr,):
        attr = c.attr if isinstance(c, BaseAttr) else None
        if attr is None:
            continue
        if issubclass(attr, UnitAttr):
            defaults.append(UnitAttr())
        elif issubclass(attr, DenseArrayBase):
            lists = ([1], [0], [0, 1], [1, 0], [1, 2], [1, 1], [0, 0])
            defaults += [DenseArrayBase.from_list(i64, v) for v in lists]
        elif issubclass(attr, IntegerAttr):
            defaults += [IntegerAttr(v, i64) for v in (1, 0, 2)]
        elif issubclass(attr, FloatAttr):
            defaults += [FloatAttr(v, f64) for v in (0.5, 1.0)]
        elif issubclass(attr, DenseIntOrFPElementsAttr):
            defaults.append(DenseIntOrFPElementsAttr.from_list(TensorType(f32, [2]), [1.0, 2.0]))
    return [a for a in (*hints, *defaults) if _valid(constr, a)]


def _valid(constr: object, attr: Attribute) -> bool:
    try:
        constr.verify(attr, VerificationContext())  # type: ignore[attr-defined]
    except Exception:
        return False
    return True


def _property_assignments(
    doc: DialectDoc, cls: OpClass, with_flags: bool
) -> Iterator[dict[str, Attribute]]:
    """Required parameters always; optional flags too when `with_flags`."""
    names, choices = [], []
    for name, p in cls.get_irdl_definition().properties.items():
        if name in _SEGMENT_PROPERTIES:
            continue
        is_flag = isinstance(p.constr, BaseAttr) and p.constr.attr is UnitAttr
        if isinstance(p, OptPropertyDef) and not (with_flags and is_flag):
            continue
        names.append(name)
        choices.append(_property_candidates(p.constr, doc.example_params.get(name, ())))
    for values in itertools.product(*choices):
        yield dict(zip(names, values, strict=True))


def _arity(d: object) -> str:
    """ "required", "optional" or "variadic", for an operand or result definition."""
    if isinstance(d, OptOperandDef | OptResultDef):  # (subclasses of the Var ones)
        return "optional"
    return "variadic" if isinstance(d, VarOperandDef | VarResultDef) else "required"


def _operand_counts(cls: OpClass) -> list[list[int]]:
    """Values per operand definition to try: optional operands present first, variadic 2, 1, 3."""
    arities = [_arity(d) for _, d in cls.get_irdl_definition().operands]
    optional = [i for i, a in enumerate(arities) if a == "optional"]
    variadic = (2, 1, 3) if "variadic" in arities else (0,)
    counts = []
    for dropped in range(len(optional) + 1):
        absent = set(optional[len(optional) - dropped :])
        for n in variadic:
            counts.append(
                [0 if i in absent else n if a == "variadic" else 1 for i, a in enumerate(arities)]
            )
    return counts


def _build(
    cls: OpClass,
    counts: Sequence[int],
    types: Sequence[Attribute],
    props: dict[str, Attribute],
    result: Attribute,
) -> Operation | None:
    """The op on fresh values of `types` (named after their operands), if it verifies."""
    op_def = cls.get_irdl_definition()
    args = iter(Block(arg_types=types).args)
    segments: list = []
    for (name, d), n in zip(op_def.operands, counts, strict=True):
        values = [next(args) for _ in range(n)]
        arity = _arity(d)
        for index, value in enumerate(values):
            value.name_hint = f"{name}{index}" if arity == "variadic" else name
        segments.append(values[0] if arity == "required" else values)
    op = cls.__new__(cls)
    try:
        IRDLOperation.__init__(op, operands=segments, result_types=[result], properties=dict(props))
        op.verify_()  # (`verify()` would also render the op into every failure's message)
    except Exception:
        return None
    op.results[0].name_hint = _result_name(cls)
    return op


_MAX_ATTEMPTS = 20_000


@functools.cache
def find_example(doc: DialectDoc, cls: OpClass) -> Example | None:
    """The first op of `cls`, over the candidate types and parameter values, that verifies.

    The first pass takes result types from `doc.infer_result`; a second pass, for
    ops that infer nothing, tries every candidate result type. An example whose
    result repeats an operand's type (or has a zero-size dim) says little about
    the op: while other parameter values for the same operands give a better one,
    it is passed over, and where another result type verifies (`nn.cast`,
    `nn.reshape`) that one is shown instead.
    """
    candidates = doc.example_types
    if not candidates or len(cls.get_irdl_definition().results) != 1:
        return None
    attempts = itertools.count()
    for infer in (True, False):
        for with_flags, counts in itertools.product((True, False), _operand_counts(cls)):
            for types in itertools.product(candidates, repeat=sum(counts)):
                weak: Example | None = None
                for props in _property_assignments(doc, cls, with_flags):
                    results = candidates
                    if infer:
                        inferred = doc.infer_result(cls, list(types), props)
                        results = () if inferred is None else (inferred,)
                    for result in results:
                        if next(attempts) > _MAX_ATTEMPTS:
                            return weak
                        example = _example(doc, cls, counts, types, props, result, infer)
                        if example is not None and example.telling:
                            return example
                        weak = weak or example
                if weak is not None:
                    return weak
    return None


def _example(
    doc: DialectDoc,
    cls: OpClass,
    counts: Sequence[int],
    types: tuple[Attribute, ...],
    props: dict[str, Attribute],
    result: Attribute,
    inferred: bool,
) -> Example | None:
    """The example with these operands, parameters and result type, if it verifies."""
    op = _build(cls, counts, types, props, result)
    if op is None:
        return None
    # Does another result type verify too? Then the op does not infer it.
    free = [r for r in doc.example_types if r != result and _build(cls, counts, types, props, r)]
    if inferred and free and result in types:
        result = free[0]
        op = _build(cls, counts, types, props, result)
        assert op is not None
    telling = result not in types and 0 not in getattr(result, "get_shape", tuple)()
    return Example(_print(op), types, inferred and not free, telling)


def _print(op: Operation) -> str:
    stream = io.StringIO()
    Printer(stream=stream).print_op(op)
    return stream.getvalue().strip()


# ---------------------------------------------------------------------------
# Rendering


def _slug(title: str) -> str:
    """GitHub's heading anchor."""
    text = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return text.replace(" ", "-")


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _link(cls: OpClass) -> str:
    return f"[`{cls.name}`](#{_slug(cls.name)})"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def group_ops(doc: DialectDoc) -> list[tuple[str, list[OpClass]]]:
    """The table-of-contents groups with their ops, in dialect order; empty groups dropped."""
    grouped: dict[str, list[OpClass]] = {title: [] for title, _ in doc.groups}
    grouped["Other ops"] = []
    for cls in doc.ops:
        title = next((t for t, pred in doc.groups if pred(cls)), "Other ops")
        grouped[title].append(cls)
    return [(title, ops) for title, ops in grouped.items() if ops]


@functools.cache
def render(doc: DialectDoc) -> str:
    """The markdown reference of one dialect."""
    groups = group_ops(doc)
    composite = doc.is_composite
    base = _dialect_base(doc.ops)
    rules = {cls: verifier_rules(doc, cls) for cls in doc.ops}
    shared = list(dict.fromkeys(rule for cls in doc.ops for rule in rules[cls][0]))
    source = doc.module.__name__.replace(".", "/") + ".py"
    title, intro = _split_doc(_doc(doc.module))

    out = [
        f"<!-- Generated by `{REGENERATE}` from {source}. Do not edit: change the",
        "     op definitions (docstrings, IRDL fields, verifiers) and regenerate. -->",
        "",
        f"# The `{doc.dialect.name}` dialect",
        "",
    ]
    out += [paragraph + "\n" for paragraph in (title, intro) if paragraph]
    out += ["## Contents", ""]
    out += _table(
        ["group", "ops"],
        [
            (
                f"[{title}](#{_slug(title)})",
                ", ".join(_link(c) + ("\\*" if composite and composite(c) else "") for c in ops),
            )
            for title, ops in groups
        ],
    )
    see_also = []
    if composite:
        out += ["", "\\* composite."]
        see_also.append("[the primitive set](#primitive-set)")
    if shared:
        see_also.append("[the verifier rules every op shares](#verifier-rules-shared-by-every-op)")
    if see_also:
        out += ["", f"See also {' and '.join(see_also)}."]
    out.append("")

    if composite:
        group_of = {cls: title for title, ops in groups for cls in ops}
        primitives = [c for c in doc.ops if not composite(c)]
        out += [
            "## Primitive set",
            "",
            f"The {len(primitives)} ops that are not composites. `{doc.decompose_pass}` rewrites "
            f"the other {len(doc.ops) - len(primitives)} into these, so they are all that later "
            "passes and backends handle.",
            "",
        ]
        out += _table(
            ["op", "group", "summary"],
            [(_link(c), group_of[c], _split_doc(_doc(c))[0]) for c in primitives],
        )
        out.append("")

    if shared:
        out += [
            "## Verifier rules shared by every op",
            "",
            f"`{base.__name__}`, the base class of every op, checks these for each op. "
            "In these messages `{…}` marks a value that depends on the op being checked.",
            "",
            *_rule_lines(shared),
            "",
        ]

    for title, ops in groups:
        out += [f"## {title}", ""]
        for cls in ops:
            out += _render_op(doc, cls, base, rules[cls][1], bool(shared))
    return "\n".join(out).rstrip() + "\n"


def _rule_lines(rules: Sequence[Rule]) -> list[str]:
    return [f"- {_code(r.message)}" + (f" (`{r.helper}`)" if r.helper else "") for r in rules]


def _render_op(
    doc: DialectDoc, cls: OpClass, base: type, own: Sequence[Rule], shared: bool
) -> list[str]:
    summary, semantics = _split_doc(_doc(cls))
    kind = ""
    if doc.is_composite:
        kind = "**composite**" if doc.is_composite(cls) else "**primitive**"
    out = [f"### {cls.name}", ""]
    out += [f"{kind} · `{cls.__name__}`" if kind else f"`{cls.__name__}`", ""]
    if summary:
        out += [summary, ""]
    if semantics:
        out += [semantics, ""]
    for category in _categories(cls, base):
        cat_summary, cat_rest = _split_doc(_doc(category))
        text = f"{cat_summary} {' '.join(cat_rest.split())}".strip()
        out += [f"*{category.__name__}:* {text}", ""]

    example = find_example(doc, cls)
    syntax = doc.syntax(cls)
    if syntax or example:
        out += ["```mlir"]
        if syntax:
            out.append(f"// syntax: {syntax}")
        if example:
            out.append(example.text)
        out += ["```", ""]

    op_def = cls.get_irdl_definition()
    rows = []
    for name, d in op_def.operands:
        rows.append((f"operand `{name}`", f"{_constraint_name(d.constr)}, {_arity(d)}"))
    for name, prop_kind, optional in _properties(cls):
        presence = "optional" if optional else "required"
        rows.append((f"parameter `{name}`", f"{prop_kind}, {presence}"))
    for name, d in op_def.results:
        how = ""
        if example is not None:
            how = (
                ", inferred from the operands and parameters"
                if example.result_inferred
                else ", as written (the verifier checks it)"
            )
        arity = "" if _arity(d) == "required" else f", {_arity(d)}"
        rows.append((f"result `{name}`", f"{_constraint_name(d.constr)}{arity}{how}"))
    rows += [(label.lower(), text) for label, text in doc.facts(cls)]
    out += [f"- **{label}**: {text}" for label, text in rows] + [""]

    if own:
        heading = "Verifier rules, besides the shared ones:" if shared else "Verifier rules:"
        out += [heading, "", *_rule_lines(own), ""]
    elif shared:
        out += ["Verifier rules: only the shared ones.", ""]
    return out


# ---------------------------------------------------------------------------
# Command line


def render_passes() -> str:
    """The pass reference: every mlc pass with its summary, description and options."""
    from mlc.passes import all_passes, pass_info

    lines = [
        f"<!-- Generated by `{REGENERATE}` from the pass registry. Do not edit: change the",
        "     pass docstrings and option help and regenerate. -->",
        "",
        "# Passes",
        "",
        "Every pass `mlc-opt --list-passes` shows, with its options (written",
        "`pass{option=value}` in a pipeline). Upstream xDSL passes are listed by name.",
        "",
    ]
    infos = [pass_info(name) for name in all_passes()]
    own = [i for i in infos if i.pass_class.__module__.startswith("mlc.")]
    upstream = [i.name for i in infos if i not in own]
    for info in own:
        lines += [f"## `{info.name}`", "", info.summary, ""]
        module_doc = inspect.getdoc(sys.modules[info.pass_class.__module__]) or ""
        if module_doc:
            lines += [module_doc, ""]
        if info.options:
            lines += ["| option | type | default | meaning |", "|---|---|---|---|"]
            for o in info.options:
                default = "(required)" if o.required else f"`{o.describe().split(' = ', 1)[-1]}`"
                lines.append(f"| `{o.name}` | `{o.type_name}` | {default} | {o.help} |")
            lines.append("")
    lines += ["## Upstream passes", "", ", ".join(f"`{n}`" for n in upstream), ""]
    return "\n".join(lines)


def generate(root: Path = REPO_ROOT) -> dict[Path, str]:
    """Output path -> fresh text, for every documented dialect and the pass reference."""
    outputs = {root / doc.output: render(doc) for doc in documented_dialects()}
    outputs[root / "docs/passes.md"] = render_passes()
    return outputs


def stale(root: Path = REPO_ROOT) -> list[str]:
    """Unified diffs of the checked-in references against fresh generation."""
    diffs = []
    for path, text in generate(root).items():
        current = path.read_text() if path.exists() else ""
        if current != text:
            name = str(path.relative_to(root))
            diffs.append(
                "".join(
                    difflib.unified_diff(
                        current.splitlines(keepends=True),
                        text.splitlines(keepends=True),
                        f"{name} (checked in)",
                        f"{name} (generated)",
                    )
                )
            )
    return diffs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gen_docs", description=__doc__.partition("\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a unified diff if a checked-in reference is stale",
    )
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.check:
        diffs = stale(args.root)
        for diff in diffs:
            sys.stdout.write(diff)
        if diffs:
            print(f"\nthe dialect reference is stale: run `{REGENERATE}`", file=sys.stderr)
            return 1
        return 0
    for path, text in generate(args.root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            print(f"wrote {path.relative_to(args.root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
