"""The ``ecologits-like`` command: output, exit codes, one-line errors, reports from record files."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ecologits_like.cli import main
from ecologits_like.estimate import estimate
from ecologits_like.recording import record_to_json, write_records
from tests.exporters.schemas import schema_errors
from tests.session.factory import EXACT, RANGED, UNKNOWN, make_record


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ecologits-like")
    assert "error:" in lines[0]
    return lines[0]


# -- estimate -------------------------------------------------------------------------------------


def test_estimate_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "estimate", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "500")
    assert code == 0 and err == ""
    assert out.splitlines()[0] == "openai / gpt-4o: 500 output tokens, latency unknown, zone USA"
    assert any(line.startswith("energy") and line.rstrip().endswith("kWh") for line in out.splitlines())
    assert " to " in out  # gpt-4o's size is a range
    assert "warning: [model-arch-not-released]" in out


def test_estimate_json_matches_the_api(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "estimate",
        "--provider",
        "openai",
        "--model",
        "gpt-4o-2024-08-06",
        "--output-tokens",
        "500",
        "--zone",
        "fra",
        "--latency",
        "4.5",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert (data["model_resolved"], data["zone"], data["request_latency_s"]) == ("gpt-4o", "FRA", 4.5)
    expected = estimate("openai", "gpt-4o-2024-08-06", 500, request_latency=4.5, electricity_mix_zone="FRA")
    assert data["impacts"] == expected.model_dump(mode="json")
    assert set(data["impacts"]["energy"]["value"]) == {"min", "max", "central"}


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["estimate", "--provider", "openai", "--model", "gpt-4x", "--output-tokens", "5"], "Did you mean: gpt-4"),
        (["estimate", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "-5"], "whole number >= 0"),
        (["estimate", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "x"], "whole number >= 0"),
        (
            ["estimate", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "5", "--latency", "nan"],
            "seconds",
        ),
        (["estimate", "--provider", "acme", "--model", "m", "--output-tokens", "5"], "Unknown provider 'acme'"),
        (
            ["estimate", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "5", "--zone", "FRX"],
            "Did you mean: FRA",
        ),
        (
            ["estimate", "--provider", "openai", "--model", "gpt-4o", "--output-tokens", "5", "--hardware", "tpu"],
            "hardware must be one of",
        ),
        (["estimate", "--model", "gpt-4o", "--output-tokens", "5"], "--provider"),
        (["models", "--provider", "acme"], "unknown provider 'acme'"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
        (["report", "/no/such/file.jsonl"], "cannot read /no/such/file.jsonl"),
        (["report", "x.jsonl", "--format", "pdf"], "invalid choice"),
    ],
)
def test_errors_are_one_line_with_status_2(capsys: pytest.CaptureFixture[str], argv: list[str], expected: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert expected in one_error_line(err)


@pytest.mark.parametrize("command", [[], ["estimate"], ["models"], ["zones"], ["report"]])
def test_help_everywhere(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0 and "usage: ecologits-like" in out


# -- models and zones -----------------------------------------------------------------------------


def test_models_filters(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "models", "--provider", "anthropic", "--search", "OPUS-4-1")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["provider", "model", "architecture", "total", "active"]
    assert len(lines) == 2 and lines[1].startswith("anthropic  claude-opus-4-1-20250805")
    code, out, _ = run(capsys, "models", "--search", "llama-3.1-8b", "--json")
    data = json.loads(out)
    assert any(m["name"] == "meta-llama/Llama-3.1-8B-Instruct" and m["total_parameters"] == 8.03 for m in data)
    code, out, err = run(capsys, "models", "--search", "no-such-model-anywhere")
    assert code == 0 and out == "" and "no model matches" in err


def test_zones(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "zones")
    assert code == 0
    assert any(line.split()[:2] == ["FRA", "France"] for line in out.splitlines())
    assert any(line.startswith("WOR") for line in out.splitlines())
    code, out, _ = run(capsys, "zones", "--search", "france", "--json")
    assert [z["zone"] for z in json.loads(out)] == ["FRA"]


# -- report ---------------------------------------------------------------------------------------


@pytest.fixture
def record_file(tmp_path: Path) -> Path:
    path = tmp_path / "requests.jsonl"
    write_records(
        [make_record(*RANGED, 300), make_record(*RANGED, 100), make_record(*EXACT, 50), make_record(*UNKNOWN)], path
    )
    return path


def test_report_boamps(
    capsys: pytest.CaptureFixture[str], record_file: Path, tmp_path: Path, report_validator: Any
) -> None:
    out_dir = tmp_path / "reports"
    code, out, err = run(
        capsys,
        "report",
        str(record_file),
        "--format",
        "boamps",
        "--out",
        str(out_dir),
        "--task-family",
        "rag",
        "--publisher-name",
        "ACME",
        "--status",
        "final",
        "--licensing",
        "CC-BY-4.0",
    )
    assert code == 0 and err == ""
    written = [Path(line) for line in out.splitlines()]
    assert sorted(p.name for p in written) == ["boamps-openai-gpt-4o-USA.json", "boamps-openai-gpt-oss-120b-USA.json"]
    for path in written:
        data = json.loads(path.read_text())
        assert schema_errors(report_validator, data) == []
        assert data["task"]["taskFamily"] == "rag"
        assert data["header"]["publisher"] == {"name": "ACME", "confidentialityLevel": "public"}
        assert data["header"]["reportStatus"] == "final" and data["header"]["licensing"] == "CC-BY-4.0"
    code, _, err = run(capsys, "report", str(record_file), "--out", str(out_dir))
    assert code == 2 and "already exist" in one_error_line(err) and "--overwrite" in err
    code, _, _ = run(capsys, "report", str(record_file), "--out", str(out_dir), "--overwrite")
    assert code == 0


def test_report_csv(capsys: pytest.CaptureFixture[str], record_file: Path, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "report", str(record_file), "--format", "csv", "--out", str(tmp_path / "csv"))
    assert code == 0 and out.startswith("wrote 4 request(s) to ")
    rows = list(csv.DictReader((tmp_path / "csv" / "requests.csv").open()))
    assert len(rows) == 4 and rows[3]["errors"] == "model-not-registered"
    code, out, _ = run(capsys, "report", str(record_file), "--format", "csv", "--out", "-")
    assert code == 0 and len(list(csv.DictReader(out.splitlines()))) == 4
    target = tmp_path / "named.csv"
    assert run(capsys, "report", str(record_file), "--format", "csv", "--out", str(target))[0] == 0
    assert target.is_file()


def test_report_warns_about_bad_lines_and_strict_fails(
    capsys: pytest.CaptureFixture[str], record_file: Path, tmp_path: Path
) -> None:
    good = record_file.read_bytes()
    line = json.dumps(record_to_json(make_record())).encode()
    record_file.write_bytes(b"garbage\n" + good + line[:40])
    code, _, err = run(capsys, "report", str(record_file), "--format", "csv", "--out", str(tmp_path / "o.csv"))
    assert code == 0
    warnings = err.strip().splitlines()
    assert len(warnings) == 2
    assert "line 1: corrupt" in warnings[0] and "line 6: truncated" in warnings[1]
    code, _, err = run(capsys, "report", str(record_file), "--strict", "--out", str(tmp_path / "r"))
    assert code == 2 and "line 1: corrupt" in one_error_line(err)


def test_report_edge_cases(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    code, _, err = run(capsys, "report", str(empty))
    assert code == 2 and "holds no request record" in one_error_line(err)
    failed = tmp_path / "failed.jsonl"
    write_records([make_record(*UNKNOWN)], failed)
    code, _, err = run(capsys, "report", str(failed), "--out", str(tmp_path / "r"))
    assert code == 2 and "nothing to report" in one_error_line(err)
    code, _, err = run(capsys, "report", str(tmp_path))
    assert code == 2 and "is a directory" in one_error_line(err)
    code, _, err = run(capsys, "report", str(failed), "--out", "-")
    assert code == 2 and "only for --format csv" in one_error_line(err)


def test_progress_bar_when_asked(capsys: pytest.CaptureFixture[str], record_file: Path, tmp_path: Path) -> None:
    code, _, err = run(capsys, "report", str(record_file), "--format", "csv", "--out", "-", "--progress")
    assert code == 0 and "reading requests.jsonl: 100%" in err and err.endswith("\n")
    code, _, err = run(capsys, "report", str(record_file), "--format", "csv", "--out", "-")
    assert err == ""  # not a terminal, small file: no bar


def test_python_dash_m_and_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ecologits_like", "models", "--provider", "cohere", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert all(m["provider"] == "cohere" for m in json.loads(result.stdout))
    result = subprocess.run(
        [sys.executable, "-m", "ecologits_like", "estimate", "--provider", "openai"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
