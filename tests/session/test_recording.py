"""JSONL recording: exact round-trip, appends safe across threads and processes, tolerant loading."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest

from ecologits_like import _sinks
from ecologits_like.impacts.range_value import RangeValue
from ecologits_like.recording import (
    RECORD_FIELDS,
    SCHEMA_VERSION,
    JsonlRecorder,
    RecordFileError,
    load_records,
    record_from_json,
    record_to_json,
    write_records,
)
from ecologits_like.records import RequestRecord
from ecologits_like.session import session
from tests.session.factory import EXACT, RANGED, UNKNOWN, make_record


def sample() -> list[RequestRecord]:
    return [
        make_record(*RANGED, 500, labels={"team": "care", "é": "ü"}),
        make_record(*EXACT, 12, latency=None, input_tokens=None, stream=True),
        make_record(*UNKNOWN, 3),
        replace(make_record(), cached_input_tokens=4, reasoning_tokens=7, partial=True, model_returned=None),
    ]


def test_round_trip_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    records = sample()
    assert write_records(records, path) == len(records)
    loaded = load_records(path)
    assert loaded.problems == []
    assert loaded.records == records
    for original, back in zip(records, loaded.records, strict=True):
        for f in fields(RequestRecord):
            assert getattr(back, f.name) == getattr(original, f.name), f.name
        assert back.impacts.model_dump() == original.impacts.model_dump()
    ranged = loaded.records[0].impacts.energy.value
    assert isinstance(ranged, RangeValue) and ranged == records[0].impacts.energy.value


def test_line_schema(tmp_path: Path) -> None:
    record = make_record(*RANGED)
    data = record_to_json(record)
    assert tuple(data) == RECORD_FIELDS
    assert data["schema"] == SCHEMA_VERSION == 1
    assert data["timestamp"] == "2025-03-01T12:00:00+00:00"
    energy = data["impacts"]["energy"]["value"]
    assert set(energy) == {"min", "max"}
    assert data["impacts"]["warnings"][0].keys() == {"code", "message"}
    line = tmp_path / "x.jsonl"
    write_records([record], line)
    raw = line.read_bytes()
    assert raw.endswith(b"\n") and raw.count(b"\n") == 1
    assert json.loads(raw) == data


def test_non_finite_latency_is_written_as_null() -> None:
    record = replace(make_record(), latency_s=float("inf"))
    assert record_to_json(record)["latency_s"] is None


def test_recorder_as_a_sink_adds_session_labels(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    recorder = JsonlRecorder(path)
    _sinks.add_sink(recorder)
    try:
        _sinks.emit(make_record())
        with session("s", labels={"team": "care"}):
            _sinks.emit(make_record(labels={"req": "1"}))
    finally:
        _sinks.remove_sink(recorder)
        recorder.close()
    _sinks.emit(make_record())  # removed: not written
    records, problems = load_records(path)
    assert problems == []
    assert [dict(r.labels) for r in records] == [{}, {"team": "care", "req": "1"}]


def test_appends_to_an_existing_file_and_reopens_after_close(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    write_records([make_record()], path)
    recorder = JsonlRecorder(path)
    recorder(make_record())
    recorder.close()
    recorder(make_record())  # reopens
    recorder.close()
    assert len(load_records(path).records) == 3


def test_threads_write_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    recorder = JsonlRecorder(path)
    records = [make_record(labels={"pad": "x" * 3000, "i": str(i)}) for i in range(8)]

    def work(record: RequestRecord) -> None:
        for _ in range(50):
            recorder(record)

    threads = [threading.Thread(target=work, args=(r,)) for r in records]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recorder.close()
    loaded = load_records(path)
    assert loaded.problems == [] and len(loaded.records) == 400


def _child(path: str, index: int) -> None:
    recorder = JsonlRecorder(path)
    record = make_record(labels={"pad": "y" * 5000, "proc": str(index)})
    for _ in range(40):
        recorder(record)
    recorder.close()


def test_processes_write_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    processes = [context.Process(target=_child, args=(str(path), i)) for i in range(4)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=30)
        assert p.exitcode == 0
    loaded = load_records(path)
    assert loaded.problems == [] and len(loaded.records) == 160
    assert sorted({r.labels["proc"] for r in loaded.records}) == ["0", "1", "2", "3"]


def test_truncated_last_line_is_reported_and_earlier_lines_kept(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    write_records(sample()[:2], path)
    whole = path.read_bytes()
    cut = make_record(*EXACT)
    line = json.dumps(record_to_json(cut)).encode()
    path.write_bytes(whole + line[: len(line) // 2])  # the writer died mid-line
    records, problems = load_records(path)
    assert len(records) == 2
    assert len(problems) == 1
    assert (problems[0].line, problems[0].kind) == (3, "truncated")
    assert "incomplete" in problems[0].message
    # A recorder opening this file ends the cut line first: the next line is not swallowed.
    recorder = JsonlRecorder(path)
    recorder(make_record())
    recorder.close()
    records, problems = load_records(path)
    assert len(records) == 3
    assert [(p.line, p.kind) for p in problems] == [(3, "corrupt")]


def test_corrupt_line_in_the_middle_is_reported_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    good = [json.dumps(record_to_json(r)) for r in sample()[:3]]
    broken = dict(record_to_json(make_record()))
    broken["output_tokens"] = "many"
    newer = dict(record_to_json(make_record()), schema=SCHEMA_VERSION + 1)
    lines = [good[0], "{not json", good[1], "", json.dumps(broken), json.dumps(newer), good[2]]
    path.write_bytes(("\n".join(lines) + "\n").encode() + b"\xff\xfe\n")
    records, problems = load_records(path)
    assert len(records) == 3
    assert [(p.line, p.kind) for p in problems] == [(2, "corrupt"), (5, "corrupt"), (6, "schema"), (8, "corrupt")]
    assert "output_tokens" in problems[1].message
    assert "schema 2" in problems[2].message
    assert "UTF-8" in problems[3].message
    with pytest.raises(RecordFileError, match=r"line 2: corrupt"):
        load_records(path, strict=True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema": None}, "schema"),
        ({"timestamp": "2025-03-01T12:00:00"}, "timezone"),
        ({"labels": {"a": 1}}, "labels"),
        ({"stream": "yes"}, "stream"),
        ({"input_tokens": True}, "input_tokens"),
        ({"impacts": {"energy": {"value": "x"}}}, "impacts.energy"),
    ],
)
def test_schema_violations_name_the_key(change: dict[str, Any], message: str) -> None:
    data = dict(record_to_json(make_record()), **change)
    with pytest.raises(ValueError, match=message):
        record_from_json(data)
    missing = dict(record_to_json(make_record()))
    del missing["provider"]
    with pytest.raises(ValueError, match="missing key 'provider'"):
        record_from_json(missing)


def test_progress_callback_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    write_records(sample(), path)
    seen: list[tuple[int, int]] = []
    load_records(path, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (path.stat().st_size, path.stat().st_size)
    with pytest.raises(OSError):
        load_records(tmp_path / "missing.jsonl")


def test_central_values_survive_a_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    record = make_record(*RANGED, methodology="ecologits-like")
    write_records([record], path)
    loaded = load_records(path).records[0].impacts.energy.value
    assert isinstance(loaded, RangeValue) and loaded.has_central
    assert loaded == record.impacts.energy.value
