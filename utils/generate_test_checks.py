#!/usr/bin/env python3
"""Turn mlc-opt output into FileCheck lines, like MLIR's generate-test-checks.py.

    mlc-opt test.mlir -p decompose | python utils/generate_test_checks.py

Each function gets a `CHECK-LABEL`, each body line a `CHECK-NEXT`, and every SSA
value defined in a body is captured once (`[[EXP:%.+]]`) and matched by name
afterwards, so tests pin the dataflow rather than the printer's numbering. Read
the result before committing it: it records what the compiler does, not what it
should do.
"""

import re
import sys

SSA = re.compile(r"%([A-Za-z_][\w$.]*|\d+)")


def variable_name(ssa: str, op_name: str, taken: set[str]) -> str:
    """The value's own name if it has one, else the mnemonic of the op defining it."""
    base = ssa.upper() if not ssa[0].isdigit() else op_name.split(".")[-1].upper()
    base = re.sub(r"\W", "_", base)
    name, n = base, 0
    while name in taken:
        n += 1
        name = f"{base}{n}"
    taken.add(name)
    return name


def checks(text: str, prefix: str = "CHECK") -> list[str]:
    out: list[str] = []
    names: dict[str, str] = {}
    taken: set[str] = set()
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("builtin.module") or stripped == "}":
            continue
        if stripped.startswith("func.func"):
            names.clear()
            taken.clear()
            label = re.match(r"(func\.func (?:\w+ )?@[\w.$]+)\(", stripped)
            out.append(f"// {prefix}-LABEL: {label.group(0) if label else stripped}")
            continue
        defined = []
        if m := re.match(r"((?:%[\w$.]+(?:, )?)+) = ", stripped):
            defined = SSA.findall(m.group(1))
            rest = stripped[m.end() :]
        else:
            rest = stripped
        rest = SSA.sub(
            lambda u: f"[[{names[u.group(1)]}]]" if u.group(1) in names else u.group(0), rest
        )
        lhs = []
        for d in defined:
            names[d] = variable_name(d, rest.split(" ", 1)[0], taken)
            lhs.append(f"[[{names[d]}:%.+]]")
        body = (", ".join(lhs) + " = " if lhs else "") + rest
        out.append(f"// {prefix}-NEXT:    {body}")
    return out


if __name__ == "__main__":
    prefix = sys.argv[1] if len(sys.argv) > 1 else "CHECK"
    print("\n".join(checks(sys.stdin.read(), prefix)))
