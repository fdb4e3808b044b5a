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
  open there count it), never while the interpreter shuts down.

Speed: attribute access on a ``wrapt`` proxy goes through its ``__getattr__`` machinery and costs
several times a plain slot read, so the per-chunk state lives on a separate slotted *tap* object
(:class:`_SyncTap` / :class:`_AsyncTap`). ``iter(stream)`` returns a generator over the sync tap
(:func:`_chunks`: resuming it is cheaper than calling a ``__next__`` method) and the async tap
itself. Per chunk the tracer makes one Python-level call (the shape's ``on_chunk``: O(1), no
allocation) and stores one reference; the estimate is made once, at the end. ``stream.impacts``
is ``None`` until then; the chunk handed over last (or the final one) carries ``impacts`` too.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import wrapt

from ecologits_like.tracers._core import FINAL, HIDE_FINAL, LOOKAHEAD, PASS, Call, UsageCatcher, attach

if TYPE_CHECKING:
    from ecologits_like.impacts.output import ImpactsOutput

__all__ = ["TracedAsyncStream", "TracedStream", "traced_async_stream", "traced_stream"]


class _Nothing:
    __slots__ = ()


_NOTHING: Any = _Nothing()


class _Tap:
    """Per-stream state and the rare paths shared by the sync and async taps.

    Slots (not a ``__dict__``, not the proxy) because they are read on every chunk.
    """

    __slots__ = (
        "__weakref__",
        "call",
        "catcher",
        "context",
        "done",
        "impacts",
        "last",
        "on_chunk",
        "queued",
        "read",
        "tally",
    )

    def __init__(self, stream: Any, read: Any, call: Call) -> None:
        self.read = read  # reads the SDK stream's next chunk (see the proxies' constructors)
        self.call = call
        self.tally = call.tally
        self.on_chunk = call.shape.on_chunk
        #: Takes the usage-only chunk the tracer asked for before the SDK parses it (see ``Shape.catch_usage``).
        self.catcher: UsageCatcher | None = None
        catch_usage = call.shape.catch_usage
        if catch_usage is not None and self.tally.hide_usage:
            try:
                self.catcher = catch_usage(stream)
            except Exception as exc:  # the SDK then parses that chunk and on_chunk hides it
                call.tracer_error("catch-usage", exc)
        self.impacts: ImpactsOutput | None = None
        self.done = False
        #: The chunk handed over last (``_NOTHING`` before the first).
        self.last: Any = _NOTHING
        #: ``None``, or what the next read returns before reading on: a ``(chunk, code)`` seen
        #: while looking ahead, or the exception that reading raised while a chunk was held back.
        self.queued: Any = None
        #: Where the stream was created: an abandoned stream is recorded there (see ``__del__``).
        self.context = contextvars.copy_context()

    def chunk_failed(self, exc: Exception) -> int:
        """Extraction raised on a chunk: a bug of ours must not break the caller's stream."""
        self.call.tracer_error("chunk", exc)
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
        call = self.call
        try:
            impacts = call.finish(time.perf_counter() - call.start, stream=True, partial=partial)
            self.impacts = impacts
            target = self.last
            if target is not _NOTHING:
                attach(target, impacts)
        except Exception as exc:
            call.tracer_error("stream-finish", exc)

    def __del__(self) -> None:
        # Abandoned: neither the proxy nor an iterator over it is referenced any more. Nothing
        # here stores ``self`` anywhere (no resurrection). At interpreter shutdown, modules may be
        # half torn down and sinks closed: record nothing rather than fail noisily.
        if self.done or self.last is _NOTHING or sys.is_finalizing():
            return
        with contextlib.suppress(BaseException):  # a finaliser must never raise
            self.context.run(self.finalize, True)


class _SyncTap(_Tap):
    """The state of a traced sync stream; :func:`_chunks` iterates it."""

    __slots__ = ()

    def dequeue(self) -> tuple[Any, int]:
        """What was seen while looking ahead: ``(chunk, code)``, or the read error raised now."""
        queued, self.queued = self.queued, None
        if isinstance(queued, BaseException):
            raise queued
        item, code = queued
        return item, code

    def special(self, item: Any, code: int) -> Any:
        """``item`` with a code other than ``PASS``: the chunk to hand over, or ``_NOTHING`` to read on."""
        if code == FINAL:  # the provider's terminal chunk: finalise onto it
            self.finalize(False, item)
            return item
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
        # HIDE_FINAL with nothing held back: swallow it; the impacts go on the last chunk handed over.
        self.finalize(False)
        return _NOTHING


def _chunks(tap: _SyncTap) -> Iterator[Any]:
    """The chunks of a traced sync stream: what ``iter(TracedStream)`` returns (one per stream).

    A generator rather than a ``__next__`` method: resuming it costs less than a method call, and
    the per-chunk names are locals. It holds the tap, never the proxy; dropping the proxy drops
    it, then the tap, whose ``__del__`` records an abandoned stream. Nothing here catches
    ``GeneratorExit``.
    """
    read, on_chunk, tally = tap.read, tap.on_chunk, tap.tally
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
        else:
            item = tap.special(item, code)
            if item is not _NOTHING:
                yield item


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


if TYPE_CHECKING:
    _Proxy = wrapt.ObjectProxy[Any]
else:  # wrapt < 2 has no subscriptable ObjectProxy
    _Proxy = wrapt.ObjectProxy


def traced_stream(stream: Any, call: Call) -> TracedStream:
    """``stream`` behind a :class:`TracedStream` that finishes ``call`` once."""
    proxy = TracedStream(stream)
    # The tap reads ``next`` of ``iter(stream)``, as a ``for`` loop over the bare stream does (the
    # SDKs' ``__iter__`` is a generator, whose C-level ``__next__`` costs less per chunk than
    # their ``__next__`` methods); the stream's ``__next__`` when it is not iterable.
    try:
        read = iter(stream).__next__
    except Exception:
        read = getattr(stream, "__next__", None)
    proxy._self_tap = tap = _SyncTap(stream, read, call)
    proxy._self_chunks = _chunks(tap)
    return proxy


def traced_async_stream(stream: Any, call: Call) -> TracedAsyncStream:
    """``stream`` behind a :class:`TracedAsyncStream` that finishes ``call`` once."""
    proxy = TracedAsyncStream(stream)
    try:  # ``__anext__`` of ``aiter(stream)``, as for the sync proxy
        read = aiter(stream).__anext__
    except Exception:
        read = getattr(stream, "__anext__", None)
    proxy._self_tap = _AsyncTap(stream, read, call)
    return proxy


class TracedStream(_Proxy):
    """A synchronous SDK stream, traced; made by :func:`traced_stream`.

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
    """An asynchronous SDK stream, traced; made by :func:`traced_async_stream` (slots: see :class:`TracedStream`)."""

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
