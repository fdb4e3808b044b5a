"""Fault injection: each internal stage fails in turn, for every provider and call style.

For every (case, fault) pair the caller must get exactly what an uninstrumented run gets (same
``repr`` of the response or of every chunk, same raw headers), the failure must be visible where
the caller looks (``impacts.errors`` when no estimate could be made; a ``record-failed`` warning when
a sink lost the record) and in exactly one log line, and the request must still produce one record.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from ecologits_like import EcoLogits, _sinks
from ecologits_like.recording import JsonlRecorder
from ecologits_like.records import RequestRecord
from ecologits_like.registry import get_registry
from ecologits_like.session import Session
from ecologits_like.tracers import _core, _streams
from tests.reliability.kit import CASES, Apis, Case, Outcome

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class InjectedFault(RuntimeError):
    """What the monkeypatched internals raise."""


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise InjectedFault("injected by the reliability suite")


Expect = Literal["error", "record-failed", "not-attached"]


@dataclass(frozen=True)
class Fault:
    id: str
    #: Installs the fault once the provider is instrumented; may return a context to run the call in.
    inject: Callable[[pytest.MonkeyPatch, Path, str], contextlib.AbstractContextManager[Any]]
    expect: Expect


def _model_lookup(mp: pytest.MonkeyPatch, tmp: Path, provider: str) -> contextlib.AbstractContextManager[Any]:
    mp.setattr(type(get_registry().models), "resolve", _boom)
    return contextlib.nullcontext()


def _zone_lookup(mp: pytest.MonkeyPatch, tmp: Path, provider: str) -> contextlib.AbstractContextManager[Any]:
    mp.setattr(type(get_registry().mixes), "get", _boom)
    return contextlib.nullcontext()


def _engine(mp: pytest.MonkeyPatch, tmp: Path, provider: str) -> contextlib.AbstractContextManager[Any]:
    mp.setattr(_core, "lazy_estimate", _boom)
    return contextlib.nullcontext()


def _attachment(mp: pytest.MonkeyPatch, tmp: Path, provider: str) -> contextlib.AbstractContextManager[Any]:
    mp.setattr(_core, "attach", _boom)
    mp.setattr(_core, "_plain_types", set())  # response classes seen before skip attach(): not here
    mp.setattr(_core, "_complete_types", set())
    mp.setattr(_streams, "attach", _boom)
    return contextlib.nullcontext()


def _session_recording(mp: pytest.MonkeyPatch, tmp: Path, provider: str) -> contextlib.AbstractContextManager[Any]:
    mp.setattr(Session, "_add", _boom)
    return Session("faulty")


def _jsonl_full_disk(mp: pytest.MonkeyPatch, tmp: Path, provider: str) -> contextlib.AbstractContextManager[Any]:
    if not os.path.exists("/dev/full"):  # pragma: no cover - Linux has it
        pytest.skip("no /dev/full on this system")
    EcoLogits.init(providers=[provider], record_to="/dev/full")
    return contextlib.nullcontext()


def _jsonl_read_only(mp: pytest.MonkeyPatch, tmp: Path, provider: str) -> contextlib.AbstractContextManager[Any]:
    path = tmp / "records.jsonl"
    path.write_text("")
    path.chmod(0o444)
    if os.geteuid() == 0:  # root ignores file modes: hand the recorder a read-only descriptor instead
        mp.setattr(JsonlRecorder, "_open", lambda self: os.open(self.path, os.O_RDONLY))
    EcoLogits.init(providers=[provider], record_to=path)
    return contextlib.nullcontext()


def _exporter(mp: pytest.MonkeyPatch, tmp: Path, provider: str) -> contextlib.AbstractContextManager[Any]:
    """The OpenTelemetry exporter, its backend down."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from ecologits_like.exporters.opentelemetry import OpenTelemetryExporter

    def unreachable(self: Any, record: RequestRecord) -> None:
        raise ConnectionError("collector unreachable")

    mp.setattr(OpenTelemetryExporter, "__call__", unreachable)
    EcoLogits.init(providers=[provider], opentelemetry=MeterProvider(metric_readers=[InMemoryMetricReader()]))
    return contextlib.nullcontext()


FAULTS = (
    Fault("model-lookup", _model_lookup, "error"),
    Fault("zone-lookup", _zone_lookup, "error"),
    Fault("engine", _engine, "error"),
    Fault("impacts-attachment", _attachment, "not-attached"),
    Fault("session-recording", _session_recording, "record-failed"),
    Fault("jsonl-full-disk", _jsonl_full_disk, "record-failed"),
    Fault("jsonl-read-only", _jsonl_read_only, "record-failed"),
    Fault("exporter", _exporter, "record-failed"),
)

_baselines: dict[str, Outcome] = {}


def _baseline(case: Case, apis: Apis) -> Outcome:
    if case.id not in _baselines:
        assert EcoLogits.instrumented_providers() == ()
        _baselines[case.id] = case.run(apis)
    return _baselines[case.id]


def _warnings_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name.startswith("ecologits_like") and r.levelno >= logging.WARNING
    ]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_failing_stage_never_reaches_the_caller(
    case: Case,
    fault: Fault,
    apis: Apis,
    records: list[RequestRecord],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    expected = _baseline(case, apis)
    EcoLogits.init(providers=[case.provider])
    caplog.set_level(logging.DEBUG, logger="ecologits_like")
    with fault.inject(monkeypatch, tmp_path, case.provider):
        outcome = case.run(apis)
    monkeypatch.undo()

    assert outcome.observed == expected.observed, "the caller saw something else than without the tracer"
    logged = _warnings_logged(caplog)
    assert len(logged) == 1, logged
    assert len(records) == 1, "the request's record was lost"
    impacts = outcome.impacts
    if fault.expect == "error":
        assert impacts is not None and impacts.energy is None
        assert [e.code for e in impacts.errors] == ["tracer-error"]
        assert "InjectedFault" in impacts.errors[0].message and "InjectedFault" in logged[0]
        assert records[0].impacts.errors and not records[0].partial
    elif fault.expect == "record-failed":
        assert impacts is not None and not impacts.errors and impacts.energy is not None
        assert [w.code for w in impacts.warnings].count(_sinks.RECORD_FAILED) == 1
        assert "failed" in logged[0]
    else:  # the estimate was made and recorded; only putting it on the object failed
        assert not records[0].impacts.errors
        assert "InjectedFault" in logged[0]
