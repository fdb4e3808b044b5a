"""Request records as a CSV table: one row per request, indicators as central value, min and max.

Columns (:data:`CSV_COLUMNS`): the record's facts (timestamp in ISO 8601 UTC, provider, models,
tokens, latency, stream, partial, zone), then for each indicator ``energy_kwh``, ``gwp_kgco2eq``,
``adpe_kgsbeq``, ``pe_mj``, ``wcf_l`` its central value (:attr:`Impact.central`) and
``_min``/``_max`` bounds (empty when the
estimate failed), then ``warnings`` and ``errors`` (codes joined by ``;``) and ``labels`` (a JSON
object).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from ecologits_like.records import FACT_FIELDS, RequestRecord, utc_isoformat

__all__ = ["CSV_COLUMNS", "record_row", "write_csv"]

_INDICATORS = (
    ("energy", "energy_kwh"),
    ("gwp", "gwp_kgco2eq"),
    ("adpe", "adpe_kgsbeq"),
    ("pe", "pe_mj"),
    ("wcf", "wcf_l"),
)

CSV_COLUMNS: tuple[str, ...] = (
    "timestamp",
    *FACT_FIELDS,
    *(f"{column}{suffix}" for _, column in _INDICATORS for suffix in ("", "_min", "_max")),
    "warnings",
    "errors",
    "labels",
)


def record_row(record: RequestRecord) -> dict[str, Any]:
    """The CSV row of ``record`` (``None`` for unknown values)."""
    row: dict[str, Any] = {"timestamp": utc_isoformat(record.timestamp)}
    for name in FACT_FIELDS:
        row[name] = getattr(record, name)
    for name, column in _INDICATORS:
        impact = getattr(record.impacts, name)
        row[column] = None if impact is None else impact.central
        row[f"{column}_min"] = None if impact is None else impact.min
        row[f"{column}_max"] = None if impact is None else impact.max
    row["warnings"] = ";".join(w.code for w in record.impacts.warnings)
    row["errors"] = ";".join(e.code for e in record.impacts.errors)
    row["labels"] = json.dumps(dict(record.labels), ensure_ascii=False, sort_keys=True) if record.labels else ""
    return row


def _write(records: Iterable[RequestRecord], handle: TextIO) -> int:
    writer = csv.DictWriter(handle, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow(record_row(record))
        count += 1
    return count


def write_csv(
    records: Iterable[RequestRecord], target: str | os.PathLike[str] | TextIO, *, overwrite: bool = False
) -> int:
    """Write ``records`` as CSV to a path (atomically) or an open text file; returns the row count.

    Raises:
        FileExistsError: ``target`` is a path that exists and ``overwrite`` is false.
    """
    if not isinstance(target, (str, os.PathLike)):
        return _write(records, target)
    from ecologits_like.exporters.boamps import _atomic_write

    path = Path(target)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; pass overwrite=True to replace it")
    buffer = io.StringIO()
    count = _write(records, buffer)
    _atomic_write(path, buffer.getvalue().encode("utf-8"), overwrite)
    return count
