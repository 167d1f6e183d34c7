"""The version of cca (read by the build, shown by ``cca --version``, stamped on exports)."""

__version__ = "0.2.0"
