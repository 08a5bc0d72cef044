// A wrong pipeline is reported once, as `mlc-opt: error: invalid pass pipeline: ...`
// with the pipeline text and a caret under the offending spot, and exit status 1.

// RUN: not %mlc-opt %s -p cse,no-such-pass 2>&1 | filecheck %s --check-prefix=UNKNOWN
// UNKNOWN:      mlc-opt: error: invalid pass pipeline: unknown pass 'no-such-pass' (see mlc-opt --list-passes)
// UNKNOWN-NEXT: {{^}}  cse,no-such-pass{{$}}
// UNKNOWN-NEXT: {{^}}      ^{{$}}
// UNKNOWN-NOT:  Traceback

// Close misspellings get a suggestion.
// RUN: not %mlc-opt %s -p canonicalise 2>&1 | filecheck %s --check-prefix=TYPO
// TYPO: mlc-opt: error: invalid pass pipeline: unknown pass 'canonicalise'; did you mean 'canonicalize'?

// RUN: not %mlc-opt %s -p 'cse{max-iterations=3}' 2>&1 | filecheck %s --check-prefix=NO-OPTIONS
// NO-OPTIONS: mlc-opt: error: invalid pass pipeline: pass 'cse' has no option 'max-iterations'; pass 'cse' takes no options

// Unknown options and bad values name the pass, the option, and the valid options.
// RUN: not %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py -p 'test-options{colour=red}' 2>&1 \
// RUN:   | filecheck %s --check-prefix=UNKNOWN-OPTION
// UNKNOWN-OPTION:      mlc-opt: error: invalid pass pipeline: pass 'test-options' has no option 'colour'; valid options: count: int = 1, flag: bool = false, ratio: float = 0.5, label: str = plain, sizes: tuple[int, ...] = 1,2, mode: 'fast' | 'slow' = fast, limit: int | None = <unset>
// UNKNOWN-OPTION-NEXT: {{^}}  test-options{colour=red}{{$}}
// UNKNOWN-OPTION-NEXT: {{^}}               ^{{$}}

// RUN: not %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py -p 'test-options{count=many}' 2>&1 \
// RUN:   | filecheck %s --check-prefix=BAD-INT
// BAD-INT: mlc-opt: error: invalid pass pipeline: bad value for option 'count' of pass 'test-options': expected an integer, got 'many'; valid options: count: int = 1,

// RUN: not %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py -p 'test-options{flag=maybe}' 2>&1 \
// RUN:   | filecheck %s --check-prefix=BAD-BOOL
// BAD-BOOL: bad value for option 'flag' of pass 'test-options': expected true or false, got 'maybe'

// RUN: not %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py -p 'test-options{mode=medium}' 2>&1 \
// RUN:   | filecheck %s --check-prefix=BAD-CHOICE
// BAD-CHOICE: bad value for option 'mode' of pass 'test-options': expected one of 'fast' | 'slow', got 'medium'

// RUN: not %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py -p 'test-options{sizes=1,x}' 2>&1 \
// RUN:   | filecheck %s --check-prefix=BAD-LIST
// BAD-LIST: bad value for option 'sizes' of pass 'test-options': expected an integer, got 'x'

// RUN: not %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py -p 'test-options{count=1 count=2}' 2>&1 \
// RUN:   | filecheck %s --check-prefix=TWICE
// TWICE: mlc-opt: error: invalid pass pipeline: option 'count' of pass 'test-options' is given twice

// RUN: not %mlc-opt %s --load-pass-plugin=%S/Inputs/test_passes.py -p test-required 2>&1 \
// RUN:   | filecheck %s --check-prefix=REQUIRED
// REQUIRED: mlc-opt: error: invalid pass pipeline: pass 'test-required' requires option 'tile-size' (int); valid options: tile-size: int (required)

// Syntax errors point at the character where parsing stopped.
// RUN: not %mlc-opt %s --pass-pipeline='builtin.module(func.func(cse)' 2>&1 | filecheck %s --check-prefix=UNCLOSED
// UNCLOSED:      mlc-opt: error: invalid pass pipeline: expected ',' or ')' to close 'builtin.module(', found end of pipeline
// UNCLOSED-NEXT: {{^}}  builtin.module(func.func(cse){{$}}
// UNCLOSED-NEXT: {{^}}                              ^{{$}}

// RUN: not %mlc-opt %s -p 'cse{' 2>&1 | filecheck %s --check-prefix=OPEN-BRACE
// OPEN-BRACE: mlc-opt: error: invalid pass pipeline: expected an option name or '}' in the options of 'cse', found end of pipeline

// RUN: not %mlc-opt %s -p 'cse;dce' 2>&1 | filecheck %s --check-prefix=JUNK
// JUNK: mlc-opt: error: invalid pass pipeline: unexpected ';'

// RUN: not %mlc-opt %s --pass-pipeline='cse(dce)' 2>&1 | filecheck %s --check-prefix=NOT-ANCHOR
// NOT-ANCHOR: mlc-opt: error: invalid pass pipeline: 'cse' is not an operation name to anchor passes on (pass options go in braces: cse{...})

// RUN: not %mlc-opt %s -p cse --pass-pipeline='builtin.module(cse)' 2>&1 | filecheck %s --check-prefix=BOTH
// BOTH: mlc-opt: error: give the pipeline with either --pass-pipeline or -p, not both

// RUN: not %mlc-opt %s -p cse --print-ir-after=cee 2>&1 | filecheck %s --check-prefix=DUMP-NAME
// DUMP-NAME: mlc-opt: error: --print-ir-after: unknown pass 'cee'; did you mean

func.func @f() {
  func.return
}
