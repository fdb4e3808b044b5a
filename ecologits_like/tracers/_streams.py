"""Stream proxies: the SDK's own stream, observed chunk by chunk, finalised exactly once.

:class:`TracedStream` / :class:`TracedAsyncStream` are ``wrapt.ObjectProxy`` subclasses, so every
attribute of the SDK stream (``.response``, ``_iterator``, helpers) and ``isinstance`` checks keep
working; the iteration, context-manager and ``close()`` protocols are re-implemented on the proxy
so that the tracer sees every chunk and every way a stream can end:

* exhausted, or the provider's terminal chunk seen -> finalised complete (``partial=False``);
* ``close()`` / ``with`` exit before the end -> finalised ``partial=True`` with the tokens so far;
* an exception while reading (including ``KeyboardInterrupt`` and task cancellation) -> finalised
  ``partial=True``, the exception re-raised unchanged (raised before the first chunk: nothing is
  recorded, the request failed);
* dropped without being closed (garbage-collected) after at least one chunk -> finalised
  ``partial=True`` once, in the context where the stream was created (so that only the sessions
  open there count it), never while the interpreter shuts down. A sync stream notices it in its
  chunk generator, which Python closes when it is collected while suspended (an exhausted one
  costs nothing then); an async one in its tap's ``__del__``.

Speed: attribute access on a ``wrapt`` proxy goes through its ``__getattr__`` machinery and costs
several times a plain slot read, so the per-chunk state lives on a separate slotted *tap* object
(:class:`_SyncTap` / :class:`_AsyncTap`). ``iter(stream)`` returns a generator over the sync tap
(:func:`_chunks`: resuming it is cheaper than calling a ``__next__`` method) and the async tap
itself. Per chunk the tracer makes one Python-level call (the shape's ``on_chunk``: O(1), no
allocation) and stores one reference; the estimate is made once, at the end. ``stream.impacts``
is ``None`` until then; the chunk handed over last (or the final one) carries ``impacts`` too.

Once per stream, the work is kept to a few Python frames, because each costs several µs inside a
real SDK call (caches cold): a stream has no ``Call``, its tap holds what the end needs and is
filled by the factory (:func:`trace_stream`) without an ``__init__``, and the end of a stream
takes ``finish_request``'s common case inline.
"""

from __future__ import annotations

import contextvars
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import wrapt

from ecologits_like.tracers import _core
from ecologits_like.tracers._core import (
    FINAL,
    HIDE_FINAL,
    LOOKAHEAD,
    PASS,
    Call,
    Shape,
    Tally,
    UsageCatcher,
    _set_attribute,
    _tracer_error,
    attach,
    finish_request,
    state,
)

if TYPE_CHECKING:
    from ecologits_like.impacts.output import ImpactsOutput

__all__ = ["TracedAsyncStream", "TracedStream", "trace_stream"]


class _Nothing:
    __slots__ = ()


_NOTHING: Any = _Nothing()


class _Tap:
    """Per-stream state and the rare paths shared by the sync and async taps; filled by :func:`trace_stream`.

    Slots (not a ``__dict__``, not the proxy) because they are read on every chunk.
    """

    __slots__ = (
        "call",
        "catcher",
        "context",
        "done",
        "impacts",
        "last",
        "on_chunk",
        "provider",
        "queued",
        "read",
        "requested",
        "start",
        "tally",
    )

    #: Reads the SDK stream's next chunk (see :func:`trace_stream`).
    read: Any
    #: The :class:`Call` that finishes the request, for a stream a call made later (a stream
    #: manager's) or parsed from a raw response; ``None`` for a stream the request method returned.
    call: Call | None
    provider: str
    #: The model the request named (``None`` when it named none).
    requested: str | None
    #: ``perf_counter`` at the request's start.
    start: float
    tally: Tally
    on_chunk: Any
    #: Takes the usage-only chunk the tracer asked for before the SDK parses it (see ``Shape.catch_usage``).
    catcher: UsageCatcher | None
    impacts: ImpactsOutput | None
    done: bool
    #: The chunk handed over last (``_NOTHING`` before the first).
    last: Any
    #: ``None``, or what the next read returns before reading on: a ``(chunk, code)`` seen while
    #: looking ahead, or the exception that reading raised while a chunk was held back.
    queued: Any
    #: Where the stream was created: an abandoned stream is recorded there (see :meth:`abandoned`).
    context: contextvars.Context

    def chunk_failed(self, exc: Exception) -> int:
        """Extraction raised on a chunk: a bug of ours must not break the caller's stream."""
        _tracer_error(self.provider, "chunk", exc)
        return PASS

    def read_failed(self) -> None:
        """Reading raised. Before any chunk (a request that failed, e.g. a generator-based SDK
        stream sending its request on the first read) nothing is recorded; after, a partial record."""
        if self.last is _NOTHING:
            self.done = True
        else:
            self.finalize(True)

    def peeked(self, held: Any, item: Any) -> Any:
        """``item`` was read while holding ``held`` back: hand ``held`` over (``item`` comes next)."""
        try:
            code = self.on_chunk(self.tally, item)
        except Exception as exc:
            code = self.chunk_failed(exc)
        if code == HIDE_FINAL:
            self.finalize(False, held)
        else:
            self.queued = (item, code)
            self.last = held
        return held

    def peek_failed(self, held: Any, exc: Exception) -> Any:
        """Reading past ``held`` raised: hand ``held`` over now, raise ``exc`` on the next read.

        Only for errors: an interrupt or a cancellation held for the next read would be lost if
        the caller stopped reading after ``held`` (a swallowed Ctrl-C, a cancelled task that runs
        on), so those are raised at once and ``held`` is not handed over.
        """
        self.last = held
        self.finalize(True)
        self.queued = exc
        return held

    def peek_ended(self, held: Any) -> Any:
        """The stream ended right after ``held`` (no hidden usage chunk came): it is the last."""
        self.finalize(False, held)
        return held

    def finalize(self, partial: bool, attach_to: Any = _NOTHING) -> None:
        """Estimate and record once; put the impacts on ``attach_to`` (the chunk handed over now, which
        becomes the last one) or else on the last chunk handed over."""
        if attach_to is not _NOTHING:
            self.last = attach_to
        if self.done:
            return
        self.done = True
        try:
            latency = time.perf_counter() - self.start
            tally, call = self.tally, self.call
            config = state.config
            model = tally.model or self.requested
            plan = config.plans.get((self.provider, model)) if call is None and config is not None and model else None
            if plan is not None and tally.approximation is None and not _core._sinks._sinks:
                # finish_request() written out for its common case, as the response handler does
                # (a plan in the table, no warning to add, nobody collecting records): a frame less.
                tokens = tally.output_tokens if tally.output_tokens is not None else tally.counted
                impacts = _core.lazy_estimate(
                    plan.recipe, tokens, latency, tally.input_tokens, tally.cached_input_tokens
                )
            elif call is not None:
                impacts = call.finish(latency, stream=True, partial=partial)
            else:
                impacts = finish_request(
                    self.provider, self.requested, tally, self.start, latency, stream=True, partial=partial
                )
            self.impacts = impacts
            target = self.last
            if target is not _NOTHING:
                if type(target) in _core._plain_types:  # attach() written out for a class it handled before
                    _set_attribute(target, "impacts", impacts)
                else:
                    attach(target, impacts)
        except Exception as exc:
            _tracer_error(self.provider, "stream-finish", exc)

    def abandoned(self) -> None:
        """Neither the proxy nor an iterator over it is referenced any more: a partial record, made in
        the context where the stream was created.

        Nothing here stores ``self`` anywhere (no resurrection). At interpreter shutdown, modules
        may be half torn down (their globals ``None``) and sinks closed: record nothing rather than
        fail noisily.
        """
        try:
            if not (self.done or self.last is _NOTHING or sys.is_finalizing()):
                self.context.run(self.finalize, True)
        except BaseException:  # a finaliser must never raise
            pass


class _SyncTap(_Tap):
    """The state of a traced sync stream; :func:`_chunks` iterates it (and notices its abandonment)."""

    __slots__ = ()

    def dequeue(self) -> tuple[Any, int]:
        """What was seen while looking ahead: ``(chunk, code)``, or the read error raised now."""
        queued, self.queued = self.queued, None
        if isinstance(queued, BaseException):
            raise queued
        item, code = queued
        return item, code

    def special(self, item: Any, code: int) -> Any:
        """``item`` with a code other than ``PASS`` or ``FINAL``: the chunk to hand over, or ``_NOTHING``
        to read on."""
        if code == LOOKAHEAD:
            catcher = self.catcher
            try:
                if catcher is not None and catcher.take(self.tally):
                    self.finalize(False, item)  # the hidden usage chunk came next: taken unparsed
                    return item
                following = self.read()
            except StopIteration:
                return self.peek_ended(item)
            except Exception as exc:
                return self.peek_failed(item, exc)
            except BaseException:  # an interrupt: now (see peek_failed); ``item`` is not handed over
                self.read_failed()
                raise
            return self.peeked(item, following)
        if code == FINAL:  # the provider's terminal chunk (when it came back from a look-ahead)
            self.finalize(False, item)
            return item
        # HIDE_FINAL with nothing held back: swallow it; the impacts go on the last chunk handed over.
        self.finalize(False)
        return _NOTHING


def _chunks(tap: _SyncTap) -> Iterator[Any]:
    """The chunks of a traced sync stream: what ``iter(TracedStream)`` returns (one per stream).

    A generator rather than a ``__next__`` method: resuming it costs less than a method call, and
    the per-chunk names are locals. It holds the tap, never the proxy; dropping the proxy drops
    it, and Python closes a generator collected while suspended at a ``yield``, i.e. after a
    chunk was handed over: that ``GeneratorExit`` is how an abandoned stream is noticed (no
    ``__del__``, which would be a Python call at the end of every stream, finished ones too).
    """
    read, on_chunk, tally = tap.read, tap.on_chunk, tap.tally
    try:
        while True:
            if tap.queued is not None:
                item, code = tap.dequeue()
            else:
                try:
                    item = read()
                except StopIteration:
                    if not tap.done:  # a terminal chunk usually finalised it already: no call then
                        tap.finalize(False)
                    return
                except BaseException:
                    tap.read_failed()
                    raise
                try:
                    code = on_chunk(tally, item)
                except Exception as exc:
                    code = tap.chunk_failed(exc)
            if code == PASS:
                tap.last = item
                yield item
            elif code == FINAL:  # the provider's terminal chunk: finalise onto it
                tap.finalize(False, item)
                yield item
            else:
                item = tap.special(item, code)
                if item is not _NOTHING:
                    yield item
    except GeneratorExit:  # collected (or closed by the caller) while suspended
        tap.abandoned()
        raise


class _AsyncTap(_Tap):
    """The async iterator ``aiter(TracedAsyncStream)`` returns."""

    __slots__ = ()

    def __aiter__(self) -> _AsyncTap:
        return self

    async def __anext__(self) -> Any:
        if self.queued is not None:
            return await self._dequeue()
        try:
            item = await self.read()
        except StopAsyncIteration:
            if not self.done:  # a terminal chunk usually finalised it already: no call then
                self.finalize(False)
            raise
        except BaseException:
            self.read_failed()
            raise
        try:
            code = self.on_chunk(self.tally, item)
        except Exception as exc:
            code = self.chunk_failed(exc)
        if code == PASS:
            self.last = item
            return item
        return await self._special(item, code)

    async def _dequeue(self) -> Any:
        queued, self.queued = self.queued, None
        if isinstance(queued, BaseException):
            raise queued
        item, code = queued
        if code == PASS:
            self.last = item
            return item
        return await self._special(item, code)

    async def _special(self, item: Any, code: int) -> Any:
        if code == FINAL:
            self.finalize(False, item)
            return item
        if code == LOOKAHEAD:
            catcher = self.catcher
            try:
                if catcher is not None and await catcher.atake(self.tally):
                    self.finalize(False, item)
                    return item
                following = await self.read()
            except StopAsyncIteration:
                return self.peek_ended(item)
            except Exception as exc:
                return self.peek_failed(item, exc)
            except BaseException:  # a cancellation: now (see peek_failed); ``item`` is not handed over
                self.read_failed()
                raise
            return self.peeked(item, following)
        self.finalize(False)
        return await self.__anext__()

    def __del__(self) -> None:
        # An async stream has no generator of ours that Python would close when it is dropped.
        self.abandoned()


if TYPE_CHECKING:
    _Proxy = wrapt.ObjectProxy[Any]
else:  # wrapt < 2 has no subscriptable ObjectProxy
    _Proxy = wrapt.ObjectProxy


def trace_stream(
    stream: Any,
    is_async: bool,
    provider: str,
    shape: Shape,
    requested: str | None,
    start: float,
    tally: Tally | None,
    call: Call | None = None,
) -> TracedStream | TracedAsyncStream:
    """``stream`` behind a :class:`TracedStream` (``is_async``: a :class:`TracedAsyncStream`) that
    estimates and records the request once, when the stream ends.

    ``start`` is the ``perf_counter`` reading taken before the request; ``tally`` the one the
    shape's ``prepare`` filled, if it ran; ``call``, when the request has one, finishes it.
    """
    # The tap reads ``next`` of ``iter(stream)``, as a ``for`` loop over the bare stream does (the
    # SDKs' ``__iter__`` is a generator, whose C-level ``__next__`` costs less per chunk than
    # their ``__next__`` methods); the stream's ``__next__`` when it is not iterable.
    proxy: TracedStream | TracedAsyncStream
    tap: _Tap
    if is_async:
        proxy = TracedAsyncStream(stream)
        proxy._self_tap = tap = _AsyncTap()
        try:
            tap.read = aiter(stream).__anext__
        except Exception:
            tap.read = getattr(stream, "__anext__", None)
    else:
        proxy = TracedStream(stream)
        proxy._self_tap = tap = _SyncTap()
        try:
            tap.read = iter(stream).__next__
        except Exception:
            tap.read = getattr(stream, "__next__", None)
        proxy._self_chunks = _chunks(tap)
    # The tap is filled here, not by an ``__init__``: a Python frame less per stream.
    tap.call = call
    tap.provider = provider
    tap.requested = requested
    tap.start = start
    tap.tally = tally = Tally() if tally is None else tally
    tap.on_chunk = shape.on_chunk
    tap.catcher = None
    catch_usage = shape.catch_usage
    if catch_usage is not None and tally.hide_usage:
        try:
            tap.catcher = catch_usage(stream)
        except Exception as exc:  # the SDK then parses that chunk and on_chunk hides it
            _tracer_error(provider, "catch-usage", exc)
    tap.impacts = None
    tap.done = False
    tap.last = _NOTHING
    tap.queued = None
    tap.context = contextvars.copy_context()
    return proxy


class TracedStream(_Proxy):
    """A synchronous SDK stream, traced; made by :func:`trace_stream`.

    Its own state is two slots (wrapt keeps attributes prefixed ``_self_`` on the proxy), and it
    has wrapt's C ``__init__``: a Python ``__init__`` calling ``super().__init__`` and a ``__dict__``
    for two attributes cost about 2 µs more per stream inside a real SDK call.
    """

    __slots__ = ("_self_chunks", "_self_tap")
    _self_tap: _SyncTap
    _self_chunks: Iterator[Any]

    @property
    def impacts(self) -> ImpactsOutput | None:
        """The request's impacts once the stream has ended (or been closed); ``None`` before."""
        return self._self_tap.impacts

    def __iter__(self) -> Iterator[Any]:
        return self._self_chunks

    def __next__(self) -> Any:
        return self._self_chunks.__next__()

    def __enter__(self) -> TracedStream:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(exc_type, exc, tb)
        finally:
            self._self_tap.finalize(True)

    def close(self) -> Any:
        """Close the SDK stream; a stream closed before its end is recorded as partial."""
        try:
            return self.__wrapped__.close()
        finally:
            self._self_tap.finalize(True)


class TracedAsyncStream(_Proxy):
    """An asynchronous SDK stream, traced; made by :func:`trace_stream` (slots: see :class:`TracedStream`)."""

    __slots__ = ("_self_tap",)
    _self_tap: _AsyncTap

    @property
    def impacts(self) -> ImpactsOutput | None:
        """The request's impacts once the stream has ended (or been closed); ``None`` before."""
        return self._self_tap.impacts

    def __aiter__(self) -> _AsyncTap:
        return self._self_tap

    def __anext__(self) -> Any:
        return self._self_tap.__anext__()

    async def __aenter__(self) -> TracedAsyncStream:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(exc_type, exc, tb)
        finally:
            self._self_tap.finalize(True)

    async def close(self) -> Any:
        """Close the SDK stream; a stream closed before its end is recorded as partial."""
        try:
            return await self.__wrapped__.close()
        finally:
            self._self_tap.finalize(True)

    async def aclose(self) -> Any:
        """Alias of the SDK's ``aclose()`` where it has one."""
        try:
            return await self.__wrapped__.aclose()
        finally:
            self._self_tap.finalize(True)
