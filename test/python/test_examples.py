"""Every program in examples/ is valid nn IR that survives printing and runs.

The examples are the inputs of later passes, so they must parse, verify and
round-trip exactly in both the custom and the generic syntax. Each example
also runs in the numpy interpreter on seeded random inputs.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.dialects.func import FuncOp
from xdsl.parser import Parser
from xdsl.printer import Printer

from mlc.context import make_context
from mlc.interpreter import run

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.mlir"))
EXPECTED = {
    "add_layer_norm",
    "attention",
    "gelu_bias",
    "layer_norm",
    "log_softmax",
    "mlp",
    "pointwise_chain",
    "rms_norm",
    "row_reductions",
    "softmax",
    "transformer_block",
}


def parse(text: str, name: str = "example.mlir") -> ModuleOp:
    module = Parser(make_context(), text, name).parse_module()
    module.verify()
    return module


def render(module: ModuleOp, *, generic: bool = False) -> str:
    stream = io.StringIO()
    Printer(stream=stream, print_generic_format=generic).print_op(module)
    return stream.getvalue()


def the_function(module: ModuleOp) -> FuncOp:
    funcs = [op for op in module.ops if isinstance(op, FuncOp)]
    assert len(funcs) == 1, "each example holds exactly one func.func"
    return funcs[0]


@pytest.fixture(params=EXAMPLES, ids=lambda p: p.stem)
def example(request) -> Path:
    return request.param


def test_the_expected_examples_exist():
    assert {p.stem for p in EXAMPLES} == EXPECTED


def test_readme_lists_every_example():
    readme = (EXAMPLES_DIR / "README.md").read_text()
    for path in EXAMPLES:
        assert f"`{path.name}`" in readme


def test_example_has_a_header_comment_with_its_pytorch_equivalent(example: Path):
    lines = example.read_text().splitlines()
    header = []
    for line in lines:
        if not line.startswith("//"):
            break
        header.append(line)
    assert header, "the file starts with a comment saying what it computes"
    assert any("PyTorch" in line for line in header)


def test_example_parses_and_verifies_with_one_nn_function(example: Path):
    func = the_function(parse(example.read_text(), example.name))
    ops = [op.name for op in func.walk()]
    assert any(name.startswith("nn.") for name in ops)
    arg_types = func.function_type.inputs.data
    result_types = func.function_type.outputs.data
    for t in (*arg_types, *result_types):
        assert isinstance(t, TensorType)
        assert all(d >= 0 for d in t.get_shape()), "shapes are static"


def test_custom_syntax_round_trips(example: Path):
    printed = render(parse(example.read_text(), example.name))
    assert render(parse(printed)) == printed


def test_generic_syntax_round_trips(example: Path):
    printed = render(parse(example.read_text(), example.name), generic=True)
    reparsed = parse(printed)
    assert render(reparsed, generic=True) == printed
    # The generic form holds the same program as the custom form.
    assert render(reparsed) == render(parse(example.read_text(), example.name))


# ---------------------------------------------------------------------------
# Running the examples with the numpy interpreter


def random_inputs(func: FuncOp, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    inputs = []
    for t in func.function_type.inputs.data:
        assert str(t.element_type) == "f32", "the examples take f32 tensors"
        inputs.append(rng.standard_normal(t.get_shape()).astype(np.float32))
    return inputs


def test_example_runs_to_finite_outputs_of_the_declared_shapes(example: Path):
    module = parse(example.read_text(), example.name)
    func = the_function(module)
    outputs = run(module, func.sym_name.data, *random_inputs(func, seed=0))
    if not isinstance(outputs, list | tuple):
        outputs = [outputs]
    declared = func.function_type.outputs.data
    assert len(outputs) == len(declared)
    for out, t in zip(outputs, declared, strict=True):
        out = np.asarray(out)
        assert out.shape == tuple(t.get_shape())
        assert out.dtype == np.float32
        assert np.isfinite(out).all()


# ---------------------------------------------------------------------------
# What each example computes, in float64 numpy, as its header comment says


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _layer_norm(x, w, b, eps=1e-5):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def _gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def _linear(x, w, b):
    return x @ w.T + b


def _causal_attention(q, k, v):
    """q, k, v: [heads, seq, head_dim]."""
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1])
    seq = q.shape[1]
    scores = np.where(np.tril(np.ones((seq, seq), bool)), scores, -np.inf)
    return _softmax(scores) @ v


def _heads(t, n_heads=4):
    seq, d = t.shape
    return t.reshape(seq, n_heads, d // n_heads).transpose(1, 0, 2)


def _merge(t):
    heads, seq, hd = t.shape
    return t.transpose(1, 0, 2).reshape(seq, heads * hd)


def _attention_block(x, wq, bq, wk, bk, wv, bv, wo, bo):
    q, k, v = (_heads(_linear(x, w, b)) for w, b in ((wq, bq), (wk, bk), (wv, bv)))
    return _linear(_merge(_causal_attention(q, k, v)), wo, bo)


def _gpt2_block(x, ln1_w, ln1_b, attn_w, attn_b, proj_w, proj_b, ln2_w, ln2_b, *mlp):
    fc_w, fc_b, fc_proj_w, fc_proj_b = mlp
    qkv = _linear(_layer_norm(x, ln1_w, ln1_b), attn_w, attn_b)
    q, k, v = (_heads(qkv[:, i * 64 : (i + 1) * 64]) for i in range(3))
    h = x + _linear(_merge(_causal_attention(q, k, v)), proj_w, proj_b)
    fc = _gelu_tanh(_linear(_layer_norm(h, ln2_w, ln2_b), fc_w, fc_b))
    return h + _linear(fc, fc_proj_w, fc_proj_b)


def _rms_norm(x, w, eps=1e-6):
    return x / np.sqrt((x**2).mean(-1, keepdims=True) + eps) * w


REFERENCES = {
    "softmax": _softmax,
    "log_softmax": lambda x: np.log(_softmax(x)),
    "layer_norm": _layer_norm,
    "rms_norm": _rms_norm,
    "gelu_bias": lambda x, b: _gelu(x + b),
    "pointwise_chain": lambda x, b, gate: (x + b) / (1 + np.exp(-(x + b))) * gate,
    "add_layer_norm": lambda x, r, w, b: (_layer_norm(x + r, w, b), x + r),
    "row_reductions": lambda x: (x.sum(1), x.max(1)),
    "mlp": lambda x, w1, b1, w2, b2: _linear(_gelu(_linear(x, w1, b1)), w2, b2),
    "attention": _attention_block,
    "transformer_block": _gpt2_block,
}


def test_every_example_has_a_reference():
    assert set(REFERENCES) == EXPECTED


def test_example_computes_what_its_header_says(example: Path):
    module = parse(example.read_text(), example.name)
    func = the_function(module)
    inputs = random_inputs(func, seed=1)
    got = run(module, func.sym_name.data, *inputs)
    want = REFERENCES[example.stem](*(x.astype(np.float64) for x in inputs))
    if not isinstance(got, tuple):
        got, want = (got,), (want,)
    for g, w in zip(got, want, strict=True):
        # f32 sums of hundreds of O(1) products: allow rounding relative to the scale.
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5 * np.abs(w).max())
