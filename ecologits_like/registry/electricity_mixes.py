"""Electricity mix impact factors per zone (ISO 3166-1 alpha-3, plus ``WOR`` for the world)."""

from __future__ import annotations

import csv
import difflib
import io
import math
from dataclasses import dataclass
from importlib.abc import Traversable
from pathlib import Path

from ecologits_like.impacts.llm import ElectricityMix
from ecologits_like.registry._files import data_file
from ecologits_like.registry._validate import DataFileError

__all__ = ["MixRecord", "ZoneNotFoundError", "load_electricity_mixes"]

_COLUMNS = ("zone", "name", "gwp", "adpe", "pe", "wue", "source")


@dataclass(frozen=True, slots=True)
class MixRecord:
    """A row of ``data/electricity_mixes.csv``: the factors, the zone's name and their source."""

    mix: ElectricityMix
    name: str
    source: str


class ZoneNotFoundError(LookupError):
    """The electricity mix zone is not in the data."""

    def __init__(self, zone: str, suggestions: list[str]) -> None:
        self.zone = zone
        self.suggestions = suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(
            f"Electricity mix zone {zone!r} is not known; use an ISO 3166-1 alpha-3 code such as "
            f"'FRA' or 'USA', or 'WOR' for the world average.{hint}"
        )


class ElectricityMixes:
    """Zone lookup over the loaded mixes."""

    def __init__(self, records: dict[str, MixRecord]) -> None:
        self._records = records

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._records.values())

    def get(self, zone: str) -> MixRecord:
        """The record of ``zone`` (case-insensitive); raises :class:`ZoneNotFoundError`."""
        record = self._records.get(zone.strip().upper()) if isinstance(zone, str) else None
        if record is None:
            raise ZoneNotFoundError(str(zone), self.suggest(str(zone)))
        return record

    def suggest(self, zone: str) -> list[str]:
        """Zone codes or names close to ``zone``."""
        key = zone.strip().upper()
        by_code = difflib.get_close_matches(key, list(self._records), n=3, cutoff=0.6)
        names = {r.name.upper(): code for code, r in self._records.items()}
        by_name = [names[n] for n in difflib.get_close_matches(key, list(names), n=3, cutoff=0.7)]
        return list(dict.fromkeys(by_name + by_code))[:3]


def _parse(text: str, label: str) -> dict[str, MixRecord]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise DataFileError(f"{label}: missing column(s) {', '.join(missing)}; expected {', '.join(_COLUMNS)}")
    records: dict[str, MixRecord] = {}
    for line, row in enumerate(reader, start=2):
        zone = (row["zone"] or "").strip().upper()
        if len(zone) != 3 or not zone.isalpha():
            raise DataFileError(f"{label}: line {line}: field 'zone' must be 3 letters, got {row['zone']!r}")
        if zone in records:
            raise DataFileError(f"{label}: line {line} ({zone}): duplicate zone")
        factors: dict[str, float] = {}
        for column in ("gwp", "adpe", "pe", "wue"):
            try:
                value = float(row[column])
            except (TypeError, ValueError):
                raise DataFileError(
                    f"{label}: line {line} ({zone}): field {column!r} must be a number, got {row[column]!r}"
                ) from None
            if not math.isfinite(value) or value < 0:
                raise DataFileError(
                    f"{label}: line {line} ({zone}): field {column!r} must be finite and >= 0, got {value!r}"
                )
            factors[column] = value
        if not (row["source"] or "").strip():
            raise DataFileError(f"{label}: line {line} ({zone}): field 'source' is empty")
        records[zone] = MixRecord(
            mix=ElectricityMix(zone=zone, **factors),
            name=(row["name"] or zone).strip(),
            source=row["source"].strip(),
        )
    if "WOR" not in records:
        raise DataFileError(f"{label}: the world average zone 'WOR' is missing")
    return records


def load_electricity_mixes(source: Traversable | Path | None = None) -> ElectricityMixes:
    """Load and validate an electricity mixes CSV (the shipped one by default)."""
    path = source if source is not None else data_file("electricity_mixes.csv")
    label = str(path) if source is not None else "data/electricity_mixes.csv"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"{label}: cannot be read ({exc})") from exc
    return ElectricityMixes(_parse(text, label))
