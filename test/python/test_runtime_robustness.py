"""`mlc.compile`d functions called with every kind of awkward argument.

Each call either gives the interpreter's result or raises an exception that names the
argument at fault; none crashes the process or returns garbage. Awkward layouts
(non-contiguous, misaligned, read-only) are accepted: the runtime copies what a
kernel cannot read in place.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

import numpy as np
import pytest
from test_cpu_kernels import as_tuple, assert_close

import mlc
from mlc.interpreter import run
from mlc.runtime.cpu import compile_kernels
from mlc.runtime.program import BoundProgram

PROGRAM = """\
func.func @mlp(%x: tensor<5x7xf32>, %w: tensor<7x3xf32>, %b: tensor<3xf32>) -> tensor<5x3xf32> {
  %h = nn.matmul %x, %w : tensor<5x7xf32>, tensor<7x3xf32> -> tensor<5x3xf32>
  %y = nn.add %h, %b : tensor<5x3xf32>, tensor<3xf32> -> tensor<5x3xf32>
  %r = nn.relu %y : tensor<5x3xf32>
  func.return %r : tensor<5x3xf32>
}
func.func @rows(%x: tensor<4x9xf32>) -> (tensor<4x9xf32>, tensor<4xf32>, tensor<4xf32>) {
  %s = nn.softmax %x axis = 1 : tensor<4x9xf32>
  %m = nn.reduce_max %x axes = [1] : tensor<4x9xf32> -> tensor<4xf32>
  %t = nn.reduce_sum %x axes = [1] : tensor<4x9xf32> -> tensor<4xf32>
  func.return %s, %m, %t : tensor<4x9xf32>, tensor<4xf32>, tensor<4xf32>
}
func.func @empty(%x: tensor<0x5xf32>, %y: tensor<3x0xf64>) -> (tensor<0x5xf32>, tensor<5xf32>, tensor<3xf64>) {
  %e = nn.exp %x : tensor<0x5xf32>
  %s = nn.reduce_sum %x axes = [0] : tensor<0x5xf32> -> tensor<5xf32>
  %p = nn.reduce_prod %y axes = [1] : tensor<3x0xf64> -> tensor<3xf64>
  func.return %e, %s, %p : tensor<0x5xf32>, tensor<5xf32>, tensor<3xf64>
}
func.func @scale(%x: tensor<6x8xf64>) -> tensor<6x8xf64> {
  %y = nn.add %x, %x : tensor<6x8xf64>
  %z = nn.tanh %y : tensor<6x8xf64>
  func.return %z : tensor<6x8xf64>
}
"""

SHAPES = {
    "mlp": [((5, 7), np.float32), ((7, 3), np.float32), ((3,), np.float32)],
    "rows": [((4, 9), np.float32)],
    "empty": [((0, 5), np.float32), ((3, 0), np.float64)],
    "scale": [((6, 8), np.float64)],
}


@pytest.fixture(scope="module")
def module():
    return mlc.parse(PROGRAM, "robust.mlir")


@pytest.fixture(scope="module")
def exe(module) -> mlc.Executable:
    return mlc.compile(module)


def inputs(name: str, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape, dtype in SHAPES[name]]


def check(module, exe, name: str, arrays: list[np.ndarray]) -> None:
    """`exe.name(*arrays)` agrees with the interpreter (on contiguous copies)."""
    expected = as_tuple(run(module, name, *(np.ascontiguousarray(a) for a in arrays)))
    actual = as_tuple(exe[name](*arrays))
    assert len(actual) == len(expected)
    for n, (e, a) in enumerate(zip(expected, actual, strict=True)):
        assert_close(e, a, 9, f"@{name} result #{n}")


# ---------------------------------------------------------------------------
# Wrong arguments: an exception naming the argument


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda x, w, b: (x.astype(np.float64), w, b),
            TypeError,
            r"^argument #0 \(%x\): expected dtype float32 \(f32\), got float64$",
        ),
        (
            lambda x, w, b: (x, w.astype(np.int32), b),
            TypeError,
            r"^argument #1 \(%w\): expected dtype float32 \(f32\), got int32$",
        ),
        (
            lambda x, w, b: (x, w.T.copy(), b),
            ValueError,
            r"^argument #1 \(%w\): expected shape \(7, 3\), got \(3, 7\)$",
        ),
        (
            lambda x, w, b: (x.reshape(35), w, b),
            ValueError,
            r"^argument #0 \(%x\): expected shape \(5, 7\), got \(35,\)$",
        ),
        (
            lambda x, w, b: (x, w, b[None]),
            ValueError,
            r"^argument #2 \(%b\): expected shape \(3,\), got \(1, 3\)$",
        ),
        (
            lambda x, w, b: (x, w, np.float32(1.0)),
            TypeError,
            r"^argument #2 \(%b\): expected a numpy.ndarray of dtype float32 and shape \(3,\)",
        ),
        (
            lambda x, w, b: (x.tolist(), w, b),
            TypeError,
            r"^argument #0 \(%x\): expected a numpy.ndarray .* got list$",
        ),
        (lambda x, w, b: (x, w), TypeError, r"^@mlp takes 3 arguments \(.*\), got 2$"),
        (lambda x, w, b: (), TypeError, r"^@mlp takes 3 arguments \(.*\), got 0$"),
        (lambda x, w, b: (x, w, b, b), TypeError, r"^@mlp takes 3 arguments \(.*\), got 4$"),
    ],
    ids=[
        "dtype",
        "int-dtype",
        "shape",
        "rank-lower",
        "rank-higher",
        "numpy-scalar",
        "list",
        "too-few",
        "none",
        "too-many",
    ],
)
def test_wrong_arguments_name_the_argument(
    exe, make: Callable[..., tuple], error: type[Exception], message: str
):
    with pytest.raises(error, match=message):
        exe.mlp(*make(*inputs("mlp")))


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: np.empty((5, 3), np.float64),
            ValueError,
            r"^out\[0\]: expected float32\[5, 3\], got float64\[5, 3\]$",
        ),
        (
            lambda: np.empty((3, 5), np.float32),
            ValueError,
            r"^out\[0\]: expected float32\[5, 3\], got float32\[3, 5\]$",
        ),
        (lambda: np.empty((5, 6), np.float32)[:, ::2], ValueError, r"^out\[0\]: .*C-contiguous"),
        (
            lambda: [np.empty((5, 3), np.float32)] * 2,
            TypeError,
            r"^out: the function has 1 results?, got 2 arrays$",
        ),
        (lambda: [[[0.0] * 3] * 5], TypeError, r"^out\[0\]: expected a numpy.ndarray, got list$"),
    ],
    ids=["dtype", "shape", "strided", "count", "list"],
)
def test_wrong_out_names_it(exe, make: Callable[[], object], error: type[Exception], message):
    with pytest.raises(error, match=message):
        exe.mlp(*inputs("mlp"), out=make())


def test_read_only_out_is_refused(exe):
    out = np.empty((5, 3), np.float32)
    out.setflags(write=False)
    with pytest.raises(ValueError, match=r"out\[0\]: .*writable"):
        exe.mlp(*inputs("mlp"), out=out)


def test_out_aliasing_an_argument_is_refused(exe):
    (x,) = inputs("scale")
    with pytest.raises(ValueError, match=r"out\[0\]: the array shares memory with an argument"):
        exe.scale(x, out=x)


def test_a_refused_call_leaves_the_executable_usable(module, exe):
    with pytest.raises(TypeError):
        exe.mlp(*inputs("mlp")[:2])
    check(module, exe, "mlp", inputs("mlp"))


# ---------------------------------------------------------------------------
# Awkward but valid arguments: the interpreter's result


def test_non_contiguous_inputs_are_copied(module, exe):
    x, w, b = inputs("mlp")
    transposed = np.asfortranarray(x)  # column-major
    strided = np.repeat(w, 2, axis=1)[:, ::2]  # every other column
    reversed_b = b[::-1].copy()[::-1]  # negative stride
    assert not transposed.flags.c_contiguous and not strided.flags.c_contiguous
    assert reversed_b.strides[0] < 0
    check(module, exe, "mlp", [transposed, strided, reversed_b])


def test_misaligned_inputs_work(module, exe):
    """np.frombuffer one byte into a buffer: every element straddles a word boundary."""
    arrays = []
    for array in inputs("mlp"):
        raw = bytearray(array.nbytes + 1)
        shifted = np.frombuffer(raw, array.dtype, array.size, offset=1).reshape(array.shape)
        shifted[...] = array
        assert not shifted.flags.aligned
        arrays.append(shifted)
    check(module, exe, "mlp", arrays)


def test_read_only_inputs_work(module, exe):
    arrays = inputs("mlp")
    for array in arrays:
        array.setflags(write=False)
    check(module, exe, "mlp", arrays)
    frozen = np.frombuffer(inputs("scale")[0].tobytes(), np.float64).reshape(6, 8)
    assert not frozen.flags.writeable
    check(module, exe, "scale", [frozen])


def test_inputs_are_not_modified(exe):
    arrays = inputs("rows")
    before = [a.copy() for a in arrays]
    exe.rows(*arrays)
    for a, b in zip(arrays, before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_zero_size_dims(module, exe):
    check(module, exe, "empty", inputs("empty"))
    exp, sums, prods = exe.empty(*inputs("empty"))
    assert exp.shape == (0, 5)
    np.testing.assert_array_equal(sums, np.zeros(5, np.float32))
    np.testing.assert_array_equal(prods, np.ones(3, np.float64))


def test_nan_and_inf_inputs(module, exe):
    (x,) = inputs("rows")
    x[0, 3] = np.nan
    x[1, :] = np.inf
    x[2, 5] = -np.inf
    x[3, 0] = np.finfo(np.float32).max
    x[3, 1] = np.finfo(np.float32).max
    check(module, exe, "rows", [x])
    softmax, maxima, sums = exe.rows(x)
    assert np.isnan(softmax[0]).all() and np.isnan(maxima[0]) and np.isnan(sums[0])
    assert maxima[1] == np.inf and sums[1] == np.inf
    assert sums[3] == np.inf  # float32 overflow, as in numpy
    w = np.full((7, 3), np.inf, np.float32)
    x, _, b = inputs("mlp")
    check(module, exe, "mlp", [x, w, b])


def test_concurrent_calls_from_8_threads(module, exe):
    """One executable, 8 threads, different inputs each: every result is that
    thread's own (intermediates live in per-call arenas)."""
    expected = {}
    cases = {}
    for seed in range(8):
        cases[seed] = (inputs("mlp", seed), inputs("rows", seed), inputs("scale", seed))
        mlp_args, rows_args, scale_args = cases[seed]
        expected[seed] = (
            run(module, "mlp", *mlp_args),
            as_tuple(run(module, "rows", *rows_args)),
            run(module, "scale", *scale_args),
        )
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(seed: int) -> None:
        try:
            start.wait()
            mlp_args, rows_args, scale_args = cases[seed]
            for _ in range(25):
                assert_close(expected[seed][0], exe.mlp(*mlp_args), 7, f"thread {seed} @mlp")
                for e, a in zip(expected[seed][1], exe.rows(*rows_args), strict=True):
                    assert_close(e, a, 9, f"thread {seed} @rows")
                assert_close(expected[seed][2], exe.scale(*scale_args), 1, f"thread {seed} @scale")
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a call hung"
    assert not errors, errors[0]


# ---------------------------------------------------------------------------
# Kernels that write an output in place over an input

IN_PLACE_KERNEL = """\
func.func @f(%a: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<64xf32> {
  %y = loop.kernel "add_over_b" domain(%i: 64) ins(%ai = %a : tensor<64xf32>, %bi = %b : tensor<64xf32>) outs(%o : tensor<64xf32>) attributes {in_place = array<i64: 1>} {
    %v = loop.load %ai[%i] : tensor<64xf32>
    %w = loop.load %bi[%i] : tensor<64xf32>
    %s = arith.addf %v, %w : f32
    loop.store %s, %o[%i] : tensor<64xf32>
  }
  func.return %y : tensor<64xf32>
}
"""


@pytest.fixture(scope="module")
def add_over_b():
    kernel = compile_kernels(mlc.parse(IN_PLACE_KERNEL))["add_over_b"]
    assert kernel.signature.in_place == (1,)
    return kernel


def test_in_place_output_may_be_its_input(add_over_b):
    a, b = (np.arange(64, dtype=np.float32) * k for k in (1, 3))
    expected = a + b
    out = np.empty_like(b)
    add_over_b(a, b, out)  # separate buffers still work
    np.testing.assert_array_equal(out, expected)
    for begin, end in ((0, 20), (20, 64)):  # two threads' ranges, one buffer
        add_over_b(a, b, b, begin=begin, end=end)
    np.testing.assert_array_equal(b, expected)


def test_other_overlaps_with_an_in_place_output_are_refused(add_over_b):
    a, b = np.ones(64, np.float32), np.ones(64, np.float32)
    with pytest.raises(ValueError, match=r"#2 .*shares memory with another argument \(#0\)"):
        add_over_b(a, b, a)  # undeclared: a is not the input it may be written over
    buffer = np.zeros(80, np.float32)
    with pytest.raises(ValueError, match=r"#2 .*in place over argument #1, but only as exactly"):
        add_over_b(a, buffer[:64], buffer[16:])  # the declared input, shifted
    assert not buffer.any()


def test_an_in_place_claim_the_kernel_does_not_keep_is_refused():
    reversed_read = IN_PLACE_KERNEL.replace("%bi[%i]", "%bi[63 - %i]")
    with pytest.raises(mlc.CompileError, match="result #0 cannot be written over input #1: "):
        compile_kernels(mlc.parse(reversed_read))


# ---------------------------------------------------------------------------
# A program is proven safe once, when it is bound to its kernels


CHAIN = """\
func.func @chain(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>) -> tensor<8x16xf32> {
  %s = nn.softmax %x axis = 1 : tensor<8x16xf32>
  %h = nn.matmul %s, %w : tensor<8x16xf32>, tensor<16x16xf32> -> tensor<8x16xf32>
  %t = nn.softmax %h axis = 1 : tensor<8x16xf32>
  %u = nn.matmul %t, %w : tensor<8x16xf32>, tensor<16x16xf32> -> tensor<8x16xf32>
  func.return %u : tensor<8x16xf32>
}
"""


@pytest.fixture(scope="module")
def chain() -> mlc.Executable:
    return mlc.compile(CHAIN)


def launches_with(program, position: int, **changes):
    launches = list(program.launches)
    launches[position] = dataclasses.replace(launches[position], **changes)
    return dataclasses.replace(program, launches=tuple(launches))


def test_a_bound_program_runs_like_the_interpreter(chain):
    program = chain.programs["chain"]
    assert program.arena_bytes > 0 and any(
        offset is not None for launch in program.launches for offset in launch.arena_offsets
    )
    bound = BoundProgram(program, chain.kernels)
    x = np.random.default_rng(1).standard_normal((8, 16)).astype(np.float32)
    w = np.random.default_rng(2).standard_normal((16, 16)).astype(np.float32)
    expected = run(mlc.parse(CHAIN), "chain", x, w)
    for threads in (1, 2):
        assert_close(expected, bound.run([x, w], threads), 16)
        assert_close(expected, bound.run([x, w], threads), 16)  # the arena views again


def placed_launch(program) -> int:
    return next(
        n
        for n, launch in enumerate(program.launches)
        if any(offset is not None for offset in launch.arena_offsets)
    )


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda p, n: launches_with(p, n, kernel="nope"), "no compiled kernel of that name"),
        (
            lambda p, n: launches_with(p, n, arena_offsets=(p.arena_bytes,)),
            "is not an aligned range of the",
        ),
        (lambda p, n: launches_with(p, n, arena_offsets=(4,)), "is not an aligned range"),
        (
            lambda p, n: launches_with(p, n + 1, inputs=(1, *p.launches[n + 1].inputs[1:])),
            "value 1 is not float32",
        ),
        (lambda p, n: dataclasses.replace(p, results=(1,)), "returned value 1 is not"),
    ],
    ids=["unknown-kernel", "outside-arena", "unaligned", "wrong-input", "wrong-result"],
)
def test_a_program_that_does_not_fit_its_kernels_is_refused(chain, tamper, message):
    program = chain.programs["chain"]
    with pytest.raises(ValueError, match=message):
        BoundProgram(tamper(program, placed_launch(program)), chain.kernels)


def test_an_arena_value_overwritten_while_still_read_is_refused(chain):
    """Two intermediates at one offset while the first is still read later."""
    program = chain.programs["chain"]
    placed = [
        n
        for n, launch in enumerate(program.launches)
        if any(offset is not None for offset in launch.arena_offsets)
    ]
    first = placed[0]
    reader = next(
        n
        for n, launch in enumerate(program.launches)
        if program.launches[first].outputs[0] in launch.inputs
    )
    # Make the reader write its own output over the value it reads, as if in place,
    # without the kernel declaring it: refused.
    tampered = launches_with(program, reader, arena_offsets=program.launches[first].arena_offsets)
    with pytest.raises(ValueError, match=r"overlaps value .* which is still in use"):
        BoundProgram(tampered, chain.kernels)
