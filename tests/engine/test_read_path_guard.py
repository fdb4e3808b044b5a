"""The scalar engine's read path, guarded by counting Python calls instead of timing them (cannot flake).

What the counts stand for: a repeated ``estimate()`` makes two calls (itself, and ``lazy_estimate``
building the output, which keeps its field source's arguments); the first read of one indicator
makes the field source, which computes the whole estimate in one pass, and builds
that indicator only; every further indicator costs the attribute hook, the field lookup, its value
and its model; reading everything builds each of the fourteen models once.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from ecologits_like import estimate
from ecologits_like.impacts.output import ImpactsOutput

PACKAGE = str(Path(__file__).resolve().parents[2] / "ecologits_like")


def _calls(fn: Callable[[], Any]) -> tuple[Any, dict[str, int]]:
    """``fn()`` and the Python calls it made into ecologits_like, by ``module:function``."""
    counts: dict[str, int] = {}

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        code = frame.f_code
        if event == "call" and code.co_filename.startswith(PACKAGE):
            key = f"{Path(code.co_filename).stem}:{code.co_name}"
            counts[key] = counts.get(key, 0) + 1

    sys.setprofile(profile)
    try:
        result = fn()
    finally:
        sys.setprofile(None)
    return result, counts


def _estimate() -> ImpactsOutput:
    return estimate("openai", "gpt-4o-mini", 500, request_latency=4.0, input_tokens=1200, cached_input_tokens=200)


def test_a_repeated_estimate_resolves_nothing_and_computes_nothing() -> None:
    _estimate().model_dump()  # data loaded, plan resolved and remembered
    out, counts = _calls(_estimate)
    assert counts == {"estimate:estimate": 1, "lazy:lazy_estimate": 1}, counts
    assert isinstance(out, ImpactsOutput)


def test_the_first_read_computes_everything_once_and_builds_one_model() -> None:
    out = _estimate()
    energy, counts = _calls(lambda: out.energy)
    assert counts == {
        "output:__getattr__": 1,
        "lazy:__init__": 1,  # the field source, made now: it computes everything
        "compiled:evaluate_indicators": 1,  # every indicator of the three scenarios
        "lazy:field": 1,
        "lazy:_value": 1,
        "output:build": 1,  # the Energy model
    }, counts
    _, further = _calls(lambda: (out.gwp, out.adpe, out.pe, out.wcf))
    assert further == {"output:__getattr__": 4, "lazy:field": 4, "lazy:_value": 4, "output:build": 4}, further
    _, again = _calls(lambda: (out.energy, out.gwp, out.wcf))
    assert again == {} and out.energy is energy  # read from the instance dict


def test_reading_everything_builds_each_model_once() -> None:
    out = _estimate()
    _, counts = _calls(lambda: out.__dict__)
    assert counts.get("compiled:evaluate_indicators") == 1
    assert counts.get("output:build") == 11  # the impact models: 5 totals, 3 usage-only, 3 embodied
    assert counts.get("output:fast_construct") == 2  # Usage and Embodied
