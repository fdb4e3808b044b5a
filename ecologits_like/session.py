"""Sessions: totals over the requests traced inside a block, a function, or a task tree.

A session collects the :class:`~ecologits_like.records.RequestRecord` of every traced request
that *finishes* while it is open, in the same execution context:

* in the ``with`` / ``async with`` block, or the decorated function (sync or async);
* in asyncio tasks created inside it (tasks copy the context when they are created), and in
  ``asyncio.to_thread`` calls;
* in other threads **only when they run in a copy of the context**. A plain
  ``threading.Thread(target=f)`` and ``ThreadPoolExecutor.submit(f)`` start from an empty
  context and are *not* counted. Wrap the callable with :func:`bind` (or use
  ``contextvars.copy_context().run``)::

      with session("batch") as s:
          pool.submit(bind(call_the_api), prompt)          # counted
          threading.Thread(target=bind(call_the_api)).start()  # counted (if it finishes in time)

Requests finishing after the block exited (a thread still running) are not counted: a closed
session's totals do not change.

Sessions nest: a request counts in every enclosing session. The labels of the enclosing
sessions are merged, outer to inner (inner wins), then the record's own labels on top, and the
stored record carries the merged labels.

The session is fed by a sink (:mod:`ecologits_like._sinks`) registered when the first session
opens; tracers only call ``_sinks.emit(record)``.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import itertools
import math
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar, overload

from ecologits_like import _sinks
from ecologits_like.impacts.output import (
    GWP,
    PE,
    WCF,
    ADPe,
    Embodied,
    Energy,
    Impact,
    ImpactsError,
    ImpactsOutput,
    ImpactsWarning,
    Usage,
)
from ecologits_like.impacts.range_value import ValueOrRange, sum_values
from ecologits_like.records import RequestRecord

if TYPE_CHECKING:
    from ecologits_like.exporters.boamps import BoAmpsReport

__all__ = [
    "Session",
    "bind",
    "current_labels",
    "current_session",
    "session",
    "sum_impacts",
    "summarize",
    "with_session_labels",
]

P = ParamSpec("P")
R = TypeVar("R")

_counter = itertools.count(1)


@dataclass(eq=False, slots=True)
class _Entry:
    """One entry into a session (a ``with`` block or one call of a decorated function)."""

    session: Session
    active: bool = True
    token: contextvars.Token[tuple[_Entry, ...]] | None = None


#: The open session entries of the current context, outermost first. A tuple, never mutated, so
#: copied contexts (tasks, bound threads) share it safely.
_active: contextvars.ContextVar[tuple[_Entry, ...]] = contextvars.ContextVar("ecologits_like_sessions", default=())


def _merge_labels(entries: Iterable[_Entry], own: Mapping[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for entry in entries:
        merged.update(entry.session.labels)
    merged.update(own)
    return merged


def current_labels() -> dict[str, str]:
    """The merged labels of the sessions open in the current context (inner wins)."""
    return _merge_labels(_active.get(), {})


def with_session_labels(record: RequestRecord) -> RequestRecord:
    """``record`` with the open sessions' labels merged under its own (the record itself when no change).

    Idempotent, so tracers may call it too; sinks such as the JSONL recorder call it so that
    what they write carries the session labels.
    """
    entries = _active.get()
    if not entries:
        return record
    merged = _merge_labels(entries, record.labels)
    if merged == dict(record.labels):
        return record
    return replace(record, labels=MappingProxyType(merged))


def current_session() -> Session | None:
    """The innermost session open in the current context, or ``None``."""
    entries = _active.get()
    return entries[-1].session if entries else None


def bind(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` bound to a copy of the current context, so that a thread running it counts in the open sessions.

    Example:
        >>> with session("jobs") as s:
        ...     worker = threading.Thread(target=bind(job))
    """
    context = contextvars.copy_context()

    @functools.wraps(fn)
    def run_in_context(*args: P.args, **kwargs: P.kwargs) -> R:
        # A Context can be entered by one thread at a time; copy it again per call so that one
        # bound callable may run in several threads at once.
        return context.copy().run(fn, *args, **kwargs)

    return run_in_context


def _session_sink(record: RequestRecord) -> None:
    entries = _active.get()
    if not entries:
        return
    merged = _merge_labels(entries, record.labels)
    stored = record if merged == dict(record.labels) else replace(record, labels=MappingProxyType(merged))
    seen: set[int] = set()
    for entry in entries:
        session = entry.session
        # A session entered twice in the same context (nested re-entry) counts a request once.
        if entry.active and id(session) not in seen:
            seen.add(id(session))
            session._add(stored)


_sink_lock = threading.Lock()
# Session entries entered and not yet exited, in every thread and context. The sink is registered
# only while there is one: with none open it would find nothing to record, and while any sink is
# registered every traced request builds a record for it.
_open_entries = 0


def _entry_opened() -> None:
    global _open_entries
    with _sink_lock:
        _open_entries += 1
        _sinks.add_sink(_session_sink)


def _entry_closed() -> None:
    global _open_entries
    with _sink_lock:
        _open_entries -= 1
        if _open_entries == 0:
            _sinks.remove_sink(_session_sink)


# -- sums ----------------------------------------------------------------------------------------


class _Acc:
    """Collects one indicator's values; :attr:`value` is their exact sum (see :func:`sum_values`)."""

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: list[ValueOrRange] = []

    def add_impact(self, impact: Impact | None) -> None:
        if impact is not None:
            self.values.append(impact.value)

    @property
    def value(self) -> ValueOrRange:
        return sum_values(self.values)


def _warnings_of(outputs: Iterable[ImpactsOutput]) -> list[ImpactsWarning]:
    seen: dict[tuple[str, str], ImpactsWarning] = {}
    for output in outputs:
        for warning in output.warnings:
            seen.setdefault((warning.code, warning.message), warning)
    return list(seen.values())


def sum_impacts(outputs: Iterable[ImpactsOutput]) -> ImpactsOutput:
    """The sum of successful estimates: ranges add as ranges; outputs with errors are skipped.

    The result carries the distinct warnings of the summed outputs and no errors; an empty sum
    is zero everywhere (not ``None``).
    """
    kept = [o for o in outputs if not o.errors and o.energy is not None]
    names = ("energy", "gwp", "adpe", "pe", "wcf")
    totals = {name: _Acc() for name in names}
    usage = {name: _Acc() for name in names}
    embodied = {name: _Acc() for name in ("gwp", "adpe", "pe")}
    for output in kept:
        for name in names:
            totals[name].add_impact(getattr(output, name))
            if output.usage is not None:
                usage[name].add_impact(getattr(output.usage, name))
        if output.embodied is not None:
            for name in embodied:
                embodied[name].add_impact(getattr(output.embodied, name))
    return ImpactsOutput(
        energy=Energy.of(totals["energy"].value),
        gwp=GWP.of(totals["gwp"].value),
        adpe=ADPe.of(totals["adpe"].value),
        pe=PE.of(totals["pe"].value),
        wcf=WCF.of(totals["wcf"].value),
        usage=Usage(
            energy=Energy.of(usage["energy"].value),
            gwp=GWP.of(usage["gwp"].value),
            adpe=ADPe.of(usage["adpe"].value),
            pe=PE.of(usage["pe"].value),
            wcf=WCF.of(usage["wcf"].value),
        ),
        embodied=Embodied(
            gwp=GWP.of(embodied["gwp"].value),
            adpe=ADPe.of(embodied["adpe"].value),
            pe=PE.of(embodied["pe"].value),
        ),
        warnings=_warnings_of(kept),
        errors=[],
    )


def _model_key(record: RequestRecord) -> str:
    return record.model_resolved or record.model_requested


#: Columns of :func:`summarize`, in order. Indicators come as central value, min and max.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "provider",
    "model",
    "requests",
    "failed_requests",
    "input_tokens",
    "output_tokens",
    "latency_s",
    "energy_kwh",
    "energy_kwh_min",
    "energy_kwh_max",
    "gwp_kgco2eq",
    "gwp_kgco2eq_min",
    "gwp_kgco2eq_max",
    "wcf_l",
    "wcf_l_min",
    "wcf_l_max",
)


def summarize(records: Iterable[RequestRecord]) -> list[dict[str, Any]]:
    """One row per (provider, model) with counts, token and latency totals and impact totals.

    ``model`` is the resolved registry name (the requested name when unresolved). ``requests``
    counts every record; ``failed_requests`` those whose estimate failed, which are left out of
    the impact totals but not of the token and latency totals. Each indicator is given as its
    mean (``energy_kwh``) and bounds (``energy_kwh_min``, ``energy_kwh_max``; equal when exact).
    Rows are sorted by provider then model.
    """
    groups: dict[tuple[str, str], list[RequestRecord]] = {}
    for record in records:
        groups.setdefault((record.provider, _model_key(record)), []).append(record)
    rows: list[dict[str, Any]] = []
    for (provider, model), group in sorted(groups.items()):
        total = sum_impacts(r.impacts for r in group)
        row: dict[str, Any] = {
            "provider": provider,
            "model": model,
            "requests": len(group),
            "failed_requests": sum(1 for r in group if r.impacts.errors),
            "input_tokens": sum(r.input_tokens or 0 for r in group),
            "output_tokens": sum(r.output_tokens for r in group),
            "latency_s": math.fsum(r.latency_s for r in group if r.latency_s is not None),
        }
        for column, impact in (("energy_kwh", total.energy), ("gwp_kgco2eq", total.gwp), ("wcf_l", total.wcf)):
            assert impact is not None
            row[column] = impact.central
            row[f"{column}_min"] = impact.min
            row[f"{column}_max"] = impact.max
        rows.append(row)
    return rows


# -- the session ---------------------------------------------------------------------------------


class Session:
    """Requests traced while the session is open, and their totals.

    Use :func:`session` to make one. A session is a context manager (``with``/``async with``)
    and a decorator (sync and async functions). It may be entered several times, also
    concurrently from several threads or tasks; every entry adds to the same totals. As a
    decorator, the session object is created once and accumulates over every call (it is also
    reachable as ``decorated_function.session``).

    Thread-safe: records may arrive from any thread.
    """

    def __init__(self, name: str | None = None, labels: Mapping[str, str] | None = None) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"session name must be a string or None, got {name!r} ({type(name).__name__})")
        checked: dict[str, str] = {}
        if labels is not None:
            if not isinstance(labels, Mapping):
                raise TypeError(f"session labels must be a mapping of str to str, got {type(labels).__name__}")
            for key, value in labels.items():
                if not isinstance(key, str) or not isinstance(value, str):
                    raise TypeError(f"session labels must map str to str, got {key!r}: {value!r}")
                checked[key] = value
        self.name: str = name if name is not None else f"session-{next(_counter)}"
        self.labels: Mapping[str, str] = MappingProxyType(checked)
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def __repr__(self) -> str:
        return f"Session(name={self.name!r}, labels={dict(self.labels)!r}, requests={len(self._records)})"

    # -- collection ------------------------------------------------------------------------------
    def _add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def add(self, record: RequestRecord) -> None:
        """Add a record by hand (e.g. one loaded from a JSONL file); labels are kept as they are."""
        if not isinstance(record, RequestRecord):
            raise TypeError(f"expected a RequestRecord, got {type(record).__name__}")
        self._add(record)

    def _enter(self) -> _Entry:
        _entry_opened()
        entry = _Entry(self)
        entry.token = _active.set((*_active.get(), entry))
        return entry

    def _exit(self) -> None:
        entries = _active.get()
        for entry in reversed(entries):
            if entry.session is self:
                if entry.active:
                    entry.active = False
                    _entry_closed()
                if entry.token is not None:
                    try:
                        _active.reset(entry.token)
                    except ValueError:  # exited in another context than entered: drop it by value
                        _active.set(tuple(e for e in entries if e is not entry))
                return
        raise RuntimeError(f"session {self.name!r} is not open in this context")

    def __enter__(self) -> Session:
        self._enter()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._exit()

    async def __aenter__(self) -> Session:
        self._enter()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._exit()

    @overload
    def __call__(self, fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]: ...

    @overload
    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]: ...

    def __call__(self, fn: Callable[P, Any]) -> Callable[P, Any]:
        """Decorate ``fn`` so that each call runs inside this session."""
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                async with self:
                    return await fn(*args, **kwargs)

            async_wrapper.session = self  # type: ignore[attr-defined]
            return async_wrapper

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
            with self:
                return fn(*args, **kwargs)

        wrapper.session = self  # type: ignore[attr-defined]
        return wrapper

    # -- results ---------------------------------------------------------------------------------
    @property
    def requests(self) -> list[RequestRecord]:
        """Every record collected, in arrival order, failed estimates included (a copy)."""
        with self._lock:
            return list(self._records)

    @property
    def successful_requests(self) -> list[RequestRecord]:
        """The records whose estimate succeeded (those summed in :attr:`impacts`)."""
        return [r for r in self.requests if not r.impacts.errors]

    @property
    def failed_requests(self) -> list[RequestRecord]:
        """The records whose estimate failed (unknown model, ...); excluded from :attr:`impacts`."""
        return [r for r in self.requests if r.impacts.errors]

    @property
    def errors(self) -> list[ImpactsError]:
        """The errors of the failed records, one per (code, message), in order of first occurrence."""
        seen: dict[tuple[str, str], ImpactsError] = {}
        for record in self.failed_requests:
            for error in record.impacts.errors:
                seen.setdefault((error.code, error.message), error)
        return list(seen.values())

    @property
    def warnings(self) -> list[ImpactsWarning]:
        """The distinct warnings of the summed records."""
        return list(self.impacts.warnings)

    @property
    def impacts(self) -> ImpactsOutput:
        """The sum over successful records (ranges add as ranges; zero when there are none)."""
        return sum_impacts(r.impacts for r in self.requests)

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    @overload
    def summary(self, as_frame: Literal[False] = False) -> list[dict[str, Any]]: ...

    @overload
    def summary(self, as_frame: Literal[True]) -> Any: ...

    def summary(self, as_frame: bool = False) -> list[dict[str, Any]] | Any:
        """Per provider and model: requests, failures, tokens, latency, energy, GWP and water.

        Args:
            as_frame: Return a ``pandas.DataFrame`` (columns :data:`SUMMARY_COLUMNS`) instead of
                a list of dicts. Needs pandas (``pip install 'ecologits-like[notebooks]'``).

        See :func:`summarize` for the columns.
        """
        rows = summarize(self.requests)
        if not as_frame:
            return rows
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "Session.summary(as_frame=True) needs pandas: pip install 'ecologits-like[notebooks]'"
            ) from exc
        return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))

    def to_boamps(self, **options: Any) -> list[BoAmpsReport]:
        """BoAmps inference reports of this session's requests, one per provider, model and zone.

        Keyword options are those of :func:`ecologits_like.exporters.boamps.from_records`
        (``task_family``, ``publisher``, ``status``, ...). The session name and labels are
        written in each report's task description.
        """
        from ecologits_like.exporters.boamps import from_records

        options.setdefault("session_name", self.name)
        options.setdefault("session_labels", dict(self.labels))
        return from_records(self.requests, **options)


def session(name: str | None = None, labels: Mapping[str, str] | None = None) -> Session:
    """A new :class:`Session` (``EcoLogits.session`` delegates here).

    Args:
        name: A name for the session (``session-N`` when omitted); written in reports.
        labels: String labels merged into every record collected (inner sessions win).

    Example:
        >>> with session("support-bot", labels={"team": "care"}) as s:
        ...     ...  # traced API calls
        >>> s.impacts.energy
    """
    return Session(name, labels)
