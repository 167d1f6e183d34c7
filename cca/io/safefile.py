"""Write output files without ever harming what is already there.

* Only regular files are ever replaced: a target that is a symlink (dangling or not),
  a directory, a device, a FIFO or a socket is refused, and so is an existing file
  unless the caller says ``force``.
* Without ``force`` the file is created exclusively (a hard link of the finished
  temporary file, which fails if the name exists): of several writers at once, one wins.
* Content is written to a temporary file beside the target and moved into place only
  when complete; the temporary file is removed on every way out (errors, signals).
* New files get the mode the umask gives (0666 & ~umask), whatever the format.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cca.core.errors import OutputError, QueryError
from cca.core.signals import signals_held as signals_held  # the io layer's name for it
from cca.core.text import visible

_TYPES = {
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFDIR: "a directory",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
}


def umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: Names longer than this are shown by their start and end (a 100,000-character name stays a short line).
SHOWN_NAME = 512


def describe(path: Path | str) -> str:
    """A path or name as a message shows it: control characters escaped, a very long one cut in the middle."""
    text = visible(str(path))
    if len(text) <= SHOWN_NAME:
        return text
    return f"{text[:400]}...{text[-80:]} ({len(str(path)):,} characters)"


def is_directory(path: Path) -> bool:
    """Whether ``path`` is a directory (following symlinks); never raises, whatever the name."""
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):  # missing, a loop, a name too long, a NUL byte: not a directory here
        return False


def check_target(path: Path, force: bool) -> None:
    """Refuse a target that is not a regular file, or that exists without ``force`` (exit status 2)."""
    if str(path) == "":
        raise QueryError("the output path is empty")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as error:
        raise OutputError(f"cannot write {describe(path)}: {_reason(error)}") from None
    if not stat.S_ISREG(info.st_mode):
        what = _TYPES.get(stat.S_IFMT(info.st_mode), "not a regular file")
        raise QueryError(f"{describe(path)} is {what}: cca writes only regular files")
    if not force:
        raise QueryError(f"{describe(path)} exists: use {{force}} to replace it", params=["force"])


def writable_directory(path: Path) -> None:
    """Make sure ``path`` is a directory files can be created in (making it and its parents if missing).

    A regular file, a device, a dangling symlink, a symlink loop or a directory that refuses new files
    (``/proc/self``) is an :class:`OutputError` (exit status 73) naming it, never an internal error.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise OutputError(f"cannot write in {describe(path)}: it is a symbolic link to nothing") from None
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(f"cannot create the directory {describe(path)}: {_reason(error)}") from None
        return
    except (OSError, ValueError) as error:
        reason = _reason(error) if isinstance(error, OSError) else str(error)
        raise OutputError(f"cannot write in {describe(path)}: {reason}") from None
    if not stat.S_ISDIR(info.st_mode):
        what = _TYPES.get(stat.S_IFMT(info.st_mode), "a regular file")
        raise OutputError(f"cannot write in {describe(path)}: it is {what}, not a directory")


def temporary_beside(path: Path) -> tuple[int, Path]:
    """A new, empty, exclusive temporary file in ``path``'s directory: (descriptor, its path).

    Call it with signals held (:func:`signals_held`) so that the name is known before a signal lands.
    """
    parent = path.parent if str(path.parent) else Path(".")
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except OSError as error:
        raise OutputError(f"cannot write in {describe(parent)}: {_reason(error)}") from None
    return handle, Path(name)


def cannot_write(path: Path, error: OSError) -> OutputError:
    """The one-line error for a file or directory that cannot be written (exit status 73)."""
    return OutputError(f"cannot write {describe(path)}: {_reason(error)}")


def _reason(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "no space left on the device"
    if error.errno == errno.EROFS:
        return "read-only file system"
    if error.errno == errno.ELOOP:
        return "too many levels of symbolic links (a symlink loop?)"
    return (error.strerror or str(error)).rstrip(".").lower() if error.strerror else str(error)


@contextlib.contextmanager
def atomic_path(path: Path, force: bool) -> Iterator[Path]:
    """A temporary path to write; on success it becomes ``path`` (refused if it may not be replaced)."""
    check_target(path, force)
    parent = path.parent if str(path.parent) else Path(".")
    temporary: Path | None = None
    try:
        with signals_held():  # a signal now is delivered inside the try, after the name is known
            parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
            temporary = Path(name)
        os.fchmod(handle, 0o666 & ~umask())
        os.close(handle)
        yield temporary
        with signals_held():
            _commit(temporary, path, force)
            _remove([temporary])
    except OSError as error:
        raise OutputError(f"cannot write {describe(path)}: {_reason(error)}") from None
    finally:
        if temporary is not None:
            with signals_held():
                _remove([temporary])


def _commit(temporary: Path, path: Path, force: bool) -> None:
    if force:
        check_target(path, True)  # still a regular file (or nothing) at the last moment
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise QueryError(f"{describe(path)} exists: use {{force}} to replace it", params=["force"]) from None
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        # No hard links here (some file systems): reserve the name exclusively, then move into it.
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise QueryError(f"{describe(path)} exists: use {{force}} to replace it", params=["force"]) from None
        os.close(descriptor)
        os.replace(temporary, path)


@contextlib.contextmanager
def atomic_directory(directory: Path, names: list[str], force: bool) -> Iterator[dict[str, Path]]:
    """Temporary paths for several files in ``directory``, all moved into place only if all are written.

    On any failure nothing is left behind: no temporary file, no file of this export, and
    not the directory either if this export created it.
    """
    created = _ensure_directory(directory)
    targets = {name: directory / name for name in names}
    temporaries: dict[str, Path] = {}
    committed: list[Path] = []
    try:
        for target in targets.values():
            check_target(target, force)
        mask = umask()
        for name in names:
            with signals_held():
                handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
                temporaries[name] = Path(temporary)
            os.fchmod(handle, 0o666 & ~mask)
            os.close(handle)
        yield temporaries
        with signals_held():
            for name, target in targets.items():
                existed = os.path.lexists(target)
                _commit(temporaries[name], target, force)
                if not existed:
                    committed.append(target)
            _remove(list(temporaries.values()))
    except OSError as error:
        with signals_held():
            _undo(temporaries, committed, created, directory)
        raise OutputError(f"cannot write to {describe(directory)}: {_reason(error)}") from None
    except BaseException:
        with signals_held():
            _undo(temporaries, committed, created, directory)
        raise
    finally:
        with signals_held():
            _remove(list(temporaries.values()))


def _remove(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _undo(temporaries: dict[str, Path], committed: list[Path], created: bool, directory: Path) -> None:
    _remove([*temporaries.values(), *committed])
    if created:
        with contextlib.suppress(OSError):
            os.rmdir(directory)


def _ensure_directory(path: Path) -> bool:
    """The directory for a multi-file export (True if this call made it); anything else there is refused."""
    if str(path) in ("", "."):
        return False
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        try:
            path.mkdir(parents=True)
        except OSError as error:
            raise OutputError(f"cannot create {describe(path)}: {_reason(error)}") from None
        return True
    except OSError as error:
        raise OutputError(f"cannot write to {describe(path)}: {_reason(error)}") from None
    if not stat.S_ISDIR(info.st_mode):
        what = _TYPES.get(stat.S_IFMT(info.st_mode), "a regular file")
        raise QueryError(f"{describe(path)} is {what}, not a directory")
    return False
