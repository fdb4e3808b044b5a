"""mkdocs hook: replace ``<!-- data-table: NAME -->`` markers with tables generated from data/.

Used by the Data page; ``render(name)`` is also what the test suite checks.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ecologits_like.impacts.range_value import RangeValue
from ecologits_like.registry import get_registry

_MARKER = re.compile(r"<!-- data-table: ([a-z-]+) -->")


def _num(value: Any, digits: int = 6) -> str:
    if isinstance(value, RangeValue):
        return f"{_num(value.min, digits)}–{_num(value.max, digits)}"
    return f"{value:.{digits}g}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def providers() -> str:
    registry = get_registry()
    rows = [
        [name, p.datacenter_zone, _num(p.pue), _num(p.wue), ", ".join(f"<{s}>" for s in p.sources[:2])]
        for name, p in sorted(registry.providers.items())
    ]
    return _table(["provider", "zone", "PUE", "WUE (L/kWh)", "main sources"], rows)


def hardware() -> str:
    catalog = get_registry().hardware
    rows = []
    for name, h in sorted(catalog.profiles.items()):
        rows.append(
            [
                name + (" (default)" if name == catalog.default else ""),
                f"{h.server_gpu_count} x {_num(h.gpu_memory_gb)} GB",
                _num(h.server_power_kw),
                f"{_num(h.gpu_embodied.gwp)} / {_num(h.gpu_embodied.adpe)} / {_num(h.gpu_embodied.pe)}",
                f"{_num(h.server_embodied.gwp)} / {_num(h.server_embodied.adpe)} / {_num(h.server_embodied.pe)}",
                _num(h.lifespan_s / (365 * 24 * 3600)),
                f"{h.batch_size} (band {_num(h.batch_size_range.min)}–{_num(h.batch_size_range.max)})",
                f"{_num(h.gpu_peak_flops / 1e12)} TFLOP/s, {_num(h.gpu_power_kw)} kW, MFU "
                f"{_num(h.prefill_mfu.min)}–{_num(h.prefill_mfu.max)} ({_num(h.prefill_mfu.central)})",
            ]
        )
    header = [
        "profile",
        "GPUs",
        "server power excl. GPUs (kW)",
        "GPU embodied gwp / adpe / pe",
        "server embodied (excl. GPUs)",
        "lifespan (years)",
        "batch (reference; band of ours)",
        "prompt processing: peak, GPU power, MFU (central)",
    ]
    return _table(header, rows)


def model_counts() -> str:
    registry = get_registry()
    counts = Counter(m.provider for m in registry.models)
    undisclosed = Counter(m.provider for m in registry.models if "model-arch-not-released" in m.warnings)
    moe = Counter(m.provider for m in registry.models if m.architecture == "moe")
    rows = [[p, str(counts[p]), str(moe[p]), str(undisclosed[p])] for p in sorted(counts)]
    rows.append(["**all**", str(len(registry.models)), str(sum(moe.values())), str(sum(undisclosed.values()))])
    return _table(["provider", "models", "mixture-of-experts", "architecture not released"], rows)


def models() -> str:
    registry = get_registry()
    rows = [
        [m.provider, f"`{m.name}`", m.architecture, _num(m.total_parameters), _num(m.active_parameters)]
        for m in sorted(registry.models, key=lambda m: (m.provider, m.name))
        if m.provider != "huggingface_hub"
    ]
    hub = len(registry.models.models_of("huggingface_hub"))
    note = (
        f"\n\nPlus {hub} Hugging Face Hub models (open weights, published sizes); list them with "
        "`ecologits-like models` or `get_registry().models.models_of('huggingface_hub')`."
    )
    return _table(["provider", "model", "architecture", "total (B)", "active (B)"], rows) + note


def mixes() -> str:
    registry = get_registry()
    rows = [
        [r.mix.zone, r.name, _num(r.mix.gwp), _num(r.mix.adpe), _num(r.mix.pe), _num(r.mix.wue)]
        for r in sorted(registry.mixes, key=lambda r: r.mix.zone)
    ]
    return _table(["zone", "name", "gwp (kgCO2eq/kWh)", "adpe (kgSbeq/kWh)", "pe (MJ/kWh)", "water (L/kWh)"], rows)


TABLES = {
    "providers": providers,
    "hardware": hardware,
    "model-counts": model_counts,
    "models": models,
    "mixes": mixes,
}


def render(name: str) -> str:
    """The Markdown table for ``name`` (a key of :data:`TABLES`)."""
    try:
        return TABLES[name]()
    except KeyError:
        raise ValueError(f"unknown data table {name!r}; known: {', '.join(TABLES)}") from None


def fill(markdown: str) -> str:
    """Replace every marker in ``markdown``."""
    return _MARKER.sub(lambda match: render(match.group(1)), markdown)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    return fill(markdown)
