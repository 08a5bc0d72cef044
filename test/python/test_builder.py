"""mlc.builder: functions built from Python print, verify, interpret and compile.

Differential: what the builder makes runs the same in the interpreter and as native
code; errors name the op or argument and leave the function unchanged.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects.builtin import TensorType, f32

import mlc
from mlc.builder import Builder, element_type
from mlc.dialects import nn
from mlc.interpreter import run


def _mlp() -> Builder:
    b = Builder()
    with b.function("mlp", x=("f32", [4, 8]), w=("f32", [16, 8]), bias=("f32", [16])) as f:
        x, w, bias = f.args
        h = f.gelu(f.linear(x, w, bias), approximate="tanh", name="h")
        f.ret(f.layer_norm(h, axes=[1], eps=1e-5, name="y"))
    return b


def test_builds_named_verified_ir():
    b = _mlp()
    text = str(b)
    assert (
        "func.func @mlp(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %bias: tensor<16xf32>)" in text
    )
    assert "%h = nn.gelu %linear approximate = tanh : tensor<4x16xf32>" in text
    assert "%y = nn.layer_norm %h axes = [1] eps = 1.0e-05 : tensor<4x16xf32>" in text
    b.module.verify()
    assert mlc.print(mlc.parse(text)) == text  # round-trips


def test_compiled_matches_interpreter():
    b = _mlp()
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s).astype(np.float32) for s in ([4, 8], [16, 8], [16])]
    expected = run(b.module, "mlp", *args)
    np.testing.assert_allclose(b.compile().mlp(*args), expected, rtol=1e-4, atol=1e-5)


def test_every_nn_op_has_a_method():
    b = Builder()
    f = b.function("f")
    for cls in nn.NN.operations:
        method = getattr(f, cls.name.removeprefix("nn."))
        assert cls.name in method.__doc__


def test_operators_numbers_constants_and_stated_result_types():
    b = Builder()
    with b.function("f", x=("f32", [2, 3]), i=("i32", [3])) as f:
        x, i = f.args
        y = (2.0 * x - 1) / 4 + f.constant(np.ones(3, np.float32))
        z = -(y**2) @ f.splat(0.5, shape=[3, 2], dtype="f32")
        r = f.reshape(z, shape=[4])
        c = f.cast(i + 1, dtype=np.float64)
        iota = f.iota(dim=1, shape=[2, 3], dtype="i64")
        s = f.slice(x, start=(0, 1), stop=(2, 3), step=[1, np.int64(1)])
        f.ret(r, c, iota, s)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    i = np.array([1, 2, 3], np.int32)
    r, c, iota, s = run(b.module, "f", x, i)
    y = (2 * x - 1) / 4 + 1
    np.testing.assert_allclose(r, (-(y**2) @ np.full((3, 2), 0.5)).reshape(4), rtol=1e-6)
    np.testing.assert_array_equal(c, i.astype(np.float64) + 1)
    np.testing.assert_array_equal(iota, np.broadcast_to(np.arange(3), (2, 3)))
    np.testing.assert_array_equal(s, x[:, 1:])
    compiled = b.compile().f(x, i)
    for got, want in zip(compiled, (r, c, iota, s), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_several_functions_and_tensor_type_parameters():
    b = Builder()
    with b.function("double", x=TensorType(f32, [4])) as f:
        f.ret(f.args[0] * 2)
    with b.function("pair", a=("i64", [2]), b=(np.int64, [2])) as g:
        f_a, f_b = g.args
        g.ret(g.concat(f_a, g["b"], axis=0), g.max(f_a, f_b))
    exe = b.compile()
    assert exe.functions == ("double", "pair")
    np.testing.assert_array_equal(exe.double(np.ones(4, np.float32)), np.full(4, 2, np.float32))
    cat, top = exe.pair(np.array([1, 5]), np.array([3, 2]))
    np.testing.assert_array_equal(cat, [1, 5, 3, 2])
    np.testing.assert_array_equal(top, [3, 5])


def _failure(build) -> Exception:
    """The error `build(f, x, i)` raises; the function must be left as it was."""
    f = Builder().function("g", x=("f32", [4, 8]), idx=("i32", [2]))
    with pytest.raises((ValueError, TypeError, AttributeError)) as error:
        build(f, *f.args)
    assert not list(f._block.ops), "a failed op must leave the function unchanged"
    assert all(not a.uses for a in f._block.args), "a failed op must not keep uses"
    return error.value


@pytest.mark.parametrize(
    ("build", "kind", "message"),
    [
        (
            lambda f, x, i: f.add(x, np.ones(3, np.float32)),
            ValueError,
            "add: shapes [4, 8], [3] are not broadcast-compatible",
        ),
        (lambda f, x, i: f.reduce_sum(x), TypeError, "reduce_sum: missing parameter 'axes'"),
        (
            lambda f, x, i: f.reduce_sum(x, axes=[2]),
            ValueError,
            "reduce_sum: axis 2 is out of range for rank 2",
        ),
        (lambda f, x, i: f.exp(i), ValueError, "exp: expects floating-point elements, got i32"),
        (
            lambda f, x, i: f.softmax(x, axis=0, bogus=1),
            TypeError,
            "softmax: has no parameter 'bogus'",
        ),
        (lambda f, x, i: f.relu(x, x), TypeError, "relu: expects 1 operands, got 2"),
        (lambda f, x, i: f.transpose(x, perm=[0, 0]), ValueError, "transpose: perm [0, 0]"),
        (lambda f, x, i: f.reshape(x, shape=[3]), ValueError, "reshape: reshape must keep"),
        (
            lambda f, x, i: f.cast(x, dtype="u8"),
            ValueError,
            "cast: dtype: unsupported element type",
        ),
        (lambda f, x, i: f.add(i, 0.5), ValueError, "0.5 is not an integer, as i32"),
        (lambda f, x, i: f.add(x, "1"), TypeError, "add: operand #1: expected a Value, got str"),
        (lambda f, x, i: f.iota(dim=0, shape=[4]), TypeError, "iota: needs both shape= and dtype="),
        (lambda f, x, i: f.conv2d(x), AttributeError, "no nn op 'conv2d'"),
        (lambda f, x, i: f.neg(x, name="1bad"), ValueError, "name: '1bad' is not a valid name"),
    ],
)
def test_errors_name_the_op_and_build_nothing(build, kind, message):
    error = _failure(build)
    assert type(error) is kind
    assert message in str(error)


def test_api_misuse_names_the_argument():
    b = Builder()
    with pytest.raises(ValueError, match="x: unsupported element type 'f8'"):
        b.function("f", x=("f8", [4]))
    with pytest.raises(ValueError, match="x: expected a list of non-negative integers"):
        b.function("f", x=("f32", [-1]))
    with pytest.raises(ValueError, match="name: 'a b' is not a valid name"):
        b.function("a b")
    with pytest.raises(ValueError, match=r"ended without f\.ret"), b.function("f", x=("f32", [4])):
        pass
    assert "@f" not in str(b)
    f = b.function("f", x=("f32", [4]))
    g = b.function("g", y=("f32", [4]))
    with pytest.raises(ValueError, match="operand #1: the value belongs to function @g"):
        f.add(f.args[0], g.args[0])
    f.ret(f.args[0])
    with pytest.raises(ValueError, match="function @f is finished"):
        f.neg(f.args[0])
    with pytest.raises(ValueError, match="already has a function @f"):
        b.function("f")
    with pytest.raises(ValueError, match="constant: cannot convert float64 values to i32"):
        g.constant([1.5], dtype="i32")
    with pytest.raises(KeyError, match="@g has no parameter 'z'"):
        g["z"]


def test_element_type_accepts_names_numpy_dtypes_and_types():
    assert element_type("bf16") == element_type(element_type("bf16"))
    assert str(element_type(np.bool_)) == "i1"
    assert str(element_type(np.dtype("float16"))) == "f16"


def test_example_build_mlp_runs(capsys):
    path = Path(__file__).resolve().parents[2] / "examples" / "build_mlp.py"
    runpy.run_path(str(path), run_name="__main__")
    assert "max |mlc - numpy|" in capsys.readouterr().out
