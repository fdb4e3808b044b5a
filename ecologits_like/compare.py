"""``compare``: models and providers side by side, as a pandas DataFrame.

Built on the vectorised engine (:func:`ecologits_like.estimate_grid`): every model of the
registry over a hundred token counts is one numpy pass, then one DataFrame.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ecologits_like.estimate_grid import estimate_grid
from ecologits_like.impacts.methodology import DEFAULT_METHODOLOGY
from ecologits_like.impacts.units import BASE_UNITS, UNITS, check_unit
from ecologits_like.registry import ModelInfo, ModelNotFoundError, ZoneNotFoundError, get_registry

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_UNITS", "INDICATOR_COLUMNS", "compare", "indicator_column"]

#: Units of the DataFrame's indicator columns unless ``units=`` says otherwise.
DEFAULT_UNITS: dict[str, str] = {"energy": "Wh", "gwp": "gCO2eq", "adpe": "µgSbeq", "pe": "kJ", "wcf": "mL"}

#: Indicator -> column stem (``wcf`` is shown as ``water``).
INDICATOR_COLUMNS: dict[str, str] = {"energy": "energy", "gwp": "gwp", "adpe": "adpe", "pe": "pe", "wcf": "water"}

_UNIT_ALIASES = {"water": "wcf"}


def _unit_slug(unit: str) -> str:
    return unit.replace("µ", "u").lower()


def indicator_column(indicator: str, unit: str, stat: str | None = "mean", *, per_1k_tokens: bool = False) -> str:
    """Name of a :func:`compare` column, e.g. ``indicator_column("energy", "Wh")`` -> ``'energy_wh_mean'``.

    Args:
        indicator: ``energy``, ``gwp``, ``adpe``, ``pe`` or ``wcf`` (also ``water``).
        unit: The unit the column is in.
        stat: ``min``, ``max``, ``mean`` (midpoint), ``central`` (the methodology's central value), or
            ``None`` for the single column of ``ranges=False``.
        per_1k_tokens: The energy-per-1,000-output-tokens column.
    """
    indicator = _UNIT_ALIASES.get(indicator, indicator)
    stem = INDICATOR_COLUMNS[indicator] + ("_per_1k_tokens" if per_1k_tokens else "")
    name = f"{stem}_{_unit_slug(check_unit(indicator, unit))}"
    return name if stat is None else f"{name}_{stat}"


def _require_pandas() -> Any:
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - exercised only without pandas
        raise ImportError("compare() needs pandas: pip install 'ecologits-like[notebooks]'") from exc
    return pd


def _check_units(units: Mapping[str, str] | None) -> dict[str, str]:
    chosen = dict(DEFAULT_UNITS)
    if units is None:
        return chosen
    if not isinstance(units, Mapping):
        raise TypeError(f"units must be a mapping such as {{'energy': 'kWh'}}, got {units!r}")
    for key, unit in units.items():
        indicator = _UNIT_ALIASES.get(key, key)
        if indicator not in BASE_UNITS:
            raise ValueError(f"units keys must be among {', '.join(BASE_UNITS)} (or 'water'), got {key!r}")
        chosen[indicator] = check_unit(indicator, unit)
    return chosen


def _check_providers(provider: str | Sequence[str] | None, known: list[str]) -> list[str] | None:
    if provider is None:
        return None
    names = [provider] if isinstance(provider, str) else list(provider) if isinstance(provider, Sequence) else None
    if not names or not all(isinstance(p, str) for p in names):
        raise TypeError(f"provider must be a provider name or a list of them ({', '.join(known)}), got {provider!r}")
    for name in names:
        if name not in known:
            raise ValueError(f"provider must be one of {', '.join(known)}, got {name!r}")
    return names


def _select(models: Any, providers: list[str] | None) -> list[tuple[str, str]]:
    registry = get_registry()
    if models is None or (isinstance(models, str) and models == "all"):
        if models is None and providers is None:
            raise ValueError(
                "compare() needs models=[(provider, model), ...], models='all', or provider='openai' "
                "(or a list of providers)"
            )
        wanted = providers if providers is not None else registry.models.providers
        return [(m.provider, m.name) for m in registry.models if m.provider in wanted]
    if isinstance(models, str) or not isinstance(models, Sequence):
        raise TypeError(
            f"models must be 'all' or a list of (provider, model) pairs (or of model names with provider='...'), "
            f"got {models!r}"
        )
    if not models:
        raise ValueError("models must name at least one model, got an empty list")
    single = providers[0] if providers is not None and len(providers) == 1 else None
    pairs: list[tuple[str, str]] = []
    for index, item in enumerate(models):
        if isinstance(item, str):
            if single is None:
                raise TypeError(
                    f"models[{index}] is the bare name {item!r}: pass (provider, model) pairs, "
                    "or a single provider='...' for bare names"
                )
            pairs.append((single, item))
        elif isinstance(item, Sequence) and len(item) == 2 and all(isinstance(x, str) for x in item):
            pairs.append((item[0], item[1]))
        else:
            raise TypeError(f"models[{index}] must be a (provider, model) pair of strings, got {item!r}")
    return pairs


def _model_info(provider: str, name: str | None) -> ModelInfo | None:
    if name is None:
        return None
    try:
        return get_registry().models.resolve(provider, name).model
    except ModelNotFoundError:  # pragma: no cover - a resolved name always resolves again
        return None


def _bounds(values: list[Any]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    low = [np.nan if v is None else float(getattr(v, "min", v)) for v in values]
    high = [np.nan if v is None else float(getattr(v, "max", v)) for v in values]
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)


def compare(
    models: Sequence[tuple[str, str] | str] | str | None = None,
    output_tokens: int | Sequence[int] = 500,
    *,
    provider: str | Sequence[str] | None = None,
    request_latency: float | Sequence[float | None] | None = None,
    electricity_mix_zone: str | None = None,
    units: Mapping[str, str] | None = None,
    ranges: bool = True,
    input_tokens: int | Sequence[int] = 0,
    cached_input_tokens: int | Sequence[int] = 0,
    methodology: str = DEFAULT_METHODOLOGY,
    **overrides: Any,
) -> pd.DataFrame:
    """Compare models for the same workload: one DataFrame row per model and token count.

    Args:
        models: ``(provider, model)`` pairs; ``"all"`` for every model of the registry (of ``provider``
            when given); or bare model names together with a single ``provider``.
        output_tokens: One token count or a list of them (one row per model and count).
        provider: A provider name or a list of them: all their models when ``models`` is omitted.
        request_latency: Measured latency in seconds (one, or one per token count); ``None``: unknown.
        electricity_mix_zone: Zone for every model (``"FRA"``, ``"WOR"``...); default: each
            provider's datacenter zone.
        units: Units of the indicator columns, e.g. ``{"gwp": "kgCO2eq"}``; defaults are
            :data:`DEFAULT_UNITS` (Wh, gCO2eq, µgSbeq, kJ, mL).
        ranges: ``True``: ``_min``/``_max``/``_mean``/``_central`` columns per indicator; ``False``: one
            column, the central value (the methodology's central estimate; the midpoint for
            ``methodology="ecologits"``).
        input_tokens: Prompt tokens (cached included): one count, or one per ``output_tokens`` entry.
        cached_input_tokens: Cached prompt tokens: one count, or one per ``output_tokens`` entry.
        methodology: ``"ecologits-like"`` (default) or ``"ecologits"``, as for :func:`ecologits_like.estimate`.
        **overrides: ``datacenter_pue``, ``datacenter_wue``, ``hardware``, ``batch_size``, as for
            :func:`ecologits_like.estimate`.

    Returns:
        A DataFrame with columns ``provider``, ``model`` (as requested), ``resolved_model``,
        ``architecture``, ``total_parameters_b_min/_max`` and ``active_parameters_b_min/_max``
        (billions), ``zone``, ``hardware``, ``output_tokens``, ``input_tokens``, ``cached_input_tokens``,
        then per indicator
        ``energy_wh_*``, ``energy_per_1k_tokens_wh_*``, ``gwp_gco2eq_*``, ``adpe_ugsbeq_*``, ``pe_kj_*``,
        ``water_ml_*`` (named after ``units``), then ``warnings`` (codes) and ``errors``. Models that
        cannot be estimated keep their row with ``NaN`` impacts and an ``errors`` message (and a
        Python warning is issued). ``df.attrs["units"]`` maps each indicator column stem to its unit.

    Raises:
        TypeError, ValueError: a bad argument; the message names it and what is accepted.
        ImportError: pandas is not installed (``pip install 'ecologits-like[notebooks]'``).

    Example:
        >>> df = compare([("openai", "gpt-4o-mini"), ("mistralai", "mistral-small-latest")], output_tokens=500)
        >>> list(df["provider"])
        ['openai', 'mistralai']
    """
    pd = _require_pandas()
    registry = get_registry()
    chosen_units = _check_units(units)
    providers = _check_providers(provider, registry.models.providers)
    if not isinstance(ranges, bool):
        raise TypeError(f"ranges must be True or False, got {ranges!r}")
    zone: str | None = None
    if electricity_mix_zone is not None:
        if not isinstance(electricity_mix_zone, str) or not electricity_mix_zone.strip():
            raise TypeError(
                f"electricity_mix_zone must be a zone code such as 'FRA' or None, got {electricity_mix_zone!r}"
            )
        try:
            zone = registry.mixes.get(electricity_mix_zone.strip()).mix.zone
        except ZoneNotFoundError as exc:
            raise ValueError(f"electricity_mix_zone: {exc}") from None
    hardware = registry.hardware.get(overrides.get("hardware")).name  # ValueError lists the profiles
    pairs = _select(models, providers)
    accepted = (int, np.integer, Sequence, np.ndarray)
    if isinstance(output_tokens, (str, bytes)) or not isinstance(output_tokens, accepted):
        raise TypeError(
            f"output_tokens must be a non-negative integer or a list of them, got {output_tokens!r} "
            f"({type(output_tokens).__name__})"
        )

    grid = estimate_grid(
        pairs,
        output_tokens,
        request_latency,
        zone,
        input_tokens=input_tokens,
        cached_input_tokens=cached_input_tokens,
        methodology=methodology,
        **overrides,
    )
    n_models, n_scenarios = len(pairs), len(grid.output_tokens)
    infos = [_model_info(p, name) for (p, _), name in zip(pairs, grid.resolved, strict=True)]

    def per_model(values: Sequence[Any] | npt.NDArray[Any]) -> npt.NDArray[Any]:
        return np.repeat(np.asarray(values, dtype=object if not isinstance(values, np.ndarray) else None), n_scenarios)

    total_min, total_max = _bounds([None if i is None else i.total_parameters for i in infos])
    active_min, active_max = _bounds([None if i is None else i.active_parameters for i in infos])
    zones = [
        zone if zone is not None else (registry.providers[p].datacenter_zone if p in registry.providers else None)
        for p, _ in pairs
    ]
    columns: dict[str, Any] = {
        "provider": per_model([p for p, _ in pairs]),
        "model": per_model([m for _, m in pairs]),
        "resolved_model": per_model(grid.resolved),
        "architecture": per_model([None if i is None else i.architecture for i in infos]),
        "total_parameters_b_min": np.repeat(total_min, n_scenarios),
        "total_parameters_b_max": np.repeat(total_max, n_scenarios),
        "active_parameters_b_min": np.repeat(active_min, n_scenarios),
        "active_parameters_b_max": np.repeat(active_max, n_scenarios),
        "zone": per_model(zones),
        "hardware": np.full(n_models * n_scenarios, hardware, dtype=object),
        "output_tokens": np.tile(grid.output_tokens, n_models).astype(np.int64),
        "input_tokens": np.tile(grid.input_tokens, n_models).astype(np.int64),
        "cached_input_tokens": np.tile(grid.cached_input_tokens, n_models).astype(np.int64),
    }
    unit_of: dict[str, str] = {}
    tokens = grid.output_tokens.reshape(1, -1)

    def add(
        indicator: str,
        low: npt.NDArray[np.float64],
        high: npt.NDArray[np.float64],
        central: npt.NDArray[np.float64],
        per_1k: bool,
    ) -> None:
        unit = chosen_units[indicator]
        factor = UNITS[indicator][unit] / UNITS[indicator][BASE_UNITS[indicator]]
        stem = indicator_column(indicator, unit, None, per_1k_tokens=per_1k)
        unit_of[stem] = unit
        low, high, central = (low * factor).ravel(), (high * factor).ravel(), (central * factor).ravel()
        if ranges:
            columns[f"{stem}_min"] = low
            columns[f"{stem}_max"] = high
            columns[f"{stem}_mean"] = (low + high) / 2
            columns[f"{stem}_central"] = central
        else:
            columns[stem] = central

    with np.errstate(divide="ignore", invalid="ignore"):
        per_token = np.where(tokens > 0, 1000.0 / tokens, np.nan)
    for indicator in BASE_UNITS:
        low, high, central = grid.low[indicator], grid.high[indicator], grid.central[indicator]
        add(indicator, low, high, central, False)
        if indicator == "energy":
            add(indicator, low * per_token, high * per_token, central * per_token, True)

    columns["warnings"] = per_model([", ".join(w.code for w in grid.warnings.get(i, [])) for i in range(n_models)])
    columns["errors"] = per_model(["; ".join(e.message for e in grid.errors.get(i, [])) for i in range(n_models)])
    frame = pd.DataFrame(columns)
    frame.attrs["units"] = unit_of
    if grid.errors:
        failed = ", ".join(f"{pairs[i][0]}/{pairs[i][1]}" for i in sorted(grid.errors))
        warnings.warn(
            f"compare(): {len(grid.errors)} model(s) could not be estimated ({failed}); see the 'errors' column",
            UserWarning,
            stacklevel=2,
        )
    return frame
