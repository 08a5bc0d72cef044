"""The pass registry shared by `mlc-opt`, the Python API and the documentation.

A pass is a `@dataclass(frozen=True)` subclass of xDSL's `ModulePass` with a `name`;
its dataclass fields are its options and the first line of its docstring is its
one-line summary. Registering it makes it usable in pipeline strings::

    from dataclasses import dataclass, field
    from mlc.passes import register_pass

    @register_pass
    @dataclass(frozen=True)
    class FuseElementwise(ModulePass):
        \"\"\"Fuse chains of elementwise ops into one kernel.\"\"\"

        name = "fuse-elementwise"
        max_ops: int = field(default=64, metadata={"help": "largest group to form"})

        def apply(self, ctx, op): ...

Pass modules live in the `mlc.transforms` and `mlc.lowering` packages; the registry
imports every module there the first time it is asked for a pass, so a new pass file
needs no list to be added to. Keep heavy imports (llvmlite, CUDA) inside `apply`.

Upstream xDSL passes join the registry by name (`canonicalize`, `cse`, `dce`); they are
imported only when used. `load_pass_plugin` adds passes from a Python file, which is how
lit tests bring their test-only passes (`mlc-opt --load-pass-plugin=...`).
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import importlib.util
import inspect
import pkgutil
import re
import sys
import types
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

from xdsl.passes import ModulePass

__all__ = [
    "PassInfo",
    "PassOption",
    "UnknownPassError",
    "all_passes",
    "format_option_value",
    "format_type",
    "get_pass",
    "load_pass_plugin",
    "pass_info",
    "register_pass",
    "scoped_registry",
]

P = TypeVar("P", bound=type[ModulePass])

PASS_PACKAGES = ("mlc.transforms", "mlc.lowering")
"""Packages whose modules are imported to register mlc's own passes."""

# Upstream passes mlc exposes, with a summary (several have no docstring upstream).
_UPSTREAM: dict[str, str] = {
    "canonicalize": "Apply canonicalization patterns and folders to a fixpoint.",
    "cse": "Eliminate common subexpressions.",
    "dce": "Erase operations whose results are unused and that have no side effects.",
}

_registry: dict[str, Callable[[], type[ModulePass]]] = {}
_summaries: dict[str, str] = {}
_discovered = False
_plugins: dict[Path, types.ModuleType] = {}


class UnknownPassError(KeyError):
    """A pass name that nothing registered; the message suggests close names."""

    def __init__(self, name: str, known: list[str]) -> None:
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        super().__init__(name)
        self.name = name
        self.message = f"unknown pass '{name}'{hint} (see mlc-opt --list-passes)"

    def __str__(self) -> str:
        return self.message


def _own_docstring(cls: type) -> str | None:
    """The class's own docstring, ignoring the signature `dataclass` makes up."""
    doc = cls.__dict__.get("__doc__")
    if not doc or doc.startswith(f"{cls.__name__}("):
        return None
    return inspect.cleandoc(doc)


def register_pass(cls: P) -> P:
    """Class decorator: make `cls` available to pipelines under `cls.name`.

    Checks what the rest of mlc relies on: a frozen-dataclass `ModulePass` with a
    `name` and a docstring (its first line is the summary `--list-passes` shows).
    Registering a second, different class under a taken name is an error.
    """
    if not (isinstance(cls, type) and issubclass(cls, ModulePass)):
        raise TypeError(f"{cls!r} is not a ModulePass subclass")
    name = cls.__dict__.get("name")
    if not isinstance(name, str) or not name:
        raise TypeError(f'pass class {cls.__name__} needs a `name = "..."` class attribute')
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__dataclass_fields__" not in cls.__dict__:
        raise TypeError(f"pass class {cls.__name__} must be decorated with @dataclass(frozen=True)")
    doc = _own_docstring(cls)
    if doc is None:
        raise TypeError(
            f"pass class {cls.__name__} needs a docstring (its first line is the summary)"
        )
    if name in _registry and _registry[name]() is not cls:
        raise ValueError(
            f"pass name '{name}' is already registered by {_registry[name]().__qualname__}"
        )
    _registry[name] = lambda: cls
    _summaries[name] = doc.splitlines()[0]
    return cls


def _register_upstream() -> None:
    from xdsl.transforms import get_all_passes

    upstream = get_all_passes()
    for name, summary in _UPSTREAM.items():
        _registry.setdefault(name, upstream[name])
        _summaries.setdefault(name, summary)


def _discover() -> None:
    """Import mlc's pass packages and the upstream passes, once per process."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    _register_upstream()
    for package_name in PASS_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            importlib.import_module(info.name)


def get_pass(name: str) -> type[ModulePass]:
    """The pass class registered as `name`; `UnknownPassError` if there is none."""
    _discover()
    factory = _registry.get(name)
    if factory is None:
        raise UnknownPassError(name, sorted(_registry))
    return factory()


def all_passes() -> list[str]:
    """The names of all registered passes, sorted."""
    _discover()
    return sorted(_registry)


def load_pass_plugin(path: str | Path) -> types.ModuleType:
    """Import the Python file at `path`, whose `@register_pass` classes join the registry.

    Loading the same file twice is a no-op, so tests and tools may both ask for it.
    """
    resolved = Path(path).resolve()
    if resolved in _plugins:
        return _plugins[resolved]
    if not resolved.is_file():
        raise FileNotFoundError(f"pass plugin '{path}' does not exist")
    module_name = f"mlc_pass_plugin_{len(_plugins)}_{resolved.stem}"
    spec = importlib.util.spec_from_file_location(module_name, resolved)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load pass plugin '{path}'")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    _discover()  # plugins may extend mlc's passes; register those first
    spec.loader.exec_module(module)
    _plugins[resolved] = module
    return module


@contextmanager
def scoped_registry() -> Iterator[None]:
    """Undo, on exit, every pass registration and plugin load made inside.

    For tests that load test-only passes: other code in the process (a docs generator
    listing every pass, say) never sees them.
    """
    _discover()
    saved = [dict(_registry), dict(_summaries), dict(_plugins)]
    try:
        yield
    finally:
        for table, copy in zip((_registry, _summaries, _plugins), saved, strict=True):
            table.clear()
            table.update(copy)


# ---------------------------------------------------------------------------
# Introspection
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PassOption:
    """One option of a pass, as shown by `--list-passes` and written in pipelines."""

    name: str
    """Spelled with `-` (MLIR style); the dataclass field uses `_`."""
    field_name: str
    type: Any
    """The resolved Python annotation: int, bool, tuple[int, ...], str | None, ..."""
    default: Any
    """The default value, or `dataclasses.MISSING` for a required option."""
    help: str

    @property
    def required(self) -> bool:
        """True if a pipeline must give this option a value."""
        return self.default is dataclasses.MISSING

    @property
    def type_name(self) -> str:
        """The type as a user reads it: `int`, `tuple[int, ...]`, `'a' | 'b'`, `str | None`."""
        return format_type(self.type)

    def describe(self) -> str:
        """`name: type = default` (or `(required)`), as listed in error messages."""
        if self.required:
            return f"{self.name}: {self.type_name} (required)"
        shown = "<unset>" if self.default is None else format_option_value(self.default)
        return f"{self.name}: {self.type_name} = {shown}"


@dataclass(frozen=True)
class PassInfo:
    """What a user needs to know about a pass without reading its source."""

    name: str
    summary: str
    description: str
    options: tuple[PassOption, ...]
    pass_class: type[ModulePass]

    def option(self, name: str) -> PassOption | None:
        """The option called `name` (`-` or `_` spelling), if the pass has one."""
        wanted = name.replace("_", "-")
        return next((o for o in self.options if o.name == wanted), None)


def format_type(tp: Any) -> str:
    """A readable spelling of an option annotation."""
    origin = get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(format_type(a) for a in get_args(tp))
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return f"tuple[{format_type(args[0])}, ...]"
        return f"tuple[{', '.join(format_type(a) for a in args)}]"
    if tp is type(None):
        return "None"
    return getattr(tp, "__name__", str(tp))


def _default_of(f: dataclasses.Field[Any], tp: Any) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    if type(None) in get_args(tp):
        return None  # xDSL lets an optional option without a default be left out
    return dataclasses.MISSING


_BARE_STRING = re.compile(r"[^\s,{}()=\"']+")


def format_option_value(value: Any) -> str:
    """`value` in pipeline syntax, such that parsing it back gives `value` again.

    Booleans print as `true`/`false`, tuples as comma lists (`{}` when empty), and
    strings bare when they hold no separator, else double-quoted with `\\` escapes.
    """
    match value:
        case bool():
            return "true" if value else "false"
        case int():
            return str(value)
        case float():
            return repr(value)
        case str():
            if _BARE_STRING.fullmatch(value):
                return value
            return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        case tuple():
            return ",".join(format_option_value(v) for v in value) if value else "{}"
    raise TypeError(f"cannot write option value {value!r} in a pipeline")


def pass_info(pass_or_name: str | type[ModulePass]) -> PassInfo:
    """Name, summary, description and options (with types and defaults) of a pass."""
    cls = get_pass(pass_or_name) if isinstance(pass_or_name, str) else pass_or_name
    hints = get_type_hints(cls)
    options = []
    for f in dataclasses.fields(cls):
        if not f.init or f.name == "name":
            continue
        tp = hints.get(f.name, f.type)
        options.append(
            PassOption(
                name=f.name.replace("_", "-"),
                field_name=f.name,
                type=tp,
                default=_default_of(f, tp),
                help=f.metadata.get("help", ""),
            )
        )
    doc = _own_docstring(cls) or ""
    summary = _summaries.get(cls.name) or (doc.splitlines()[0] if doc else "")
    return PassInfo(cls.name, summary, doc, tuple(options), cls)
