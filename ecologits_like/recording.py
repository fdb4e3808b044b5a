"""Durable request records: one JSON line per request, appended safely; and loading them back.

The JSON line schema (``"schema": 1``) is a flat object; every key is always present::

    {"schema": 1,
     "timestamp": "2025-03-01T12:00:00.123456+00:00",    # request start, ISO 8601, UTC
     "provider": "openai", "model_requested": "gpt-4o", "model_resolved": "gpt-4o",
     "model_returned": "gpt-4o-2024-08-06",               # or null
     "input_tokens": 12, "output_tokens": 500,            # input may be null
     "cached_input_tokens": null, "reasoning_tokens": null,
     "latency_s": 3.2,                                    # null when unknown (or not finite)
     "stream": false, "partial": false, "zone": "USA",
     "labels": {"team": "care"},
     "impacts": {...}}                                    # ImpactsOutput.model_dump(mode="json")

Within ``impacts`` a value is a number or, when uncertain, ``{"min": ..., "max": ...}``;
``warnings`` and ``errors`` are lists of ``{"code", "message"}``. No prompt, completion,
header or key is ever written: :class:`~ecologits_like.records.RequestRecord` has no such field.

Writing (:class:`JsonlRecorder`): the file is opened with ``O_APPEND`` and each line is written
with a single ``os.write`` of its encoded bytes, so lines from several threads or processes
never interleave, and what was written survives the process dying (the kernel has it; pass
``fsync=True`` to also survive a machine crash, at a cost per request).

Loading (:func:`load_records`) never raises on bad content: it returns the records and a list
of :class:`RecordProblem` (line number and reason). A truncated last line (a write cut short)
is reported as ``truncated``; an unparsable line anywhere else as ``corrupt``; a line written
by a newer schema as ``schema``. Pass ``strict=True`` to raise :class:`RecordFileError` on the
first problem instead.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from pydantic import ValidationError

from ecologits_like.impacts.output import ImpactsOutput
from ecologits_like.records import FACT_FIELDS, RequestRecord, utc_isoformat

__all__ = [
    "RECORD_FIELDS",
    "SCHEMA_VERSION",
    "JsonlRecorder",
    "LoadedRecords",
    "RecordFileError",
    "RecordProblem",
    "encode_record",
    "load_records",
    "record_from_json",
    "record_to_json",
    "write_records",
]

#: Version of the JSON line schema, written under the ``"schema"`` key of every line.
SCHEMA_VERSION = 1

#: The keys of a JSON line, in the order they are written.
RECORD_FIELDS: tuple[str, ...] = ("schema", "timestamp", *FACT_FIELDS, "labels", "impacts")


def record_to_json(record: RequestRecord) -> dict[str, Any]:
    """The JSON object of one line (see the module docstring)."""
    latency = record.latency_s
    if latency is not None and not math.isfinite(latency):
        latency = None
    line: dict[str, Any] = {"schema": SCHEMA_VERSION, "timestamp": utc_isoformat(record.timestamp)}
    for name in FACT_FIELDS:
        line[name] = getattr(record, name)
    line["latency_s"] = latency  # same place in the line: updating a key keeps its position
    line["labels"] = dict(record.labels)
    line["impacts"] = record.impacts.model_dump(mode="json")
    return line


def encode_record(record: RequestRecord) -> bytes:
    """One complete line: compact UTF-8 JSON and a trailing newline."""
    text = json.dumps(record_to_json(record), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def _expect(data: Mapping[str, Any], key: str, kinds: type | tuple[type, ...], optional: bool = False) -> Any:
    if key not in data:
        raise ValueError(f"missing key {key!r}")
    value = data[key]
    if value is None and optional:
        return None
    if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
        raise ValueError(f"key {key!r} has {value!r}, expected {_kind_names(kinds)}")
    if not isinstance(value, kinds):
        raise ValueError(f"key {key!r} has {value!r}, expected {_kind_names(kinds)}")
    return value


def _count(data: Mapping[str, Any], key: str, optional: bool = False) -> Any:
    """A token count: a whole number >= 0 (``None`` allowed when ``optional``)."""
    value = _expect(data, key, int, optional=optional)
    if value is not None and value < 0:
        raise ValueError(f"key {key!r} has {value!r}, expected a count >= 0")
    return value


def _kind_names(kinds: type | tuple[type, ...]) -> str:
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    return " or ".join(k.__name__ for k in kinds)


def record_from_json(data: Any) -> RequestRecord:
    """The record of one parsed JSON line.

    Raises:
        ValueError: the object does not follow the schema (the message names the key).
    """
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    schema = data.get("schema")
    if schema != SCHEMA_VERSION:
        if isinstance(schema, int) and not isinstance(schema, bool) and schema > SCHEMA_VERSION:
            raise _SchemaError(f"written with record schema {schema}; this version reads schema {SCHEMA_VERSION}")
        raise ValueError(f"key 'schema' has {schema!r}, expected {SCHEMA_VERSION}")
    try:
        timestamp = datetime.fromisoformat(_expect(data, "timestamp", str))
    except ValueError as exc:
        raise ValueError(f"key 'timestamp': {exc}") from None
    if timestamp.tzinfo is None:
        raise ValueError("key 'timestamp' has no timezone; expected UTC")
    labels = _expect(data, "labels", dict)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
        raise ValueError("key 'labels' must map strings to strings")
    impacts_raw = _expect(data, "impacts", dict)
    try:
        impacts = ImpactsOutput.model_validate(impacts_raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"key 'impacts.{where}': {first['msg']}") from None
    latency = _expect(data, "latency_s", (int, float), optional=True)
    if latency is not None and not (math.isfinite(latency) and latency >= 0):
        raise ValueError(f"key 'latency_s' has {latency!r}, expected seconds >= 0 or null")
    return RequestRecord(
        timestamp=timestamp.astimezone(UTC),
        provider=_expect(data, "provider", str),
        model_requested=_expect(data, "model_requested", str),
        model_resolved=_expect(data, "model_resolved", str, optional=True),
        model_returned=_expect(data, "model_returned", str, optional=True),
        input_tokens=_count(data, "input_tokens", optional=True),
        output_tokens=_count(data, "output_tokens"),
        cached_input_tokens=_count(data, "cached_input_tokens", optional=True),
        reasoning_tokens=_count(data, "reasoning_tokens", optional=True),
        latency_s=None if latency is None else float(latency),
        stream=_expect(data, "stream", bool),
        partial=_expect(data, "partial", bool),
        zone=_expect(data, "zone", str, optional=True),
        labels=MappingProxyType(dict(labels)),
        impacts=impacts,
    )


class _SchemaError(ValueError):
    pass


# -- writing -------------------------------------------------------------------------------------


class JsonlRecorder:
    """A sink appending one JSON line per request to ``path``.

    Register it with ``_sinks.add_sink(recorder)`` (``EcoLogits.init(record_to=...)`` does);
    call :meth:`close` after removing it. The file is created on the first record (mode 0o666
    less the umask), its parent directory must exist. The labels of the sessions open where the
    request finished are merged into the line, as sessions do.

    Args:
        path: The JSONL file; appended to if it exists.
        fsync: ``os.fsync`` after every line (survives power loss; slow). Off by default: a
            line handed to the kernel already survives the process dying.
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = False) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self._fd: int | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"JsonlRecorder({str(self.path)!r})"

    def _open(self) -> int:
        with self._lock:
            if self._fd is not None and self._pid == os.getpid():
                return self._fd
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
            # A line cut short by a crash would swallow the next line: end it first, so that the
            # damage stays one reported line.
            try:
                size = os.fstat(fd).st_size
                if size:
                    with open(self.path, "rb") as tail:
                        tail.seek(size - 1)
                        if tail.read(1) != b"\n":
                            os.write(fd, b"\n")
            except OSError:
                pass
            self._fd, self._pid = fd, os.getpid()
            return fd

    def __call__(self, record: RequestRecord) -> None:
        """Append ``record`` (with the open sessions' labels) as one line."""
        from ecologits_like.session import with_session_labels

        self.write(with_session_labels(record))

    def write(self, record: RequestRecord) -> None:
        """Append ``record`` as it is."""
        data = encode_record(record)
        fd = self._open()
        written = os.write(fd, data)
        while written < len(data):  # only on a full disk or a signal; keep the line whole if we can
            written += os.write(fd, data[written:])
        if self.fsync:
            os.fsync(fd)

    def close(self) -> None:
        """Close the file (a later record reopens it)."""
        with self._lock:
            fd, self._fd = self._fd, None
            if fd is not None and self._pid == os.getpid():
                os.close(fd)

    def __enter__(self) -> JsonlRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_records(records: Iterable[RequestRecord], path: str | os.PathLike[str]) -> int:
    """Append ``records`` to the JSONL file ``path``; returns how many were written."""
    count = 0
    with JsonlRecorder(path) as recorder:
        for record in records:
            recorder.write(record)
            count += 1
    return count


# -- loading -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """A line of a record file that could not be loaded.

    Attributes:
        line: 1-based line number.
        kind: ``truncated`` (the last line, cut short), ``corrupt`` (not a valid record) or
            ``schema`` (written by a newer version).
        message: What is wrong.
    """

    line: int
    kind: Literal["truncated", "corrupt", "schema"]
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.kind}: {self.message}"


class LoadedRecords(NamedTuple):
    """What :func:`load_records` returns: the records, and the lines it could not load."""

    records: list[RequestRecord]
    problems: list[RecordProblem]


class RecordFileError(ValueError):
    """A record file has a bad line (raised by ``load_records(..., strict=True)``)."""

    def __init__(self, path: Path, problem: RecordProblem) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


def load_records(
    path: str | os.PathLike[str],
    *,
    strict: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> LoadedRecords:
    """Read a JSONL record file written by :class:`JsonlRecorder`.

    Args:
        path: The file.
        strict: Raise :class:`RecordFileError` at the first bad line instead of reporting it.
        progress: Called as ``progress(bytes_read, total_bytes)`` while reading.

    Returns:
        ``(records, problems)``. Blank lines are ignored. A bad line is never silently skipped:
        it is in ``problems`` with its line number.

    Raises:
        OSError: the file cannot be read.
    """
    file = Path(path)
    records: list[RequestRecord] = []
    problems: list[RecordProblem] = []
    with open(file, "rb") as handle:
        total = os.fstat(handle.fileno()).st_size
        done = 0
        for number, raw in enumerate(handle, start=1):
            done += len(raw)
            if progress is not None:
                progress(done, total)
            if not raw.strip():
                continue
            complete = raw.endswith(b"\n")
            try:
                records.append(record_from_json(json.loads(raw.decode("utf-8"))))
                continue
            except _SchemaError as exc:
                problem = RecordProblem(number, "schema", str(exc))
            except UnicodeDecodeError as exc:
                problem = RecordProblem(number, "corrupt", f"not UTF-8 ({exc.reason} at byte {exc.start})")
            except json.JSONDecodeError as exc:
                kind: Literal["truncated", "corrupt"] = "corrupt" if complete else "truncated"
                detail = f"invalid JSON at column {exc.colno}: {exc.msg}"
                if not complete:
                    detail = f"the last line is incomplete (the writer stopped mid-line); {detail}"
                problem = RecordProblem(number, kind, detail)
            except ValueError as exc:
                problem = RecordProblem(number, "corrupt", f"not a request record: {exc}")
            if strict:
                raise RecordFileError(file, problem)
            problems.append(problem)
    return LoadedRecords(records, problems)
