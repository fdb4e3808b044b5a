"""Plots of :func:`ecologits_like.compare` results, on matplotlib (``pip install 'ecologits-like[notebooks]'``).

Each function draws on the Axes it is given (or a new figure's), returns that Axes so it can be
restyled, and never changes matplotlib's global style (``rcParams``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ecologits_like.compare import DEFAULT_UNITS, indicator_column
from ecologits_like.registry import get_registry

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["plot_energy_vs_parameters", "plot_quality_vs_energy", "plot_ranking"]

_EXTRA_HINT = "pip install 'ecologits-like[notebooks]'"
_LABEL: dict[str, Any] = {"fontsize": 7, "xytext": (3, 3), "textcoords": "offset points"}


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(f"ecologits_like.plots needs matplotlib: {_EXTRA_HINT}") from exc
    return plt


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    plt = _pyplot()
    if ax is not None:
        return ax
    _, new_ax = plt.subplots(figsize=size)
    result: Axes = new_ax
    return result


def _check_frame(df: Any, needed: list[str], who: str) -> None:
    if not hasattr(df, "columns"):
        raise TypeError(f"{who}: df must be a DataFrame returned by compare(), got {type(df).__name__}")
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(
            f"{who}: df lacks column(s) {', '.join(missing)}; pass a compare() result with ranges=True "
            f"(and the units this plot is asked for)"
        )


def _one_scenario(df: pd.DataFrame, output_tokens: int | None, who: str) -> pd.DataFrame:
    counts = sorted({int(t) for t in df["output_tokens"]})
    if output_tokens is None:
        if len(counts) > 1:
            raise ValueError(
                f"{who}: df holds several output_tokens scenarios ({', '.join(map(str, counts))}); "
                "pass output_tokens= to choose one"
            )
        return df
    if output_tokens not in counts:
        raise ValueError(f"{who}: output_tokens must be one of {', '.join(map(str, counts))}, got {output_tokens!r}")
    return df[df["output_tokens"] == output_tokens]


def _colours(providers: list[str]) -> dict[str, Any]:
    """One colour per provider, the same in every plot (registry order, then any others)."""
    plt = _pyplot()
    cmap = plt.get_cmap("tab10")
    order = get_registry().models.providers
    order += sorted(set(providers) - set(order))
    present = set(providers)
    return {name: cmap(i % 10) for i, name in enumerate(order) if name in present}


def _stat_columns(indicator: str, unit: str | None, per_1k_tokens: bool) -> tuple[str, str, str, str]:
    chosen = DEFAULT_UNITS[indicator] if unit is None else unit
    names = [indicator_column(indicator, chosen, s, per_1k_tokens=per_1k_tokens) for s in ("min", "max", "mean")]
    return names[0], names[1], names[2], chosen


def plot_energy_vs_parameters(
    df: pd.DataFrame,
    *,
    output_tokens: int | None = None,
    unit: str = "Wh",
    ax: Axes | None = None,
    annotate: bool | int = False,
) -> Axes:
    """Energy per 1,000 output tokens against active parameters, with range bars, on log axes.

    A model whose size is undisclosed shows a horizontal bar (its parameter range) and a vertical
    one (the energy range that follows); exact models are single points.

    Args:
        df: A :func:`ecologits_like.compare` result (``ranges=True``).
        output_tokens: Which scenario to draw when ``df`` holds several.
        unit: Unit of the energy column to use (as passed to ``compare(units=...)``).
        ax: Axes to draw on; a new figure when ``None``.
        annotate: ``True`` labels every model; an integer labels that many most energy-hungry ones.

    Returns:
        The Axes.
    """
    who = "plot_energy_vs_parameters"
    low, high, mean, chosen = _stat_columns("energy", unit, True)
    _check_frame(df, ["provider", "model", "output_tokens", "active_parameters_b_min", low, high, mean], who)
    data = _one_scenario(df, output_tokens, who).dropna(subset=[mean, "active_parameters_b_min"])
    ax = _axes(ax, (7.0, 4.5))
    colours = _colours(list(data["provider"]))
    for provider, group in data.groupby("provider", sort=True):
        p_low = group["active_parameters_b_min"].to_numpy(dtype=float)
        p_high = group["active_parameters_b_max"].to_numpy(dtype=float)
        x = np.sqrt(p_low * p_high)  # geometric midpoint: the centre on a log axis
        y = group[mean].to_numpy(dtype=float)
        ax.errorbar(
            x,
            y,
            xerr=[x - p_low, p_high - x],
            yerr=[y - group[low].to_numpy(dtype=float), group[high].to_numpy(dtype=float) - y],
            fmt="o",
            markersize=4,
            elinewidth=0.8,
            alpha=0.8,
            color=colours[provider],
            label=str(provider),
        )
    if annotate:
        count = len(data) if annotate is True else int(annotate)
        biggest = data.nlargest(count, mean)
        x_mids = np.sqrt(biggest["active_parameters_b_min"] * biggest["active_parameters_b_max"])
        for name, x_mid, y_value in zip(biggest["model"], x_mids, biggest[mean], strict=True):
            ax.annotate(str(name), (float(x_mid), float(y_value)), **_LABEL)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Active parameters (billions)")
    ax.set_ylabel(f"Energy per 1,000 output tokens ({chosen})")
    ax.set_title("Energy per 1,000 output tokens vs model size")
    if len(colours):
        ax.legend(title="provider", fontsize=8)
    return ax


def plot_ranking(
    df: pd.DataFrame,
    indicator: str = "energy",
    *,
    unit: str | None = None,
    per_1k_tokens: bool = False,
    output_tokens: int | None = None,
    provider: str | None = None,
    top: int | None = 20,
    ax: Axes | None = None,
) -> Axes:
    """Ranked horizontal bars (mean, with min–max range bars), coloured by provider.

    Args:
        df: A :func:`ecologits_like.compare` result (``ranges=True``).
        indicator: ``energy``, ``gwp``, ``adpe``, ``pe`` or ``wcf``/``water``.
        unit: The indicator column's unit (``compare``'s default when ``None``).
        per_1k_tokens: Rank on energy per 1,000 output tokens (``indicator="energy"`` only).
        output_tokens: Which scenario to draw when ``df`` holds several.
        provider: Only this provider's models (one ranking per provider).
        top: Keep the ``top`` highest (``None``: all).
        ax: Axes to draw on; a new figure when ``None``.

    Returns:
        The Axes.
    """
    who = "plot_ranking"
    indicator = "wcf" if indicator == "water" else indicator
    if indicator not in DEFAULT_UNITS:
        raise ValueError(f"{who}: indicator must be one of {', '.join(DEFAULT_UNITS)} (or water), got {indicator!r}")
    if per_1k_tokens and indicator != "energy":
        raise ValueError(f"{who}: per_1k_tokens applies to indicator='energy' only, got {indicator!r}")
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise ValueError(f"{who}: top must be an integer >= 1 or None, got {top!r}")
    low, high, mean, chosen = _stat_columns(indicator, unit, per_1k_tokens)
    _check_frame(df, ["provider", "model", "output_tokens", low, high, mean], who)
    data = _one_scenario(df, output_tokens, who).dropna(subset=[mean])
    if provider is not None:
        known = sorted(set(data["provider"]))
        if provider not in known:
            raise ValueError(f"{who}: provider must be one of {', '.join(known)}, got {provider!r}")
        data = data[data["provider"] == provider]
    colours = _colours(list(data["provider"]))
    data = data.sort_values(mean, ascending=False)
    if top is not None:
        data = data.head(top)
    data = data.iloc[::-1]  # largest at the top of a horizontal bar chart
    ax = _axes(ax, (7.0, max(2.5, 0.28 * len(data) + 1.0)))
    positions = np.arange(len(data))
    values = data[mean].to_numpy()
    ax.barh(
        positions,
        values,
        xerr=[values - data[low].to_numpy(), data[high].to_numpy() - values],
        color=[colours[p] for p in data["provider"]],
        error_kw={"elinewidth": 0.8, "capsize": 2},
    )
    labels = data["model"] if provider is not None else data["provider"] + " / " + data["model"]
    ax.set_yticks(positions, labels=list(labels), fontsize=8)
    what = {"energy": "Energy", "gwp": "GHG emissions", "adpe": "Abiotic resources", "pe": "Primary energy"}
    name = what.get(indicator, "Water")
    per = "per 1,000 output tokens" if per_1k_tokens else "per request"
    ax.set_xlabel(f"{name} {per} ({chosen})")
    ax.set_title(f"{name} {per}" + (f": {provider}" if provider else ""))
    return ax


def plot_quality_vs_energy(
    df: pd.DataFrame,
    scores: Mapping[str, float] | Mapping[tuple[str, str], float] | str,
    *,
    score_label: str = "Quality score",
    output_tokens: int | None = None,
    unit: str = "Wh",
    per_1k_tokens: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """Scatter of a quality score (yours, or a public arena's) against energy per request.

    The "satisfaction vs consumption" view: models up and to the left give more for less.

    Args:
        df: A :func:`ecologits_like.compare` result (``ranges=True``).
        scores: Model name -> score, ``(provider, model)`` -> score, or the name of a column of ``df``.
            Models without a score are left out.
        score_label: Y-axis label.
        output_tokens: Which scenario to draw when ``df`` holds several.
        unit: Unit of the energy column to use.
        per_1k_tokens: Use energy per 1,000 output tokens instead of per request.
        ax: Axes to draw on; a new figure when ``None``.

    Returns:
        The Axes.

    Raises:
        ValueError: no model of ``df`` has a score.
    """
    who = "plot_quality_vs_energy"
    low, high, mean, chosen = _stat_columns("energy", unit, per_1k_tokens)
    _check_frame(df, ["provider", "model", "output_tokens", low, high, mean], who)
    data = _one_scenario(df, output_tokens, who).dropna(subset=[mean])
    if isinstance(scores, str):
        _check_frame(df, [scores], who)
        values = data[scores].astype(float)
    elif isinstance(scores, Mapping):
        lookup: dict[Any, float] = {k: float(v) for k, v in scores.items()}
        values = data.apply(
            lambda row: lookup.get((row["provider"], row["model"]), lookup.get(row["model"], np.nan)), axis=1
        ).astype(float)
    else:
        raise TypeError(f"{who}: scores must be a mapping of model -> score or a column name, got {scores!r}")
    data = data.assign(_score=values).dropna(subset=["_score"])
    if data.empty:
        raise ValueError(
            f"{who}: none of the models in df has a score; score keys must be model names as in df['model']"
        )
    ax = _axes(ax, (7.0, 4.5))
    colours = _colours(list(data["provider"]))
    for provider, group in data.groupby("provider", sort=True):
        x = group[mean].to_numpy(dtype=float)
        ax.errorbar(
            x,
            group["_score"].to_numpy(dtype=float),
            xerr=[x - group[low].to_numpy(dtype=float), group[high].to_numpy(dtype=float) - x],
            fmt="o",
            markersize=5,
            elinewidth=0.8,
            color=colours[provider],
            label=str(provider),
        )
    for name, x_value, y_value in zip(data["model"], data[mean], data["_score"], strict=True):
        ax.annotate(str(name), (float(x_value), float(y_value)), **_LABEL)
    ax.set_xscale("log")
    per = "per 1,000 output tokens" if per_1k_tokens else "per request"
    ax.set_xlabel(f"Energy {per} ({chosen})")
    ax.set_ylabel(score_label)
    ax.set_title(f"{score_label} vs energy")
    ax.legend(title="provider", fontsize=8)
    return ax
