"""Whole-knowledge exports, each a module that registers itself here.

Every export holds the same records as ``--json`` output, with the same field names;
it is deterministic (the same knowledge gives byte-identical files), streams records
from the store (memory stays flat at any size) and writes through
:mod:`cca.io.safefile` (never replacing anything but a regular file, and that only
when asked).
"""

from __future__ import annotations

from cca.io.exporters import csv_export, json_export, sqlite_export, yaml_export  # noqa: F401  (each registers itself)
from cca.io.exporters.base import EXPORTERS, Exporter, Options

__all__ = ["EXPORTERS", "Exporter", "Options"]
