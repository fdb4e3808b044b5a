"""Plot helpers: they draw what they claim, return the Axes, and leave matplotlib's style alone."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

pytest.importorskip("pandas")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from ecologits_like.compare import compare  # noqa: E402
from ecologits_like.plots import plot_energy_vs_parameters, plot_quality_vs_energy, plot_ranking  # noqa: E402

PAIRS = [
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-4o"),
    ("mistralai", "mistral-small-latest"),
    ("mistralai", "mistral-large-latest"),
    ("cohere", "command-a-03-2025"),
]


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def df():  # type: ignore[no-untyped-def]
    return compare(PAIRS, 500)


def _rc_snapshot() -> dict[str, object]:
    return {k: v for k, v in matplotlib.rcParams.items() if k != "backend"}


def test_energy_vs_parameters(df) -> None:  # type: ignore[no-untyped-def]
    before = _rc_snapshot()
    ax = plot_energy_vs_parameters(df, annotate=2)
    assert isinstance(ax, Axes)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "Active parameters" in ax.get_xlabel() and "1,000" in ax.get_ylabel()
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"openai", "mistralai", "cohere"}
    assert len(ax.texts) == 2
    assert _rc_snapshot() == before


def test_ranking_orders_by_mean_and_uses_given_axes(df) -> None:  # type: ignore[no-untyped-def]
    before = _rc_snapshot()
    _fig, given = plt.subplots()
    ax = plot_ranking(df, "gwp", ax=given)
    assert ax is given
    labels = [t.get_text() for t in ax.get_yticklabels()]
    widths = [p.get_width() for p in ax.patches]
    assert len(labels) == len(PAIRS)
    assert widths == sorted(widths)  # largest last = drawn at the top
    assert labels[-1] == "{} / {}".format(*df.sort_values("gwp_gco2eq_mean").iloc[-1][["provider", "model"]])
    assert "gCO2eq" in ax.get_xlabel()
    assert _rc_snapshot() == before


def test_ranking_per_provider_top_and_per_token(df) -> None:  # type: ignore[no-untyped-def]
    ax = plot_ranking(df, provider="openai", top=1, per_1k_tokens=True)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["gpt-4o"]
    assert "per 1,000 output tokens" in ax.get_xlabel()
    water = plot_ranking(df, "water")
    assert "mL" in water.get_xlabel()


def test_quality_vs_energy(df) -> None:  # type: ignore[no-untyped-def]
    before = _rc_snapshot()
    scores = {"gpt-4o": 1300, ("mistralai", "mistral-large-latest"): 1250, "unscored-model": 1}
    ax = plot_quality_vs_energy(df, scores, score_label="Arena score")
    assert ax.get_ylabel() == "Arena score"
    assert ax.get_xscale() == "log"
    assert sorted(t.get_text() for t in ax.texts) == ["gpt-4o", "mistral-large-latest"]
    assert _rc_snapshot() == before
    with_column = df.assign(score=range(len(df)))
    ax2 = plot_quality_vs_energy(with_column, "score")
    assert len(ax2.texts) == len(PAIRS)


def test_several_scenarios_need_a_choice() -> None:
    many = compare(PAIRS[:2], [100, 1000])
    with pytest.raises(ValueError, match=r"several output_tokens scenarios \(100, 1000\).*output_tokens="):
        plot_energy_vs_parameters(many)
    ax = plot_energy_vs_parameters(many, output_tokens=1000)
    assert isinstance(ax, Axes)
    with pytest.raises(ValueError, match="output_tokens must be one of 100, 1000"):
        plot_ranking(many, output_tokens=5)


def test_bad_arguments(df) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="indicator must be one of"):
        plot_ranking(df, "noise")
    with pytest.raises(ValueError, match="provider must be one of"):
        plot_ranking(df, provider="anthropic")
    with pytest.raises(ValueError, match="top must be"):
        plot_ranking(df, top=0)
    with pytest.raises(ValueError, match="per_1k_tokens applies"):
        plot_ranking(df, "gwp", per_1k_tokens=True)
    with pytest.raises(ValueError, match="lacks column"):
        plot_ranking(compare(PAIRS, 500, ranges=False))
    with pytest.raises(TypeError, match="df must be a DataFrame"):
        plot_ranking([1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="none of the models"):
        plot_quality_vs_energy(df, {"nobody": 1.0})
    with pytest.raises(TypeError, match="scores must be"):
        plot_quality_vs_energy(df, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unit for energy"):
        plot_energy_vs_parameters(df, unit="kcal")


def test_missing_matplotlib_names_the_extra(df, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"ecologits-like\[notebooks\]"):
        plot_ranking(df)
