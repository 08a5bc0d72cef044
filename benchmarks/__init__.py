"""The benchmark suite: mlc-compiled CPU code vs numpy, torch eager and torch.compile.

    python -m benchmarks.run                 # the full run (< 10 min); rewrites docs/benchmarks.md
    python -m benchmarks.run --quick         # small shapes, few repeats (< 1 min)

`workloads` defines the programs (nn text per shape, plus their numpy and torch
twins), `measure` the timing method (round-robin medians, copy bandwidth, thread
control, other load on the machine), `compile_time` the cold and warm compile
times measured in fresh processes, `report` the JSON, Markdown and chart, and
`run` the command line. Performance lives here, never in timed tests.
"""
