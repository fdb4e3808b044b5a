"""Sessions: what they collect (context, nesting, threads, tasks), labels, sums and summaries."""

from __future__ import annotations

import asyncio
import contextvars
import math
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from ecologits_like import _sinks
from ecologits_like.impacts.range_value import RangeValue
from ecologits_like.records import RequestRecord
from ecologits_like.session import Session, bind, current_labels, current_session, session, sum_impacts
from tests.session.factory import EXACT, RANGED, UNKNOWN, make_record


def emit(record: RequestRecord) -> None:
    """What a tracer does when a request finishes."""
    _sinks.emit(record)


def test_collects_inside_and_nothing_outside() -> None:
    before, inside, after = make_record(), make_record(*EXACT), make_record()
    emit(before)
    with session("support-bot", labels={"team": "care"}) as s:
        assert current_session() is s
        emit(inside)
    emit(after)
    assert current_session() is None
    assert len(s.requests) == 1
    stored = s.requests[0]
    assert stored.model_requested == inside.model_requested
    assert dict(stored.labels) == {"team": "care"}
    assert stored.impacts is inside.impacts  # labels merged by replace(): impacts not copied


def test_requests_in_no_session_are_free() -> None:
    # No session open: emitting must not fail nor be retained anywhere.
    assert _sinks.emit(make_record()) == []


def _session_sink_registered() -> bool:
    from ecologits_like.session import _session_sink

    return _session_sink in _sinks.sinks()


def test_the_session_sink_is_registered_only_while_a_session_is_open() -> None:
    # With no session open, traced requests must not build records for a sink that keeps nothing.
    assert not _session_sink_registered()
    outer, inner = session("outer"), session("inner")
    with outer:
        assert _session_sink_registered()
        with inner, outer:  # nested, and the same session re-entered
            assert _session_sink_registered()
        assert _session_sink_registered()
        emit(make_record(*EXACT))
    assert not _session_sink_registered()
    with pytest.raises(RuntimeError):
        outer.__exit__(None, None, None)  # an exit without an entry changes nothing
    assert not _session_sink_registered()
    with outer:  # reopened: it collects again
        emit(make_record(*EXACT))
    assert len(outer.requests) == 2 and len(inner.requests) == 0
    assert not _session_sink_registered()


def test_the_session_sink_stays_while_another_thread_has_a_session_open() -> None:
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with session("held"):
            entered.set()
            release.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    assert entered.wait(5)
    with session("brief") as brief:
        emit(make_record(*EXACT))
    assert _session_sink_registered()  # "held" is still open in the worker
    release.set()
    worker.join(5)
    assert not _session_sink_registered()
    assert len(brief.requests) == 1


def test_nesting_counts_in_every_enclosing_session_and_merges_labels() -> None:
    with session("outer", labels={"team": "care", "env": "prod"}) as outer:
        emit(make_record(labels={"request": "r1"}))
        with session("inner", labels={"team": "bots"}) as inner:
            assert current_labels() == {"team": "bots", "env": "prod"}
            emit(make_record(labels={"request": "r2", "env": "canary"}))
        emit(make_record())
    assert len(outer.requests) == 3 and len(inner.requests) == 1
    assert dict(inner.requests[0].labels) == {"team": "bots", "env": "canary", "request": "r2"}
    # The very same merged record is stored in both sessions.
    assert outer.requests[1] is inner.requests[0]
    assert dict(outer.requests[0].labels) == {"team": "care", "env": "prod", "request": "r1"}
    assert dict(outer.requests[2].labels) == {"team": "care", "env": "prod"}


def test_reentering_the_same_session_counts_a_request_once() -> None:
    s = session("again")
    with s, s:
        emit(make_record())
    assert len(s.requests) == 1


def test_impacts_sum_values_and_ranges_exactly() -> None:
    records = [make_record(*EXACT, 100), make_record(*EXACT, 300), make_record(*RANGED, 50), make_record(*RANGED, 70)]
    with session() as s:
        for record in records:
            emit(record)
    total = s.impacts
    assert not total.errors
    assert isinstance(total.energy.value, RangeValue)
    lo = math.fsum(r.impacts.energy.min for r in records)
    hi = math.fsum(r.impacts.energy.max for r in records)
    assert total.energy.value == RangeValue(lo, hi)
    assert total.usage.gwp.min == pytest.approx(math.fsum(r.impacts.usage.gwp.min for r in records), rel=1e-12)
    assert total.embodied.pe.max == pytest.approx(math.fsum(r.impacts.embodied.pe.max for r in records), rel=1e-12)
    assert total.wcf.max == pytest.approx(math.fsum(r.impacts.wcf.max for r in records), rel=1e-12)
    # Interval arithmetic agrees.
    assert total.gwp.value.contains(sum((r.impacts.gwp.mean for r in records), 0.0))
    codes = {w.code for w in total.warnings}
    assert "model-arch-not-released" in codes
    assert len(total.warnings) == len({(w.code, w.message) for w in total.warnings})


def test_exact_values_stay_floats() -> None:
    with session() as s:
        emit(make_record(*EXACT, 100))
        emit(make_record(*EXACT, 200))
    assert isinstance(s.impacts.energy.value, float)
    assert s.impacts.energy.value == math.fsum(r.impacts.energy.value for r in s.requests)


def test_failed_estimates_are_counted_apart_and_excluded_from_sums() -> None:
    good, bad = make_record(*EXACT), make_record(*UNKNOWN)
    with session() as s:
        emit(good)
        emit(bad)
        emit(make_record(*UNKNOWN, 10))
    assert len(s.requests) == 3
    assert [r.model_requested for r in s.failed_requests] == [UNKNOWN[1], UNKNOWN[1]]
    assert s.successful_requests[0].impacts is good.impacts
    assert [e.code for e in s.errors] == ["model-not-registered"]  # de-duplicated
    assert s.impacts.energy.value == good.impacts.energy.value
    assert not s.impacts.errors


def test_empty_session_sums_to_zero() -> None:
    with session() as s:
        pass
    assert s.impacts.energy.value == 0.0 and s.impacts.gwp.value == 0.0
    assert s.summary() == [] and len(s) == 0
    assert sum_impacts([]).wcf.value == 0.0


def test_late_records_after_exit_are_not_counted() -> None:
    with session() as s:
        context = contextvars.copy_context()
    context.run(emit, make_record())  # e.g. a bound thread that outlived the block
    assert s.requests == []


# -- threads and tasks ----------------------------------------------------------------------------


def test_plain_threads_do_not_inherit_the_session_but_bound_ones_do() -> None:
    with session() as s:
        plain = threading.Thread(target=emit, args=(make_record(),))
        plain.start()
        plain.join()
        bound = threading.Thread(target=bind(emit), args=(make_record(*EXACT),))
        bound.start()
        bound.join()
    assert [r.model_requested for r in s.requests] == [EXACT[1]]


def test_thread_pool_with_a_context_and_bind_counts_concurrently() -> None:
    with session("pool") as s, ThreadPoolExecutor(max_workers=8) as pool:
        task = bind(emit)  # one bound callable may run in many threads at once
        futures = [pool.submit(task, make_record(offset_s=i)) for i in range(20)]
        futures += [pool.submit(contextvars.copy_context().run, emit, make_record()) for _ in range(5)]
        futures.append(pool.submit(emit, make_record()))  # no context: not counted
        for future in futures:
            future.result()
    assert len(s.requests) == 25


def test_concurrent_sessions_in_threads_stay_separate() -> None:
    results: dict[int, int] = {}

    def worker(index: int) -> None:
        with session(f"w{index}") as s:
            for _ in range(index + 1):
                emit(make_record())
        results[index] = len(s.requests)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {i: i + 1 for i in range(6)}


def test_async_with_collects_from_tasks_and_to_thread_only() -> None:
    async def call(record: RequestRecord) -> None:
        await asyncio.sleep(0)
        emit(record)

    async def main() -> tuple[Session, Session]:
        outside = asyncio.create_task(asyncio.sleep(0.01))
        async with session("async") as s:
            await asyncio.gather(*(call(make_record()) for _ in range(3)))
            task = asyncio.create_task(call(make_record(*EXACT)))
            await task
            await asyncio.to_thread(emit, make_record())
        async with session("other") as other:
            pass
        await outside
        emit(make_record())  # after the block
        return s, other

    s, other = asyncio.run(main())
    assert len(s.requests) == 5 and other.requests == []


def test_concurrent_async_sessions_are_isolated() -> None:
    async def job(name: str, count: int) -> Session:
        async with session(name) as s:
            for _ in range(count):
                await asyncio.sleep(0)
                emit(make_record())
        return s

    async def main() -> list[Session]:
        return list(await asyncio.gather(job("a", 2), job("b", 5)))

    a, b = asyncio.run(main())
    assert (len(a.requests), len(b.requests)) == (2, 5)


def test_decorator_sync_and_async_accumulate_over_calls() -> None:
    tracked = session("decorated", labels={"job": "nightly"})

    @tracked
    def sync_job(n: int) -> int:
        for _ in range(n):
            emit(make_record())
        return n

    @tracked
    async def async_job(n: int) -> int:
        for _ in range(n):
            emit(make_record(*EXACT))
        return n * 10

    assert sync_job(2) == 2
    assert asyncio.run(async_job(1)) == 10
    assert sync_job.__name__ == "sync_job" and async_job.__name__ == "async_job"
    assert asyncio.iscoroutinefunction(async_job)
    assert sync_job.session is tracked  # type: ignore[attr-defined]
    emit(make_record())  # between calls: not counted
    assert len(tracked.requests) == 3
    assert all(dict(r.labels) == {"job": "nightly"} for r in tracked.requests)


def test_decorated_function_sees_its_session_and_exceptions_propagate() -> None:
    tracked = session()

    @tracked
    def boom() -> None:
        assert current_session() is tracked
        raise KeyError("x")

    with pytest.raises(KeyError):
        boom()
    assert current_session() is None


def test_session_exits_on_exception() -> None:
    with pytest.raises(RuntimeError), session() as s:
        emit(make_record())
        raise RuntimeError
    assert current_session() is None and len(s.requests) == 1


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="labels must map str to str"):
        session("x", labels={"n": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="name must be a string"):
        session(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="RequestRecord"):
        session().add("nope")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="not open"):
        session().__exit__(None, None, None)


# -- summary --------------------------------------------------------------------------------------


def test_summary_rows_per_provider_and_model() -> None:
    with session() as s:
        emit(make_record(*RANGED, 100, latency=1.0, input_tokens=10))
        emit(make_record(*RANGED, 200, latency=2.0, input_tokens=None))
        emit(make_record(*EXACT, 50, latency=None, input_tokens=5))
        emit(make_record(*UNKNOWN, 30, latency=0.5, input_tokens=7))
    rows = s.summary()
    assert [(r["provider"], r["model"]) for r in rows] == [
        ("openai", "gpt-4o"),
        ("openai", "gpt-oss-120b"),
        ("openai", "gpt-unknown-model"),
    ]
    gpt4o = rows[0]
    assert (gpt4o["requests"], gpt4o["failed_requests"], gpt4o["input_tokens"], gpt4o["output_tokens"]) == (
        2,
        0,
        10,
        300,
    )
    assert gpt4o["latency_s"] == 3.0
    records = s.requests[:2]
    assert gpt4o["energy_kwh_min"] == math.fsum(r.impacts.energy.min for r in records)
    assert gpt4o["energy_kwh_min"] < gpt4o["energy_kwh"] < gpt4o["energy_kwh_max"]
    exact = rows[1]
    assert exact["energy_kwh"] == exact["energy_kwh_min"] == exact["energy_kwh_max"]
    unknown = rows[2]
    assert (unknown["requests"], unknown["failed_requests"], unknown["energy_kwh"]) == (1, 1, 0.0)


def test_summary_as_frame() -> None:
    pd = pytest.importorskip("pandas")
    with session() as s:
        emit(make_record())
        emit(make_record(*EXACT))
    frame = s.summary(as_frame=True)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["model"]) == ["gpt-4o", "gpt-oss-120b"]
    assert frame["requests"].sum() == 2
    empty = session().summary(as_frame=True)
    assert len(empty) == 0 and "energy_kwh" in empty.columns


def test_sums_keep_the_central_value_of_the_default_methodology() -> None:
    with session() as s:
        first = make_record(*EXACT, 100, methodology="ecologits-like")
        second = make_record(*RANGED, 300, methodology="ecologits-like")
        emit(first)
        emit(second)
    total = s.impacts.energy.value
    parts = [first.impacts.energy.value, second.impacts.energy.value]
    assert isinstance(total, RangeValue) and total.has_central
    assert all(isinstance(p, RangeValue) and p.has_central for p in parts)
    assert total.central == pytest.approx(math.fsum(p.central for p in parts), rel=1e-12)  # type: ignore[union-attr]
    assert total.min <= total.central <= total.max
