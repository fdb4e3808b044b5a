#!/usr/bin/env python
"""Report the models seen in traced calls that ``data/models.json`` does not know.

Reads JSON-lines request records (``EcoLogits.init(record_to=...)``, loaded with
``ecologits_like.recording.load_records``) and resolves every record's names against the model
data *as it is now*, the way tracers do: the name the API returned first, then the name the
caller requested. Two findings:

* **unknown**: neither name resolves, so those calls got no estimate (add the model, see
  ``docs/models.md``);
* **returned name not resolved**: the requested name resolved but the name the API returned did
  not (often a new dated snapshot: worth an alias, since a snapshot can differ from its alias's
  current target).

For each: the provider, the name, how many calls, the requested and returned names, the first and
last time seen, and close names from the data.

Usage::

    python scripts/models_freshness.py requests.jsonl [more.jsonl ...]
    python scripts/models_freshness.py requests.jsonl --json
    python scripts/models_freshness.py requests.jsonl --fail-on-unknown    # exit 1 when any is unknown
    python scripts/models_freshness.py requests.jsonl --models-file private.json   # also count these as known

The models of the file named by ``ECOLOGITS_LIKE_MODELS_FILE`` count as known, as they do for the
tracers that wrote the records, unless ``--models-file`` names another file or
``--ignore-env-models-file`` is given.

Exit status: 0, or 1 with ``--fail-on-unknown`` when a model is unknown, or 2 when a file cannot
be read. Unreadable lines of a record file are reported on stderr and skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO_ROOT))

from ecologits_like.recording import load_records  # noqa: E402
from ecologits_like.records import RequestRecord  # noqa: E402
from ecologits_like.registry import DataFileError, ModelNotFoundError, ModelRegistry  # noqa: E402
from ecologits_like.registry.models import load_models  # noqa: E402
from ecologits_like.registry.providers import load_providers  # noqa: E402
from ecologits_like.registry.user_models import ENV_VAR, load_user_models_file  # noqa: E402

DEFAULT_MODELS = REPO_ROOT / "data" / "models.json"


@dataclass
class Finding:
    """One (provider, name) seen in records that did not resolve."""

    provider: str
    name: str
    count: int = 0
    requested: set[str] = field(default_factory=set)
    returned: set[str] = field(default_factory=set)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    suggestions: list[str] = field(default_factory=list)

    def add(self, record: RequestRecord) -> None:
        self.count += 1
        self.requested.add(record.model_requested)
        if record.model_returned:
            self.returned.add(record.model_returned)
        if self.first_seen is None or record.timestamp < self.first_seen:
            self.first_seen = record.timestamp
        if self.last_seen is None or record.timestamp > self.last_seen:
            self.last_seen = record.timestamp

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "name": self.name,
            "count": self.count,
            "requested": sorted(self.requested),
            "returned": sorted(self.returned),
            "first_seen": None if self.first_seen is None else self.first_seen.isoformat(),
            "last_seen": None if self.last_seen is None else self.last_seen.isoformat(),
            "suggestions": self.suggestions,
        }


@dataclass
class Report:
    """What :func:`check_records` found."""

    files: list[str]
    records: int
    problems: list[str]
    unknown: list[Finding]
    returned_not_resolved: list[Finding]

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "records": self.records,
            "problems": self.problems,
            "unknown": [f.to_json() for f in self.unknown],
            "returned_not_resolved": [f.to_json() for f in self.returned_not_resolved],
        }


def _resolves(models: ModelRegistry, provider: str, name: str | None) -> bool:
    if not name:
        return False
    try:
        models.resolve(provider, name)
    except ModelNotFoundError:
        return False
    return True


def _ordered(findings: dict[tuple[str, str], Finding]) -> list[Finding]:
    return sorted(findings.values(), key=lambda f: (-f.count, f.provider, f.name))


def check_records(records: Iterable[RequestRecord], models: ModelRegistry) -> tuple[list[Finding], list[Finding]]:
    """The unknown models and the returned names that did not resolve, most frequent first."""
    unknown: dict[tuple[str, str], Finding] = {}
    fallback: dict[tuple[str, str], Finding] = {}
    for record in records:
        returned, requested = record.model_returned, record.model_requested
        if _resolves(models, record.provider, returned):
            continue
        target = fallback if _resolves(models, record.provider, requested) else unknown
        name = returned or requested
        key = (record.provider, name)
        if key not in target:
            suggestions = models.suggest(record.provider, name) if record.provider in models.providers else []
            target[key] = Finding(record.provider, name, suggestions=suggestions)
        target[key].add(record)
    return _ordered(unknown), _ordered(fallback)


def build_report(paths: Sequence[Path], models: ModelRegistry) -> Report:
    """Load every record file and check it (``OSError`` when a file cannot be read)."""
    records: list[RequestRecord] = []
    problems: list[str] = []
    for path in paths:
        loaded = load_records(path)
        records.extend(loaded.records)
        problems.extend(f"{path}: {problem}" for problem in loaded.problems)
    unknown, fallback = check_records(records, models)
    return Report([str(p) for p in paths], len(records), problems, unknown, fallback)


def _when(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M")


def _table(findings: list[Finding]) -> list[str]:
    lines = []
    for f in findings:
        names = []
        if f.requested - {f.name}:
            names.append("requested as " + ", ".join(sorted(f.requested - {f.name})))
        if f.suggestions:
            names.append("close: " + ", ".join(f.suggestions))
        extra = f"  ({'; '.join(names)})" if names else ""
        lines.append(
            f"  {f.provider:<16} {f.name:<40} {f.count:>6} calls  {_when(f.first_seen)} .. {_when(f.last_seen)}{extra}"
        )
    return lines


def format_text(report: Report, models_label: str) -> str:
    """The human-readable report."""
    lines = [f"{report.records} records read from {len(report.files)} file(s); models checked against {models_label}."]
    if report.problems:
        lines.append(f"{len(report.problems)} line(s) could not be read (see stderr).")
    if report.unknown:
        lines.append(f"{len(report.unknown)} model(s) unknown (their calls have no estimate):")
        lines.extend(_table(report.unknown))
    else:
        lines.append("Every model seen is known.")
    if report.returned_not_resolved:
        lines.append(
            f"{len(report.returned_not_resolved)} returned name(s) did not resolve (the requested name did; "
            "consider an alias):"
        )
        lines.extend(_table(report.returned_not_resolved))
    return "\n".join(lines)


def _user_models_file(given: Path | None, ignore_environment: bool) -> tuple[str | None, str]:
    """The user models file to lay over the data, and how to name it: the option's, else the environment's."""
    if given is not None:
        return str(given), str(given)
    value = None if ignore_environment else os.environ.get(ENV_VAR) or None
    return value, f"{value} (from {ENV_VAR})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("records", nargs="+", type=Path, help="JSON-lines record files")
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS, help="models file (default: data/models.json)")
    parser.add_argument("--models-file", type=Path, help="a user models file whose models also count as known")
    parser.add_argument(
        "--ignore-env-models-file",
        action="store_true",
        help=f"do not count the models of the file named by {ENV_VAR} as known",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--fail-on-unknown", action="store_true", help="exit 1 when a model is unknown")
    args = parser.parse_args(argv)
    try:
        models = load_models(args.models)
        label = str(args.models)
        user_file, user_label = _user_models_file(args.models_file, args.ignore_env_models_file)
        if user_file is not None:
            models.set_overlay("models_file", load_user_models_file(user_file, load_providers(), label=user_label))
            label += f" + {user_label}"
        report = build_report(args.records, models)
    except (OSError, DataFileError) as exc:
        print(f"models_freshness: {exc}", file=sys.stderr)
        return 2
    for problem in report.problems:
        print(f"models_freshness: skipped {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(format_text(report, label))
    return 1 if args.fail_on_unknown and report.unknown else 0


if __name__ == "__main__":
    sys.exit(main())
