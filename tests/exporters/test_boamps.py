"""BoAmps reports: content, validation against the official schemas, round-trip, atomic writes."""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pydantic
import pytest

from ecologits_like._version import __version__
from ecologits_like.exporters.boamps import (
    BOAMPS_FORMAT_VERSION,
    RANGES_PREFIX,
    BoAmpsReport,
    Publisher,
    from_records,
    report_filename,
    write_report,
    write_reports,
)
from ecologits_like.session import session
from tests.exporters.schemas import schema_errors
from tests.session.factory import EXACT, RANGED, UNKNOWN, make_record

PUBLISHER = {"name": "ACME", "confidentialityLevel": "public"}


def records() -> list[Any]:
    return [
        make_record(*RANGED, 400, latency=2.0, input_tokens=20, offset_s=0),
        make_record(*RANGED, 600, latency=3.0, input_tokens=40, offset_s=60),
        make_record(*EXACT, 100, latency=None, input_tokens=None, offset_s=30),
        make_record(*EXACT, 100, zone="FRA", offset_s=5),
        make_record(*UNKNOWN, 50),
        make_record("anthropic", "claude-3-5-haiku-20241022", 250, offset_s=10),
        make_record("huggingface_hub", "meta-llama/Llama-3.1-8B-Instruct", 80, offset_s=20),
    ]


def test_every_report_validates_against_the_official_schema(report_validator: Any) -> None:
    reports = from_records(records(), task_family="chatbot", publisher=PUBLISHER, licensing="CC-BY-4.0")
    assert len(reports) == 5  # gpt-4o, gpt-oss-120b in USA and in FRA, claude, llama; the unknown one is left out
    for report in reports:
        assert schema_errors(report_validator, report.to_dict()) == []
        assert schema_errors(report_validator, json.loads(report.to_json())) == []


def test_report_content() -> None:
    now = datetime(2025, 4, 1, 8, 30, 15, tzinfo=UTC)
    source = records()
    reports = {r._key: r for r in from_records(source, publisher=PUBLISHER, status="final", now=now)}
    report = reports[("openai", "gpt-4o", "USA")]
    header = report.header
    assert header is not None and header.publisher is not None
    assert uuid.UUID(header.report_id or "").version == 4
    assert header.report_datetime == "2025-04-01 08:30:15"
    assert (header.report_status, header.format_version) == ("final", BOAMPS_FORMAT_VERSION)
    assert header.publisher.name == "ACME"

    task = report.task
    assert (task.task_stage, task.task_family, task.nb_request) == ("inference", "chatbot", 2)
    algorithm = task.algorithms[0]
    assert algorithm.foundation_model_name == "gpt-4o" and algorithm.algorithm_type == "llm"
    assert algorithm.parameters_number is not None and algorithm.parameters_number > 0
    assert [(d.data_usage, d.data_type, d.data_quantity) for d in task.dataset] == [
        ("input", "token", 30),
        ("output", "token", 500),
    ]

    group = source[:2]
    measure = report.measures[0]
    expected_mean = (
        math.fsum(r.impacts.energy.min for r in group) / 2 + math.fsum(r.impacts.energy.max for r in group) / 2
    )
    assert measure.power_consumption == pytest.approx(expected_mean, rel=1e-12)
    assert measure.measurement_method == "ecologits-like (estimation)" and measure.version == __version__
    assert measure.measurement_duration == 5.0
    assert measure.measurement_date_time == "2025-03-01 12:00:00"

    infrastructure = report.infrastructure
    assert (infrastructure.infra_type, infrastructure.cloud_provider) == ("publicCloud", "openai")
    gpu = infrastructure.components[0]
    assert gpu.component_type == "gpu" and gpu.nb_component >= 1 and gpu.memory_size == 80
    assert gpu.manufacturer == "NVIDIA" and gpu.share == 1 / 64
    assert report.environment is not None and report.environment.country == "United States"
    assert report.quality == "low"

    # Ranges: means in the numbers, bounds in the task description.
    description = task.task_description or ""
    match = re.search(re.escape(RANGES_PREFIX) + r" energy ([0-9.e-]+)-([0-9.e-]+) kWh", description)
    assert match is not None
    lo, hi = float(match.group(1)), float(match.group(2))
    assert lo == pytest.approx(math.fsum(r.impacts.energy.min for r in group), rel=1e-5)
    assert hi == pytest.approx(math.fsum(r.impacts.energy.max for r in group), rel=1e-5)
    assert lo < measure.power_consumption < hi
    assert "1 of 7 input record(s) had no estimate" in description

    france = reports[("openai", "gpt-oss-120b", "FRA")]
    assert france.environment is not None and france.environment.country == "France"
    assert france.environment.power_source_carbon_intensity == pytest.approx(98.0)
    exact = reports[("openai", "gpt-oss-120b", "USA")]
    assert exact.measures[0].measurement_duration is None  # latency unknown
    assert [d.data_quantity for d in exact.task.dataset] == [None, 100]
    hub = reports[("huggingface_hub", "meta-llama/Llama-3.1-8B-Instruct", "USA")]
    assert hub.task.algorithms[0].foundation_model_uri == "https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct"


def test_session_to_boamps_writes_name_and_labels(report_validator: Any) -> None:
    from ecologits_like import _sinks

    with session("support-bot", labels={"team": "care"}) as s:
        _sinks.emit(make_record())
    reports = s.to_boamps(task_family="chatbot", publisher=PUBLISHER)
    assert len(reports) == 1
    description = reports[0].task.task_description or ""
    assert "Session: support-bot." in description and "team=care" in description
    assert schema_errors(report_validator, reports[0].to_dict()) == []


def test_nothing_to_report_and_bad_arguments() -> None:
    with pytest.raises(ValueError, match="nothing to report: 1 record"):
        from_records([make_record(*UNKNOWN)])
    with pytest.raises(ValueError, match="nothing to report: 0 record"):
        from_records([])
    with pytest.raises(pydantic.ValidationError, match="confidentialityLevel"):
        from_records([make_record()], publisher={"name": "ACME", "confidentialityLevel": "top"})
    with pytest.raises(ValueError, match="task_family"):
        from_records([make_record()], task_family=" ")
    with pytest.raises(ValueError, match="hardware"):
        from_records([make_record()], hardware="tpu")


def test_optional_header_fields_are_omitted(report_validator: Any) -> None:
    report = from_records([make_record()], quality=None)[0]
    data = report.to_dict()
    assert "publisher" not in data["header"] and "licensing" not in data["header"] and "quality" not in data
    assert schema_errors(report_validator, data) == []
    assert from_records([make_record()], publisher=Publisher(confidentiality_level="internal"))[0].to_dict()["header"][
        "publisher"
    ] == {"confidentialityLevel": "internal"}


def test_schema_catches_what_the_models_would_not(report_validator: Any) -> None:
    # The validator really validates: a report missing required parts fails.
    data = from_records([make_record()])[0].to_dict()
    del data["measures"]
    data["task"]["dataset"][0]["dataType"] = "bytes"
    errors = schema_errors(report_validator, data)
    assert any("measures" in e for e in errors) and any("bytes" in e for e in errors)


def test_official_example_round_trips(boamps_dir: Path, report_validator: Any) -> None:
    text = (boamps_dir / "energy-report-llm-inference.json").read_text(encoding="utf-8")
    original = json.loads(text)
    assert schema_errors(report_validator, original) == []
    report = BoAmpsReport.from_json(text)
    assert report.task.algorithms[0].foundation_model_name == "llama2-13b"
    assert report.infrastructure.components[1].memory_size == 32
    dumped = report.to_dict()
    assert dumped == original
    assert json.dumps(dumped, sort_keys=True) == json.dumps(original, sort_keys=True)
    # Unknown keys of a newer format are kept.
    newer = dict(original, futureField={"x": 1})
    assert BoAmpsReport.model_validate(newer).to_dict()["futureField"] == {"x": 1}


# -- writing --------------------------------------------------------------------------------------


def test_write_report_is_atomic_and_refuses_to_overwrite(tmp_path: Path) -> None:
    report = from_records([make_record()])[0]
    path = tmp_path / "report.json"
    assert write_report(report, path) == path
    assert BoAmpsReport.from_json(path.read_text()).to_dict() == report.to_dict()
    other = from_records([make_record(*EXACT)])[0]
    with pytest.raises(FileExistsError, match=re.escape(str(path))):
        write_report(other, path)
    assert BoAmpsReport.from_json(path.read_text()).to_dict() == report.to_dict()  # untouched
    write_report(other, path, overwrite=True)
    assert BoAmpsReport.from_json(path.read_text()).to_dict() == other.to_dict()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temporary file left
    assert path.stat().st_mode & 0o777 != 0o600  # not the temporary file's private mode


def test_write_reports_names_files_and_checks_all_first(tmp_path: Path) -> None:
    reports = from_records(records())
    out = tmp_path / "reports"
    paths = write_reports(reports, out)
    assert [p.name for p in paths] == [
        "boamps-anthropic-claude-3-5-haiku-20241022-USA.json",
        "boamps-huggingface_hub-meta-llama_Llama-3.1-8B-Instruct-USA.json",
        "boamps-openai-gpt-4o-USA.json",
        "boamps-openai-gpt-oss-120b-FRA.json",
        "boamps-openai-gpt-oss-120b-USA.json",
    ]
    (out / "boamps-openai-gpt-4o-USA.json").write_text("keep me")
    for p in paths:
        if p.name != "boamps-openai-gpt-4o-USA.json":
            p.unlink()
    with pytest.raises(FileExistsError, match=re.escape("boamps-openai-gpt-4o-USA.json")):
        write_reports(reports, out)
    assert sorted(p.name for p in out.iterdir()) == ["boamps-openai-gpt-4o-USA.json"]  # nothing written
    assert len(write_reports(reports, out, overwrite=True)) == 5


def test_filename_of_a_parsed_report(boamps_dir: Path) -> None:
    report = BoAmpsReport.from_json((boamps_dir / "energy-report-llm-inference.json").read_text())
    assert report_filename(report) == "boamps-ovh-llama2-13b-2f4643f7.json"
