"""Output files written whole, and never through a symlink or onto something not a file.

`plan --out` and `export` write where a user points them, often into folders
others can write to. Each file goes to `NAME.partial`, created exclusively
(`O_EXCL`, `O_NOFOLLOW`) in the target folder, then renamed over `NAME`: a
reader sees the old file or the new one, never half of one; a symlink, FIFO or
device at either name is refused, not followed or replaced. Folders below the
one the user gave are opened without following symlinks (`O_NOFOLLOW`) and
each step is relative to the folder opened before it, so nothing swapped in
meanwhile leads the write elsewhere.
"""

from __future__ import annotations

import errno
import os
import stat
from contextlib import suppress
from pathlib import Path

from reconciler.errors import ReconcilerError

PARTIAL_SUFFIX = ".partial"
_KINDS = ((stat.S_ISLNK, "a symlink"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


class UnsafeWriteError(ReconcilerError):
    """A path the write would have to follow or replace although it is not a regular file."""


def write_file(path: Path, text: str, base: Path | None = None) -> None:
    """Write `text` (UTF-8, `\\n` line ends) to `path`, whole or not at all.

    `base` is the folder the user named (default: `path`'s own folder); the
    folders between it and `path` are created as needed and must not be
    symlinks. OSError passes through for the caller to word.
    """
    base = base if base is not None else path.parent
    parts = path.relative_to(base).parts
    folder = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for depth, part in enumerate(parts[:-1], start=1):
            inner = _subfolder(folder, part, base.joinpath(*parts[:depth]))
            os.close(folder)
            folder = inner
        _replace(folder, parts[-1], text, path)
    finally:
        os.close(folder)


def _subfolder(folder: int, name: str, shown: Path) -> int:
    """The folder `name` inside `folder` (created if absent), opened without following a symlink."""
    with suppress(FileExistsError):
        os.mkdir(name, dir_fd=folder)
    try:
        return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UnsafeWriteError(f"{shown}: {_kind(folder, name)}, not a folder: refusing to write "
                                   "through it") from None
        raise


def _replace(folder: int, name: str, text: str, shown: Path) -> None:
    partial = name + PARTIAL_SUFFIX
    for candidate in (name, partial):
        kind = _kind(folder, candidate)
        if kind not in ("a file", ""):
            raise UnsafeWriteError(f"{shown.with_name(candidate)}: {kind}, not a regular file: refusing to "
                                   "replace it or write through it")
    if _kind(folder, partial):
        os.unlink(partial, dir_fd=folder)  # left by a write that was cut short
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        descriptor = os.open(partial, flags, 0o666, dir_fd=folder)
    except FileExistsError:
        raise UnsafeWriteError(f"{shown.with_name(partial)}: appeared while writing: refusing to "
                               "write through it") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(partial, dir_fd=folder)
        raise


def _kind(folder: int, name: str) -> str:
    """"" when nothing is at `name`, "a file" for a regular file, else what is there."""
    try:
        mode = os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode
    except FileNotFoundError:
        return ""
    if stat.S_ISREG(mode):
        return "a file"
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")
