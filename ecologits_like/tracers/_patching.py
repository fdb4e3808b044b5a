"""Applying and removing a provider's patch table; the wrappers for each target role.

A request method (role ``"call"``) that is a plain function is replaced by a plain function that
calls it (``functools.wraps``: ``__wrapped__``, name, docstring and signature are the original's).
That is the cheapest wrapper Python has: a ``wrapt.FunctionWrapper`` allocates a bound wrapper on
every attribute access and a bound method of the original on every call, which measured about
3 µs per traced request in the SDK's real call path. Other targets (and a request method that is
not a plain function) keep ``wrapt.FunctionWrapper``, which handles every kind of descriptor.

Each wrapper first reads ``state.config``: ``None`` means "not instrumented" and the call goes
straight through (this covers bound wrappers an SDK cached before ``uninstrument()``, such as
``client.chat.completions.with_raw_response``). Exceptions raised by the SDK call itself propagate
unchanged; everything the tracer does after it is guarded.

A traced call made while another traced call of the same provider is running in the same thread or
task (an SDK method calling another patched one: ``huggingface_hub``'s ``text_generation`` retrying
itself, ``mistralai``'s ``chat.parse`` calling ``chat.complete``) goes straight through, so one
request is counted once, by the outermost call. Only the methods declared to do that
(``Target.nests``) mark their call as running: a context variable's set and reset cost 2-5 µs
inside a real SDK call. The others read the mark only while a marked call is running somewhere
(``_marked``). The tracer tests run with :func:`detect_nesting` on, which makes every patched
method mark its call and records any call nested in an undeclared one, so a change of an SDK's
internals that would count one request twice fails them.

Patching never imports an SDK module: a target whose module is already imported is patched at
once; the others are patched by a post-import hook the moment the SDK imports that module (SDKs
such as ``openai`` import their resource modules only when a client first touches them), so
``EcoLogits.init()`` imports nothing the application would not import anyway.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import sys
import threading
from collections.abc import Callable
from time import perf_counter
from types import FunctionType, ModuleType
from typing import Any

import wrapt

from ecologits_like._log import log_once
from ecologits_like.tracers import _core
from ecologits_like.tracers._core import (
    AsideImpacts,
    Call,
    ProviderSpec,
    Shape,
    Tally,
    Target,
    aside_types,
    attach,
    forget_response_classes,
    on_response,
    state,
)

__all__ = ["detect_nesting", "instrument", "instrumented", "uninstrument_all"]

_MISSING = object()
_set_attribute = object.__setattr__  # as attach() sets impacts on a response class it handled before

# (class, attribute name) -> the original class __dict__ entry (or _MISSING when it was inherited / absent)
_originals: dict[tuple[type, str], Any] = {}
# provider name -> the (class, attribute) pairs it patched
_by_provider: dict[str, list[tuple[type, str]]] = {}
# module name -> the (spec, target) rows waiting for that module to be imported
_pending: dict[str, list[tuple[ProviderSpec, Target]]] = {}
# module names with a post-import hook registered that has not fired yet
_hooked: set[str] = set()
_lock = threading.RLock()
# The provider whose traced call (of a target declared ``nests``) is running in this thread / task:
# nested calls of that provider pass through.
_active: contextvars.ContextVar[str | None] = contextvars.ContextVar("ecologits_like_active_call", default=None)
# One entry per call that set ``_active`` and has not returned yet, in any thread or task: a traced
# call reads the context variable only while the list is not empty, since ``ContextVar.get()`` and
# the comparison cost about 2 µs of every traced call inside a real SDK call (caches cold), a list's
# truth value next to nothing. ``append`` and ``pop`` are atomic under the GIL. (A task that a marked
# call spawned and that outlives it inherits the mark but is then traced: no SDK does that.)
_marked: list[None] = []
# (outer target, inner target) of calls nested in an undeclared target, while detect_nesting is on.
_nesting_log: list[tuple[str, str]] | None = None


class _UndeclaredMark(str):
    """The mark of a call of a target not declared ``nests`` (set only while :func:`detect_nesting` is on)."""

    target: str


def detect_nesting(on: bool) -> list[tuple[str, str]]:
    """For tests: check the ``Target.nests`` declarations against what the SDKs do.

    While on, the request methods patched from then on all mark their calls as running, and a traced
    call made inside one whose target is not declared ``nests`` goes straight through and is
    recorded as ``(outer target, inner target)`` in the list returned (the one being filled when
    turning it off). Off, only declared targets mark their calls (the default).
    """
    global _nesting_log
    log = _nesting_log if _nesting_log is not None else []
    _nesting_log = [] if on else None
    return _nesting_log if _nesting_log is not None else log


def _mark(spec: ProviderSpec, target: Target) -> str | None:
    """What a call of ``target`` sets as running: ``None`` (nothing) unless it nests or nesting is detected."""
    if target.nests:
        return spec.name
    if _nesting_log is None:
        return None
    mark = _UndeclaredMark(spec.name)
    mark.target = f"{target.module}.{target.qualname}"
    return mark


def _nested(outer: str, target: Target) -> None:
    """A call of ``target`` inside a running one of the same provider (it goes straight through)."""
    log = _nesting_log
    if isinstance(outer, _UndeclaredMark) and log is not None:
        log.append((outer.target, f"{target.module}.{target.qualname}"))


def _start(provider: str, shape: Shape, instance: Any, kwargs: dict[str, Any]) -> Call | None:
    """A :class:`Call` for a request about to be made (``None``, logged once, when that fails)."""
    described = _describe(provider, shape, instance, kwargs)
    if described is None:
        return None
    requested, tally = described
    return Call(provider, shape, requested, tally=tally)


def _describe(
    provider: str, shape: Shape, instance: Any, kwargs: dict[str, Any]
) -> tuple[str | None, Tally | None] | None:
    """The model a request names and the tally ``shape.prepare`` filled (``None`` when it has none).

    ``None`` (logged once) when either step fails: the request then goes through untraced.
    """
    try:
        requested = kwargs.get("model")
        if requested is None and shape.requested is not None:
            requested = shape.requested(instance, kwargs)
        tally = None
        if shape.prepare is not None and kwargs.get("stream") is True:
            tally = Tally()
            shape.prepare(instance, kwargs, tally)
        return (requested if isinstance(requested, str) else None), tally
    except Exception as exc:
        log_once(
            f"tracer:{provider}:start:{type(exc).__name__}",
            "ecologits_like tracer failed (%s, start): %s: %s",
            provider,
            type(exc).__name__,
            exc,
        )
        return None


def _target_shape(target: Target) -> Shape:
    if target.shape is None:
        raise ValueError(f"patch target {target.module}.{target.qualname} (role {target.role!r}) needs a shape")
    return target.shape


def _plain_call_wrapper(spec: ProviderSpec, target: Target, original: FunctionType) -> Callable[..., Any]:
    """A plain function standing in for the request method ``original`` (``self`` is ``args[0]``).

    The common request (a ``model`` keyword, not a stream request of a shape with ``prepare``) is
    described inline: no call of ours runs before the SDK's method. In the sync wrapper, the common
    response (complete, of a class seen before, its plan in the table, nobody collecting records)
    is handled inline too: the shape's ``extract`` and ``lazy_estimate`` are the only calls of ours
    after the SDK's, since a call to :func:`on_response` costs about 3.5 µs inside a real SDK call
    (caches cold). Everything else, and any failure of that path, goes to :func:`on_response`,
    which does it again and reports the failure.
    """
    name = spec.name
    shape = _target_shape(target)
    extract = shape.extract
    model_elsewhere = shape.requested is not None  # the model may come from the client, not the arguments
    prepares = shape.prepare is not None  # for stream requests only (see ``Prepare``)
    mark = _mark(spec, target)
    if target.is_async:

        async def traced_async(*args: Any, **kwargs: Any) -> Any:
            if state.config is None:
                return await original(*args, **kwargs)
            if _marked:
                outer = _active.get()
                if outer == name:  # inside a traced call of this provider: counted there
                    _nested(outer, target)
                    return await original(*args, **kwargs)
            requested: Any = kwargs.get("model")
            tally = None
            if (requested is None and model_elsewhere) or (prepares and kwargs.get("stream") is True):
                described = _describe(name, shape, args[0] if args else None, kwargs)
                if described is None:
                    return await original(*args, **kwargs)
                requested, tally = described
            if mark is None:
                start = perf_counter()
                result = await original(*args, **kwargs)
            else:
                token = _active.set(mark)
                start = perf_counter()
                _marked.append(None)
                try:
                    result = await original(*args, **kwargs)
                finally:
                    _marked.pop()
                    _active.reset(token)
            # No common case written out here as in ``traced``: in an async call it saved 0.7-1.5 µs, not
            # significantly (in-process A/B, 30 pairs), against twelve lines repeated.
            return on_response(name, shape, requested if type(requested) is str else None, start, tally, result)

        if inspect.iscoroutinefunction(original):
            return functools.wraps(original)(traced_async)

        def traced_awaitable(*args: Any, **kwargs: Any) -> Any:
            # The SDK's method is a plain function returning a coroutine (openai's ``required_args``
            # decorator): so is its stand-in, for code that asks ``inspect.iscoroutinefunction``.
            return traced_async(*args, **kwargs)

        return functools.wraps(original)(traced_awaitable)

    def traced(*args: Any, **kwargs: Any) -> Any:
        if state.config is None:
            return original(*args, **kwargs)
        if _marked:
            outer = _active.get()
            if outer == name:  # inside a traced call of this provider: counted there
                _nested(outer, target)
                return original(*args, **kwargs)
        requested: Any = kwargs.get("model")
        tally = None
        if (requested is None and model_elsewhere) or (prepares and kwargs.get("stream") is True):
            described = _describe(name, shape, args[0] if args else None, kwargs)
            if described is None:
                return original(*args, **kwargs)
            requested, tally = described
        if mark is None:
            start = perf_counter()
            result = original(*args, **kwargs)
        else:
            token = _active.set(mark)
            start = perf_counter()
            _marked.append(None)
            try:
                result = original(*args, **kwargs)
            finally:
                _marked.pop()
                _active.reset(token)
        if type(result) in _core._complete_types and not _core._sinks._sinks:  # on_response's common case
            latency = perf_counter() - start
            config = state.config
            try:
                returned, tokens, input_tokens, cached_input_tokens, _, approximation = extract(result)
                plan = config.plans.get((name, returned or requested)) if config is not None else None
                if plan is not None and approximation is None:
                    impacts = _core.lazy_estimate(plan.recipe, tokens, latency, input_tokens, cached_input_tokens)
                    _set_attribute(result, "impacts", impacts)
                    return result
            except Exception:  # on_response does it again, and reports what failed
                pass
        return on_response(name, shape, requested if type(requested) is str else None, start, tally, result)

    return functools.wraps(original)(traced)


def _call_wrapper(spec: ProviderSpec, target: Target) -> Callable[..., Any]:
    """The ``wrapt`` wrapper of a request method that is not a plain function (a rare path: it marks every call)."""
    name = spec.name
    shape = _target_shape(target)
    mark = _mark(spec, target) or name
    if target.is_async:

        async def traced_async(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            if state.config is None:
                return await wrapped(*args, **kwargs)
            if _marked:
                outer = _active.get()
                if outer == name:  # inside a traced call of this provider: counted there
                    _nested(outer, target)
                    return await wrapped(*args, **kwargs)
            call = _start(name, shape, instance, kwargs)
            token = _active.set(mark)
            _marked.append(None)
            try:
                result = await wrapped(*args, **kwargs)
            finally:
                _marked.pop()
                _active.reset(token)
            return result if call is None else call.on_response(result)

        return traced_async

    def traced(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if state.config is None:
            return wrapped(*args, **kwargs)
        if _marked:
            outer = _active.get()
            if outer == name:  # inside a traced call of this provider: counted there
                _nested(outer, target)
                return wrapped(*args, **kwargs)
        call = _start(name, shape, instance, kwargs)
        token = _active.set(mark)
        _marked.append(None)
        try:
            result = wrapped(*args, **kwargs)
        finally:
            _marked.pop()
            _active.reset(token)
        return result if call is None else call.on_response(result)

    return traced


def _manager_wrapper(spec: ProviderSpec, target: Target) -> Callable[..., Any]:
    hook = spec.hook_manager
    assert hook is not None
    shape = _target_shape(target)

    def traced_manager(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if state.config is None:
            return wrapped(*args, **kwargs)
        call = _start(spec.name, shape, instance, kwargs)
        manager = wrapped(*args, **kwargs)
        if call is None:
            return manager
        try:
            return hook(manager, call, target.is_async)
        except Exception as exc:
            call.tracer_error("stream-manager", exc)
            return manager

    return traced_manager


def _raw_stream_impacts(spec: ProviderSpec, helper: Any) -> Any:
    getter = spec.helper_raw_stream
    raw = getter(helper) if getter is not None else None
    from ecologits_like.tracers._streams import TracedAsyncStream, TracedStream

    if isinstance(raw, (TracedStream, TracedAsyncStream)):
        return raw.impacts
    return None


def _final_helper_wrapper(spec: ProviderSpec, target: Target) -> Callable[..., Any]:
    def put(instance: Any, result: Any) -> Any:
        try:
            impacts = _raw_stream_impacts(spec, instance)
            if impacts is not None:
                attach(result, impacts)
        except Exception as exc:
            log_once(f"tracer:{spec.name}:final-helper:{type(exc).__name__}", "ecologits_like: %s", exc)
        return result

    if target.is_async:

        async def traced_final_async(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            result = await wrapped(*args, **kwargs)
            return result if state.config is None else put(instance, result)

        return traced_final_async

    def traced_final(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        result = wrapped(*args, **kwargs)
        return result if state.config is None else put(instance, result)

    return traced_final


def _impacts_property(spec: ProviderSpec) -> property:
    def impacts(self: Any) -> Any:
        """The request's impacts once the stream has ended (``None`` before); added by ecologits_like."""
        try:
            return _raw_stream_impacts(spec, self)
        except Exception:
            return None

    return property(impacts)


def _resolve(target: Target, module: ModuleType) -> tuple[type, str]:
    class_name, _, attr = target.qualname.rpartition(".")
    owner: Any = module
    for part in class_name.split("."):
        owner = getattr(owner, part)
    if not isinstance(owner, type):
        raise TypeError(f"{target.module}.{class_name} is not a class")
    return owner, attr


def _patch_one(spec: ProviderSpec, target: Target, module: ModuleType) -> tuple[type, str] | None:
    try:
        cls, attr = _resolve(target, module)
    except (AttributeError, TypeError) as exc:
        log_once(
            f"patch:{target.module}:{target.qualname}",
            "ecologits_like: %s.%s is not in this %s SDK version; not traced (%s)",
            target.module,
            target.qualname,
            spec.sdk,
            exc,
        )
        return None
    key = (cls, attr)
    if key in _originals:  # already patched: never wrap twice
        return key
    original = cls.__dict__.get(attr, _MISSING)
    if target.role in ("impacts_property", "impacts_aside"):
        if attr in cls.__dict__ or hasattr(cls, attr):
            return None  # the SDK has its own attribute of that name: leave it alone
        if target.role == "impacts_property":
            setattr(cls, attr, _impacts_property(spec))
        else:
            aside = AsideImpacts()
            setattr(cls, attr, aside)
            aside_types[cls] = aside
            forget_response_classes()
    else:
        if original is _MISSING:
            original_value = getattr(cls, attr, _MISSING)
            if original_value is _MISSING:
                return None
        else:
            original_value = original
        if target.role == "call" and isinstance(original_value, FunctionType):
            setattr(cls, attr, _plain_call_wrapper(spec, target, original_value))
            _originals[key] = original
            return key
        if target.role == "call":
            wrapper = _call_wrapper(spec, target)
        elif target.role == "stream_manager":
            wrapper = _manager_wrapper(spec, target)
        elif target.role == "final_helper":
            wrapper = _final_helper_wrapper(spec, target)
        else:
            raise ValueError(f"unknown target role {target.role!r}")
        setattr(cls, attr, wrapt.FunctionWrapper(original_value, wrapper))
    _originals[key] = original
    return key


def _apply(spec: ProviderSpec, target: Target, module: ModuleType) -> None:
    key = _patch_one(spec, target, module)
    patched = _by_provider[spec.name]
    if key is not None and key not in patched:
        patched.append(key)


def _on_import(module: ModuleType) -> None:
    """Post-import hook: patch the targets that were waiting for ``module``."""
    try:
        with _lock:
            _hooked.discard(module.__name__)
            for spec, target in _pending.pop(module.__name__, ()):
                if spec.name in _by_provider:  # still instrumented
                    _apply(spec, target, module)
    except Exception as exc:  # never break the SDK's own import
        log_once(f"patch-hook:{module.__name__}", "ecologits_like: patching %s failed: %s", module.__name__, exc)


def instrument(spec: ProviderSpec) -> None:
    """Apply ``spec``'s patch table (idempotent); targets in modules not imported yet are patched on import.

    Raises:
        UnsupportedSDKError: the installed SDK's layout is unknown (nothing is patched).
    """
    targets = spec.patch_table()
    with _lock:
        if spec.name in _by_provider:
            return
        state.type_loaders[spec.name] = spec.types  # called by the first traced call
        _by_provider[spec.name] = []
        for target in targets:
            module = sys.modules.get(target.module)
            if module is None:
                _pending.setdefault(target.module, []).append((spec, target))
            else:
                _apply(spec, target, module)
        waiting = [name for name in _pending if name not in _hooked]
        _hooked.update(waiting)
    for name in waiting:  # outside the lock: fires at once if another thread imported it meanwhile
        wrapt.register_post_import_hook(_on_import, name)


def _restore(key: tuple[type, str]) -> None:
    cls, attr = key
    if isinstance(cls.__dict__.get(attr), AsideImpacts):
        aside_types.pop(cls, None)
        forget_response_classes()
    original = _originals.pop(key, _MISSING)
    if original is _MISSING:
        if attr in cls.__dict__:
            delattr(cls, attr)
    else:
        setattr(cls, attr, original)


def uninstrument_all() -> None:
    """Restore every patched attribute to the exact object it was."""
    with _lock:
        _pending.clear()
        for name in list(_by_provider):
            for key in reversed(_by_provider.pop(name)):
                _restore(key)
            state.types.pop(name, None)
            state.type_loaders.pop(name, None)
        forget_response_classes()  # a request still in flight then finds its provider gone (see on_response)


def instrumented() -> tuple[str, ...]:
    """Names of the instrumented providers."""
    return tuple(_by_provider)
