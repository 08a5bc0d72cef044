"""The docs cannot rot: the generated dialect references match the op definitions,
every op is in them with an example that parses, every Python sample in `docs/`
runs, and every shell session in `docs/` prints what it shows.

Conventions the pages follow:

* ```` ```python ```` blocks of one page run in order, in one namespace, from the
  repository root; a ```` ```text ```` block right after one (prose between is
  fine) is what it prints.
* ```` ```console ```` blocks are shell sessions: each `$ command` runs (in bash, in a
  scratch directory that has `examples/`) and must print the lines below it, stdout
  and stderr together; a line `...` stands for any number of lines, and runs of
  spaces inside a line need not match exactly. ```` ```sh ```` blocks are not run.
* A block right after a `<!-- file: NAME -->` line is written to NAME in that
  scratch directory before the sessions after it run.
"""

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from xdsl.dialects import func
from xdsl.parser import Parser

from mlc.context import make_context
from mlc.tools import gen_docs

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
DIALECTS = gen_docs.documented_dialects()
OPS = [(doc, cls) for doc in DIALECTS for cls in doc.ops]
# Ops with regions (loop.kernel and its body ops) are shown by the dialect's own
# worked example instead of a generated one.
EXAMPLED_OPS = [(doc, cls) for doc, cls in OPS if doc.example_types]


def _op_id(param: object) -> str:
    return getattr(param, "name", None) or getattr(param.dialect, "name", "")


def test_dialect_references_are_current():
    diffs = gen_docs.stale()
    assert not diffs, (
        f"the checked-in dialect reference is stale: regenerate it with `{gen_docs.REGENERATE}`"
        " and commit the result\n\n" + "\n".join(diffs)[:4000]
    )


@pytest.mark.parametrize("doc", DIALECTS, ids=_op_id)
def test_every_op_is_documented_and_listed(doc):
    text = (ROOT / doc.output).read_text()
    contents = text.partition("## Contents")[2].partition("\n## ")[0]
    for cls in doc.ops:
        assert f"\n### {cls.name}\n" in text, f"{cls.name} has no section"
        assert f"(#{gen_docs._slug(cls.name)})" in contents, f"{cls.name} is not in the contents"


@pytest.mark.parametrize("doc", [d for d in DIALECTS if d.is_composite], ids=_op_id)
def test_primitive_set_lists_exactly_the_non_composites(doc):
    text = (ROOT / doc.output).read_text()
    table = text.partition("## Primitive set")[2].partition("\n## ")[0]
    listed = re.findall(r"^\| \[`([\w.]+)`\]", table, re.MULTILINE)
    assert listed == [cls.name for cls in doc.ops if not doc.is_composite(cls)]


@pytest.mark.parametrize(("doc", "cls"), EXAMPLED_OPS, ids=_op_id)
def test_every_op_has_an_example_that_round_trips(doc, cls):
    example = gen_docs.find_example(doc, cls)
    assert example is not None, f"no verifying example found for {cls.name}"
    result = example.text.partition(" : ")[2].rpartition("-> ")[2]
    names = re.findall(r"%(\w+)", example.text.partition(" = ")[2].partition(" : ")[0])
    args = ", ".join(f"%{n}: {t}" for n, t in zip(names, example.operand_types, strict=True))
    source = (
        f"func.func @example({args}) -> {result} {{\n"
        f"  {example.text}\n"
        f"  func.return %{gen_docs._result_name(cls)} : {result}\n"
        "}"
    )
    module = Parser(make_context(), source).parse_module()
    module.verify()
    (function,) = module.ops
    assert isinstance(function, func.FuncOp)
    (op, _) = function.body.block.ops
    assert gen_docs._print(op) == example.text


def test_check_exits_1_with_a_diff_when_stale(tmp_path, capsys):
    assert gen_docs.main(["--root", str(tmp_path)]) == 0
    assert gen_docs.main(["--root", str(tmp_path), "--check"]) == 0
    (doc,) = [d for d in DIALECTS if d.dialect.name == "nn"]
    path = tmp_path / doc.output
    path.write_text(path.read_text().replace("### nn.add\n", "### nn.plus\n"))
    capsys.readouterr()
    assert gen_docs.main(["--root", str(tmp_path), "--check"]) == 1
    out, err = capsys.readouterr()
    assert "-### nn.plus\n+### nn.add\n" in out
    assert gen_docs.REGENERATE in err


# ---------------------------------------------------------------------------
# Python samples in the docs


_BLOCK = re.compile(
    r"^(?:<!-- file: (?P<file>\S+) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)^```",
    re.MULTILINE | re.DOTALL,
)


def _blocks(path: Path) -> list[re.Match]:
    """The fenced blocks of a page: `file` (from a `<!-- file: -->` line), `lang`, `body`."""
    return list(_BLOCK.finditer(path.read_text()))


def _python_blocks(path: Path) -> list[tuple[int, str, str | None]]:
    """(first line, code, expected stdout or None) of every ```python block.

    A ```text block that comes next (before any other block) is what the code prints.
    """
    text = path.read_text()
    blocks = _blocks(path)
    found = []
    for index, block in enumerate(blocks):
        if block["lang"] != "python":
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        expected = following["body"] if following and following["lang"] == "text" else None
        found.append((text.count("\n", 0, block.start("body")) + 1, block["body"], expected))
    return found


DOC_FILES = sorted(p for p in DOCS.rglob("*.md") if _python_blocks(p))


def test_docs_have_python_samples():
    assert DOCS / "api.md" in DOC_FILES


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: str(p.relative_to(DOCS)))
def test_python_samples_run(path, monkeypatch):
    """The blocks of one page run in order in one namespace, from the repository root."""
    monkeypatch.chdir(ROOT)
    blocks = _python_blocks(path)
    for optional in ("torch", "onnx"):  # the frontends' extras
        if any(
            re.search(rf"^\s*(?:import|from) {optional}\b", code, re.M) for _, code, _ in blocks
        ):
            pytest.importorskip(optional, reason=f"{path.name} needs the {optional} extra")
    namespace: dict = {"__name__": "__docs__"}
    for line, code, expected in blocks:
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            # Pad so that a traceback points at the line in the markdown file.
            exec(compile("\n" * (line - 1) + code, str(path), "exec"), namespace)
        if expected is not None:
            assert _output_matches(expected, stdout.getvalue()), (
                f"{path.relative_to(ROOT)}:{line}: the block printed\n{stdout.getvalue()}\n"
                f"but the page shows\n{expected}"
            )


def _output_matches(expected: str, actual: str) -> bool:
    """Whether `actual` is `expected`, where a line `...` stands for any lines.

    Runs of spaces inside a line (column alignment) need not match exactly.
    """
    pattern = "".join(
        r"(?:.*\n)*?" if line == "..." else re.escape(_squeeze(line)) + r"\n"
        for line in expected.splitlines()
    )
    squeezed = "".join(_squeeze(line) + "\n" for line in actual.splitlines())
    return re.fullmatch(pattern, squeezed) is not None


def _squeeze(line: str) -> str:
    """`line` with its indentation kept and every other run of whitespace one space."""
    body = line.lstrip()
    return line[: len(line) - len(body)] + " ".join(body.split())


# ---------------------------------------------------------------------------
# Shell sessions in the docs

SESSION_FILES = sorted(
    p for p in DOCS.rglob("*.md") if any(b["lang"] == "console" for b in _blocks(p))
)


def _commands(session: str) -> list[tuple[str, str]]:
    """(command, expected output) pairs of a console block."""
    pairs: list[tuple[str, str]] = []
    for line in session.splitlines(keepends=True):
        if line.startswith("$ "):
            pairs.append((line[2:].strip(), ""))
        else:
            assert pairs, f"output before the first command: {line!r}"
            pairs[-1] = (pairs[-1][0], pairs[-1][1] + line)
    return pairs


def test_docs_have_shell_sessions():
    assert DOCS / "getting-started.md" in SESSION_FILES


@pytest.mark.parametrize("path", SESSION_FILES, ids=lambda p: str(p.relative_to(DOCS)))
def test_shell_sessions_print_what_they_show(path, tmp_path):
    bin_dir = Path(sys.executable).parent
    if shutil.which("mlc-opt", path=str(bin_dir)) is None:
        pytest.skip(f"mlc-opt is not installed next to {sys.executable}")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    env["PYTHONUNBUFFERED"] = "1"  # stdout and stderr interleave as in a terminal
    for block in _blocks(path):
        if block["file"]:
            (tmp_path / block["file"]).write_text(block["body"])
        if block["lang"] != "console":
            continue
        for command, expected in _commands(block["body"]):
            run = subprocess.run(
                ["bash", "-c", command],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=300,
            )
            assert _output_matches(expected, run.stdout), (
                f"{path.relative_to(ROOT)}: `{command}` printed\n{run.stdout}\n"
                f"but the page shows\n{expected}"
            )
