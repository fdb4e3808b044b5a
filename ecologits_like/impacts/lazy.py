"""An estimate's output, computed on first read and built field by field.

:func:`~ecologits_like.estimate.estimate` returns at once an :class:`ImpactsOutput` holding the
arguments of its :class:`EstimateFields`. The first read of any field makes it, which computes
every indicator of every scenario
(:func:`~ecologits_like.impacts.compiled.evaluate_indicators`: the whole arithmetic, ranges
included, in one pass); each field's objects (the impact model, its :class:`RangeValue`, the
``Usage`` and ``Embodied`` models) are built when that field is read, or all at once when the
output is read as a whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ecologits_like.impacts.compiled import Coefficients, evaluate_indicators
from ecologits_like.impacts.output import (
    GWP,
    PE,
    WCF,
    ADPe,
    Embodied,
    Energy,
    FieldSource,
    ImpactsOutput,
    ImpactsWarning,
    Usage,
    _fields_set,
    _set_dict,
    _set_extra,
    _set_fields_set,
    _set_private,
    fast_construct,
    impact_builder,
)
from ecologits_like.impacts.range_value import RangeValue, ValueOrRange, _set_central, _set_max, _set_min

__all__ = ["EstimateFields", "OutputRecipe", "lazy_estimate"]

_new = object.__new__

# Positions of the indicators in :data:`~ecologits_like.impacts.compiled.INDICATORS`.
_ENERGY, _USAGE_GWP, _USAGE_ADPE, _USAGE_PE, _WCF = 0, 1, 2, 3, 4
_EMBODIED_GWP, _EMBODIED_ADPE, _EMBODIED_PE = 5, 6, 7
_TOTAL_GWP, _TOTAL_ADPE, _TOTAL_PE = 8, 9, 10


@dataclass(frozen=True, slots=True)
class OutputRecipe:
    """What an estimate's output needs from its plan (everything that does not depend on the request)."""

    scenarios: tuple[Coefficients, ...]  # the low scenario; then the high one and, when ranges carry it, the central
    counts_prompt: bool  # whether uncached input tokens are counted (prompt processing)
    warnings: tuple[ImpactsWarning, ...]


class EstimateFields(FieldSource):
    """The fields of one estimate's :class:`ImpactsOutput`, from its plan's recipe and the request.

    Making one computes the whole estimate: every indicator of every scenario, in one pass. It is
    made when the output is first read (:func:`lazy_estimate` keeps its arguments until then; two
    threads reading at once may both make one: the same floats).

    ``request_latency`` is ``inf`` when unknown; ``input_tokens`` / ``cached_input_tokens`` may be
    ``None`` (not reported) and only count when the recipe counts prompt processing.
    """

    __slots__ = ("_recipe", "_results")

    def __init__(
        self,
        recipe: OutputRecipe,
        output_tokens: int,
        request_latency: float,
        input_tokens: int | None,
        cached_input_tokens: int | None,
    ) -> None:
        self._recipe = recipe
        prompt = 0.0
        if input_tokens and recipe.counts_prompt:
            # prefill_tokens() for two integers, without its check for numpy arrays (two
            # generator frames per estimate once numpy is imported)
            fresh = input_tokens - (cached_input_tokens or 0)
            prompt = float(fresh) if fresh > 0 else 0.0
        #: The eleven indicators of each scenario: ``[low]``, ``[low, high]`` or ``[low, high, central]``.
        self._results = evaluate_indicators(recipe.scenarios, output_tokens, request_latency, prompt)

    def _value(self, index: int) -> ValueOrRange:
        """Indicator ``index`` as the output holds it: a float when exact, else a :class:`RangeValue`.

        The low scenario gives the minimum and the high one the maximum (every formula is monotonic
        in the uncertain inputs); the comparisons below only keep a last-bit rounding difference
        from inverting a range or putting its central value outside it.
        """
        results = self._results
        low = results[0][index]
        if len(results) == 1:
            return low
        high = results[1][index]
        if low == high:
            return low
        if low > high:
            low, high = high, low
        value = _new(RangeValue)  # RangeValue._trusted inlined: this runs for every indicator read
        _set_min(value, low)
        _set_max(value, high)
        if len(results) == 3:
            central = results[2][index]
            _set_central(value, low if central < low else high if central > high else central)
        else:
            _set_central(value, None)
        return value

    def field(self, name: str, fields: dict[str, Any]) -> Any:
        """The value of field ``name``: the one in ``fields``, else built and stored there."""
        value = fields.get(name)
        if value is None:
            total = _TOTALS.get(name)
            if total is not None:
                build, index = total
                value = fields.setdefault(name, build(self._value(index)))
            else:
                value = fields.setdefault(name, _MODELS[name](self, fields))
        return value

    def complete(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Store every missing field in ``fields``; return them all in declaration order."""
        field = self.field
        return {name: field(name, fields) for name in _FIELD_ORDER}

    def _usage(self, fields: dict[str, Any]) -> Usage:
        return fast_construct(
            Usage,
            {
                "energy": self.field("energy", fields),  # the output's own total: out.energy is out.usage.energy
                "gwp": _gwp(self._value(_USAGE_GWP)),
                "adpe": _adpe(self._value(_USAGE_ADPE)),
                "pe": _pe(self._value(_USAGE_PE)),
                "wcf": self.field("wcf", fields),  # the same for water, which has no embodied phase
            },
        )

    def _embodied(self, fields: dict[str, Any]) -> Embodied:
        return fast_construct(
            Embodied,
            {
                "gwp": _gwp(self._value(_EMBODIED_GWP)),
                "adpe": _adpe(self._value(_EMBODIED_ADPE)),
                "pe": _pe(self._value(_EMBODIED_PE)),
            },
        )

    def _warnings(self, fields: dict[str, Any]) -> list[ImpactsWarning]:
        return list(self._recipe.warnings)

    def _errors(self, fields: dict[str, Any]) -> list[Any]:
        return []


_energy = impact_builder(Energy)
_gwp = impact_builder(GWP)
_adpe = impact_builder(ADPe)
_pe = impact_builder(PE)
_wcf = impact_builder(WCF)

# The output's totals: one impact model over one indicator each.
_TOTALS: dict[str, tuple[Callable[[ValueOrRange], Any], int]] = {
    "energy": (_energy, _ENERGY),
    "gwp": (_gwp, _TOTAL_GWP),
    "adpe": (_adpe, _TOTAL_ADPE),
    "pe": (_pe, _TOTAL_PE),
    "wcf": (_wcf, _WCF),
}
# The other fields.
_MODELS: dict[str, Callable[[EstimateFields, dict[str, Any]], Any]] = {
    "usage": EstimateFields._usage,
    "embodied": EstimateFields._embodied,
    "warnings": EstimateFields._warnings,
    "errors": EstimateFields._errors,
}
_FIELD_ORDER = tuple(ImpactsOutput.model_fields)
if set(_FIELD_ORDER) != set(_TOTALS) | set(_MODELS):  # a field added to ImpactsOutput needs a builder here
    raise RuntimeError(f"EstimateFields builds {sorted({*_TOTALS, *_MODELS})}, ImpactsOutput has {_FIELD_ORDER}")


_OUTPUT_FIELDS_SET = _fields_set(ImpactsOutput)


def lazy_estimate(
    recipe: OutputRecipe,
    output_tokens: int,
    request_latency: float,
    input_tokens: int | None,
    cached_input_tokens: int | None,
) -> ImpactsOutput:
    """``ImpactsOutput.lazy(EstimateFields(recipe, output_tokens, ...))``, in one Python call.

    This runs on every ``estimate()`` and every traced call, where each Python call and each object
    costs µs (caches cold after the SDK's work): the output is built here without a call, and its
    :class:`EstimateFields` waits as the tuple of its arguments until the output is first read
    (about 3 µs less per traced Mistral call than making the object now; the first read makes the
    same number of Python calls, its ``__init__`` doing the arithmetic).
    """
    output = _new(ImpactsOutput)
    _set_dict(output, {})
    _set_fields_set(output, _OUTPUT_FIELDS_SET)
    _set_extra(output, None)
    _set_private(output, (EstimateFields, recipe, output_tokens, request_latency, input_tokens, cached_input_tokens))
    return output
