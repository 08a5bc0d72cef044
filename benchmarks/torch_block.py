"""A nanoGPT-style transformer block under torch.compile: mlc vs eager vs Inductor.

    python -m benchmarks.torch_block                      # batch 4, 64 tokens, width 128
    python -m benchmarks.torch_block --dim 256 --tokens 128 --threads 1

Inference (`torch.no_grad()`, f32). Each implementation is checked against eager
first, then timed round-robin (`benchmarks.measure.round_robin`) in turns of
`--turn` calls, the first untimed (a model runs in a loop; the first call after
another implementation competes with that one's spinning threads); the script prints
compile times, median call times and the ratios of eager and Inductor to mlc (above
1: mlc is faster). torch runs with the same thread count mlc gets. Inductor needs a
C++ compiler; when it cannot compile, its row says why.
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch
from torch import nn

from benchmarks.measure import Budget, round_robin
from mlc.frontends import torch_backend
from mlc.frontends.torch import FallbackWarning

F = nn.functional


class Block(nn.Module):
    """Pre-norm causal self-attention and a GELU MLP with residuals, as in nanoGPT."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln_1, self.ln_2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.c_attn, self.c_proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.fc, self.proj = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))
        return x + self.proj(F.gelu(self.fc(self.ln_2(x)), approximate="tanh"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--seconds", type=float, default=5.0, help="timing budget")
    parser.add_argument("--turn", type=int, default=10, help="calls in a row per round")
    args = parser.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model = Block(args.dim, args.heads).eval()
    x = torch.randn(args.batch, args.tokens, args.dim)
    backends = {
        "eager": None,
        "mlc": torch_backend(num_threads=args.threads),
        "inductor": "inductor",
    }
    calls, notes = {}, {}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)  # a fallback would not be mlc's time
        want = model(x)
        for name, backend in backends.items():
            run = model if backend is None else torch.compile(model, backend=backend, dynamic=False)
            start = time.perf_counter()
            try:
                got = run(x)
            except Exception as error:  # Inductor without a C++ compiler, say
                notes[name] = f"unavailable: {type(error).__name__}: {str(error)[:120]}"
                continue
            notes[name] = f"first call (compile) {time.perf_counter() - start:.2f} s"
            torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)
            calls[name] = lambda run=run: run(x)
        budget = Budget(min_reps=10, max_reps=10_000, seconds=args.seconds)
        samples = round_robin(calls, budget, turn=args.turn)

    shape = f"[{args.batch}, {args.tokens}, {args.dim}], {args.heads} heads"
    print(f"transformer block {shape}, f32, {args.threads} thread(s), turns of {args.turn} calls")
    mlc_median = samples["mlc"].median if "mlc" in samples else None
    for name in backends:
        if name not in samples:
            print(f"  {name:9} {notes[name]}")
            continue
        median = samples[name].median
        ratio = f"  {median / mlc_median:5.2f}x mlc's time" if mlc_median else ""
        print(f"  {name:9} median {median * 1e3:8.3f} ms{ratio}   ({notes[name]})")


if __name__ == "__main__":
    main()
