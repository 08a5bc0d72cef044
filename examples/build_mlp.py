"""A two-layer MLP block with a residual connection, built with mlc.builder.

    python examples/build_mlp.py          # prints the IR, checks native code against numpy

`y = x + W2 @ gelu(W1 @ layer_norm(x) + b1) + b2`, the feed-forward half of a
transformer block, for a batch of 8 tokens of width 64 (hidden width 256).
"""

import numpy as np

from mlc.builder import Builder

TOKENS, WIDTH, HIDDEN = 8, 64, 256


def build() -> Builder:
    b = Builder()
    with b.function(
        "mlp_block",
        x=("f32", [TOKENS, WIDTH]),
        w1=("f32", [HIDDEN, WIDTH]),
        b1=("f32", [HIDDEN]),
        w2=("f32", [WIDTH, HIDDEN]),
        b2=("f32", [WIDTH]),
    ) as f:
        x, w1, b1, w2, b2 = f.args
        normed = f.layer_norm(x, axes=[1], eps=1e-5, name="normed")
        hidden = f.gelu(f.linear(normed, w1, b1), name="hidden")
        f.ret(f.add(x, f.linear(hidden, w2, b2), name="y"))
    return b


def reference(x, w1, b1, w2, b2):
    from math import erf

    normed = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)
    h = normed @ w1.T + b1
    hidden = 0.5 * h * (1 + np.vectorize(erf)(h / np.sqrt(2)))
    return x + hidden @ w2.T + b2


def main() -> None:
    b = build()
    print(b)
    rng = np.random.default_rng(0)
    shapes = [(TOKENS, WIDTH), (HIDDEN, WIDTH), (HIDDEN,), (WIDTH, HIDDEN), (WIDTH,)]
    args = [(rng.standard_normal(s) * 0.1).astype(np.float32) for s in shapes]
    y = b.compile().mlp_block(*args)
    expected = reference(*(a.astype(np.float64) for a in args))
    error = np.abs(y - expected).max()
    print(f"max |mlc - numpy| = {error:.2e}")
    assert error < 1e-4, error


if __name__ == "__main__":
    main()
