"""``AsideImpacts``: impacts kept beside unhashable response objects, dropped when they are collected."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest

from ecologits_like.tracers._core import AsideImpacts


class Output(dict[str, Any]):
    """Like huggingface_hub's outputs: a dict subclass (unhashable), no ``impacts`` of its own."""

    impacts = AsideImpacts()


def _table() -> dict[int, Any]:
    aside = Output.__dict__["impacts"]
    assert isinstance(aside, AsideImpacts)
    return aside._table


def test_an_object_gets_its_impacts_and_without_them_raises_attribute_error() -> None:
    with_impacts, without = Output(a=1), Output(a=1)
    Output.impacts.put(with_impacts, "first")  # type: ignore[attr-defined]
    assert with_impacts.impacts == "first"
    with pytest.raises(AttributeError, match="'Output' object has no attribute 'impacts'"):
        _ = without.impacts
    assert Output.impacts is Output.__dict__["impacts"]  # read on the class: the descriptor


def test_entries_go_when_the_object_is_collected() -> None:
    before = len(_table())
    outputs = [Output(n=n) for n in range(50)]
    for n, output in enumerate(outputs):
        Output.impacts.put(output, n)  # type: ignore[attr-defined]
    assert len(_table()) == before + 50
    assert [o.impacts for o in outputs] == list(range(50))
    del outputs, output
    assert len(_table()) == before


def test_putting_again_replaces_and_the_object_leaves_one_entry_behind_it() -> None:
    before = len(_table())
    output = Output()
    Output.impacts.put(output, "old")  # type: ignore[attr-defined]
    Output.impacts.put(output, "new")  # type: ignore[attr-defined]
    assert output.impacts == "new" and len(_table()) == before + 1
    del output
    assert len(_table()) == before


def test_an_object_in_a_reference_cycle_is_dropped_by_the_collector() -> None:
    before = len(_table())
    output = Output()
    output["self"] = output
    Output.impacts.put(output, "cycle")  # type: ignore[attr-defined]
    probe = weakref.ref(output)
    del output
    gc.collect()
    assert probe() is None and len(_table()) == before


def test_the_table_does_not_keep_the_object_alive() -> None:
    output = Output()
    impacts = object()
    Output.impacts.put(output, impacts)  # type: ignore[attr-defined]
    probe = weakref.ref(output)
    del output
    assert probe() is None


def test_a_class_given_aside_impacts_later_is_no_longer_written_into_instance_dicts() -> None:
    """``on_response`` sets ``impacts`` itself on classes ``attach`` handled before; patching one forgets that."""
    from ecologits_like.tracers import _core

    class Late(dict[str, Any]):
        pass

    first = Late()
    assert _core.attach(first, "plain") and vars(first) == {"impacts": "plain"}
    assert Late in _core._plain_types
    aside = AsideImpacts()
    Late.impacts = aside  # type: ignore[attr-defined]
    _core.aside_types[Late] = aside
    try:
        _core.forget_response_classes()
        assert Late not in _core._plain_types
        second = Late()
        assert _core.attach(second, "aside") and vars(second) == {} and second.impacts == "aside"  # type: ignore[attr-defined]
        assert Late not in _core._plain_types
    finally:
        del _core.aside_types[Late]
        _core.forget_response_classes()
