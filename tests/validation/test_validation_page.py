"""``docs/validation.md``: its table is what the engine computes today, and every verdict holds."""

from __future__ import annotations

import importlib.util
import math
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "build_validation_table.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_validation_table", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


table = _script()
ROWS: list[dict[str, Any]] = table.load_rows()
SECTION, COMPARISONS, PROBLEMS = table.build(ROWS)


def test_the_page_is_current() -> None:
    assert PROBLEMS == []
    assert table.main(["--check"]) == 0


def test_a_stale_page_fails_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "validation.md"
    shutil.copy(table.PAGE, page)
    page.write_text(page.read_text(encoding="utf-8").replace("| inside |", "| outside |", 1), encoding="utf-8")
    monkeypatch.setattr(table, "PAGE", page)
    assert table.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().err


@pytest.mark.parametrize("row", [r for r in ROWS if r.get("compare")], ids=lambda r: r["id"])
def test_each_ratio_is_finite_and_positive(row: dict[str, Any]) -> None:
    comparison = COMPARISONS[row["id"]]
    assert comparison is not None
    low, high = comparison.ratio
    assert math.isfinite(low) and math.isfinite(high)
    assert 0 < low <= high


def _page_rows() -> dict[str, list[str]]:
    """The table of the page, by row number: its cells."""
    text = table.PAGE.read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        match = re.match(r"\| \[(\d+)\]\(#row-\d+\) \|(.*)\|$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def test_the_stated_verdicts_and_ratios_match_the_computation() -> None:
    page = _page_rows()
    assert len(page) == len(ROWS)
    for number, row in enumerate(ROWS, start=1):
        cells = page[str(number)]
        comparison = COMPARISONS[row["id"]]
        if comparison is None:
            assert cells[-1] == "not compared"
            continue
        assert cells[-1] == comparison.verdict, row["id"]
        assert cells[-2] == table._span(*comparison.ratio), row["id"]
        published = float(row["published"]["value"])
        inside = comparison.low <= published <= comparison.high
        assert (cells[-1] == "inside") == inside


def test_outside_rows_are_explained_on_the_page() -> None:
    text = table.PAGE.read_text(encoding="utf-8")
    outside = [r for r in ROWS if COMPARISONS[r["id"]] is not None and COMPARISONS[r["id"]].verdict == "outside"]
    assert outside, "the page is expected to discuss at least one disagreement"
    for row in outside:
        assert row["explanation"] in text


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["id"])
def test_each_row_is_sourced_and_its_figure_is_in_its_quote(row: dict[str, Any]) -> None:
    for key in ("source", "url", "verified_at", "date", "quote", "quote_location", "model", "hardware"):
        assert isinstance(row[key], str) and row[key].strip(), key
    assert row["url"].startswith("https://") and row["verified_at"].startswith("https://")
    assert row["request"]["shape"] in {"stated", "assumed", "not disclosed"}
    assert row["boundary"]["scope"] in {"gpu", "facility"}
    assert isinstance(row["boundary"]["pue_included"], bool)
    assert isinstance(row["boundary"]["embodied_included"], bool)
    assert row["boundary"]["carbon_accounting"] in {None, "location", "market"}
    assert row["published"]["unit"] in table.UNIT_FACTORS
    value = float(row["published"]["value"])
    spellings = {f"{value:g}", f"{value:.2f}"}
    assert any(s in row["quote"] for s in spellings), (row["quote"], spellings)


def test_the_claims_of_the_summary_hold() -> None:
    v2, v3 = COMPARISONS["mlenergy-v2-llama31-8b"], COMPARISONS["mlenergy-v3-llama31-8b"]
    assert v2 is not None and v3 is not None
    assert v3.published <= v2.low <= v2.high <= v2.published  # between the two leaderboard versions
    for row_id in ("openai-altman-chatgpt-average", "jegham-2025-gpt4o-short"):
        assert COMPARISONS[row_id].verdict == "inside"  # type: ignore[union-attr]
    for row_id in ("mistral-large-2-lca-gwp", "mistral-large-2-lca-water", "mistral-large-2-lca-adpe"):
        assert COMPARISONS[row_id].ratio[1] < 0.2  # type: ignore[union-attr]  # far above us even at our top


def test_gpu_rows_use_the_engine_formulas() -> None:
    from ecologits_like.impacts import llm
    from ecologits_like.registry import get_registry

    row = next(r for r in ROWS if r["id"] == "mlenergy-v2-llama31-8b")
    hardware = get_registry().hardware.get(None)
    model = get_registry().models.resolve(row["provider"], row["registry_model"]).model
    per_gpu = llm.gpu_energy_per_token(
        model.active_parameters, 64, hardware.energy_alpha, hardware.energy_beta, hardware.energy_gamma
    )
    gpus = llm.required_gpu_count(
        llm.model_required_memory(model.total_parameters, hardware.quantization_bits, hardware.memory_overhead),
        hardware.gpu_memory_gb,
    )
    assert COMPARISONS[row["id"]].low == pytest.approx(per_gpu * gpus * 3600)  # type: ignore[union-attr]


def test_verdicts_and_explanation_rules() -> None:
    Comparison = table.Comparison
    assert Comparison("x", 1.0, 2.0, 1.5, None).verdict == "inside"
    assert Comparison("x", 1.0, 1.0, 1.9, None).verdict == "within 2x"
    assert Comparison("x", 1.0, 1.0, 0.6, None).verdict == "within 2x"
    assert Comparison("x", 1.0, 1.0, 2.1, None).verdict == "outside"
    rows = [
        {"id": "a", "explanation": ""},
        {"id": "b", "explanation": "because"},
        {"id": "c", "explanation": "", "not_compared_because": ""},
        {"id": "d", "explanation": "", "sensitivity": [{"label": "b=1", "expect": "above"}]},
    ]
    comparisons = {
        "a": Comparison("a", 1.0, 1.0, 10.0, None),
        "b": Comparison("b", 1.0, 2.0, 1.5, None),
        "c": None,
        "d": Comparison("d", 1.0, 1.0, 1.0, None, (("b=1", 0.5, 0.5),)),
    }
    problems = table.check_explanations(rows, comparisons)
    assert [p.split(":")[0] for p in problems] == ["a", "b", "c", "d"]
    assert "explain why" in problems[0] and "no longer applies" in problems[1]
    assert "we are below the published figure, the data file expects 'above'" in problems[3]
