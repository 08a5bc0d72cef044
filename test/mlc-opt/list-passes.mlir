// --list-passes prints every pass with its summary and its options (type, default,
// help), then exits without reading any input.

// RUN: %mlc-opt --list-passes | filecheck %s
// CHECK:      Available passes:
// CHECK:        canonicalize {{ *}}Apply canonicalization patterns and folders to a fixpoint.
// CHECK:        cse {{ *}}Eliminate common subexpressions.
// CHECK:        dce {{ *}}Erase operations whose results are unused

// RUN: %mlc-opt --load-pass-plugin=%S/Inputs/test_passes.py --list-passes | filecheck %s --check-prefix=PLUGIN
// PLUGIN:      test-options {{ *}}Take one option of every supported type and record them on the module.
// PLUGIN-NEXT:   count: int = 1 {{ *}}an integer
// PLUGIN-NEXT:   flag: bool = false {{ *}}a boolean
// PLUGIN-NEXT:   ratio: float = 0.5{{$}}
// PLUGIN-NEXT:   label: str = plain{{$}}
// PLUGIN-NEXT:   sizes: tuple[int, ...] = 1,2{{$}}
// PLUGIN-NEXT:   mode: 'fast' | 'slow' = fast{{$}}
// PLUGIN-NEXT:   limit: int | None = <unset>{{$}}
// PLUGIN-NEXT: test-required {{ *}}Need an option without a default.
// PLUGIN-NEXT:   tile-size: int (required)

// A plugin that cannot be loaded is an error, not a traceback.
// RUN: not %mlc-opt --load-pass-plugin=%S/Inputs/missing.py --list-passes 2>&1 | filecheck %s --check-prefix=MISSING
// MISSING: mlc-opt: error: cannot load pass plugin '{{.*}}missing.py': FileNotFoundError: pass plugin '{{.*}}missing.py' does not exist
