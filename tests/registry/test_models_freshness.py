"""``scripts/models_freshness.py``: models seen in records that the model data does not know."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ecologits_like.recording import write_records
from ecologits_like.records import RequestRecord
from tests.session.factory import make_record

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "models_freshness.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("models_freshness", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


freshness = _script()


def _returned(record: RequestRecord, name: str | None) -> RequestRecord:
    return dataclasses.replace(record, model_returned=name)


def _models_file_knowing_the_unknown_models(tmp_path: Path) -> Path:
    """A user models file with the two models the records file names but the data lacks."""
    private = tmp_path / "private.json"
    private.write_text(
        json.dumps(
            {
                "models": [
                    {"provider": "openai", "name": "acme-llm", "architecture": "dense", "total_parameters": 7},
                    {"provider": "mistralai", "name": "mistral-larg", "architecture": "dense", "total_parameters": 9},
                ]
            }
        )
    )
    return private


@pytest.fixture
def records_file(tmp_path: Path) -> Path:
    path = tmp_path / "requests.jsonl"
    write_records(
        [
            make_record("openai", "gpt-4o", offset_s=0),  # known (returned gpt-4o-2024-08-06)
            make_record("openai", "acme-llm", offset_s=10),
            make_record("openai", "acme-llm", offset_s=30),
            _returned(make_record("openai", "acme-llm", offset_s=20), "acme-llm-2025-06-01"),
            make_record("mistralai", "mistral-larg", offset_s=5),  # a typo: close names suggested
            _returned(make_record("openai", "gpt-4o", offset_s=40), "gpt-4o-turbo-2026"),  # alias missing
        ],
        path,
    )
    return path


def test_text_report_lists_unknown_models_with_counts_and_dates(
    records_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert freshness.main([str(records_file)]) == 0
    out = capsys.readouterr().out
    assert "6 records read from 1 file(s)" in out
    assert "3 model(s) unknown" in out
    acme = next(line for line in out.splitlines() if " acme-llm " in line)
    assert "2 calls" in acme and "2025-03-01 12:00 .. 2025-03-01 12:00" in acme
    assert "acme-llm-2025-06-01" in out
    assert "mistral-large" in next(line for line in out.splitlines() if "mistral-larg " in line)
    assert "1 returned name(s) did not resolve" in out and "gpt-4o-turbo-2026" in out


def test_json_report(records_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert freshness.main([str(records_file), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["records"] == 6 and report["problems"] == []
    unknown = {(f["provider"], f["name"]): f for f in report["unknown"]}
    assert set(unknown) == {("openai", "acme-llm"), ("openai", "acme-llm-2025-06-01"), ("mistralai", "mistral-larg")}
    acme = unknown[("openai", "acme-llm")]
    assert acme["count"] == 2 and acme["requested"] == ["acme-llm"] and acme["returned"] == []
    assert acme["first_seen"] == "2025-03-01T12:00:10+00:00" and acme["last_seen"] == "2025-03-01T12:00:30+00:00"
    assert unknown[("openai", "acme-llm-2025-06-01")]["requested"] == ["acme-llm"]
    assert [f["name"] for f in report["returned_not_resolved"]] == ["gpt-4o-turbo-2026"]


def test_fail_on_unknown_and_a_models_file_that_knows_them(
    records_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert freshness.main([str(records_file), "--fail-on-unknown"]) == 1
    private = _models_file_knowing_the_unknown_models(tmp_path)
    capsys.readouterr()
    assert freshness.main([str(records_file), "--models-file", str(private), "--fail-on-unknown"]) == 0
    assert "Every model seen is known." in capsys.readouterr().out


def test_the_environment_models_file_counts_as_known_as_it_does_for_tracers(
    records_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    private = _models_file_knowing_the_unknown_models(tmp_path)
    monkeypatch.setenv("ECOLOGITS_LIKE_MODELS_FILE", str(private))
    assert freshness.main([str(records_file), "--fail-on-unknown"]) == 0
    out = capsys.readouterr().out
    assert "Every model seen is known." in out
    assert f"{private} (from ECOLOGITS_LIKE_MODELS_FILE)" in out
    assert freshness.main([str(records_file), "--fail-on-unknown", "--ignore-env-models-file"]) == 1
    assert "acme-llm" in capsys.readouterr().out

    monkeypatch.setenv("ECOLOGITS_LIKE_MODELS_FILE", str(tmp_path / "absent.json"))
    assert freshness.main([str(records_file)]) == 2
    assert "absent.json (from ECOLOGITS_LIKE_MODELS_FILE)" in capsys.readouterr().err


def test_unreadable_lines_are_reported_and_missing_files_fail(
    records_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with records_file.open("a") as handle:
        handle.write("not json\n")
    assert freshness.main([str(records_file), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["problems"] == [
        f"{records_file}: line 7: corrupt: invalid JSON at column 1: Expecting value"
    ]
    assert "skipped" in captured.err
    assert freshness.main([str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl" in capsys.readouterr().err


def test_runs_as_a_command(records_file: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(records_file), "--fail-on-unknown"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "acme-llm" in done.stdout
