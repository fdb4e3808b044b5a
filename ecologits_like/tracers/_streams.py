"""Stream proxies: the SDK's own stream, observed chunk by chunk, finalised exactly once.

:class:`TracedStream` / :class:`TracedAsyncStream` are ``wrapt.ObjectProxy`` subclasses, so every
attribute of the SDK stream (``.response``, ``_iterator``, helpers) and ``isinstance`` checks keep
working; the iteration, context-manager and ``close()`` protocols are re-implemented on the proxy
so that the tracer sees every chunk and every way a stream can end:

* exhausted, or the provider's terminal chunk seen -> finalised complete (``partial=False``);
* ``close()`` / ``with`` exit before the end -> finalised ``partial=True`` with the tokens so far;
* an exception while reading -> finalised ``partial=True``, the exception re-raised unchanged
  (raised before the first chunk: nothing is recorded, the request failed).

Per chunk the proxy calls the shape's ``on_chunk`` (O(1), no allocation) and stores one
reference; the estimate is made once, at the end. ``stream.impacts`` is ``None`` until then; the
final chunk handed over carries ``impacts`` too.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import wrapt

from ecologits_like.impacts.output import ImpactsOutput
from ecologits_like.tracers._core import FINAL, HIDE_FINAL, LOOKAHEAD, PASS, Call, attach

__all__ = ["TracedAsyncStream", "TracedStream"]


class _Nothing:
    __slots__ = ()


_NOTHING: Any = _Nothing()


if TYPE_CHECKING:
    _Proxy = wrapt.ObjectProxy[Any]
else:  # wrapt < 2 has no subscriptable ObjectProxy
    _Proxy = wrapt.ObjectProxy


class _TracedBase(_Proxy):
    """Bookkeeping shared by the sync and async proxies (attributes prefixed ``_self_`` stay on the proxy)."""

    def __init__(self, wrapped: Any, call: Call) -> None:
        super().__init__(wrapped)
        self._self_call = call
        self._self_tally = call.tally
        self._self_on_chunk = call.shape.on_chunk
        self._self_impacts: ImpactsOutput | None = None
        self._self_done = False
        self._self_last: Any = _NOTHING
        self._self_pending: tuple[Any, int] | None = None
        self._self_error: BaseException | None = None
        # Bound once: per chunk, one call instead of a proxy attribute lookup plus a bind.
        self._self_next: Any = getattr(wrapped, "__next__", None)
        self._self_anext: Any = getattr(wrapped, "__anext__", None)

    @property
    def impacts(self) -> ImpactsOutput | None:
        """The request's impacts once the stream has ended (or been closed); ``None`` before."""
        return self._self_impacts

    def _self_code(self, item: Any) -> int:
        try:
            code: int = self._self_on_chunk(self._self_tally, item)
        except Exception as exc:  # a bug in extraction must not break the caller's stream
            self._self_call.tracer_error("chunk", exc)
            return PASS
        return code

    def _self_fail(self, held: Any) -> None:
        """Reading raised. Before any chunk (a request that failed: e.g. a generator-based SDK stream
        that sends its request on the first read) nothing is recorded; after, a partial record."""
        if held is _NOTHING and self._self_last is _NOTHING:
            self._self_done = True
        else:
            self._self_finalize(True)

    def _self_finalize(self, partial: bool, attach_to: Any = _NOTHING) -> None:
        if self._self_done:
            return
        self._self_done = True
        try:
            call = self._self_call
            impacts = call.finish(time.perf_counter() - call.start, stream=True, partial=partial)
            self._self_impacts = impacts
            target = attach_to if attach_to is not _NOTHING else self._self_last
            if target is not _NOTHING:
                attach(target, impacts)
        except Exception as exc:
            self._self_call.tracer_error("stream-finish", exc)


class TracedStream(_TracedBase):
    """A synchronous SDK stream, traced."""

    def __iter__(self) -> TracedStream:
        return self

    def __next__(self) -> Any:
        error = self._self_error
        if error is not None:
            self._self_error = None
            raise error
        held: Any = _NOTHING
        while True:
            pending = self._self_pending
            if pending is not None:
                self._self_pending = None
                item, code = pending
            else:
                try:
                    item = self._self_next()
                except StopIteration:
                    if held is not _NOTHING:
                        self._self_finalize(False, held)
                        return held
                    self._self_finalize(False)
                    raise
                except BaseException as exc:
                    self._self_fail(held)
                    if held is not _NOTHING:
                        self._self_error = exc
                        return held
                    raise
                code = self._self_code(item)
            if held is not _NOTHING:  # looking ahead on behalf of `held`
                if code == HIDE_FINAL:
                    self._self_finalize(False, held)
                else:
                    self._self_pending = (item, code)
                self._self_last = held
                return held
            if code == PASS:
                self._self_last = item
                return item
            if code == FINAL:
                self._self_last = item
                self._self_finalize(False, item)
                return item
            if code == LOOKAHEAD:
                held = item
                continue
            # HIDE_FINAL with nothing held back: swallow it; attach to the last chunk handed over.
            self._self_finalize(False)

    def __enter__(self) -> TracedStream:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(exc_type, exc, tb)
        finally:
            self._self_finalize(True)

    def close(self) -> Any:
        """Close the SDK stream; a stream closed before its end is recorded as partial."""
        try:
            return self.__wrapped__.close()
        finally:
            self._self_finalize(True)


class TracedAsyncStream(_TracedBase):
    """An asynchronous SDK stream, traced."""

    def __aiter__(self) -> TracedAsyncStream:
        return self

    async def __anext__(self) -> Any:
        error = self._self_error
        if error is not None:
            self._self_error = None
            raise error
        held: Any = _NOTHING
        while True:
            pending = self._self_pending
            if pending is not None:
                self._self_pending = None
                item, code = pending
            else:
                try:
                    item = await self._self_anext()
                except StopAsyncIteration:
                    if held is not _NOTHING:
                        self._self_finalize(False, held)
                        return held
                    self._self_finalize(False)
                    raise
                except BaseException as exc:
                    self._self_fail(held)
                    if held is not _NOTHING:
                        self._self_error = exc
                        return held
                    raise
                code = self._self_code(item)
            if held is not _NOTHING:
                if code == HIDE_FINAL:
                    self._self_finalize(False, held)
                else:
                    self._self_pending = (item, code)
                self._self_last = held
                return held
            if code == PASS:
                self._self_last = item
                return item
            if code == FINAL:
                self._self_last = item
                self._self_finalize(False, item)
                return item
            if code == LOOKAHEAD:
                held = item
                continue
            self._self_finalize(False)

    async def __aenter__(self) -> TracedAsyncStream:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(exc_type, exc, tb)
        finally:
            self._self_finalize(True)

    async def close(self) -> Any:
        """Close the SDK stream; a stream closed before its end is recorded as partial."""
        try:
            return await self.__wrapped__.close()
        finally:
            self._self_finalize(True)

    async def aclose(self) -> Any:
        """Alias of the SDK's ``aclose()`` where it has one."""
        try:
            return await self.__wrapped__.aclose()
        finally:
            self._self_finalize(True)
