#!/usr/bin/env python
"""Regenerate ``data/electricity_mixes.csv`` from the installed ``boaviztapi`` package.

Where the figures come from
---------------------------
* gwp (kgCO2eq/kWh), adpe (kgSbeq/kWh), pe (MJ/kWh): the electricity-mix impact
  factors shipped inside the installed ``boaviztapi`` package
  (``boaviztapi/data/factors.yml``, section ``electricity``; it is generated from
  ``boaviztapi/data/crowdsourcing/electrical_mix.csv``). For each criterion
  boaviztapi keeps the row with the best (lowest) ``priority``; we take exactly
  that resolved value and record its source per row:

  - gwp: Ember 2020 (priority 2), a 2019 country dataset published in Applied
    Energy (sciencedirect pii S0306261921012149, priority 1), or ADEME Base
    IMPACTS 2011 (priority 3); the world (WOR) value is boaviztapi's average of
    its country values (2019/2020).
  - adpe: ADEME Base IMPACTS 2011 ("Minerals and metal resource use").
  - pe: boaviztapi's primary-energy factor, ADEME Base IMPACTS 2011 fossil
    resource use (ADPf) divided by (1 - renewable share, IRENA 2016).
    Zones without a pe figure in boaviztapi get the WOR pe, and the source says so.

* wue (litres of water consumed per kWh of electricity generated, the
  "off-site" WUE of the methodology): ``scripts/data/electricity_water_factors.csv``
  (zone, wue, source), the country factors of WRI 2020 (Reig, Luo, Christensen &
  Sinistore, "Guidance for Calculating Water Use Embedded in Purchased
  Electricity", Appendix 2), plus the world default. Zones without a country
  figure get the WOR figure, and the source says "world average (no country
  figure)". When boaviztapi also carries a water factor for a zone (its ``wu``
  criterion, m3/kWh, from the same WRI dataset) the script checks that both agree.

Zones that are not current ISO 3166-1 alpha-3 codes are left out (EEE: Europe
aggregate; SCG: Serbia and Montenegro, code withdrawn 2006; ANT: Netherlands
Antilles, code withdrawn 2010).

Usage::

    python scripts/build_electricity_mixes.py            # write data/electricity_mixes.csv
    python scripts/build_electricity_mixes.py --check    # exit 1 if the file is out of date

The output is deterministic: rows sorted by zone, floats written with ``repr``.
"""

from __future__ import annotations

import argparse
import collections
import csv
import io
import math
import re
import sys
from importlib import metadata
from pathlib import Path

import boaviztapi
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "data" / "electricity_mixes.csv"
DEFAULT_WATER = Path(__file__).resolve().parent / "data" / "electricity_water_factors.csv"

COLUMNS = ["zone", "name", "gwp", "adpe", "pe", "wue", "source"]
WORLD = "WOR"
ZONE_RE = re.compile(r"^[A-Z]{3}$")

# boaviztapi zones that are not (current) ISO 3166-1 alpha-3 codes.
EXCLUDED_ZONES = {
    "EEE": "Europe aggregate, not an ISO 3166-1 code",
    "SCG": "Serbia and Montenegro, ISO code withdrawn in 2006",
    "ANT": "Netherlands Antilles, ISO code withdrawn in 2010",
}
# Keys of the boaviztapi electricity section that are not zones.
NON_ZONE_KEYS = {"min-max", "available_countries"}

# Nicer English names where boaviztapi's label is an ISO-style inversion.
NAME_OVERRIDES = {
    "TZA": "Tanzania",
    "MDA": "Moldova",
    "KOR": "South Korea",
    "PRK": "North Korea",
    "IRN": "Iran",
    "COD": "Democratic Republic of the Congo",
    "CIV": "Cote d'Ivoire",
}

# Relative tolerance when cross-checking our water file against boaviztapi's "wu".
WATER_CROSSCHECK_RTOL = 1e-6


def boavizta_version() -> str:
    try:
        return metadata.version("boaviztapi")
    except metadata.PackageNotFoundError:  # pragma: no cover - editable/odd installs
        return "unknown"


def load_boavizta_electricity() -> dict:
    """Return the ``electricity`` section of the installed boaviztapi factors."""
    path = Path(boaviztapi.__file__).resolve().parent / "data" / "factors.yml"
    if not path.is_file():
        raise SystemExit(f"boaviztapi factors file not found: {path}")
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    try:
        return data["electricity"]
    except (TypeError, KeyError):
        raise SystemExit(f"no 'electricity' section in {path}") from None


def load_water_factors(path: Path) -> dict[str, tuple[float, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != ["zone", "wue", "source"]:
            raise SystemExit(f"{path}: expected columns zone,wue,source, got {reader.fieldnames}")
        out: dict[str, tuple[float, str]] = {}
        for row in reader:
            zone = row["zone"].strip()
            if not ZONE_RE.match(zone):
                raise SystemExit(f"{path}: bad zone {zone!r}")
            if zone in out:
                raise SystemExit(f"{path}: duplicate zone {zone}")
            value = float(row["wue"])
            if not (math.isfinite(value) and value > 0):
                raise SystemExit(f"{path}: wue for {zone} must be a positive number, got {row['wue']!r}")
            if not row["source"].strip():
                raise SystemExit(f"{path}: empty source for {zone}")
            out[zone] = (value, row["source"].strip())
    if WORLD not in out:
        raise SystemExit(f"{path}: a {WORLD} (world) row is required")
    return out


def short_source(factor: dict, version: str) -> str:
    """A short citation for one boaviztapi factor entry."""
    src = str(factor.get("source", "")).strip()
    year = str(factor.get("reference_year", "")).strip()
    if "ADEME" in src:
        label = "ADEME Base IMPACTS"
    elif "ember-climate.org" in src:
        label = "Ember (ember-climate.org)"
    elif "S0306261921012149" in src:
        label = "Applied Energy 2021 dataset (sciencedirect pii S0306261921012149)"
    elif src.startswith("ADPf / (1-%renewable_energy)"):
        label = "ADEME Base IMPACTS ADPf / (1 - renewable share, IRENA)"
    elif src.startswith("Average of all country"):
        label = "boaviztapi average of its country values"
    else:
        label = src or "unknown"
    if year:
        label = f"{label} {year}"
    return f"{label} via boaviztapi {version}"


def fmt(x: float) -> str:
    return repr(float(x))


def build_rows(electricity: dict, water: dict[str, tuple[float, str]], version: str):
    world = electricity.get(WORLD)
    if not world:
        raise SystemExit("boaviztapi has no WOR (world) electricity mix")
    world_wue, _ = water[WORLD]
    stats = collections.Counter()
    notes: list[str] = []
    rows = []

    for zone in sorted(electricity):
        if zone in NON_ZONE_KEYS:
            continue
        if zone in EXCLUDED_ZONES:
            notes.append(f"skipped {zone}: {EXCLUDED_ZONES[zone]}")
            stats["skipped"] += 1
            continue
        if not ZONE_RE.match(zone):
            notes.append(f"skipped {zone!r}: not a 3-letter code")
            stats["skipped"] += 1
            continue
        entry = electricity[zone]
        name = NAME_OVERRIDES.get(zone, str(entry.get("country", "")).strip()) or zone
        sources = []

        values = {}
        for crit in ("gwp", "adpe", "pe"):
            factor = entry.get(crit)
            if factor is not None and float(factor["value"]) > 0:
                values[crit] = float(factor["value"])
                sources.append(f"{crit}: {short_source(factor, version)}")
            else:
                wf = world[crit]
                values[crit] = float(wf["value"])
                sources.append(f"{crit}: world average (no country figure; {short_source(wf, version)})")
                stats[f"{crit}_world_fallback"] += 1
                notes.append(f"{zone}: no {crit} figure in boaviztapi, using world value")

        if zone in water:
            wue, _source = water[zone]
            if zone == WORLD:
                sources.append("wue: EcoLogits world default (WRI-based average)")
            else:
                sources.append(
                    "wue: WRI 2020 (Reig et al., Guidance for Calculating Water Use Embedded in Purchased Electricity)"
                )
                stats["wue_country"] += 1
        else:
            wue = world_wue
            sources.append("wue: world average (no country figure)")
            stats["wue_world_fallback"] += 1

        # Cross-check against boaviztapi's own WRI-derived water factor, when present.
        wu = entry.get("wu")
        if wu is not None and zone in water:
            theirs = float(wu["value"]) * 1000.0  # m3/kWh -> L/kWh
            if not math.isclose(theirs, wue, rel_tol=WATER_CROSSCHECK_RTOL):
                raise SystemExit(
                    f"{zone}: water factor {wue} L/kWh in the input file disagrees with boaviztapi's {theirs} L/kWh"
                )
            stats["wue_crosschecked"] += 1
        elif wu is not None:
            notes.append(f"{zone}: boaviztapi has a water factor but the input file has none")

        rows.append(
            {
                "zone": zone,
                "name": name,
                "gwp": fmt(values["gwp"]),
                "adpe": fmt(values["adpe"]),
                "pe": fmt(values["pe"]),
                "wue": fmt(wue),
                "source": "; ".join(sources),
            }
        )
        stats["rows"] += 1

    unknown_water = sorted(set(water) - {r["zone"] for r in rows})
    for z in unknown_water:
        notes.append(f"water factor for {z} has no boaviztapi mix; not written")
    return rows, stats, notes


def render(rows) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--water", type=Path, default=DEFAULT_WATER)
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if --output is out of date")
    args = parser.parse_args(argv)

    version = boavizta_version()
    electricity = load_boavizta_electricity()
    water = load_water_factors(args.water)
    rows, stats, notes = build_rows(electricity, water, version)
    text = render(rows)

    countries = stats["rows"] - (1 if any(r["zone"] == WORLD for r in rows) else 0)
    print(f"boaviztapi {version}: {stats['rows']} zones written ({countries} countries + {WORLD})")
    print(
        f"  wue: {stats['wue_country']} country figures, {stats['wue_world_fallback']} world fallbacks, "
        f"{stats['wue_crosschecked']} cross-checked against boaviztapi"
    )
    for crit in ("gwp", "adpe", "pe"):
        if stats[f"{crit}_world_fallback"]:
            print(f"  {crit}: {stats[f'{crit}_world_fallback']} world fallbacks")
    gwp_sources = collections.Counter(r["source"].split(";")[0] for r in rows)
    for src, n in sorted(gwp_sources.items()):
        print(f"  {n:4d} x {src}")
    for note in notes:
        print(f"  note: {note}")

    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else None
        if current != text:
            print(f"{args.output} is out of date; run {Path(__file__).name}", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
