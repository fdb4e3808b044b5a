"""The vectorised path: many models x many token counts in one call.

The same engine functions as :func:`ecologits_like.estimate` run over numpy arrays shaped
``(models, scenarios)``, so results agree with the scalar path to floating-point rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ecologits_like._arguments import (
    check_input_tokens,
    check_latency,
    check_optional_str,
    check_overrides,
    check_tokens,
)
from ecologits_like._plan import Plan, plan_for
from ecologits_like.impacts.compose import triple_of
from ecologits_like.impacts.llm import Datacenter, ElectricityMix, RequestImpacts, compute_llm_impacts
from ecologits_like.impacts.methodology import DEFAULT_METHODOLOGY, check_methodology
from ecologits_like.impacts.output import ImpactsError, ImpactsOutput, ImpactsWarning

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["INDICATORS", "ImpactsGrid", "estimate_grid"]

Array = npt.NDArray[np.float64]

#: Indicator names of a grid, with their units.
INDICATORS: dict[str, str] = {
    "energy": "kWh",
    "gwp": "kgCO2eq",
    "adpe": "kgSbeq",
    "pe": "MJ",
    "wcf": "L",
    "usage_energy": "kWh",
    "usage_gwp": "kgCO2eq",
    "usage_adpe": "kgSbeq",
    "usage_pe": "MJ",
    "usage_wcf": "L",
    "embodied_gwp": "kgCO2eq",
    "embodied_adpe": "kgSbeq",
    "embodied_pe": "MJ",
}


@dataclass(frozen=True)
class ImpactsGrid:
    """Impacts of every (model, scenario) pair.

    Attributes:
        models: The ``(provider, model)`` pairs, one per row.
        output_tokens: Output tokens of each scenario (column), shape ``(scenarios,)``.
        request_latency: Latency of each scenario in seconds (``inf`` when unknown).
        low: Indicator name -> lower bounds, shape ``(models, scenarios)``; ``nan`` rows for failed models.
        high: Indicator name -> upper bounds (equal to ``low`` where nothing is uncertain).
        resolved: Registry name each model resolved to (``None`` when it failed).
        warnings: Row index -> warnings of that model.
        errors: Row index -> why that model could not be estimated.
        central: Indicator name -> the central values (the methodology's central scenario; the
            midpoint for ``methodology="ecologits"``), as :attr:`RangeValue.central` of :func:`estimate`.
        input_tokens: Prompt tokens of each scenario, shape ``(scenarios,)``.
        cached_input_tokens: Cached prompt tokens of each scenario.
        methodology: The methodology the grid follows.
    """

    models: list[tuple[str, str]]
    output_tokens: Array
    request_latency: Array
    low: dict[str, Array]
    high: dict[str, Array]
    resolved: list[str | None]
    warnings: dict[int, list[ImpactsWarning]] = field(default_factory=dict)
    errors: dict[int, list[ImpactsError]] = field(default_factory=dict)
    central: dict[str, Array] = field(default_factory=dict)
    input_tokens: Array = field(default_factory=lambda: np.zeros(0))
    cached_input_tokens: Array = field(default_factory=lambda: np.zeros(0))
    methodology: str = DEFAULT_METHODOLOGY

    def mean(self, indicator: str) -> Array:
        """Midpoint of ``indicator``'s range, shape ``(models, scenarios)``."""
        return (self.low[indicator] + self.high[indicator]) / 2

    def to_frame(self) -> pd.DataFrame:
        """A long DataFrame: one row per model and scenario, ``<indicator>_min/_max/_mean`` columns.

        Requires pandas (``pip install ecologits-like[notebooks]``).
        """
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - exercised only without pandas
            raise ImportError("ImpactsGrid.to_frame() needs pandas: pip install 'ecologits-like[notebooks]'") from exc
        n_models, n_scenarios = len(self.models), len(self.output_tokens)
        columns: dict[str, Any] = {
            "provider": np.repeat([p for p, _ in self.models], n_scenarios),
            "model": np.repeat([m for _, m in self.models], n_scenarios),
            "resolved_model": np.repeat(np.array(self.resolved, dtype=object), n_scenarios),
            "output_tokens": np.tile(self.output_tokens, n_models).astype(np.int64),
            "input_tokens": np.tile(self.input_tokens, n_models).astype(np.int64),
            "cached_input_tokens": np.tile(self.cached_input_tokens, n_models).astype(np.int64),
            "request_latency": np.tile(self.request_latency, n_models),
        }
        for name in INDICATORS:
            low, high = self.low[name].ravel(), self.high[name].ravel()
            columns[f"{name}_min"] = low
            columns[f"{name}_max"] = high
            columns[f"{name}_mean"] = (low + high) / 2
            columns[f"{name}_central"] = self.central[name].ravel() if name in self.central else (low + high) / 2
        notes = [
            "; ".join(str(w) for w in self.warnings.get(i, [])) + "; ".join(str(e) for e in self.errors.get(i, []))
            for i in range(n_models)
        ]
        columns["notes"] = np.repeat(np.array(notes, dtype=object), n_scenarios)
        return pd.DataFrame(columns)


def _column(values: Sequence[float]) -> Array:
    return np.asarray(values, dtype=np.float64).reshape(-1, 1)


def _token_list(name: str, value: int | Sequence[int]) -> list[int]:
    if isinstance(value, (int, np.integer)):
        items: list[object] = [value]
    elif isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(
            f"{name} must be a non-negative integer or a sequence of them, got {value!r} ({type(value).__name__})"
        )
    else:
        items = list(value)
    if not items:
        raise ValueError(f"{name} must hold at least one token count")
    return [check_tokens(name, t) for t in items]


def _token_array(name: str, value: int | Sequence[int]) -> Array:
    """The token counts ``value`` holds, as floats, checked as :func:`check_tokens` checks each one.

    A one-dimensional integer numpy array or a ``range`` (the usual grid axes) is checked with array
    operations: checking a 100,000-point axis count by count took about half of a 10-model grid.
    Anything else goes count by count.
    """
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "iu":
        if value.size == 0:
            raise ValueError(f"{name} must hold at least one token count")
        negative = np.flatnonzero(value < 0)
        if negative.size:
            check_tokens(name, value[negative[0]])  # raises the error of the first negative count
        return value.astype(np.float64)
    if isinstance(value, range):
        if len(value) == 0:
            raise ValueError(f"{name} must hold at least one token count")
        if min(value[0], value[-1]) < 0:
            check_tokens(name, next(t for t in value if t < 0))
        return np.arange(value.start, value.stop, value.step, dtype=np.float64)
    return np.array(_token_list(name, value), dtype=np.float64)


def _per_scenario(name: str, value: int | Sequence[int], count: int) -> list[int]:
    """One token count for every scenario, or one per scenario."""
    values = _token_list(name, value)
    if len(values) == 1:
        return values * count
    if len(values) != count:
        raise ValueError(f"{name} must be one value or one per output_tokens entry ({count}), got {len(values)}")
    return values


def _input_scenarios(
    input_tokens: int | Sequence[int], cached_input_tokens: int | Sequence[int], count: int
) -> tuple[Array, Array]:
    if isinstance(input_tokens, (int, np.integer)) and isinstance(cached_input_tokens, (int, np.integer)):
        # One prompt for every scenario (the default, none): checked once, not once per scenario.
        prompt, cached = check_input_tokens(input_tokens, cached_input_tokens)
        return np.full(count, float(prompt)), np.full(count, float(cached))
    prompts = _per_scenario("input_tokens", input_tokens, count)
    cached_counts = _per_scenario("cached_input_tokens", cached_input_tokens, count)
    pairs = [check_input_tokens(p, c) for p, c in zip(prompts, cached_counts, strict=True)]
    return (
        np.array([p for p, _ in pairs], dtype=np.float64),
        np.array([c for _, c in pairs], dtype=np.float64),
    )


def _as_scenarios(
    output_tokens: int | Sequence[int], request_latency: float | Sequence[float | None] | None
) -> tuple[Array, Array]:
    tokens = _token_array("output_tokens", output_tokens)
    if request_latency is None or isinstance(request_latency, (int, float)):
        latency = np.full(tokens.shape, check_latency(request_latency))
    else:
        latencies = [check_latency(v) for v in request_latency]
        if len(latencies) != len(tokens):
            raise ValueError(
                f"request_latency must be one value or one per output_tokens entry ({len(tokens)}), "
                f"got {len(latencies)}"
            )
        latency = np.array(latencies, dtype=np.float64)
    return tokens, latency


def _run(plans: list[Plan], tokens: Array, latency: Array, prompts: Array, cached: Array, side: int) -> RequestImpacts:
    """Evaluate one scenario (0 = low, 1 = central, 2 = high) for all plans at once.

    Impacts rise with parameters, PUE and WUE and fall with batch size and MFU: the low scenario
    takes the former's lower and the latter's upper values (as :func:`~ecologits_like.impacts.compose.scenario_inputs`).
    """

    def bound(values: list[Any]) -> Array:
        return _column([triple_of(v)[side] for v in values])

    models = [p.resolution.model for p in plans]
    hardware = plans[0].hardware
    mfu = plans[0].prefill_mfu
    return compute_llm_impacts(
        active_parameters=bound([m.active_parameters for m in models]),
        total_parameters=bound([m.total_parameters for m in models]),
        output_tokens=tokens.reshape(1, -1),
        request_latency=latency.reshape(1, -1),
        hardware=hardware,
        mix=ElectricityMix(
            zone="*",
            gwp=_column([float(p.mix.gwp) for p in plans]),
            adpe=_column([float(p.mix.adpe) for p in plans]),
            pe=_column([float(p.mix.pe) for p in plans]),
            wue=_column([float(p.mix.wue) for p in plans]),
        ),
        datacenter=Datacenter(
            pue=bound([p.datacenter_pue for p in plans]), wue=bound([p.datacenter_wue for p in plans])
        ),
        batch_size=triple_of(plans[0].batch_size)[2 - side],
        tps=_column([math.nan if m.tps is None else m.tps for m in models]),
        ttft=_column([0.0 if m.ttft is None else m.ttft for m in models]),
        input_tokens=prompts.reshape(1, -1),
        cached_input_tokens=cached.reshape(1, -1),
        prefill_mfu=None if mfu is None else triple_of(mfu)[2 - side],
    )


def _indicators(result: RequestImpacts) -> dict[str, Array]:
    as_array = np.asarray
    return {
        "energy": as_array(result.energy),
        "gwp": as_array(result.usage_gwp) + as_array(result.embodied_gwp),
        "adpe": as_array(result.usage_adpe) + as_array(result.embodied_adpe),
        "pe": as_array(result.usage_pe) + as_array(result.embodied_pe),
        "wcf": as_array(result.usage_wcf),
        "usage_energy": as_array(result.energy),
        "usage_gwp": as_array(result.usage_gwp),
        "usage_adpe": as_array(result.usage_adpe),
        "usage_pe": as_array(result.usage_pe),
        "usage_wcf": as_array(result.usage_wcf),
        "embodied_gwp": as_array(result.embodied_gwp),
        "embodied_adpe": as_array(result.embodied_adpe),
        "embodied_pe": as_array(result.embodied_pe),
    }


def _placer(rows: list[int], shape: tuple[int, int]) -> Callable[[Array], Array]:
    """Puts an indicator computed for the estimated models (``rows`` of the grid) into a new array of the
    whole grid's ``shape``, ``nan`` in the other rows. Every array is new: indicators computed as one
    (``energy`` and ``usage_energy``) must not share memory in the grid."""
    if len(rows) == shape[0]:  # every model estimated: one copy, no ``nan`` fill and no row indexing

        def placed(array: Array) -> Array:
            return np.array(np.broadcast_to(array, shape))

        return placed

    def placed_in_rows(array: Array) -> Array:
        grid = np.full(shape, np.nan)
        grid[rows] = np.broadcast_to(array, (len(rows), shape[1]))
        return grid

    return placed_in_rows


def estimate_grid(
    models: Sequence[tuple[str, str]],
    output_tokens: int | Sequence[int],
    request_latency: float | Sequence[float | None] | None = None,
    electricity_mix_zone: str | None = None,
    *,
    input_tokens: int | Sequence[int] = 0,
    cached_input_tokens: int | Sequence[int] = 0,
    methodology: str = DEFAULT_METHODOLOGY,
    **overrides: Any,
) -> ImpactsGrid:
    """Estimate every ``(provider, model)`` for every scenario in one vectorised pass.

    Args:
        models: ``(provider, model)`` pairs; unknown ones give ``nan`` rows and an entry in ``errors``.
        output_tokens: One token count or a sequence of them (the scenarios).
        request_latency: ``None`` (unknown), one latency for all scenarios, or one per scenario.
        electricity_mix_zone: Zone for every model; defaults to each provider's datacenter zone.
        input_tokens: Prompt tokens (cached included): one count for all scenarios or one per scenario.
        cached_input_tokens: Cached prompt tokens: one count or one per scenario.
        methodology: ``"ecologits-like"`` (default) or ``"ecologits"``, as for :func:`ecologits_like.estimate`.
        **overrides: As for :func:`ecologits_like.estimate`.

    Returns:
        An :class:`ImpactsGrid` whose arrays are shaped ``(len(models), n_scenarios)``.

    Example:
        >>> grid = estimate_grid([("openai", "gpt-4o-mini"), ("mistralai", "mistral-small-latest")], [100, 1000])
        >>> grid.low["energy"].shape
        (2, 2)
    """
    pairs = [tuple(m) for m in models]
    for pair in pairs:
        if len(pair) != 2 or not all(isinstance(x, str) for x in pair):
            raise TypeError(f"models must be (provider, model) pairs of strings, got {pair!r}")
    tokens, latency = _as_scenarios(output_tokens, request_latency)
    prompts, cached = _input_scenarios(input_tokens, cached_input_tokens, len(tokens))
    zone = check_optional_str("electricity_mix_zone", electricity_mix_zone)
    methodology = check_methodology(methodology)
    checked = check_overrides(overrides)

    plans: list[Plan] = []
    rows: list[int] = []
    resolved: list[str | None] = []
    warnings: dict[int, list[ImpactsWarning]] = {}
    errors: dict[int, list[ImpactsError]] = {}
    for index, (provider, model) in enumerate(pairs):
        plan = plan_for(provider, model, zone, checked, methodology)
        if isinstance(plan, ImpactsOutput):
            errors[index] = list(plan.errors)
            resolved.append(None)
            continue
        plans.append(plan)
        rows.append(index)
        resolved.append(plan.resolution.model.name)
        if plan.warnings:
            warnings[index] = list(plan.warnings)

    shape = (len(pairs), len(tokens))
    if not plans:
        low = {name: np.full(shape, np.nan) for name in INDICATORS}
        high = {name: np.full(shape, np.nan) for name in INDICATORS}
        central = {name: np.full(shape, np.nan) for name in INDICATORS}
    else:
        placed = _placer(rows, shape)
        low, high = (
            {
                name: placed(array)
                for name, array in _indicators(_run(plans, tokens, latency, prompts, cached, side)).items()
            }
            for side in (0, 2)
        )
        if any(p.central is not None for p in plans):
            values = _indicators(_run(plans, tokens, latency, prompts, cached, 1))
            central = {name: np.clip(placed(array), low[name], high[name]) for name, array in values.items()}
        else:  # the midpoint; ``nan`` stays ``nan`` in the rows of failed models
            central = {name: (low[name] + high[name]) / 2 for name in INDICATORS}
    return ImpactsGrid(
        models=[(p, m) for p, m in pairs],
        output_tokens=tokens,
        request_latency=latency,
        low=low,
        high=high,
        resolved=resolved,
        warnings=warnings,
        errors=errors,
        central=central,
        input_tokens=prompts,
        cached_input_tokens=cached,
        methodology=methodology,
    )
