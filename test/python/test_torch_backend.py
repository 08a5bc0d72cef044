"""The torch.compile backend: ATen translations against eager PyTorch, whole modules
under `torch.compile(backend="mlc")`, the eager fallback and its error option.

Per-op tests trace a function to ATen with AOT autograd (fast, no Dynamo), translate
the graph and run it with the interpreter, the oracle. Module tests go the whole
way (Dynamo, AOT autograd, LLVM) and are kept few and small: each costs seconds.
Skipped when torch is not importable (it is an optional extra).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional extra 'torch')")

from torch import nn  # noqa: E402
from torch._dynamo.exc import BackendCompilerFailed  # noqa: E402
from torch._functorch.aot_autograd import aot_function  # noqa: E402

import mlc  # noqa: E402
from mlc.frontends import torch_backend  # noqa: E402
from mlc.frontends.torch.backend import (  # noqa: E402
    DECOMPOSITIONS,
    FallbackWarning,
    to_numpy,
    to_torch,
    translate_graph,
    unsupported_reason,
)
from mlc.interpreter import run  # noqa: E402

F = nn.functional


def trace(fn, *inputs):
    """`fn` as the ATen graph AOT autograd gives the backend (without Dynamo: fast)."""
    graphs = []

    def capture(gm, example_inputs):
        graphs.append(gm)
        return gm

    with torch.no_grad():
        aot_function(fn, fw_compiler=capture, decompositions=DECOMPOSITIONS)(*inputs)
    return graphs[0]


def interpreted(fn, *inputs):
    """`fn` traced to ATen, translated to nn and run by the interpreter."""
    gm = trace(fn, *inputs)
    reasons = {
        str(n.target): unsupported_reason(n, gm) for n in gm.graph.nodes if n.op == "call_function"
    }
    assert not any(reasons.values()), reasons
    module, compiled = translate_graph(gm)
    compiled.function = lambda *arrays: run(module, "forward", *arrays)
    return compiled(*inputs)


def check(fn, *inputs, atol=1e-5, rtol=1e-5):
    got, want = interpreted(fn, *inputs), fn(*inputs)  # the graph returns a tuple
    want = want if isinstance(want, tuple | list) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, g.shape, w.dtype, w.shape)
        torch.testing.assert_close(g, w, atol=atol, rtol=rtol)


def randn(*shape, dtype=torch.float32, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed)).to(dtype)


X, Y = randn(2, 3, 4), randn(2, 3, 4, seed=1)
W, B = randn(5, 4, seed=2), randn(5, seed=3)
IDX = torch.tensor([[0, 3, 1], [2, 2, 4]])

# (test id, function, inputs)
OPS = [
    ("linear", lambda x, w, b: F.linear(x, w, b), (X, W, B)),
    ("linear-no-bias", lambda x, w: F.linear(x, w), (X, W)),
    ("mm", torch.mm, (randn(3, 4), randn(4, 5))),
    ("bmm", torch.bmm, (X, randn(2, 4, 3))),
    ("matmul-broadcast", torch.matmul, (randn(2, 1, 3, 4), randn(3, 4, 5))),
    ("matmul-vector", torch.matmul, (randn(3, 4), randn(4))),
    ("add-alpha", lambda x, y: torch.add(x, y, alpha=2.5), (X, Y)),
    ("sub-rsub", lambda x, y: (x - y, 1 - x), (X, Y)),
    ("mul-div-scalar", lambda x: x * 3 / 7, (X,)),
    ("div-broadcast", torch.div, (X, randn(4).abs() + 1)),
    ("int-float-promotion", lambda x, i: (i + x, i * 2, i / 2), (randn(2, 3), IDX)),
    ("unary", lambda x: (-x, x.exp(), x.tanh(), torch.erf(x), x.abs().rsqrt(), x.sin()), (X,)),
    ("pow", lambda x, y: (x**2, x.abs() ** 1.5, x.abs() ** y), (X, Y)),
    ("activations", lambda x: (F.relu(x), F.silu(x), torch.sigmoid(x)), (X,)),
    ("gelu", lambda x: (F.gelu(x), F.gelu(x, approximate="tanh")), (X,)),
    ("softmax", lambda x: (F.softmax(x, -1), F.log_softmax(x, 1)), (X,)),
    ("layer-norm", lambda x, w, b: F.layer_norm(x, (4,), w, b), (X, randn(4), randn(4, seed=4))),
    ("layer-norm-plain", lambda x: F.layer_norm(x, (3, 4)), (X,)),
    ("layer-norm-stats", lambda x: torch.native_layer_norm(x, (4,), None, None, 1e-5), (X,)),
    ("rms-norm", lambda x, w: F.rms_norm(x, (4,), w, eps=1e-6), (X, randn(4))),
    ("reductions", lambda x: (x.sum(), x.mean((0, 2)), x.amax(-1, keepdim=True)), (X,)),
    ("sum-of-bool", lambda x: (x > 0).sum(-1), (X,)),
    ("var", lambda x: (x.var(-1), x.var((0, 1), correction=0)), (X,)),
    ("views", lambda x: (x.view(6, 4), x.permute(2, 0, 1), x.transpose(0, 2), x[0].t()), (X,)),
    ("unsqueeze-squeeze", lambda x: x.unsqueeze(1).unsqueeze(-1).squeeze(1), (X,)),
    ("expand", lambda x: x[:, :1].expand(2, 5, 4), (X,)),
    ("slice-select", lambda x: (x[:, 1:, ::2], x[..., -1], x[1, 1:2]), (X,)),
    ("split-cat", lambda x: torch.cat(x.split(3, dim=-1)[::-1], dim=-1), (X,)),
    ("unbind-stack", lambda x: torch.stack(x.unbind(1), dim=-1), (X,)),
    ("embedding", lambda w, i: F.embedding(i, w), (randn(5, 4), IDX)),
    ("index", lambda w, i: (w[i], torch.index_select(w, 1, i[0])), (randn(5, 5), IDX)),
    ("where", lambda x, y: torch.where(x > y, x, y), (X, Y)),
    ("masked-fill", lambda x: x.masked_fill(x < 0, float("-inf")), (X,)),
    ("compare-logical", lambda x, y: ((x < y) & ~(x == 0)) | (y >= 1), (X, Y)),
    ("clamp", lambda x: (x.clamp(-0.5, 0.5), x.clamp(min=0), x.clamp(max=0.1)), (X,)),
    ("full-arange-tril", lambda x: x + torch.ones(4, 4).tril() * torch.arange(4), (randn(4, 4),)),
    ("arange-steps", lambda: (torch.arange(2, 11, 3), torch.arange(0.5, 2.0, 0.25)), ()),
    ("triu-full", lambda x: x.triu(1) + torch.full((3, 3), 2.0), (randn(3, 3),)),
    ("dtype-conversions", lambda x: (x.half(), x.to(torch.int32), x.double(), x.bool()), (X,)),
    ("bf16", lambda x: (x * 2).to(torch.bfloat16), (X,)),
    (
        "sdpa-causal",
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
        (randn(2, 2, 5, 4), randn(2, 2, 5, 4, seed=1), randn(2, 2, 5, 3, seed=2)),
    ),
    (
        "sdpa-masks",
        lambda q, m: (
            F.scaled_dot_product_attention(q, q, q, attn_mask=m > 0),
            F.scaled_dot_product_attention(q, q, q, attn_mask=m, scale=0.3),
        ),
        (randn(2, 5, 4), randn(5, 5, seed=1)),
    ),
]


@pytest.mark.parametrize(("fn", "inputs"), [c[1:] for c in OPS], ids=[c[0] for c in OPS])
def test_translation_matches_eager(fn, inputs):
    check(fn, *inputs)


def test_half_precision_translation():
    x = randn(3, 8, dtype=torch.float16)
    check(lambda x: (F.softmax(x, -1), F.layer_norm(x, (8,)), x * 2), x, atol=2e-3, rtol=2e-3)


@pytest.mark.parametrize(
    ("fn", "inputs", "target", "reason"),
    [
        (lambda x: torch.sort(x).values, (X,), "sort", "no translation"),
        (lambda x: x.cumsum(0), (X,), "cumsum", "no translation"),
        (lambda x: torch.div(x, 2, rounding_mode="floor"), (X,), "div", "rounding_mode='floor'"),
        (lambda x: x.to(torch.uint8), (X,), "_to_copy", "dtype torch.uint8"),
        (
            lambda q: F.scaled_dot_product_attention(q, q, q, dropout_p=0.5),
            (randn(2, 3, 4),),
            "native_dropout",
            "no translation",
        ),
    ],
    ids=["sort", "cumsum", "floor-division", "uint8", "dropout"],
)
def test_unsupported_nodes_say_why(fn, inputs, target, reason):
    gm = trace(fn, *inputs)
    reasons = [
        unsupported_reason(n, gm)
        for n in gm.graph.nodes
        if n.op == "call_function" and target in str(n.target)
    ]
    assert reasons and all(reason in (r or "") for r in reasons), reasons


def test_tensors_cross_without_copies():
    x = randn(4, 4)
    assert np.shares_memory(to_numpy(x), x.numpy())
    back = to_torch(to_numpy(x))
    assert back.data_ptr() == x.data_ptr()
    b = x.to(torch.bfloat16)
    assert to_numpy(b).ctypes.data == b.data_ptr()
    assert torch.equal(to_torch(to_numpy(b)), b)
    assert to_numpy(x.t()).flags.c_contiguous  # made contiguous first


def test_options_are_checked():
    with pytest.raises(ValueError, match="fallback"):
        torch_backend(fallback="ignore")
    with pytest.raises(ValueError, match="num_threads"):
        torch_backend(num_threads=0)
    with pytest.raises(ValueError, match="target"):
        torch_backend("tpu")


# ---------------------------------------------------------------------------
# Whole modules through torch.compile


def compiled_matches_eager(model, *inputs, backend="mlc", atol=1e-5, rtol=1e-5):
    """Compiles `model`, checks it against eager without a fallback, returns the result."""
    model = model.eval() if isinstance(model, nn.Module) else model
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)
        got = torch.compile(model, backend=backend, dynamic=False)(*inputs)
        want = model(*inputs)
    torch.testing.assert_close(got, want, atol=atol, rtol=rtol)


def test_mlp_via_entry_point():
    torch.manual_seed(0)
    mlp = nn.Sequential(
        nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.GELU(), nn.Linear(32, 8)
    )
    compiled_matches_eager(mlp, randn(4, 16))  # backend="mlc": the pyproject entry point


class ResidualLayerNorm(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        return x + self.proj(self.norm(x))


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention with an explicit causal mask buffer (minGPT style)."""

    def __init__(self, dim: int, heads: int, length: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.register_buffer(
            "mask", torch.tril(torch.ones(length, length)).view(1, 1, length, length)
        )

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) * (1.0 / (c // self.heads) ** 0.5)
        scores = scores.masked_fill(self.mask[:, :, :t, :t] == 0, float("-inf"))
        y = F.softmax(scores, dim=-1) @ v
        return self.out(y.transpose(1, 2).contiguous().view(b, t, c))


class GPTBlock(nn.Module):
    """A nanoGPT-style block: pre-norm, fused-attention heads, GELU MLP, residuals."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln_1, self.ln_2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.c_attn, self.c_proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, 4 * dim), nn.GELU(approximate="tanh"), nn.Linear(4 * dim, dim)
        )

    def attention(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class TinyGPT(nn.Module):
    def __init__(self, vocab: int, length: int, dim: int, heads: int) -> None:
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, dim), nn.Embedding(length, dim)
        self.block = GPTBlock(dim, heads)
        self.ln_f = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)

    def forward(self, idx):
        pos = torch.arange(idx.shape[1], dtype=torch.long)
        return self.lm_head(self.ln_f(self.block(self.wte(idx) + self.wpe(pos))))


def test_layer_norm_residual_block():
    torch.manual_seed(0)
    compiled_matches_eager(ResidualLayerNorm(32), randn(2, 8, 32), backend=torch_backend())


def test_causal_self_attention():
    torch.manual_seed(0)
    compiled_matches_eager(CausalSelfAttention(32, 4, 16), randn(2, 8, 32), backend=torch_backend())


def test_gpt_block_with_embeddings():
    torch.manual_seed(0)
    idx = torch.randint(0, 50, (2, 8), generator=torch.Generator().manual_seed(0))
    compiled_matches_eager(TinyGPT(50, 16, 32, 4), idx, backend=torch_backend(num_threads=1))


def test_fallback_runs_unsupported_ops_in_eager_with_one_warning():
    def f(x, w):
        y = torch.sort(x @ w, dim=-1).values
        return F.gelu(y).cumsum(-1) + 1

    x, w = randn(4, 8), randn(8, 8, seed=1)
    with pytest.warns(FallbackWarning) as caught:
        got = torch.compile(f, backend=torch_backend(), dynamic=False)(x, w)
    torch.testing.assert_close(got, f(x, w))
    (warning,) = [w for w in caught if w.category is FallbackWarning]
    assert "aten.sort.default" in str(warning.message)
    assert "aten.cumsum.default" in str(warning.message)


def test_fallback_error_names_the_ops_at_the_source_line():
    def f(x):
        return torch.sort(x).values * 2

    with pytest.raises(BackendCompilerFailed) as error:  # Dynamo wraps what backends raise
        torch.compile(f, backend=torch_backend(fallback="error"), dynamic=False)(randn(3, 4))
    assert isinstance(error.value.inner_exception, mlc.CompileError)
    (diagnostic,) = error.value.inner_exception.diagnostics
    assert "'aten.sort.default' cannot be compiled by mlc: no translation" in diagnostic.message
    assert diagnostic.location.file == __file__
    assert diagnostic.source_line == "return torch.sort(x).values * 2"


def test_new_shapes_compile_again_even_when_dynamo_goes_dynamic():
    def f(x):
        return F.softmax(x * 2, dim=-1)

    compiled = torch.compile(f, backend=torch_backend())  # dynamic=None: automatic
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)
        for rows in (2, 3, 5):
            x = randn(rows, 6)
            torch.testing.assert_close(compiled(x), f(x))


def test_tensors_run_in_place_and_odd_inputs_through_numpy(monkeypatch: pytest.MonkeyPatch):
    """Contiguous inputs of the traced dtype and shape run on the tensors' memory;
    a transposed (non-contiguous) input takes the numpy path; both equal eager."""
    from mlc.frontends.torch import backend

    direct = []
    original = backend._DirectCall.__call__
    monkeypatch.setattr(
        backend._DirectCall,
        "__call__",
        lambda self, inputs: direct.append(result := original(self, inputs)) or result,
    )

    def f(x, w):
        return F.gelu(x @ w) + 1

    compiled = torch.compile(f, backend=torch_backend(fallback="error"), dynamic=False)
    x, w = randn(8, 16), randn(16, 4, seed=1)
    torch.testing.assert_close(compiled(x, w), f(x, w))
    assert direct and direct[-1] is not None
    odd = randn(16, 8, seed=2).t()  # same shape, not contiguous
    torch.testing.assert_close(compiled(odd, w), f(odd, w))
    assert direct[-1] is None


def test_a_graph_returning_its_input_is_not_run_on_addresses():
    def f(x):
        return x, torch.tanh(x)

    x = randn(4, 4)
    a, b = torch.compile(f, backend=torch_backend(fallback="error"), dynamic=False)(x)
    torch.testing.assert_close(a, x)
    torch.testing.assert_close(b, torch.tanh(x))
