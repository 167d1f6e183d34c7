"""Writing to stdout and stderr so that nothing a stream does can end in a traceback.

Data goes to stdout, remarks and errors to stderr, each through one function here.
A reader that went away (a pipe into ``head``) ends the run quietly; a stdout that is
closed, full or failing ends it with one line on stderr and exit status 74; a stderr
that cannot be written is simply not written to.
"""

from __future__ import annotations

import os
import sys

from cca.core.text import visible


class StdoutGone(Exception):
    """The reader of stdout went away (EPIPE): stop quietly."""


class StdoutFailed(Exception):
    """stdout cannot be written (closed, full, an I/O error)."""


#: Set at start-up when file descriptor 1 was closed before cca started (see cca.cli.run).
STDOUT_CLOSED = False


def stdout_encoding() -> str:
    return (getattr(sys.stdout, "encoding", None) or "utf-8").lower()


def stdout_is_unicode() -> bool:
    try:
        "中–“".encode(stdout_encoding())
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def emit(text: str) -> None:
    """Write data to stdout; characters the stream cannot encode become escapes, with a note."""
    stream = sys.stdout
    if stream is None or STDOUT_CLOSED:
        raise StdoutFailed("it is closed")
    try:
        try:
            stream.write(text)
        except UnicodeEncodeError:
            encoding = stdout_encoding()
            stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
            note(
                f"stdout's encoding ({encoding}) cannot show some characters; they are written as \\u escapes "
                "(set PYTHONIOENCODING=utf-8, or use --json)"
            )
        stream.flush()
    except BrokenPipeError:
        raise StdoutGone from None
    except OSError as failure:
        raise StdoutFailed((failure.strerror or str(failure)).rstrip(".")) from None
    except ValueError:  # writing to a closed file object
        raise StdoutFailed("it is closed") from None


def _stderr(line: str) -> None:
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(line)
        stream.flush()
    except (OSError, ValueError, UnicodeEncodeError):
        pass


def error(message: str) -> None:
    """One line on stderr, prefixed with the program name; anything from data shown escaped."""
    _stderr(f"cca: {visible(message)}\n")


def note(message: str) -> None:
    """A remark about the answer, not data: on stderr so pipes stay clean."""
    _stderr(f"cca: note: {visible(message)}\n")


def raw_error_line(line: str) -> None:
    _stderr(visible(line) + "\n")


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass
    try:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives until exit
    except OSError:
        sys.stdout = None
