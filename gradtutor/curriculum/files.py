"""Reading the files a user names: regular files only, within a size cap, as UTF-8 text.

A path on the command line may name anything: a folder, a named pipe (FIFO) that blocks its
reader until someone writes to it, `/dev/zero`, which never ends and whose size the file system
reports as 0. Anything but a regular file is refused before it is read, and a regular file is
read only up to the cap, whatever size it claims, so no path can hang gradtutor or fill its
memory. Text that is not UTF-8 is refused with the line and column of its first bad byte.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from gradtutor.curriculum.yamlnodes import Mark

# A class's answers file is a few kilobytes and the whole shipped curriculum about 100 kB: a file
# larger than this is not one of them.
MAX_FILE_BYTES = 2_000_000

# Opening a FIFO for reading blocks until a writer appears, unless it is opened non-blocking.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)

_NOT_A_FILE_HINT = "gradtutor reads regular files only; save the content to a file and name that"


class FileProblem(Exception):
    """Why a file cannot be read: `message` says what happened, `hint` what to do about it."""

    def __init__(self, message: str, hint: str | None = None, mark: Mark | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.mark = mark


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of the regular file at `path` (UTF-8, a BOM allowed); else `FileProblem`."""
    return decode_utf8(read_bytes(path, max_bytes))


def read_bytes(path: Path, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file at `path`, at most `max_bytes` of them; else `FileProblem`."""
    try:
        _refuse_special(os.stat(path).st_mode, path)
        descriptor = os.open(path, _OPEN_FLAGS)
    except FileProblem:
        raise
    except FileNotFoundError:
        raise FileProblem("no such file", "check the path") from None
    except IsADirectoryError:
        raise FileProblem("this is a folder, not a file", _folder_hint(path)) from None
    except OSError as error:
        raise FileProblem(f"cannot read it ({error.strerror or error})") from None
    with os.fdopen(descriptor, "rb") as file:
        # The path may have changed between the two looks: check what was actually opened.
        _refuse_special(os.fstat(descriptor).st_mode, path)
        try:
            data = file.read(max_bytes + 1)
        except OSError as error:
            raise FileProblem(f"cannot read it ({error.strerror or error})") from None
    if len(data) > max_bytes:
        raise FileProblem(
            f"the file is larger than {_size_text(max_bytes)}, the most gradtutor reads",
            "no exercise or answers file is this large; check that this is the right file",
        )
    return data


def _refuse_special(mode: int, path: Path | None = None) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise FileProblem("this is a folder, not a file", _folder_hint(path))
    kinds = (
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    kind = next((name for test, name in kinds if test(mode)), "not a regular file")
    raise FileProblem(f"this is {kind}, not a regular file", _NOT_A_FILE_HINT)


def _folder_hint(path: Path | None) -> str:
    inside = f"{path}/*.yaml" if path is not None else "folder/*.yaml"
    return f"name the files inside it, for example {inside}"


def _size_text(size: int) -> str:
    return f"{size / 1_000_000:g} MB" if size >= 1_000_000 else f"{size:,} bytes"


def decode_utf8(data: bytes) -> str:
    """`data` as UTF-8 text (a leading BOM dropped); else `FileProblem` at the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        line = data.count(b"\n", 0, error.start) + 1
        column = len(data[line_start : error.start].decode("utf-8-sig", "replace")) + 1
        byte = data[error.start]
        raise FileProblem(
            f"the file is not UTF-8 text: byte 0x{byte:02X} is not valid here",
            "save it as UTF-8 (most editors offer this under Save As, or Encoding)",
            Mark(line, column),
        ) from None
