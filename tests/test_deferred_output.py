"""A deferred ``ImpactsOutput`` (built on first read) behaves exactly like the eager one."""

from __future__ import annotations

import copy
import math
import pickle
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from ecologits_like._plan import Plan, get_plan
from ecologits_like.estimate import estimate_from_plan
from ecologits_like.impacts.compiled import evaluate, evaluate_indicators
from ecologits_like.impacts.compose import to_output
from ecologits_like.impacts.lazy import EstimateFields, OutputRecipe, lazy_estimate
from ecologits_like.impacts.llm import prefill_tokens
from ecologits_like.impacts.output import Energy, ImpactsError, ImpactsOutput, ImpactsWarning
from ecologits_like.impacts.range_value import RangeValue


class _Holder(BaseModel):
    impacts: ImpactsOutput


def _plan(provider: str, model: str) -> Plan:
    plan = get_plan(provider, model)
    assert isinstance(plan, Plan)
    return plan


def _outcome(fn: Callable[[Any], Any], arg: Any) -> Any:
    try:
        return fn(arg)
    except Exception as exc:
        return type(exc).__name__, str(exc)


PLANS = {
    "ranges": ("openai", "gpt-4o-mini"),  # undisclosed size: RangeValue indicators
    "exact": ("mistralai", "mistral-small-latest"),
}

READS: dict[str, Callable[[ImpactsOutput], Any]] = {
    "attribute": lambda o: (o.energy, o.usage, o.embodied, o.warnings, o.errors),
    "model_dump": lambda o: o.model_dump(),
    "model_dump_json": lambda o: o.model_dump_json(),
    "json mode": lambda o: o.model_dump(mode="json"),
    "repr": repr,
    "str": str,
    "vars": lambda o: dict(vars(o)),
    "iteration": lambda o: dict(o),
    "hash": lambda o: _outcome(hash, o),  # unhashable (list fields), the same way
    "fields set": lambda o: sorted(o.model_fields_set),
    "pickle": lambda o: pickle.loads(pickle.dumps(o)).model_dump(),
    "copy": lambda o: copy.copy(o).model_dump(),
    "deepcopy": lambda o: copy.deepcopy(o).model_dump(),
    "model_copy update": lambda o: o.model_copy(update={"warnings": []}).model_dump(),
    "nested in a model": lambda o: _Holder(impacts=o).model_dump_json(),
    "type adapter": lambda o: TypeAdapter(list[ImpactsOutput]).dump_python([o]),
    "validate": lambda o: ImpactsOutput.model_validate(o).model_dump(),
    "has_errors": lambda o: (o.has_errors, o.has_warnings),
    "energy helpers": lambda o: (o.energy.min, o.energy.max, o.energy.to("Wh"), o.energy.format()),
}


@pytest.mark.parametrize("kind", sorted(PLANS))
@pytest.mark.parametrize("read", sorted(READS))
def test_deferred_reads_like_eager(kind: str, read: str) -> None:
    plan = _plan(*PLANS[kind])
    eager = estimate_from_plan(plan, 321, 2.5)
    deferred = ImpactsOutput.deferred(estimate_from_plan, plan, 321, 2.5)
    assert isinstance(deferred, ImpactsOutput) and type(deferred) is ImpactsOutput
    assert READS[read](deferred) == READS[read](eager)
    assert deferred == eager and eager == deferred  # and now built


def test_deferred_equality_both_ways_before_any_read() -> None:
    plan = _plan("openai", "gpt-4o-mini")
    first = ImpactsOutput.deferred(estimate_from_plan, plan, 10, 1.0)
    second = ImpactsOutput.deferred(estimate_from_plan, plan, 10, 1.0)
    other = ImpactsOutput.deferred(estimate_from_plan, plan, 11, 1.0)
    assert first == second and first != other
    assert isinstance(first.energy, Energy) and isinstance(first.energy.value, RangeValue)


def test_deferred_builds_once_and_never_raises() -> None:
    calls: list[int] = []
    plan = _plan("mistralai", "mistral-small-latest")

    def build(tokens: int) -> ImpactsOutput:
        calls.append(tokens)
        return estimate_from_plan(plan, tokens, 1.0)

    out = ImpactsOutput.deferred(build, 7)
    assert calls == []
    assert out.energy is not None and out.gwp is not None and out.model_dump()
    assert calls == [7]

    def broken() -> ImpactsOutput:
        raise ZeroDivisionError("boom")

    failed = ImpactsOutput.deferred(broken)
    assert failed.energy is None
    message = "ecologits_like estimate failed: ZeroDivisionError: boom"
    assert failed.errors == [ImpactsError(code="estimate-failed", message=message)]


def test_deferred_with_warnings_and_missing_attribute() -> None:
    plan = _plan("openai", "gpt-4o-mini")
    out = ImpactsOutput.deferred(estimate_from_plan, plan, 10, 1.0)
    with pytest.raises(AttributeError):
        _ = out.no_such_field  # type: ignore[attr-defined]
    assert all(isinstance(w, ImpactsWarning) for w in out.warnings)
    with pytest.raises(ValidationError):  # frozen, as the eager model
        out.energy = None  # type: ignore[misc]


# -- per-field construction (ImpactsOutput.lazy, what estimate returns) -----------------------------

_raw_fields = BaseModel.__dict__["__dict__"].__get__  # the instance dict itself, without completing the output
_pending = BaseModel.__dict__["__pydantic_private__"].__get__

# (provider, model, methodology): three scenarios with a central value, two without, one (exact)
SCENARIOS = {
    "low, high, central": ("openai", "gpt-4o-mini", "ecologits-like"),
    "low, high": ("openai", "gpt-4o-mini", "ecologits"),
    "exact": ("mistralai", "mistral-small-latest", "ecologits"),
}


def _readable(plan: Plan, tokens: int, latency: float, input_tokens: int, cached: int) -> ImpactsOutput:
    """The estimate assembled the readable way: one RequestImpacts per scenario, then to_output."""
    prompt = float(prefill_tokens(input_tokens, cached)) if input_tokens and plan.prefill_mfu is not None else 0.0
    low = evaluate(plan.low, tokens, latency, prompt)
    if plan.high is None:
        return to_output(low, None, list(plan.warnings))
    central = None if plan.central is None else evaluate(plan.central, tokens, latency, prompt)
    return to_output(low, evaluate(plan.high, tokens, latency, prompt), list(plan.warnings), central)


@pytest.mark.parametrize("kind", sorted(SCENARIOS))
@settings(max_examples=40, deadline=None)
@given(
    tokens=st.integers(0, 200_000),
    latency=st.one_of(st.just(math.inf), st.floats(0.0, 600.0)),
    prompt=st.tuples(st.integers(0, 500_000), st.integers(0, 500_000)),
)
def test_lazy_output_is_the_readable_composition_exactly(
    kind: str, tokens: int, latency: float, prompt: tuple[int, int]
) -> None:
    provider, model, methodology = SCENARIOS[kind]
    plan = get_plan(provider, model, methodology=methodology)
    assert isinstance(plan, Plan)
    input_tokens, cached = max(prompt), min(prompt)
    lazy = estimate_from_plan(plan, tokens, latency, input_tokens, cached)
    expected = _readable(plan, tokens, latency, input_tokens, cached)
    # the same floats (the same operations in the same order), ranges and central values included
    assert lazy.energy == expected.energy and lazy.usage == expected.usage  # read field by field first
    assert lazy.model_dump() == expected.model_dump() and repr(lazy) == repr(expected)


FIELDS = tuple(ImpactsOutput.model_fields)


def test_first_read_computes_everything_but_builds_only_that_field() -> None:
    out = estimate_from_plan(_plan("openai", "gpt-4o-mini"), 321, 2.5, 1000, 200)
    assert _pending(out)[0] is EstimateFields and _raw_fields(out) == {}  # the source's arguments, not the source
    energy = out.energy
    # all the arithmetic is done (every indicator of every scenario), but only Energy was built
    source = _pending(out)
    assert isinstance(source, EstimateFields)
    results = source._results  # the eleven indicators of the low, high and central scenarios
    assert results is not None and len(results) == 3 and all(len(scenario) == 11 for scenario in results)
    assert list(_raw_fields(out)) == ["energy"] and _pending(out) is source
    usage = out.usage  # the Usage model shares the output's energy and water totals
    assert set(_raw_fields(out)) == {"energy", "usage", "wcf"}
    assert usage.energy is energy and usage.wcf is out.wcf and out.energy is energy
    dumped = out.model_dump()  # reading the whole builds the rest, keeping what was built
    assert _pending(out) is None and list(_raw_fields(out)) == list(FIELDS)
    assert out.energy is energy and out.usage is usage and out.usage.energy is out.energy
    assert dumped == estimate_from_plan(_plan("openai", "gpt-4o-mini"), 321, 2.5, 1000, 200).model_dump()


@pytest.mark.parametrize("first", FIELDS)
def test_any_first_read_gives_the_eager_output(first: str) -> None:
    plan = _plan("openai", "gpt-4o-mini")
    out = estimate_from_plan(plan, 99, 1.5, 40, 0)
    value = getattr(out, first)
    assert getattr(out, first) is value  # stable across reads
    eager = _readable(plan, 99, 1.5, 40, 0)
    assert repr(out) == repr(eager) and dict(out) == dict(eager) and list(dict(out)) == list(FIELDS)
    assert getattr(out, first) is value and out.energy is out.usage.energy and out.wcf is out.usage.wcf


def test_ranges_are_never_inverted_and_central_values_stay_inside() -> None:
    # Scenarios given out of order (the "high" one lower), and a central one above both: the
    # output still has min <= central <= max, as the readable composition guarantees.
    low, high, central = (2.0,) * 16, (1.0,) * 16, (3.0,) * 16
    inverted = ImpactsOutput.lazy(EstimateFields(OutputRecipe((low, high, central), False, ()), 10, 1.0, None, None))
    results = evaluate_indicators((low, high, central), 10, 1.0, 0.0)
    for index, value in enumerate(
        (inverted.energy, inverted.usage.gwp, inverted.usage.adpe, inverted.usage.pe, inverted.wcf)
    ):
        assert isinstance(value.value, RangeValue)
        assert (value.min, value.max, value.central) == (results[1][index], results[0][index], results[0][index])
    two = ImpactsOutput.lazy(EstimateFields(OutputRecipe((low, high), False, ()), 10, 1.0, None, None))
    assert two.energy.value == RangeValue(results[1][0], results[0][0]) and not two.energy.value.has_central
    one = ImpactsOutput.lazy(EstimateFields(OutputRecipe((low,), False, ()), 10, 1.0, None, None))
    assert one.energy.value == results[0][0] and type(one.energy.value) is float


class _BrokenScenario(tuple):  # type: ignore[type-arg]
    """Coefficients that fail to unpack: the estimate raises when it is computed."""

    def __iter__(self) -> Any:
        raise ArithmeticError("bad coefficients")


@pytest.mark.parametrize("read", ["energy", "usage", "model_dump", "eq"])
def test_lazy_output_that_fails_to_compute_says_so_in_errors(read: str) -> None:
    out = lazy_estimate(OutputRecipe((_BrokenScenario(),), False, ()), 10, 1.0, None, None)
    if read == "model_dump":
        out.model_dump()
    elif read == "eq":
        assert out != ImpactsOutput()
    else:
        assert getattr(out, read) is None
    message = "ecologits_like estimate failed: ArithmeticError: bad coefficients"
    assert out.errors == [ImpactsError(code="estimate-failed", message=message)]
    assert out.energy is None and out.usage is None and _pending(out) is None


READERS: dict[str, Callable[[ImpactsOutput], Any]] = {
    "totals": lambda o: (o.energy, o.gwp, o.adpe, o.pe, o.wcf),
    "nested first": lambda o: (o.usage.energy, o.embodied, o.energy, o.wcf),
    "whole": lambda o: (o.__dict__, o.model_dump()),
    "copy": lambda o: copy.copy(o),
}


def test_threads_reading_fresh_outputs_at_once_see_the_same_objects() -> None:
    plan = _plan("openai", "gpt-4o-mini")
    outputs = [estimate_from_plan(plan, n, 2.0, 100, 0) for n in range(300)]
    expected = [estimate_from_plan(plan, n, 2.0, 100, 0).model_dump() for n in range(300)]
    readers = list(READERS.values())
    barrier = threading.Barrier(len(readers))
    seen: list[list[tuple[Any, ...]]] = [[] for _ in readers]
    problems: list[str] = []

    def read(index: int) -> None:
        barrier.wait()
        for out in outputs:
            try:
                readers[index](out)
                whole = out.__dict__  # never a half-built dict, whoever is building it
            except Exception as exc:
                problems.append(f"reader {index}: {type(exc).__name__}: {exc}")
                return
            if list(whole) != list(FIELDS):
                problems.append(f"reader {index} saw fields {list(whole)}")
            seen[index].append((*whole.values(), out.usage.energy, out.usage.wcf))

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to interleave the builds
    try:
        threads = [threading.Thread(target=read, args=(i,)) for i in range(len(readers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)
    assert problems == []
    for n, out in enumerate(outputs):
        objects = [seen[i][n] for i in range(len(readers))]
        assert all(all(a is b for a, b in zip(objects[0], other, strict=True)) for other in objects[1:]), n
        assert out.energy is out.usage.energy and out.model_dump() == expected[n]


@pytest.mark.parametrize(
    ("value", "dumped"),
    [
        (0.25, 0.25),
        (RangeValue(1, 2), {"min": 1.0, "max": 2.0}),
        (RangeValue(1, 9, central=2), {"min": 1.0, "max": 9.0, "central": 2.0}),
    ],
)
def test_impact_values_dump_as_numbers_or_range_mappings(value: float | RangeValue, dumped: object) -> None:
    energy = Energy.of(value)
    expected = {"type": "energy", "name": "Energy", "value": dumped, "unit": "kWh"}
    assert energy.model_dump() == expected and energy.model_dump(mode="json") == expected
    assert Energy.model_validate_json(energy.model_dump_json()) == energy
    out = estimate_from_plan(_plan("openai", "gpt-4o-mini"), 10, 1.0)
    assert ImpactsOutput.model_validate(out.model_dump()) == out
    assert ImpactsOutput.model_validate_json(out.model_dump_json()) == out


@pytest.mark.parametrize("case", list(PLANS))
def test_lazy_estimate_is_the_output_of_its_field_source(case: str) -> None:
    """``lazy_estimate`` writes the output's constructor out and keeps its source's arguments: the same output."""
    recipe = _plan(*PLANS[case]).recipe
    fast = lazy_estimate(recipe, 321, 2.5, 1000, 200)
    assert fast.__pydantic_private__ == (EstimateFields, recipe, 321, 2.5, 1000, 200)
    spelled_out = ImpactsOutput.lazy(EstimateFields(recipe, 321, 2.5, 1000, 200))
    assert fast.model_fields_set == spelled_out.model_fields_set
    assert fast.model_dump() == spelled_out.model_dump() and fast == spelled_out
