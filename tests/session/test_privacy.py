"""Privacy: records, JSON lines, CSV rows and BoAmps reports hold no prompt, completion, header or key."""

from __future__ import annotations

import csv
import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from ecologits_like.exporters.boamps import from_records
from ecologits_like.exporters.csv import CSV_COLUMNS, write_csv
from ecologits_like.recording import RECORD_FIELDS, record_to_json, write_records
from ecologits_like.records import RequestRecord
from tests.session.factory import EXACT, UNKNOWN, make_record

BANNED = (
    "prompt",
    "message",
    "content",
    "completion",
    "choice",
    "header",
    "authorization",
    "api_key",
    "apikey",
    "secret",
    "password",
    "cookie",
    "user",
)


def keys_of(data: Any) -> set[str]:
    if isinstance(data, dict):
        found = set(data)
        for value in data.values():
            found |= keys_of(value)
        return found
    if isinstance(data, list):
        found = set()
        for value in data:
            found |= keys_of(value)
        return found
    return set()


def banned(keys: set[str], allowed: frozenset[str] = frozenset()) -> list[str]:
    return sorted(k for k in keys - allowed if any(word in k.lower() for word in BANNED))


def test_record_and_line_schema_have_no_sensitive_field() -> None:
    names = {f.name for f in fields(RequestRecord)}
    assert banned(names) == []
    assert set(RECORD_FIELDS) == names | {"schema"}
    line = record_to_json(make_record(labels={"team": "care"}))
    assert set(line) == set(RECORD_FIELDS)
    # Impact "message"s are the SDK's own explanations (warnings/errors), not user content.
    assert banned(keys_of(line), allowed=frozenset({"message"})) == []
    assert banned(set(CSV_COLUMNS)) == []


def test_report_keys_are_only_the_format_s(tmp_path: Path) -> None:
    report = from_records([make_record(), make_record(*EXACT), make_record(*UNKNOWN)])[0].to_dict()
    # "header" is the BoAmps report header (publisher, ids), not HTTP headers.
    assert banned(keys_of(report), allowed=frozenset({"header"})) == []


def test_written_files_hold_no_secret(tmp_path: Path) -> None:
    # Labels are the only free text a user puts in; the SDK copies nothing else from requests.
    records = [make_record(labels={"team": "care"}), make_record(*UNKNOWN)]
    write_records(records, tmp_path / "r.jsonl")
    write_csv(records, tmp_path / "r.csv")
    for path in (tmp_path / "r.jsonl", tmp_path / "r.csv"):
        text = path.read_text(encoding="utf-8")
        assert "sk-" not in text and "Bearer" not in text
    header = next(csv.reader((tmp_path / "r.csv").open(encoding="utf-8")))
    assert banned(set(header)) == []
    for line in (tmp_path / "r.jsonl").read_text().splitlines():
        assert set(json.loads(line)) == set(RECORD_FIELDS)
