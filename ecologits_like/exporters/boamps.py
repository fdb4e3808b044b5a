"""BoAmps inference reports from traced requests.

`BoAmps <https://github.com/Boavizta/BoAmps>`_ is Boavizta's open format for reporting the
energy of AI tasks. :func:`from_records` turns request records (a session's, or those loaded from
a JSONL file) into reports that validate against the official JSON schemas (format version
:data:`BOAMPS_FORMAT_VERSION`), modelled here by pydantic classes (:class:`BoAmpsReport` and
its parts; JSON keys are the format's camelCase names).

How the report is filled:

* one report per provider, resolved model and electricity-mix zone (the format has one
  infrastructure and one environment per report); records whose estimate failed are left out;
* ``task``: ``taskStage`` ``inference``, ``nbRequest`` the requests reported, one algorithm
  (``algorithmType`` ``llm``, ``foundationModelName``, ``parametersNumber`` = total parameters in
  billions), and two dataset entries (``input`` and ``output`` tokens) whose ``dataQuantity`` is
  the **mean tokens per request**, as the dataset schema asks for inference; totals are in the
  task description;
* ``measures``: one measure, ``measurementMethod`` ``"ecologits-like (estimation)"`` with the
  SDK ``version``; ``powerConsumption`` the total energy in kWh (datacenter meter, PUE
  included); ``measurementDuration`` the summed request latencies in seconds (when known);
  ``measurementDateTime`` the first request's start (UTC);
* ``infrastructure``: ``publicCloud``, ``cloudProvider`` the provider key, ``cloudService``
  ``"<provider> API"``, and one GPU component from the hardware profile: the GPU count the model
  needs, memory per GPU, and ``share`` = 1 / batch size (the requests served together);
* ``environment``: ``country`` the name of the electricity mix zone (``"World"`` for ``WOR``),
  ``powerSourceCarbonIntensity`` its factor in gCO2eq/kWh;
* ``quality``: ``low`` by default (an estimate from public model sizes; override it).

**Ranges.** Every number the format holds is the *central* value of the estimated range (the
methodology's central scenario; the midpoint where it has none, e.g. an undisclosed model size
under ``methodology="ecologits"``). The bounds (energy, GWP, water, parameters, GPU count) are
written in ``task.taskDescription``, in a sentence that starts with
``"Uncertainty ranges (min-max; reported values are central estimates):"``.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic.alias_generators import to_camel

from ecologits_like._version import __version__
from ecologits_like.impacts.llm import HardwareProfile, model_required_memory, required_gpu_count
from ecologits_like.impacts.range_value import RangeValue, ValueOrRange, sum_values
from ecologits_like.records import RequestRecord
from ecologits_like.registry import ModelInfo, ModelNotFoundError, ZoneNotFoundError, get_registry

__all__ = [
    "BOAMPS_FORMAT_VERSION",
    "Algorithm",
    "BoAmpsReport",
    "Component",
    "Dataset",
    "Environment",
    "Header",
    "Infrastructure",
    "Measure",
    "Publisher",
    "Software",
    "System",
    "Task",
    "from_records",
    "report_filename",
    "write_report",
    "write_reports",
]

#: The BoAmps format version the reports follow (that of the official schemas and example).
BOAMPS_FORMAT_VERSION = "0.1"
BOAMPS_SPECIFICATION_URI = "https://github.com/Boavizta/BoAmps/tree/main/model"
MEASUREMENT_METHOD = "ecologits-like (estimation)"
RANGES_PREFIX = "Uncertainty ranges (min-max; reported values are central estimates):"


class _BoAmps(BaseModel):
    # Keys are the format's camelCase names; unknown keys of newer reports are kept as they are.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


class Publisher(_BoAmps):
    """``header.publisher``: who publishes the report."""

    name: str | None = None
    division: str | None = None
    project_name: str | None = None
    confidentiality_level: Literal["public", "internal", "confidential", "secret"]
    public_key: str | None = None


class Header(_BoAmps):
    """``header``: identity and status of the report."""

    licensing: str | None = None
    format_version: str | None = None
    format_version_specification_uri: str | None = None
    report_id: str | None = None
    report_datetime: str
    report_status: Literal["draft", "final", "corrective", "other"] | None = None
    publisher: Publisher | None = None


class Algorithm(_BoAmps):
    """An entry of ``task.algorithms``."""

    training_type: str | None = None
    algorithm_type: str | None = None
    algorithm_name: str | None = None
    algorithm_uri: str | None = None
    foundation_model_name: str | None = None
    foundation_model_uri: str | None = None
    parameters_number: int | float | None = None
    framework: str | None = None
    framework_version: str | None = None
    class_path: str | None = None
    layers_number: int | float | None = None
    epochs_number: int | float | None = None
    optimizer: str | None = None
    quantization: str | None = None


class Dataset(_BoAmps):
    """An entry of ``task.dataset``."""

    data_usage: Literal["input", "output"]
    data_type: Literal["tabular", "audio", "boolean", "image", "video", "object", "text", "token", "word", "other"]
    data_format: str | None = None
    data_size: int | float | None = None
    data_quantity: int | float | None = None
    shape: str | None = None
    source: Literal["public", "private", "other"] | None = None
    source_uri: str | None = None
    owner: str | None = None


class Task(_BoAmps):
    """``task``: what was run."""

    task_stage: str
    task_family: str
    nb_request: int | float | None = None
    algorithms: list[Algorithm] = Field(min_length=1)
    dataset: list[Dataset] = Field(min_length=1)
    measured_accuracy: float | None = Field(default=None, ge=0, le=1)
    estimated_accuracy: Literal["veryPoor", "poor", "average", "good", "veryGood"] | None = None
    task_description: str | None = None


class Measure(_BoAmps):
    """An entry of ``measures``."""

    measurement_method: str
    manufacturer: str | None = None
    version: str | None = None
    cpu_tracking_mode: str | None = None
    gpu_tracking_mode: str | None = None
    average_utilization_cpu: float | None = Field(default=None, ge=0, le=1)
    average_utilization_gpu: float | None = Field(default=None, ge=0, le=1)
    power_calibration_measurement: float | None = None
    duration_calibration_measurement: float | None = None
    power_consumption: float
    measurement_duration: float | None = None
    measurement_date_time: str | None = None


class System(_BoAmps):
    """``system``: the operating system."""

    os: str
    distribution: str | None = None
    distribution_version: str | None = None


class Software(_BoAmps):
    """``software``: the programming language."""

    language: str
    version: str | None = None


class Component(_BoAmps):
    """An entry of ``infrastructure.components``."""

    component_name: str | None = None
    component_type: str
    nb_component: int
    memory_size: int | float | None = None
    manufacturer: str | None = None
    family: str | None = None
    series: str | None = None
    share: float | None = Field(default=None, ge=0, le=1)


class Infrastructure(_BoAmps):
    """``infrastructure``: where the task ran."""

    infra_type: Literal["publicCloud", "privateCloud", "onPremise", "other"]
    cloud_provider: str | None = None
    cloud_instance: str | None = None
    cloud_service: str | None = None
    components: list[Component] = Field(min_length=1)


class Environment(_BoAmps):
    """``environment``: the country and its electricity."""

    country: str
    latitude: float | None = None
    longitude: float | None = None
    location: str | None = None
    power_supplier_type: Literal["public", "private", "internal", "other"] | None = None
    power_source: Literal["solar", "wind", "nuclear", "hydroelectric", "gas", "coal", "other"] | None = None
    power_source_carbon_intensity: float | None = None


class BoAmpsReport(_BoAmps):
    """A BoAmps report (``report_schema.json``)."""

    header: Header | None = None
    task: Task
    measures: list[Measure] = Field(min_length=1)
    system: System | None = None
    software: Software | None = None
    infrastructure: Infrastructure
    environment: Environment | None = None
    quality: Literal["high", "medium", "low"] | None = None

    #: (provider, model, zone) this report covers, when built by :func:`from_records`.
    _key: tuple[str, str, str] | None = PrivateAttr(default=None)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (camelCase keys, absent fields omitted)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> BoAmpsReport:
        """Parse a report (``pydantic.ValidationError`` says what does not fit)."""
        return cls.model_validate_json(text)


# -- building -------------------------------------------------------------------------------------


def _datetime_text(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _central(value: ValueOrRange) -> float:
    """The range's central value (its midpoint when the methodology gives none)."""
    return value.central if isinstance(value, RangeValue) else float(value)


def _bounds(value: ValueOrRange) -> tuple[float, float]:
    return (value.min, value.max) if isinstance(value, RangeValue) else (float(value), float(value))


def _number(value: float) -> int | float:
    """Whole numbers as ``int`` (``13`` rather than ``13.0`` in the JSON), others rounded to 6 digits."""
    return int(value) if float(value).is_integer() else round(value, 6)


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def _span(value: ValueOrRange) -> str:
    lo, hi = _bounds(value)
    return _fmt(lo) if lo == hi else f"{_fmt(lo)}-{_fmt(hi)}"


@lru_cache(maxsize=8)
def _gpu_name(profile: str) -> str:
    from ecologits_like.registry._files import data_file, read_json

    try:
        raw = read_json(data_file("hardware.json"), "data/hardware.json")
        name = raw["profiles"][profile]["gpu"]["name"]
        return str(name)
    except (KeyError, TypeError, ValueError, OSError):
        return profile


def _gpu_counts(model: ModelInfo | None, hardware: HardwareProfile) -> tuple[int, int, int] | None:
    """GPUs the model needs: (at the central value, the min and the max of its total parameters)."""
    if model is None:
        return None
    counts = []
    for params in (_central(model.total_parameters), *_bounds(model.total_parameters)):
        memory = model_required_memory(params, hardware.quantization_bits, hardware.memory_overhead)
        counts.append(int(required_gpu_count(memory, hardware.gpu_memory_gb)))
    return counts[0], counts[1], counts[2]


def _quantization(bits: int) -> str:
    return f"fp{bits}" if bits in (16, 32, 64) else f"int{bits}"


def _model_uri(provider: str, model: str) -> str | None:
    if provider == "huggingface_hub" and "/" in model:
        return f"https://huggingface.co/{model}"
    return None


def _build(
    key: tuple[str, str, str],
    records: list[RequestRecord],
    *,
    task_family: str,
    publisher: Publisher | None,
    status: Literal["draft", "final", "corrective", "other"],
    licensing: str | None,
    quality: Literal["high", "medium", "low"] | None,
    hardware: HardwareProfile,
    now: datetime,
    notes: list[str],
) -> BoAmpsReport:
    provider, model_name, zone = key
    registry = get_registry()
    try:
        model: ModelInfo | None = registry.models.resolve(provider, model_name).model
    except ModelNotFoundError:
        model = None
    try:
        mix = registry.mixes.get(zone)
        country, intensity = mix.name, float(mix.mix.gwp) * 1000.0
    except ZoneNotFoundError:
        country, intensity = zone, None

    energy = sum_values(r.impacts.energy.value for r in records if r.impacts.energy is not None)
    gwp = sum_values(r.impacts.gwp.value for r in records if r.impacts.gwp is not None)
    water = sum_values(r.impacts.wcf.value for r in records if r.impacts.wcf is not None)
    latencies = [r.latency_s for r in records if r.latency_s is not None and math.isfinite(r.latency_s)]
    inputs = [r.input_tokens for r in records if r.input_tokens is not None]
    outputs = [r.output_tokens for r in records]
    start = min(r.timestamp for r in records)
    end = max(r.timestamp for r in records)
    counts = _gpu_counts(model, hardware)

    ranges = [f"energy {_span(energy)} kWh", f"GWP {_span(gwp)} kgCO2eq", f"water {_span(water)} L"]
    if model is not None:
        ranges.append(f"total parameters {_span(model.total_parameters)} billion")
    if counts is not None:
        ranges.append(f"GPUs {counts[1]}" if counts[1] == counts[2] else f"GPUs {counts[1]}-{counts[2]}")
    sentences = [
        f"Estimated, not measured: ecologits-like {__version__} applied the EcoLogits LLM-inference methodology "
        f"to {len(records)} traced {provider} API request(s) to {model_name} "
        f"between {_datetime_text(start)} and {_datetime_text(end)} UTC (request start times).",
        f"Totals: {sum(inputs)} input tokens (reported by {len(inputs)} of {len(records)} requests), "
        f"{sum(outputs)} output tokens; "
        f"GWP {_fmt(_central(gwp))} kgCO2eq (usage and embodied), water {_fmt(_central(water))} L. "
        "Dataset quantities are mean tokens per request.",
        f"{RANGES_PREFIX} {'; '.join(ranges)}.",
        f"Hardware profile {hardware.name} at batch size {hardware.batch_size}; electricity mix zone {zone}.",
        *notes,
    ]

    gpu_name = _gpu_name(hardware.name)
    words = gpu_name.split()
    nb_gpus = counts[0] if counts is not None else hardware.server_gpu_count
    report = BoAmpsReport(
        header=Header(
            licensing=licensing,
            format_version=BOAMPS_FORMAT_VERSION,
            format_version_specification_uri=BOAMPS_SPECIFICATION_URI,
            report_id=str(uuid.uuid4()),
            report_datetime=_datetime_text(now),
            report_status=status,
            publisher=publisher,
        ),
        task=Task(
            task_stage="inference",
            task_family=task_family,
            nb_request=len(records),
            algorithms=[
                Algorithm(
                    algorithm_type="llm",
                    foundation_model_name=model_name,
                    foundation_model_uri=_model_uri(provider, model_name),
                    parameters_number=None if model is None else _number(_central(model.total_parameters)),
                    quantization=_quantization(hardware.quantization_bits),
                )
            ],
            dataset=[
                Dataset(
                    data_usage="input",
                    data_type="token",
                    data_quantity=_number(sum(inputs) / len(inputs)) if inputs else None,
                ),
                Dataset(data_usage="output", data_type="token", data_quantity=_number(sum(outputs) / len(outputs))),
            ],
            task_description=" ".join(sentences),
        ),
        measures=[
            Measure(
                measurement_method=MEASUREMENT_METHOD,
                version=__version__,
                power_consumption=_central(energy),
                measurement_duration=math.fsum(latencies) if latencies else None,
                measurement_date_time=_datetime_text(start),
            )
        ],
        infrastructure=Infrastructure(
            infra_type="publicCloud",
            cloud_provider=provider,
            cloud_service=f"{provider} API",
            components=[
                Component(
                    component_name=f"{nb_gpus} x {gpu_name}",
                    component_type="gpu",
                    nb_component=nb_gpus,
                    memory_size=_number(hardware.gpu_memory_gb),
                    manufacturer=words[0] if len(words) > 1 else None,
                    family=words[1] if len(words) > 1 else None,
                    share=1.0 / hardware.batch_size,
                )
            ],
        ),
        environment=Environment(country=country, power_source_carbon_intensity=intensity),
        quality=quality,
    )
    report._key = key
    return report


def from_records(
    records: Iterable[RequestRecord],
    *,
    task_family: str = "chatbot",
    publisher: Publisher | Mapping[str, Any] | None = None,
    status: Literal["draft", "final", "corrective", "other"] = "draft",
    licensing: str | None = None,
    quality: Literal["high", "medium", "low"] | None = "low",
    hardware: str | None = None,
    session_name: str | None = None,
    session_labels: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> list[BoAmpsReport]:
    """BoAmps inference reports, one per (provider, resolved model, zone), sorted by that key.

    Args:
        records: Request records (a session's ``requests``, or ``load_records(path).records``).
        task_family: ``task.taskFamily``, e.g. ``chatbot``, ``summarization``.
        publisher: ``header.publisher``, a :class:`Publisher` or a mapping with the format's keys
            (``{"name": "ACME", "confidentialityLevel": "public"}``).
        status: ``header.reportStatus``.
        licensing: ``header.licensing``, e.g. ``"CC-BY-4.0"``.
        quality: ``quality`` (``low`` by default: this is an estimate), or ``None`` to omit it.
        hardware: The hardware profile the estimates used (the default profile when ``None``).
        session_name: Written in the task description.
        session_labels: Written in the task description.
        now: The report date (now, UTC, by default).

    Raises:
        ValueError: no record has a successful estimate (nothing to report), or an argument is
            invalid (``pydantic.ValidationError``, a ``ValueError``, names the field).
    """
    if not isinstance(task_family, str) or not task_family.strip():
        raise ValueError(f"task_family must be a non-empty string, got {task_family!r}")
    checked_publisher = (
        publisher if isinstance(publisher, Publisher) or publisher is None else Publisher.model_validate(publisher)
    )
    profile = get_registry().hardware.get(hardware)
    registry = get_registry()
    groups: dict[tuple[str, str, str], list[RequestRecord]] = {}
    failed = 0
    total = 0
    for record in records:
        total += 1
        if record.impacts.errors or record.impacts.energy is None:
            failed += 1
            continue
        zone = record.zone
        if zone is None:
            provider_profile = registry.providers.get(record.provider)
            zone = provider_profile.datacenter_zone if provider_profile is not None else "WOR"
        key = (record.provider, record.model_resolved or record.model_requested, zone.upper())
        groups.setdefault(key, []).append(record)
    if not groups:
        raise ValueError(
            f"nothing to report: {total} record(s), none with a successful estimate"
            + (f" ({failed} failed)" if failed else "")
        )
    notes: list[str] = []
    if failed:
        notes.append(f"{failed} of {total} input record(s) had no estimate (unknown model or zone) and are excluded.")
    if session_name:
        notes.append(f"Session: {session_name}.")
    if session_labels:
        notes.append("Labels: " + ", ".join(f"{k}={v}" for k, v in sorted(session_labels.items())) + ".")
    moment = now if now is not None else datetime.now(UTC)
    return [
        _build(
            key,
            group,
            task_family=task_family,
            publisher=checked_publisher,
            status=status,
            licensing=licensing,
            quality=quality,
            hardware=profile,
            now=moment,
            notes=notes,
        )
        for key, group in sorted(groups.items())
    ]


# -- writing --------------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def report_filename(report: BoAmpsReport) -> str:
    """``boamps-<provider>-<model>-<zone>.json`` (file-name safe), or ``boamps-<reportId>.json``."""
    key = report._key
    if key is None:
        algorithms = report.task.algorithms
        provider = report.infrastructure.cloud_provider or "unknown"
        model = algorithms[0].foundation_model_name or "model"
        report_id = report.header.report_id if report.header is not None else None
        parts = [provider, model] + ([report_id[:8]] if report_id else [])
    else:
        parts = list(key)
    safe = "-".join(_UNSAFE.sub("_", part).strip("._") or "_" for part in parts)
    return f"boamps-{safe}.json"


def _atomic_write(path: Path, data: bytes, overwrite: bool) -> None:
    directory = path.parent
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        if overwrite:
            os.replace(temp, path)
            return
        try:
            os.link(temp, path)  # fails if the path exists, atomically: no check-then-write race
        except FileExistsError:
            raise FileExistsError(f"{path} already exists; pass overwrite=True to replace it") from None
        except OSError:  # a file system without hard links
            if path.exists():
                raise FileExistsError(f"{path} already exists; pass overwrite=True to replace it") from None
            os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_report(report: BoAmpsReport, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write ``report`` as JSON to ``path`` atomically (a temporary file in the same directory, then renamed).

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is false (the message names it).
        OSError: the directory does not exist or is not writable.
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} already exists; pass overwrite=True to replace it")
    _atomic_write(target, (report.to_json() + "\n").encode("utf-8"), overwrite)
    return target


def write_reports(
    reports: Iterable[BoAmpsReport], directory: str | os.PathLike[str], *, overwrite: bool = False
) -> list[Path]:
    """Write each report to ``directory`` (created if missing) as :func:`report_filename`.

    Every target is checked before anything is written, so a name clash writes nothing.

    Raises:
        FileExistsError: a target exists and ``overwrite`` is false (the message names it).
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    planned: list[tuple[BoAmpsReport, Path]] = []
    seen: set[Path] = set()
    for report in reports:
        target = folder / report_filename(report)
        if target in seen:  # two reports mapping to one name: keep both, tell them apart by id
            stem = target.stem
            report_id = (report.header.report_id if report.header else None) or uuid.uuid4().hex
            target = folder / f"{stem}-{report_id[:8]}.json"
        seen.add(target)
        planned.append((report, target))
    if not overwrite:
        existing = [str(t) for _, t in planned if t.exists()]
        if existing:
            raise FileExistsError(f"{', '.join(existing)} already exist(s); pass overwrite=True to replace")
    return [write_report(report, target, overwrite=overwrite) for report, target in planned]
