"""The ``ecologits-like`` command (also ``python -m ecologits_like``).

Commands::

    ecologits-like estimate --provider openai --model gpt-4o --output-tokens 500 [--zone FRA] [--latency S] [--json]
    ecologits-like models [--provider X] [--search TEXT] [--json]
    ecologits-like zones [--search TEXT] [--json]
    ecologits-like report requests.jsonl --format boamps|csv [--out DIR] [--task-family chatbot] ...

Errors are one line on stderr (``ecologits-like: error: ...``) with exit status 2: bad arguments,
unknown providers, models or zones (with suggestions), unreadable files.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from ecologits_like._version import __version__
from ecologits_like.impacts.output import Impact, ImpactsOutput
from ecologits_like.impacts.range_value import RangeValue, ValueOrRange

__all__ = ["main"]

PROG = "ecologits-like"
EXIT_USAGE = 2
#: Record files at least this big get a progress bar when stderr is a terminal.
PROGRESS_MIN_BYTES = 1 << 20


class CliError(Exception):
    """A problem to report on one line, exiting with status 2."""


# -- helpers --------------------------------------------------------------------------------------


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text!r}") from None
    if math.isnan(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text!r}")
    return value


def _number(value: float) -> str:
    return f"{value:.4g}"


def _value_text(value: ValueOrRange) -> str:
    if isinstance(value, RangeValue):
        return f"{_number(value.min)} to {_number(value.max)}"
    return _number(value)


def _params_text(value: ValueOrRange) -> str:
    if isinstance(value, RangeValue):
        return f"{value.min:g}-{value.max:g}B"
    return f"{value:g}B"


def _table(rows: list[list[str]], out: TextIO) -> None:
    if not rows:
        return
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")


class _Progress:
    """``reading FILE: 42% (1.2 of 2.9 MB)`` on stderr, redrawn at most 10 times a second."""

    def __init__(self, label: str, stream: TextIO) -> None:
        self.label = label
        self.stream = stream
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and done < total:
            return
        self.last = now
        percent = 100 if total == 0 else int(done * 100 / total)
        self.stream.write(f"\rreading {self.label}: {percent:3d}% ({done / 1e6:.1f} of {total / 1e6:.1f} MB)")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


# -- commands -------------------------------------------------------------------------------------


def _impacts_json(impacts: ImpactsOutput) -> dict[str, Any]:
    return impacts.model_dump(mode="json")


def _cmd_estimate(args: argparse.Namespace, out: TextIO) -> int:
    from ecologits_like.estimate import estimate
    from ecologits_like.registry import ModelNotFoundError, get_registry

    registry = get_registry()
    overrides: dict[str, Any] = {}
    if args.hardware is not None:
        overrides["hardware"] = args.hardware
    try:
        impacts = estimate(
            args.provider,
            args.model,
            output_tokens=args.output_tokens,
            request_latency=args.latency,
            electricity_mix_zone=args.zone,
            **overrides,
        )
    except (TypeError, ValueError) as exc:
        raise CliError(str(exc)) from None
    if impacts.errors:
        raise CliError(" ".join(e.message for e in impacts.errors))
    try:
        resolved = registry.models.resolve(args.provider, args.model).model
    except ModelNotFoundError as exc:  # pragma: no cover - estimate succeeded, so this resolves
        raise CliError(str(exc)) from None
    zone = (args.zone or registry.providers[args.provider].datacenter_zone).upper()
    if args.json:
        payload = {
            "provider": args.provider,
            "model_requested": args.model,
            "model_resolved": resolved.name,
            "output_tokens": args.output_tokens,
            "request_latency_s": args.latency,
            "zone": zone,
            "impacts": _impacts_json(impacts),
        }
        out.write(json.dumps(payload, indent=2) + "\n")
        return 0
    out.write(
        f"{args.provider} / {resolved.name}: {args.output_tokens} output tokens, "
        f"latency {'unknown' if args.latency is None else f'{args.latency:g} s'}, zone {zone}\n"
    )
    rows = [["indicator", "total", "usage", "embodied", "unit"]]
    for name in ("energy", "gwp", "adpe", "pe", "wcf"):
        total: Impact | None = getattr(impacts, name)
        if total is None:
            continue
        usage = getattr(impacts.usage, name, None) if impacts.usage is not None else None
        embodied = getattr(impacts.embodied, name, None) if impacts.embodied is not None else None
        rows.append(
            [
                total.type,
                _value_text(total.value),
                "-" if usage is None else _value_text(usage.value),
                "-" if embodied is None else _value_text(embodied.value),
                total.unit,
            ]
        )
    _table(rows, out)
    for warning in impacts.warnings:
        out.write(f"warning: {warning}\n")
    return 0


def _cmd_models(args: argparse.Namespace, out: TextIO) -> int:
    from ecologits_like.registry import get_registry

    models = get_registry().models
    if args.provider is not None and args.provider not in models.providers:
        raise CliError(f"unknown provider {args.provider!r}; known providers: {', '.join(models.providers)}")
    needle = (args.search or "").lower()
    selected = [
        m
        for m in models
        if (args.provider is None or m.provider == args.provider)
        and (not needle or needle in m.name.lower() or any(needle in a.lower() for a in m.aliases))
    ]
    if args.json:
        data = [
            {
                "provider": m.provider,
                "name": m.name,
                "architecture": m.architecture,
                "total_parameters": _jsonable(m.total_parameters),
                "active_parameters": _jsonable(m.active_parameters),
                "aliases": list(m.aliases),
                "warnings": list(m.warnings),
            }
            for m in selected
        ]
        out.write(json.dumps(data, indent=2) + "\n")
        return 0
    if not selected:
        sys.stderr.write(f"{PROG}: no model matches\n")
        return 0
    rows = [["provider", "model", "architecture", "total", "active"]]
    rows += [
        [m.provider, m.name, m.architecture, _params_text(m.total_parameters), _params_text(m.active_parameters)]
        for m in selected
    ]
    _table(rows, out)
    return 0


def _jsonable(value: ValueOrRange) -> float | dict[str, float]:
    return value.to_dict() if isinstance(value, RangeValue) else value


def _cmd_zones(args: argparse.Namespace, out: TextIO) -> int:
    from ecologits_like.registry import get_registry

    needle = (args.search or "").lower()
    records = [
        r for r in get_registry().mixes if not needle or needle in r.mix.zone.lower() or needle in r.name.lower()
    ]
    records.sort(key=lambda r: r.mix.zone)
    if args.json:
        data = [
            {
                "zone": r.mix.zone,
                "name": r.name,
                "gwp_kgco2eq_per_kwh": r.mix.gwp,
                "adpe_kgsbeq_per_kwh": r.mix.adpe,
                "pe_mj_per_kwh": r.mix.pe,
                "wue_l_per_kwh": r.mix.wue,
            }
            for r in records
        ]
        out.write(json.dumps(data, indent=2) + "\n")
        return 0
    rows = [["zone", "name", "gwp kgCO2eq/kWh", "adpe kgSbeq/kWh", "pe MJ/kWh", "wue L/kWh"]]
    rows += [
        [
            r.mix.zone,
            r.name,
            _number(float(r.mix.gwp)),
            _number(float(r.mix.adpe)),
            _number(float(r.mix.pe)),
            _number(float(r.mix.wue)),
        ]
        for r in records
    ]
    _table(rows, out)
    return 0


def _want_progress(args: argparse.Namespace, path: Path) -> bool:
    if args.progress is not None:
        return bool(args.progress)
    try:
        big = path.stat().st_size >= PROGRESS_MIN_BYTES
    except OSError:
        return False
    return big and sys.stderr.isatty()


def _cmd_report(args: argparse.Namespace, out: TextIO) -> int:
    from ecologits_like.recording import RecordFileError, load_records

    path = Path(args.records)
    if path.is_dir():
        raise CliError(f"cannot read {path}: it is a directory, expected a JSONL record file")
    progress = _Progress(path.name, sys.stderr) if _want_progress(args, path) else None
    try:
        loaded = load_records(path, strict=args.strict, progress=progress)
    except RecordFileError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    finally:
        if progress is not None:
            progress.close()
    for problem in loaded.problems[:20]:
        sys.stderr.write(f"{PROG}: warning: {path}: {problem}\n")
    if len(loaded.problems) > 20:
        sys.stderr.write(f"{PROG}: warning: {path}: ... and {len(loaded.problems) - 20} more bad line(s)\n")
    records = loaded.records
    if not records:
        raise CliError(f"{path} holds no request record")

    if args.format == "csv":
        from ecologits_like.exporters.csv import write_csv

        if args.out == "-":
            write_csv(records, out)
            return 0
        target = Path(args.out)
        if target.suffix.lower() != ".csv":
            target.mkdir(parents=True, exist_ok=True)
            target = target / f"{path.stem}.csv"
        try:
            count = write_csv(records, target, overwrite=args.overwrite)
        except FileExistsError as exc:
            raise CliError(f"{exc} (use --overwrite)") from None
        except OSError as exc:
            raise CliError(f"cannot write {target}: {exc.strerror or exc}") from None
        out.write(f"wrote {count} request(s) to {target}\n")
        return 0

    from ecologits_like.exporters.boamps import from_records, write_reports

    if args.out == "-":
        raise CliError("--out - (standard output) is only for --format csv; give a directory")
    publisher = None
    if args.publisher_name is not None or args.confidentiality is not None:
        publisher = {"name": args.publisher_name, "confidentialityLevel": args.confidentiality or "public"}
    try:
        reports = from_records(
            records,
            task_family=args.task_family,
            publisher={k: v for k, v in publisher.items() if v is not None} if publisher else None,
            status=args.status,
            licensing=args.licensing,
        )
    except ValueError as exc:
        raise CliError(str(exc).splitlines()[0]) from None
    try:
        written = write_reports(reports, args.out, overwrite=args.overwrite)
    except FileExistsError as exc:
        raise CliError(f"{exc} (use --overwrite)") from None
    except OSError as exc:
        raise CliError(f"cannot write to {args.out}: {exc.strerror or exc}") from None
    for report_path in written:
        out.write(f"{report_path}\n")
    return 0


# -- parser ---------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, exit status 2
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation tools and tests)."""
    parser = _Parser(
        prog=PROG,
        description="Estimate the environmental impacts of generative-AI API calls, and report traced requests.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    estimate = commands.add_parser(
        "estimate", help="impacts of one request, without calling any API", description="Estimate one request."
    )
    estimate.add_argument("--provider", required=True, help="openai, anthropic, mistralai, huggingface_hub, cohere")
    estimate.add_argument("--model", required=True, help="model name as the API takes it (aliases and snapshots ok)")
    estimate.add_argument("--output-tokens", required=True, type=_non_negative_int, help="generated tokens")
    estimate.add_argument("--zone", help="electricity mix zone (ISO 3166-1 alpha-3, or WOR); default: provider's")
    estimate.add_argument("--latency", type=_seconds, help="measured request latency in seconds")
    estimate.add_argument("--hardware", help="hardware profile (default: the data's default profile)")
    estimate.add_argument("--json", action="store_true", help="print JSON (ranges as {min, max})")
    estimate.set_defaults(handler=_cmd_estimate)

    models = commands.add_parser("models", help="list known models", description="List the models of the registry.")
    models.add_argument("--provider", help="only this provider's models")
    models.add_argument("--search", metavar="TEXT", help="only models whose name or alias contains TEXT")
    models.add_argument("--json", action="store_true", help="print JSON")
    models.set_defaults(handler=_cmd_models)

    zones = commands.add_parser(
        "zones", help="list electricity mix zones", description="List the electricity mix zones and their factors."
    )
    zones.add_argument("--search", metavar="TEXT", help="only zones whose code or name contains TEXT")
    zones.add_argument("--json", action="store_true", help="print JSON")
    zones.set_defaults(handler=_cmd_zones)

    report = commands.add_parser(
        "report",
        help="BoAmps reports or CSV from a JSONL record file",
        description="Turn a JSONL request-record file (EcoLogits.init(record_to=...)) into BoAmps inference "
        "reports (one per provider, model and zone) or a CSV table.",
    )
    report.add_argument("records", help="the JSONL record file")
    report.add_argument("--format", choices=("boamps", "csv"), default="boamps", help="output format (boamps)")
    report.add_argument(
        "--out",
        default=".",
        help="output directory (boamps, csv), or a .csv file, or - for standard output (csv); default: .",
    )
    report.add_argument("--task-family", default="chatbot", help="BoAmps taskFamily (chatbot)")
    report.add_argument("--publisher-name", help="BoAmps header.publisher.name")
    report.add_argument(
        "--confidentiality",
        choices=("public", "internal", "confidential", "secret"),
        help="BoAmps header.publisher.confidentialityLevel (public when a publisher name is given)",
    )
    report.add_argument("--status", choices=("draft", "final", "corrective", "other"), default="draft")
    report.add_argument("--licensing", help="BoAmps header.licensing, e.g. CC-BY-4.0")
    report.add_argument("--overwrite", action="store_true", help="replace existing output files")
    report.add_argument("--strict", action="store_true", help="fail on the first bad line instead of warning")
    report.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: for files over 1 MB when stderr is a terminal)",
    )
    report.set_defaults(handler=_cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
    try:
        return int(args.handler(args, sys.stdout))
    except CliError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:  # `ecologits-like models | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        return 130
