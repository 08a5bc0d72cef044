"""Tools that test the compiler itself: random programs, the differential fuzzer
(`mlc.testing.fuzz`) and the decision bisector (`mlc.testing.bisect`).

See docs/reliability.md. Nothing here is imported by the compiler.
"""
