"""What mlc's command-line tools share."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose usage errors exit with status 1, like every other tool error."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


class UsageError(Exception):
    """A command-line mistake, reported as `<tool>: error: <message>`."""


def read_input(path: str) -> bytes:
    """The bytes of an input file, or of stdin for `-`."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise UsageError(f"cannot read '{path}': {e.strerror or e}") from None
