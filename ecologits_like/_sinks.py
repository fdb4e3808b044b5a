"""Where finished request records go: sessions, recorders and exporters register here.

Tracers call :func:`emit` once per finished request. Each sink runs in the caller's thread and
context (so context variables such as the active session are visible); a failing sink is logged
once and never reaches the caller or the other sinks; :func:`deliver` also tells the caller, by a
``record-failed`` warning on the impacts it returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ecologits_like._log import log_once
from ecologits_like.impacts.output import ImpactsOutput, ImpactsWarning
from ecologits_like.records import RequestRecord

__all__ = ["RECORD_FAILED", "Sink", "add_sink", "deliver", "emit", "remove_sink", "sinks"]

#: Warning code put on a response's impacts when a sink (session, JSONL file, exporter) failed to
#: take its record. A warning, not an error: the estimate itself is sound, and sessions that did
#: take the record keep counting it.
RECORD_FAILED = "record-failed"

Sink = Callable[[RequestRecord], None]

_lock = threading.Lock()
# Copy-on-write tuple: emit() reads it without taking the lock.
_sinks: tuple[Sink, ...] = ()


def add_sink(sink: Sink) -> None:
    """Register ``sink`` (idempotent)."""
    global _sinks
    with _lock:
        if sink not in _sinks:
            _sinks = (*_sinks, sink)


def remove_sink(sink: Sink) -> None:
    """Unregister ``sink`` (no error if absent)."""
    global _sinks
    with _lock:
        _sinks = tuple(s for s in _sinks if s is not sink and s != sink)


def sinks() -> tuple[Sink, ...]:
    """The registered sinks."""
    return _sinks


def emit(record: RequestRecord) -> list[str]:
    """Hand ``record`` to every sink; returns the failure messages (already logged once each)."""
    failures: list[str] = []
    for sink in _sinks:
        try:
            sink(record)
        except Exception as exc:  # a sink must never break the caller's request
            name = getattr(sink, "__qualname__", type(sink).__qualname__)
            message = f"request record sink {name} failed: {type(exc).__name__}: {exc}"
            log_once(f"sink:{name}:{type(exc).__name__}", message)
            failures.append(message)
    return failures


def deliver(record: RequestRecord) -> ImpactsOutput:
    """Hand ``record`` to every sink; the impacts for the caller.

    That is ``record.impacts`` itself when every sink took the record, else a copy with one
    ``record-failed`` warning per failed sink (the sinks that did take it keep the original).
    """
    if not _sinks:
        return record.impacts
    failures = emit(record)
    impacts = record.impacts
    if not failures:
        return impacts
    added = [ImpactsWarning(code=RECORD_FAILED, message=message) for message in failures]
    return impacts.model_copy(update={"warnings": [*impacts.warnings, *added]})
