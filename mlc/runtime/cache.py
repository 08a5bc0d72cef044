"""The on-disk compile cache: a second `mlc.compile` of a program skips all compiling.

An entry is one zip file named by a key, a SHA-256 over everything that decides the
compiled code: the source text, the target and its pipeline, the host CPU (name and
features), LLVM's version, the versions of xdsl, llvmlite and numpy, and a
fingerprint of mlc's own source files (so editing the compiler invalidates entries
even when its version number stays). It holds the object code, the kernels'
signatures and the host programs (`manifest.json`), and each constant as `.npy`.

Robustness over speed: an entry is written to a temporary file in the cache folder
and renamed into place (atomic on POSIX), so concurrent writers of one key leave one
whole entry and readers never see half of one. An entry that does not read back
whole (truncated, corrupted, from another format version, object code whose
checksum differs) is a miss: it is deleted and the program compiled again. A cache
folder that cannot be written costs a warning, never the compile.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

FORMAT = 3
"""Bumped when the entry layout changes: older entries become misses."""

_MANIFEST = "manifest.json"
_OBJECT = "kernels.o"

__all__ = ["CacheEntry", "CompileCache", "cache_key"]


@dataclass(frozen=True)
class CacheEntry:
    manifest: Mapping[str, Any]
    """JSON data: the kernels' signatures and the host programs."""
    object_code: bytes
    blobs: Mapping[str, bytes]
    """Other members (the constants), by name."""


@functools.cache
def _source_fingerprint() -> str:
    """SHA-256 of mlc's Python sources, file names included."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _installed_version(package: ModuleType) -> str:
    """The version in the package's `.dist-info` folder: `xdsl.__version__` asks
    importlib.metadata, which costs tens of milliseconds."""
    location = Path(package.__file__ or "").parent
    name = package.__name__
    for info in location.parent.glob(f"{name}-*.dist-info"):
        return info.name.removeprefix(f"{name}-").removesuffix(".dist-info")
    return str(getattr(package, "__version__", "unknown"))


@functools.cache
def _toolchain() -> str:
    """Versions and host CPU that decide what code LLVM emits."""
    import llvmlite
    import llvmlite.binding as llvm
    import numpy
    import xdsl

    features = llvm.get_host_cpu_features().flatten()
    return json.dumps(
        [
            FORMAT,
            _source_fingerprint(),
            _installed_version(xdsl),
            str(llvmlite.__version__),
            list(llvm.llvm_version_info),
            str(numpy.__version__),
            llvm.get_process_triple(),
            llvm.get_host_cpu_name(),
            features,
        ]
    )


def cache_key(source: bytes, target: str, pipeline: str, options: Mapping[str, Any]) -> str:
    """The key of a compile: a hex SHA-256 (see the module doc for what goes in)."""
    digest = hashlib.sha256()
    for part in (_toolchain(), target, pipeline, json.dumps(dict(options), sort_keys=True)):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(source)
    return digest.hexdigest()


class CompileCache:
    """Entries in `directory` (created on first store)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.mlcx"

    def load(self, key: str) -> CacheEntry | None:
        """The entry for `key`, or None on a miss (a damaged entry is removed)."""
        path = self.path(key)
        try:
            with zipfile.ZipFile(path) as archive:
                manifest = json.loads(archive.read(_MANIFEST))
                object_code = archive.read(_OBJECT)
                blobs = {
                    name: archive.read(name)
                    for name in archive.namelist()
                    if name not in (_MANIFEST, _OBJECT)
                }
            if manifest.get("format") != FORMAT or manifest.get("key") != key:
                raise ValueError("an entry of another format or key")
            if hashlib.sha256(object_code).hexdigest() != manifest.get("object_sha256"):
                raise ValueError("object code checksum mismatch")
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
            self._discard(path)
            return None
        return CacheEntry(manifest, object_code, blobs)

    def store(
        self, key: str, manifest: Mapping[str, Any], object_code: bytes, blobs: Mapping[str, bytes]
    ) -> Path | None:
        """Writes an entry atomically; returns its path, or None (with a warning) if
        the folder cannot be written."""
        full = {
            **manifest,
            "format": FORMAT,
            "key": key,
            "object_sha256": hashlib.sha256(object_code).hexdigest(),
        }
        members: Iterable[tuple[str, bytes]] = [
            (_MANIFEST, json.dumps(full).encode()),
            (_OBJECT, object_code),
            *blobs.items(),
        ]
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".mlcx")
            try:
                with os.fdopen(handle, "wb") as file, zipfile.ZipFile(file, "w") as archive:
                    for name, data in members:
                        archive.writestr(name, data)
                os.replace(temporary, self.path(key))
            except BaseException:
                self._discard(Path(temporary))
                raise
        except OSError as error:
            warnings.warn(
                f"mlc compile cache: cannot write to {self.directory}: {error}",
                RuntimeWarning,
                stacklevel=3,
            )
            return None
        return self.path(key)

    def clear(self) -> int:
        """Removes every entry; returns how many there were."""
        removed = 0
        for path in self.directory.glob("*.mlcx"):
            self._discard(path)
            removed += 1
        return removed

    @staticmethod
    def _discard(path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()
