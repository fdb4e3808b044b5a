"""A deferred ``ImpactsOutput`` (built on first read) behaves exactly like the eager one."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from ecologits_like._plan import Plan, get_plan
from ecologits_like.estimate import estimate_from_plan
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
