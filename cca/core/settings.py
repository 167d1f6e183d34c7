"""What a load of the knowledge is told: which files, which cache, which limits.

The library never reads the environment. :func:`Settings.from_environ` is the one
place that turns environment variables into settings; the CLI calls it once and
passes the result to :func:`cca.load`, and a notebook can do the same.
"""

import os
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import NamedTuple

#: Extra knowledge files or directories, separated by os.pathsep.
ENV_KNOWLEDGE = "CCA_KNOWLEDGE"
#: Set to 1 to leave the bundled knowledge out.
ENV_NO_BUNDLED = "CCA_NO_BUNDLED"
#: The user's knowledge directory (imported datasets); default $XDG_DATA_HOME/cca.
ENV_DATA_DIR = "CCA_DATA_DIR"
#: Set to 1 to leave the user's knowledge directory out.
ENV_NO_DATA_DIR = "CCA_NO_DATA_DIR"
#: Where compiled stores are kept; default $XDG_CACHE_HOME/cca.
ENV_CACHE_DIR = "CCA_CACHE_DIR"
#: Set to 1 to read the files on every run instead of a compiled store.
ENV_NO_CACHE = "CCA_NO_CACHE"
#: Cap on one knowledge file's size, in bytes.
ENV_MAX_FILE_BYTES = "CCA_MAX_FILE_BYTES"

#: Cap on one hand-written knowledge file: 96 MiB. Reading a file holds its text and the records built
#: from it, several times its size: under a 1 GiB address-space limit a 96 MiB file validates (measured:
#: 190,000 generated projects in 127 MB peak at 494 MB RSS; one 96 MiB string at 591 MB), while a
#: 256 MiB file ran out of memory. Bench's 100,000-project file (67 MB) and an import of all of GCDF 3.0's
#: 21,000 rows written as YAML (70 MB) fit.
DEFAULT_MAX_FILE_BYTES = 96 * 1024 * 1024

_TRUE = ("1", "true", "yes", "on")


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() in _TRUE


@cache
def bundled_data_dir() -> Path:
    """The bundled data directory: inside the installed package, or ``data/`` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "data"
    return installed if installed.is_dir() else package.parent / "data"


class Settings(NamedTuple):
    """Everything :func:`cca.load` needs to know; every field has a safe default.

    ``knowledge`` lists extra files or directories, loaded after the bundled file and
    the user's knowledge directory. ``cache_dir`` None means: build the store in
    memory on every load (nothing written to disk).
    """

    knowledge: tuple[Path, ...] = ()
    bundled: bool = True
    data_dir: Path | None = None
    cache_dir: Path | None = None
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    #: Where the bundled knowledge and its schema are (None: inside the package, or data/ in a checkout).
    data_root: Path | None = None

    @property
    def root(self) -> Path:
        return self.data_root if self.data_root is not None else bundled_data_dir()

    @property
    def bundled_file(self) -> Path:
        return self.root / "knowledge.yaml"

    @property
    def schema_file(self) -> Path:
        return self.root / "knowledge.schema.json"

    def with_knowledge(self, extra: Iterable[Path]) -> "Settings":
        return self._replace(knowledge=(*self.knowledge, *extra))

    @classmethod
    def from_environ(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        knowledge: Iterable[Path] = (),
        bundled: bool | None = None,
        data_dir: bool | Path | None = None,
        cache: bool | None = None,
    ) -> "Settings":
        """Settings from the environment, with command-line choices taking precedence.

        ``bundled``, ``data_dir`` and ``cache`` None mean: as the environment says.
        """
        env = os.environ if environ is None else environ
        paths = [Path(entry.strip()) for entry in env.get(ENV_KNOWLEDGE, "").split(os.pathsep) if entry.strip()]
        paths.extend(knowledge)
        if bundled is None:
            bundled = not _flag(env, ENV_NO_BUNDLED)
        home = Path(env.get("HOME") or Path.home())
        chosen_data: Path | None
        if isinstance(data_dir, Path):
            chosen_data = data_dir
        elif data_dir is False or (data_dir is None and _flag(env, ENV_NO_DATA_DIR)):
            chosen_data = None
        else:
            chosen_data = default_data_dir(env, home)
        use_cache = (not _flag(env, ENV_NO_CACHE)) if cache is None else cache
        cache_dir = None
        if use_cache:
            explicit = env.get(ENV_CACHE_DIR, "").strip()
            cache_dir = Path(explicit) if explicit else (_xdg(env, "XDG_CACHE_HOME") or home / ".cache") / "cca"
        limit = DEFAULT_MAX_FILE_BYTES
        raw = env.get(ENV_MAX_FILE_BYTES, "").strip()
        if raw.isdigit():
            limit = int(raw)
        return cls(
            knowledge=tuple(paths),
            bundled=bundled,
            data_dir=chosen_data,
            cache_dir=cache_dir,
            max_file_bytes=limit,
        )


class KnowledgeFile(NamedTuple):
    """One file to load: ``label`` is how messages name it, ``name`` its path below its knowledge root."""

    path: Path
    label: str
    name: str


def label_for(path: Path) -> str:
    """How messages name a file: relative to the working directory when inside it, else as given."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(path)


def default_data_dir(environ: Mapping[str, str], home: Path) -> Path:
    """The knowledge directory: $CCA_DATA_DIR, else $XDG_DATA_HOME/cca (if absolute), else ~/.local/share/cca."""
    explicit = environ.get(ENV_DATA_DIR, "").strip()
    if explicit:
        return Path(explicit)
    return (_xdg(environ, "XDG_DATA_HOME") or home / ".local" / "share") / "cca"


def _xdg(environ: Mapping[str, str], name: str) -> Path | None:
    """An XDG base directory from the environment: the XDG spec says a relative path is invalid and ignored."""
    value = environ.get(name, "")
    return Path(value) if value and os.path.isabs(value) else None
