"""Pipeline text: parsing both syntaxes, printing back exactly, errors, the registry."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

import mlc
from mlc.passes import (
    UnknownPassError,
    all_passes,
    format_option_value,
    get_pass,
    load_pass_plugin,
    pass_info,
    register_pass,
    scoped_registry,
)
from mlc.pipeline import (
    PassNest,
    PassTiming,
    Pipeline,
    PipelineError,
    PrintIR,
    format_pass,
    parse_option_value,
    render_timing,
)

TEST_PASSES = Path(__file__).resolve().parents[1] / "mlc-opt" / "Inputs" / "test_passes.py"


@pytest.fixture(scope="module", autouse=True)
def test_passes() -> Iterator[None]:
    """The test-only passes, registered for this module's tests alone."""
    with scoped_registry():
        load_pass_plugin(TEST_PASSES)
        yield


def options_pass(**values: object) -> ModulePass:
    return get_pass("test-options")(**values)


# ---------------------------------------------------------------------------
# Parsing and printing


def test_shorthand_and_anchored_forms_are_equal() -> None:
    short = Pipeline.parse("cse,canonicalize")
    anchored = Pipeline.parse("builtin.module(cse,canonicalize)")
    assert short == anchored
    assert str(short) == "builtin.module(cse,canonicalize)"
    assert [p.name for p in short.passes] == ["cse", "canonicalize"]


def test_nests_are_kept_and_flattened_in_run_order() -> None:
    pipeline = Pipeline.parse("builtin.module(dce,func.func(cse,any(canonicalize)),cse)")
    assert str(pipeline) == "builtin.module(dce,func.func(cse,any(canonicalize)),cse)"
    assert isinstance(pipeline.elements[1], PassNest)
    assert pipeline.elements[1].anchor == "func.func"
    assert [p.name for p in pipeline.passes] == ["dce", "cse", "canonicalize", "cse"]


def test_whitespace_between_elements_is_allowed() -> None:
    assert Pipeline.parse(" builtin.module( cse , func.func( dce ) ) ") == Pipeline.parse(
        "builtin.module(cse,func.func(dce))"
    )


def test_empty_pipelines() -> None:
    assert Pipeline.parse("") == Pipeline.parse("builtin.module()") == Pipeline()
    assert str(Pipeline()) == "builtin.module()"


def test_every_option_is_printed() -> None:
    assert str(Pipeline.parse("test-options")) == (
        "builtin.module(test-options{count=1 flag=false ratio=0.5 label=plain sizes=1,2 mode=fast})"
    )


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("count=3", {"count": 3}),
        ("count=-4", {"count": -4}),
        ("flag", {"flag": True}),
        ("flag=true", {"flag": True}),
        ("flag=0", {"flag": False}),
        ("ratio=2", {"ratio": 2.0}),
        ("ratio=1e-3", {"ratio": 0.001}),
        ("label=x.y", {"label": "x.y"}),
        ('label="a b,c{d}"', {"label": "a b,c{d}"}),
        (r'label="say \"hi\" \\o/"', {"label": 'say "hi" \\o/'}),
        ("label=a,b", {"label": "a,b"}),
        ("sizes=7", {"sizes": (7,)}),
        ("sizes=4,8,16", {"sizes": (4, 8, 16)}),
        ("sizes={4,8}", {"sizes": (4, 8)}),
        ("sizes={}", {"sizes": ()}),
        ("mode=slow", {"mode": "slow"}),
        ("limit=5", {"limit": 5}),
        ("limit", {"limit": None}),
        ("count=1  flag=true", {"count": 1, "flag": True}),
    ],
)
def test_option_values(text: str, values: dict[str, object]) -> None:
    (p,) = Pipeline.parse(f"test-options{{{text}}}").passes
    assert p == options_pass(**values)


def test_option_names_may_use_underscores() -> None:
    pipeline = Pipeline.parse("test-required{tile-size=3}")
    assert pipeline == Pipeline.parse("test-required{tile_size=3}")
    assert str(pipeline) == "builtin.module(test-required{tile-size=3})"


@given(
    count=st.integers(),
    flag=st.booleans(),
    ratio=st.floats(allow_nan=False),
    label=st.text(),
    sizes=st.lists(st.integers(), max_size=5).map(tuple),
    mode=st.sampled_from(["fast", "slow"]),
    limit=st.none() | st.integers(),
)
def test_printed_pipelines_parse_back_to_themselves(**values: object) -> None:
    pipeline = Pipeline((options_pass(**values), PassNest("func.func", (get_pass("cse")(),))))
    assert Pipeline.parse(str(pipeline)) == pipeline


def test_format_pass_leaves_unset_optional_options_out() -> None:
    assert "limit" not in format_pass(options_pass())
    assert "limit=3" in format_pass(options_pass(limit=3))


@pytest.mark.parametrize(
    ("value", "text"),
    [(True, "true"), (3, "3"), (0.25, "0.25"), ("abc", "abc"), ("a b", '"a b"'), ((), "{}")],
)
def test_format_option_value(value: object, text: str) -> None:
    assert format_option_value(value) == text


def test_parse_option_value_reports_what_it_expected() -> None:
    with pytest.raises(ValueError, match="expected 2 values"):
        parse_option_value(("1",), tuple[int, int])
    with pytest.raises(ValueError, match="expected a single int"):
        parse_option_value(("1", "2"), int)
    assert parse_option_value(("1", "x"), tuple[int, str]) == (1, "x")
    assert parse_option_value(("7",), int | str) == 7
    assert parse_option_value(("seven",), int | str) == "seven"


# ---------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no-such-pass", "unknown pass 'no-such-pass'"),
        ("csee", "unknown pass 'csee'; did you mean 'cse'?"),
        ("cse{x=1}", "pass 'cse' has no option 'x'; pass 'cse' takes no options"),
        (
            "test-options{colour=red}",
            "pass 'test-options' has no option 'colour'; valid options: count: int = 1",
        ),
        (
            "test-options{count=x}",
            "bad value for option 'count' of pass 'test-options': expected an integer, got 'x'",
        ),
        (
            "test-options{count}",
            "bad value for option 'count' of pass 'test-options': expected a value of type int",
        ),
        ("test-options{sizes=1,a}", "bad value for option 'sizes'"),
        ("test-options{limit=x}", "expected int | None, got 'x'"),
        ("test-options{count=1 count=2}", "option 'count' of pass 'test-options' is given twice"),
        ("test-required", "pass 'test-required' requires option 'tile-size' (int)"),
        ("builtin.module(cse", "expected ',' or ')' to close 'builtin.module('"),
        ("cse)", "unexpected ')'"),
        ("cse,", "expected a pass name, found end of pipeline"),
        ("cse{", "expected an option name or '}' in the options of 'cse'"),
        ('test-options{label="open}', "unterminated string"),
        ("test-options{sizes={1,2}", "expected '}' to close the options of 'test-options'"),
        ("test-options{count=1=2}", "expected a space or '}' after option 'count'"),
        ("cse(dce)", "'cse' is not an operation name to anchor passes on"),
    ],
)
def test_pipeline_errors(text: str, message: str) -> None:
    with pytest.raises(PipelineError) as info:
        Pipeline.parse(text)
    assert message in info.value.message
    assert info.value.message.startswith("invalid pass pipeline: ")


def test_pipeline_error_shows_the_position() -> None:
    with pytest.raises(PipelineError) as info:
        Pipeline.parse("cse,test-options{colour=red}")
    assert str(info.value).splitlines()[1:] == [
        "  cse,test-options{colour=red}",
        "                   ^",
    ]


def test_pipeline_errors_are_ordinary_exceptions() -> None:
    assert issubclass(PipelineError, Exception)


def test_run_pipeline_rejects_bad_text() -> None:
    with pytest.raises(PipelineError):
        mlc.run_pipeline(mlc.parse("func.func @f() {\n  func.return\n}"), "nope")


# ---------------------------------------------------------------------------
# Registry and introspection


def test_registry_has_the_upstream_passes() -> None:
    assert {"canonicalize", "cse", "dce"} <= set(all_passes())
    assert all_passes() == sorted(all_passes())
    with pytest.raises(UnknownPassError) as info:
        get_pass("cs")
    assert "did you mean 'cse'?" in str(info.value)


def test_pass_info() -> None:
    info = pass_info("test-options")
    assert info.summary == "Take one option of every supported type and record them on the module."
    count = info.option("count")
    assert count is not None
    assert (count.name, count.type_name, count.default, count.help) == (
        "count",
        "int",
        1,
        "an integer",
    )
    assert info.option("limit").describe() == "limit: int | None = <unset>"
    assert info.option("sizes").describe() == "sizes: tuple[int, ...] = 1,2"
    assert info.option("mode").type_name == "'fast' | 'slow'"
    required = pass_info("test-required").option("tile_size")
    assert required.required and required.describe() == "tile-size: int (required)"
    assert pass_info("cse").summary == "Eliminate common subexpressions."


def test_register_pass_checks_its_class() -> None:
    class NotAPass:
        name = "x"

    with pytest.raises(TypeError, match="not a ModulePass"):
        register_pass(NotAPass)  # type: ignore[type-var]

    class NotADataclass(ModulePass):
        """Doc."""

        name = "test-not-a-dataclass"

        def apply(self, ctx: Context, op: ModuleOp) -> None: ...

    with pytest.raises(TypeError, match=r"@dataclass\(frozen=True\)"):
        register_pass(NotADataclass)

    @dataclass(frozen=True)
    class Undocumented(ModulePass):
        name = "test-undocumented"
        x: int = field(default=1)

        def apply(self, ctx: Context, op: ModuleOp) -> None: ...

    with pytest.raises(TypeError, match="docstring"):
        register_pass(Undocumented)

    @dataclass(frozen=True)
    class Clash(ModulePass):
        """Takes a name that is taken."""

        name = "cse"

        def apply(self, ctx: Context, op: ModuleOp) -> None: ...

    with pytest.raises(ValueError, match="already registered"):
        register_pass(Clash)


def test_loading_a_plugin_twice_is_harmless() -> None:
    assert load_pass_plugin(TEST_PASSES) is load_pass_plugin(str(TEST_PASSES))
    with pytest.raises(FileNotFoundError):
        load_pass_plugin(TEST_PASSES.with_name("missing.py"))


# ---------------------------------------------------------------------------
# Instrumentation


def test_print_ir_and_timing_instrumentations() -> None:
    module = mlc.parse("func.func @f(%a: i32) -> i32 {\n  func.return %a : i32\n}")
    stream = io.StringIO()
    timing = PassTiming()
    printer = PrintIR(stream, before={"dce"}, after={"cse"})
    mlc.run_pipeline(module, "cse,dce,cse", instrumentations=(printer, timing))
    dumps = [line for line in stream.getvalue().splitlines() if line.startswith("// -----//")]
    assert dumps == [
        "// -----// IR Dump After cse //----- //",
        "// -----// IR Dump Before dce //----- //",
        "// -----// IR Dump After cse //----- //",
    ]
    names = [name for name, _ in timing.rows()]
    assert names == ["cse", "dce", "cse", "(verifier)"]
    report = render_timing(timing.rows(), 1.0)
    assert "Total Execution Time: 1.0000 seconds" in report
    assert report.rstrip().endswith("1.0000 (100.0%)  Total")


def test_scoped_registry_forgets_what_was_registered_inside() -> None:
    before = all_passes()
    with scoped_registry():

        @register_pass
        @dataclass(frozen=True)
        class Temporary(ModulePass):
            """Exists for one test."""

            name = "test-temporary"

            def apply(self, ctx: Context, op: ModuleOp) -> None: ...

        assert "test-temporary" in all_passes()
    assert all_passes() == before
