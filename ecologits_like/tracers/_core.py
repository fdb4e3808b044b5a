"""The shared tracer machinery: what a provider module declares, and how one traced call ends.

A provider module (``tracers/openai.py``, ``tracers/anthropic.py``, ...) declares a
:class:`ProviderSpec`: the SDK classes and methods to patch (a table of :class:`Target` rows) and,
per *shape* of response (:class:`Shape`), two small functions that read usage:

* ``extract(response) -> ResponseUsage``: the model and token counts of a complete response object;
* ``on_chunk(tally, chunk) -> int``: called once per stream chunk/event; updates ``tally`` in place
  with O(1) work (field reads and counter increments, no allocation) and returns one of
  :data:`PASS`, :data:`FINAL`, :data:`LOOKAHEAD`, :data:`HIDE_FINAL`.

Everything else (timing, plans, estimates, records, attaching ``impacts``, stream proxies, raw
responses, failure handling) lives here and in ``_streams.py`` / ``_patching.py``. Nothing here
imports a provider SDK and nothing here does arithmetic beyond picking a token count.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from ecologits_like._log import log_once, logger
from ecologits_like.impacts.methodology import DEFAULT_METHODOLOGY

if TYPE_CHECKING:
    from ecologits_like import _sinks as _sinks  # read by ``_streams`` too
    from ecologits_like._plan import Plan, get_plan
    from ecologits_like.impacts.lazy import lazy_estimate as lazy_estimate  # read by ``_streams`` too
    from ecologits_like.impacts.output import ImpactsError, ImpactsOutput, ImpactsWarning
    from ecologits_like.impacts.range_value import ValueOrRange
    from ecologits_like.records import RequestRecord
    from ecologits_like.tracers._streams import TracedAsyncStream, TracedStream

    _TraceStream = Callable[
        [Any, bool, str, "Shape", "str | None", float, "Tally | None", "Call | None"],
        TracedStream | TracedAsyncStream,
    ]

# The engine (plans, reference data, pydantic output models) is imported by the first traced call
# that finishes, not with this module: instrumenting an application costs next to nothing at its
# start-up. ``_import_engine`` binds the names above as globals of this module.
_engine_imported = False


def _import_engine() -> None:
    global _engine_imported, _sinks, Plan, get_plan, lazy_estimate, ImpactsError, ImpactsOutput
    global ImpactsWarning, RequestRecord
    from ecologits_like import _sinks
    from ecologits_like._plan import Plan, get_plan, on_clear_plan_cache
    from ecologits_like.impacts.lazy import lazy_estimate
    from ecologits_like.impacts.output import ImpactsError, ImpactsOutput, ImpactsWarning
    from ecologits_like.records import RequestRecord

    on_clear_plan_cache(_forget_plans)  # a registry change (a model registered) empties the table
    _engine_imported = True


def _forget_plans() -> None:
    config = state.config
    if config is not None:
        config.plans.clear()


__all__ = [
    "FINAL",
    "HIDE_FINAL",
    "LOOKAHEAD",
    "PASS",
    "Call",
    "ProviderSpec",
    "ResponseUsage",
    "SdkTypes",
    "Shape",
    "Tally",
    "Target",
    "TracerConfig",
    "UnsupportedSDKError",
    "UsageCatcher",
    "attach",
]

# ---------------------------------------------------------------------------------------------
# What ``on_chunk`` returns.

#: An ordinary chunk: hand it to the caller.
PASS = 0
#: The provider's terminal chunk (it carries the final usage): finalise now, attach the impacts
#: to this chunk, hand it to the caller.
FINAL = 1
#: Hand this chunk over only after peeking at the next one, so that a hidden terminal chunk right
#: behind it (see :data:`HIDE_FINAL`) can put its impacts on this one. Only used when the tracer
#: itself asked the API for usage data the caller did not ask for.
LOOKAHEAD = 2
#: A usage-only terminal chunk that the caller would not have received without the tracer:
#: swallow it, finalise, attach the impacts to the chunk held back by :data:`LOOKAHEAD` (or the
#: last chunk handed over).
HIDE_FINAL = 3


class Tally:
    """What is known about one request's tokens: filled from a response, or chunk by chunk.

    ``output_tokens`` is the provider's own count (reasoning tokens included) when it reported one;
    ``counted`` is the fallback count of content deltas seen in a stream (about one token each).
    ``approximation`` says how the count was made when it is not the provider's (it becomes an
    ``output-tokens-approximated`` warning on the impacts); ``None`` for provider counts.
    """

    # Class-level defaults and no ``__init__``: ``Tally()`` then runs no Python code, which saves a
    # frame on every traced call and stream (a few µs inside a real SDK call, caches cold).
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int | None = None
    reasoning_tokens: int | None = None
    counted: int = 0
    approximation: str | None = None
    #: Set when the tracer asked for stream usage the caller did not ask for (hide it again).
    hide_usage: bool = False

    @property
    def tokens(self) -> int:
        """Output tokens for the estimate: the provider's count, else the counted deltas."""
        return self.output_tokens if self.output_tokens is not None else self.counted

    @classmethod
    def of_response(cls, usage: ResponseUsage) -> Tally:
        """The tally of a complete response, from what its shape's ``extract`` read."""
        tally = cls()
        (
            tally.model,
            tally.output_tokens,
            tally.input_tokens,
            tally.cached_input_tokens,
            tally.reasoning_tokens,
            tally.approximation,
        ) = usage
        return tally


#: What ``extract`` reads off a complete response: ``(model, output_tokens, input_tokens,
#: cached_input_tokens, reasoning_tokens, approximation)``. ``output_tokens`` is the count the
#: estimate uses (0 when the response reports none); ``approximation`` says how it was made when it
#: is not the provider's own count (as :attr:`Tally.approximation`), ``None`` otherwise; the others
#: are ``None`` when not reported. A plain tuple, not a :class:`Tally`: building a Tally and reading
#: back its class-level defaults cost about 5 µs of a traced call in a real SDK call (caches cold).
ResponseUsage = tuple[str | None, int, int | None, int | None, int | None, str | None]
Extract = Callable[[Any], ResponseUsage]
OnChunk = Callable[[Tally, Any], int]
#: ``prepare(resource, kwargs, tally)``: may add request arguments (e.g. ask for stream usage) to
#: ``kwargs`` before the call, recording in ``tally`` what it did. Must never mutate the caller's
#: objects (build new dicts). Called only for requests made with ``stream=True``: a complete
#: response needs nothing prepared, and the common call then makes no call of ours before the SDK's.
Prepare = Callable[[Any, dict[str, Any], Tally], None]
#: ``requested(resource, kwargs)``: the model the request names, where it is not ``kwargs["model"]``
#: (e.g. a client-level default model).
Requested = Callable[[Any, dict[str, Any]], object]


class UsageCatcher(Protocol):
    """Takes the hidden usage-only event off an SDK stream before the SDK parses it (see ``Shape.catch_usage``)."""

    def take(self, tally: Tally) -> bool:
        """Read the next event: when it is the hidden usage chunk, record its usage and drop it (``True``);
        otherwise put it back for the SDK (``False``). Never raises and never loses an event."""

    async def atake(self, tally: Tally) -> bool:
        """The async twin of :meth:`take`."""


#: ``catch_usage(sdk_stream)``: for a stream whose usage-only chunk the tracer hides (``Tally.hide_usage``),
#: installed before the first read; ``None`` when the SDK's layout is not the expected one (the SDK then
#: parses that chunk and ``on_chunk`` hides it: same result, slower).
CatchUsage = Callable[[Any], "UsageCatcher | None"]


# The declarations below are NamedTuples, not dataclasses: they are created when ``init()`` imports
# this module, and a dataclass costs about 2 ms to create on a slow machine (its methods are
# compiled from generated source), a NamedTuple a tenth of that. Start-up budget: see performance.md.


class Shape(NamedTuple):
    """A kind of response (chat completion, Responses API response, Anthropic message...)."""

    name: str
    extract: Extract
    on_chunk: OnChunk
    prepare: Prepare | None = None
    requested: Requested | None = None
    catch_usage: CatchUsage | None = None


class Target(NamedTuple):
    """One patched method (or added attribute) of an SDK class.

    Attributes:
        module: Module that defines the class (``openai.resources.chat.completions.completions``).
        qualname: ``Class.method``.
        is_async: Whether the method is ``async def`` (returns a coroutine).
        shape: What the call returns, for ``role="call"`` and ``role="stream_manager"``.
        role: ``"call"``: a request method returning a response, a stream or a raw response.
            ``"stream_manager"``: a (sync) helper returning a context manager that makes the request on
            enter; the spec's ``hook_manager`` routes its raw stream through the tracer (``is_async``:
            the manager is an async one).
            ``"final_helper"``: a helper stream's ``get_final_*()``; the impacts of its raw stream
            are attached to what it returns. ``"impacts_property"``: adds an ``impacts`` property
            to a helper stream class (read from its raw stream). ``"impacts_aside"``: adds an
            :class:`AsideImpacts` ``impacts`` attribute to a response class whose ``repr`` lists
            every instance attribute, so that attached impacts stay out of it.
        nests: For ``role="call"``: the SDK method makes its request through another traced method
            of the same provider (mistralai's ``chat.parse`` calls ``chat.complete``;
            huggingface_hub's ``text_generation`` calls itself again to retry). Only such a call
            marks itself as running, so that the inner one goes straight through and the request
            is counted once. The tracer tests check these declarations against the SDKs' code (see
            ``_patching.detect_nesting``).
    """

    module: str
    qualname: str
    is_async: bool = False
    shape: Shape | None = None
    role: str = "call"
    nests: bool = False


class SdkTypes:
    """SDK classes the tracer must recognise in what a patched method returns.

    Attributes:
        streams: The SDK's stream classes.
        async_streams: Its async stream classes.
        raw: Raw responses (``with_raw_response`` / ``with_streaming_response``) with a sync ``parse()``.
        async_raw: Raw responses whose ``parse()`` is a coroutine.
        not_complete: All of the above: what is none of these is a complete response (one
            ``isinstance`` per call tells).
    """

    __slots__ = ("async_raw", "async_streams", "not_complete", "raw", "streams")

    def __init__(
        self,
        streams: tuple[type, ...],
        async_streams: tuple[type, ...],
        raw: tuple[type, ...] = (),
        async_raw: tuple[type, ...] = (),
    ) -> None:
        self.streams = streams
        self.async_streams = async_streams
        self.raw = raw
        self.async_raw = async_raw
        self.not_complete = streams + async_streams + raw + async_raw


#: ``hook_manager(manager, call, is_async)``: make the manager's request go through
#: ``call.wrap_stream``; returns the manager (the same object). Provider-specific.
HookManager = Callable[[Any, "Call", bool], Any]


class ProviderSpec(NamedTuple):
    """Everything a provider module declares.

    Attributes:
        name: Provider key in the registry (``openai``) and in ``EcoLogits.init(providers=...)``.
        sdk: Import name of the SDK; the provider is available when it imports.
        install: What to install when it is missing (``pip install ...``).
        targets: The patch table.
        types: Loads the SDK classes (called once, by the first traced call; the SDK is imported then).
        helper_raw_stream: Helper stream object -> its raw SDK stream (for ``final_helper`` and
            ``impacts_property`` targets).
        hook_manager: For ``stream_manager`` targets.
        locate: For SDKs whose module layout changed between supported versions: returns the patch
            table for the installed version (used instead of ``targets``), or raises
            :class:`UnsupportedSDKError` naming the supported versions. Called before anything is
            patched.
    """

    name: str
    sdk: str
    install: str
    targets: tuple[Target, ...]
    types: Callable[[], SdkTypes]
    helper_raw_stream: Callable[[Any], Any] | None = None
    hook_manager: HookManager | None = None
    locate: Callable[[], tuple[Target, ...]] | None = None

    def patch_table(self) -> tuple[Target, ...]:
        """The targets to patch for the installed SDK (:class:`UnsupportedSDKError` when unknown)."""
        return self.targets if self.locate is None else self.locate()


class UnsupportedSDKError(ImportError):
    """The installed SDK is importable but its layout is not one the tracer knows."""


# ---------------------------------------------------------------------------------------------
# Configuration (set by EcoLogits.init, read once per call).


@dataclass(frozen=True, slots=True)
class TracerConfig:
    """The settings traced calls use; replaced as a whole by ``EcoLogits.init``."""

    electricity_mix_zone: str | None = None
    datacenter_pue: ValueOrRange | None = None
    datacenter_wue: ValueOrRange | None = None
    hardware: str | None = None
    batch_size: ValueOrRange | None = None
    providers: tuple[str, ...] = field(default=())
    methodology: str = DEFAULT_METHODOLOGY
    #: ``(provider, model)`` -> the plan a traced request of that model uses under these settings:
    #: one dict lookup per call (the settings are this object's; a new ``init()`` makes a new one).
    plans: dict[tuple[str, str], Plan] = field(default_factory=dict, compare=False, repr=False)


class _State:
    """Module-level mutable state; ``config is None`` means "not instrumented: pass through"."""

    __slots__ = ("config", "type_loaders", "types")

    def __init__(self) -> None:
        self.config: TracerConfig | None = None
        self.types: dict[str, SdkTypes] = {}
        #: provider -> its spec's ``types``; loaded by the first traced call, which has the SDK imported
        self.type_loaders: dict[str, Callable[[], SdkTypes]] = {}

    def sdk_types(self, provider: str) -> SdkTypes | None:
        """The SDK classes of an instrumented ``provider`` (``None`` when it is not instrumented)."""
        types = self.types.get(provider)
        if types is None:
            loader = self.type_loaders.get(provider)
            if loader is None:
                return None
            types = self.types[provider] = loader()
        return types


state = _State()


# ---------------------------------------------------------------------------------------------
# Attaching impacts.


class _Aside(weakref.ref[Any]):
    """A weak reference to an object with impacts kept aside: the table key and the impacts ride on it."""

    __slots__ = ("impacts", "key")

    key: int
    impacts: ImpactsOutput


class AsideImpacts:
    """An ``impacts`` attribute kept beside the instances of a class rather than in their ``__dict__``.

    For SDK response classes whose ``repr`` lists every instance attribute (huggingface_hub's
    dataclasses): the impacts live in a table keyed by ``id(obj)`` and are dropped when ``obj`` is
    collected. Instances without impacts raise ``AttributeError``, as before the class was patched.
    """

    __slots__ = ("_drop", "_table")

    def __init__(self) -> None:
        table: dict[int, _Aside] = {}
        self._table = table

        def drop(entry: _Aside) -> None:
            # Called while the object is being deallocated, before its id can be reused. Only its
            # own entry goes: a newer ``put`` on the same object replaced (and so silenced) older ones.
            if table.get(entry.key) is entry:
                del table[entry.key]

        self._drop = drop

    def put(self, obj: object, impacts: ImpactsOutput) -> None:
        # A weak reference with a callback, not ``weakref.finalize`` (which registers itself in a
        # class-wide registry and an atexit hook): about 4 µs less per Hugging Face response.
        # The objects are unhashable dicts, hence the id key rather than a WeakKeyDictionary.
        entry = _Aside(obj, self._drop)
        entry.key = key = id(obj)
        entry.impacts = impacts
        self._table[key] = entry

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        try:
            return self._table[id(obj)].impacts
        except KeyError:
            raise AttributeError(f"{type(obj).__name__!r} object has no attribute 'impacts'") from None


#: The classes ``_patching`` gave an :class:`AsideImpacts` ``impacts`` attribute.
aside_types: dict[type, AsideImpacts] = {}
#: Response class -> the :class:`AsideImpacts` of it or of a base class, or ``None``: the class's MRO
#: is walked once, not on every call. Cleared whenever ``aside_types`` changes.
_aside_by_type: dict[type, AsideImpacts | None] = {}


#: Classes whose instances took ``impacts`` into their ``__dict__`` (no :class:`AsideImpacts`).
_plain_types: set[type] = set()
#: Of those, the complete responses of a traced request method: :func:`on_response` neither checks
#: whether such a response is a stream or a raw response nor calls :func:`attach` to give it its impacts.
_complete_types: set[type] = set()


def forget_response_classes() -> None:
    """Forget what is known of response classes: call after changing :data:`aside_types`, and when the
    patched SDKs or their classes change."""
    _aside_by_type.clear()
    _plain_types.clear()
    _complete_types.clear()


def _aside_for(cls: type) -> AsideImpacts | None:
    aside = next((aside_types[k] for k in cls.__mro__ if k in aside_types), None)
    _aside_by_type[cls] = aside
    return aside


def attach(obj: object, impacts: ImpactsOutput) -> bool:
    """Put ``impacts`` on ``obj`` without touching what it serialises to.

    SDK responses are pydantic v2 models with ``extra="allow"``: a plain ``setattr`` of an unknown
    name lands in ``__pydantic_extra__`` and then shows in ``model_dump()`` / ``to_json()``. Writing
    into the instance ``__dict__`` directly (as the SDKs do for ``_request_id``) keeps it out of
    serialisation, ``==`` and ``repr`` (which only read declared fields) while ``obj.impacts`` works.
    Classes patched with an :class:`AsideImpacts` keep the impacts beside the instance instead.
    """
    cls = type(obj)
    try:
        if aside_types:
            aside = _aside_by_type[cls] if cls in _aside_by_type else _aside_for(cls)
            if aside is not None:
                aside.put(obj, impacts)
                return True
        _set_attribute(obj, "impacts", impacts)
    except Exception as exc:  # an object without __dict__: nothing to attach to
        log_once(
            f"attach:{cls.__qualname__}",
            "ecologits_like: cannot attach impacts to %s (%s)",
            cls.__qualname__,
            exc,
            level=logging.DEBUG,
        )
        return False
    _plain_types.add(cls)
    return True


_set_attribute = object.__setattr__


def _failed(code: str, message: str) -> ImpactsOutput:
    if not _engine_imported:
        _import_engine()
    return ImpactsOutput.failed(ImpactsError(code=code, message=message))


def _with_warning(impacts: ImpactsOutput, code: str, message: str) -> ImpactsOutput:
    return impacts.model_copy(update={"warnings": [*impacts.warnings, ImpactsWarning(code=code, message=message)]})


def _tracer_error(provider: str, where: str, exc: BaseException) -> ImpactsOutput:
    message = f"ecologits_like tracer failed ({provider}, {where}): {type(exc).__name__}: {exc}"
    log_once(f"tracer:{provider}:{where}:{type(exc).__name__}", "%s", message)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("tracer failure details", exc_info=exc)
    return _failed("tracer-error", message)


def _is_omitted(value: object) -> bool:
    """``None``/absent or an SDK ``NotGiven``/``Omit`` sentinel (checked by class name, SDK-agnostic)."""
    return value is None or type(value).__name__ in ("NotGiven", "Omit")


# ---------------------------------------------------------------------------------------------
# One traced call.


def on_response(
    provider: str, shape: Shape, requested: str | None, start: float, tally: Tally | None, response: Any
) -> Any:
    """Handle what a traced request method returned; returns ``response`` itself (or a stream proxy).

    ``start`` is the ``perf_counter`` reading taken before the request; ``tally`` the one the
    shape's ``prepare`` filled, if it ran. Never raises.

    Speed: this runs inside every traced request, right after the SDK's own work has pushed our
    code and data out of the CPU caches, where every Python frame costs several times what it does
    in a tight loop. A complete response (the common case) therefore needs no :class:`Call`: the
    path is this function, the provider's ``extract`` and the deferred estimate
    (``lazy_estimate``), its plan found in the table of the current settings; :func:`finish_request`
    runs when there is more to do (records to build, a warning to add, a plan to resolve). The sync
    request wrappers handle the commonest case themselves (see ``_patching._plain_call_wrapper``)
    and call this function for everything else. A stream
    goes straight to its proxy, whose tap holds what its end needs; a raw response gets a :class:`Call`.
    """
    latency = time.perf_counter() - start
    try:
        # One set lookup tells a response of a class seen before as complete and given its impacts
        # plainly (the common case) from everything else, which is classified here.
        known = type(response) in _complete_types
        if not known:
            types = state.types.get(provider) or state.sdk_types(provider)
            if types is None:  # uninstrumented while the request was in flight: leave it untouched
                return response
            if isinstance(response, types.not_complete):
                if isinstance(response, types.streams):
                    is_async = False
                elif isinstance(response, types.async_streams):
                    is_async = True
                else:
                    return Call(provider, shape, requested, start, tally).hook_raw(response, types)
                trace = _trace_stream or _load_trace_stream()
                return trace(response, is_async, provider, shape, requested, start, tally, None)
        try:
            usage = shape.extract(response)
            returned, tokens, input_tokens, cached_input_tokens, _, approximation = usage
        except Exception as exc:
            attach(response, _tracer_error(provider, "extract", exc))
            return response
        model = returned or requested
        config = state.config
        plan = config.plans.get((provider, model)) if config is not None and model else None
        if plan is not None and approximation is None and not _sinks._sinks:
            # finish_request() written out for its common case (a plan in the table, no warning to
            # add, nobody collecting records): one Python call less per traced call.
            impacts = lazy_estimate(plan.recipe, tokens, latency, input_tokens, cached_input_tokens)
        else:
            impacts = finish_request(
                provider, requested, Tally.of_response(usage), start, latency, stream=False, partial=False
            )
        if known:  # attach() written out for a class it handled before: one call less
            _set_attribute(response, "impacts", impacts)
        elif attach(response, impacts) and type(response) in _plain_types:
            _complete_types.add(type(response))
    except Exception as exc:  # a bug of ours must never reach the caller
        _tracer_error(provider, "response", exc)
    return response


def finish_request(
    provider: str,
    requested: str | None,
    tally: Tally,
    start: float,
    latency: float,
    *,
    stream: bool,
    partial: bool,
) -> ImpactsOutput:
    """Estimate one finished request, hand its record to the sinks, return its impacts. Never raises."""
    try:
        if not _engine_imported:
            _import_engine()
        config = state.config or TracerConfig()
        model = tally.model or requested
        plan = config.plans.get((provider, model)) if model else None
        if plan is None:
            found = _find_plan(provider, model, requested, config)
            if isinstance(found, ImpactsOutput):
                impacts = found.model_copy(deep=True)
                zone = config.electricity_mix_zone
                return _deliver(provider, requested, tally, start, impacts, latency, stream, partial, None, zone)
            plan = found
        # The output models are built when first read (see lazy_estimate).
        impacts = lazy_estimate(
            plan.recipe,
            tally.output_tokens if tally.output_tokens is not None else tally.counted,
            latency,
            tally.input_tokens,
            tally.cached_input_tokens,
        )
        if tally.approximation is not None:
            impacts = ImpactsOutput.deferred(_with_warning, impacts, "output-tokens-approximated", tally.approximation)
        if not _sinks._sinks:  # nobody collects records: nothing more to do (read without a call)
            return impacts
        resolved = plan.resolution.model.name
        return _deliver(provider, requested, tally, start, impacts, latency, stream, partial, resolved, plan.mix.zone)
    except Exception as exc:
        failed = _tracer_error(provider, "finish", exc)
    try:  # the request happened: its record (with the error) is not lost
        return _deliver(provider, requested, tally, start, failed, latency, stream, partial, None, None)
    except Exception:
        return failed


def _find_plan(provider: str, model: str | None, requested: str | None, config: TracerConfig) -> Plan | ImpactsOutput:
    """The plan of a request whose plan is not in ``config.plans`` yet, or why there is none (logged once).

    ``model`` is the one the response reported, else the requested one; when it has no plan, the
    requested model's is used. Only a plan found for ``model`` itself is kept in the table.
    """
    plan: Plan | ImpactsOutput
    if model is None:
        plan = _failed("model-unknown", "The request named no model and the response reported none.")
    else:
        plan = _plan(provider, model, config)
        if isinstance(plan, Plan):
            config.plans[provider, model] = plan
            return plan
        if requested and requested != model:
            fallback = _plan(provider, requested, config)
            if isinstance(fallback, Plan):
                return fallback
    error = plan.errors[0] if plan.errors else None
    code = error.code if error else "unknown"
    log_once(
        f"plan:{provider}:{model}:{code}",
        "ecologits_like: no impacts for %s model %r: %s",
        provider,
        model,
        error.message if error else "unknown error",
    )
    return plan


def _plan(provider: str, model: str, config: TracerConfig) -> Plan | ImpactsOutput:
    return get_plan(
        provider,
        model,
        config.electricity_mix_zone,
        config.datacenter_pue,
        config.datacenter_wue,
        config.hardware,
        config.batch_size,
        config.methodology,
    )


def _deliver(
    provider: str,
    requested: str | None,
    tally: Tally,
    start: float,
    impacts: ImpactsOutput,
    latency: float,
    stream: bool,
    partial: bool,
    resolved: str | None,
    zone: str | None,
) -> ImpactsOutput:
    """Hand the request's record to the sinks; the impacts for the caller (see ``_sinks.deliver``)."""
    if not _sinks.sinks():
        return impacts
    returned = tally.model or None
    return _sinks.deliver(
        RequestRecord(
            # The wall-clock start, derived from the monotonic one: one clock read per request.
            timestamp=datetime.fromtimestamp(time.time() - (time.perf_counter() - start), UTC),
            provider=provider,
            model_requested=requested or returned or "",
            output_tokens=tally.tokens,
            impacts=impacts,
            model_resolved=resolved,
            model_returned=returned,
            input_tokens=tally.input_tokens,
            cached_input_tokens=tally.cached_input_tokens,
            reasoning_tokens=tally.reasoning_tokens,
            latency_s=latency,
            stream=stream,
            partial=partial,
            zone=zone,
        )
    )


#: ``_streams.trace_stream`` once the first stream has loaded it: an import statement costs a few µs
#: in every stream, and ``_streams`` cannot be imported with this module (it imports this one).
_trace_stream: _TraceStream | None = None


def _load_trace_stream() -> _TraceStream:
    global _trace_stream
    from ecologits_like.tracers._streams import trace_stream

    _trace_stream = trace_stream
    return trace_stream


class Call:
    """One traced request that does not end with the SDK method's return: a raw response (finished
    when parsed) or a stream manager's request (handed to a stream proxy when made). Finished
    exactly once. (A stream returned by the request method needs none: see :func:`on_response`.)"""

    __slots__ = ("_done", "_raw_result", "_raw_stream", "provider", "requested", "shape", "start", "tally")

    def __init__(
        self,
        provider: str,
        shape: Shape,
        requested: object,
        start: float | None = None,
        tally: Tally | None = None,
    ) -> None:
        self.provider = provider
        self.shape = shape
        self.requested = requested if isinstance(requested, str) else None
        self.tally = Tally() if tally is None else tally
        #: ``perf_counter`` at the request's start
        self.start = time.perf_counter() if start is None else start
        self._done = False
        self._raw_result: Any = None
        self._raw_stream: Any = None

    def restart_clock(self) -> None:
        """For requests made later than the call that described them (stream managers)."""
        self.start = time.perf_counter()

    def on_response(self, response: Any) -> Any:
        """:func:`on_response` for this call's request."""
        return on_response(self.provider, self.shape, self.requested, self.start, self.tally, response)

    def hook_raw(self, response: Any, types: SdkTypes) -> Any:
        """A raw response (``with_raw_response`` / ``with_streaming_response``): its ``parse()`` hooked."""
        return self._hook_raw(response, is_async=isinstance(response, types.async_raw))

    # -- streams --------------------------------------------------------------------------------

    def wrap_stream(self, stream: Any) -> TracedStream | TracedAsyncStream:
        """A proxy that keeps ``stream``'s whole protocol and finishes this call once."""
        types = state.sdk_types(self.provider)
        is_async = (types is not None and isinstance(stream, types.async_streams)) or (
            hasattr(stream, "__anext__") and not hasattr(stream, "__next__")
        )
        trace = _trace_stream or _load_trace_stream()
        return trace(stream, is_async, self.provider, self.shape, self.requested, self.start, self.tally, self)

    # -- raw responses (with_raw_response / with_streaming_response) -----------------------------

    def _hook_raw(self, raw: Any, *, is_async: bool) -> Any:
        """Route ``raw.parse()`` (no ``to=``) through the tracer; ``raw`` keeps its type and identity."""
        original = raw.parse
        call = self
        # When the SDK already read the body (with_raw_response), the request ended now; otherwise
        # (with_streaming_response) it ends when parse() has read it.
        ended = time.perf_counter() if getattr(raw, "is_closed", False) else None

        def handle(result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            if args or kwargs.get("to") is not None:
                return result
            try:
                if call._raw_stream is not None:
                    return call._raw_stream
                if call._raw_result is result:
                    return result
                types = state.sdk_types(call.provider)
                if types is not None and isinstance(result, types.streams + types.async_streams):
                    call._raw_stream = call.wrap_stream(result)
                    return call._raw_stream
                call._raw_result = result
                latency = (ended if ended is not None else time.perf_counter()) - call.start
                call.tally = Tally.of_response(call.shape.extract(result))
                attach(result, call.finish(latency, stream=False, partial=False))
            except Exception as exc:
                if call._raw_result is result:
                    failed = call.tracer_error("raw-parse", exc)
                    with contextlib.suppress(Exception):  # attaching may be what failed
                        attach(result, failed)
            return result

        if is_async or inspect.iscoroutinefunction(original):

            async def parse_async(*args: Any, **kwargs: Any) -> Any:
                return handle(await original(*args, **kwargs), args, kwargs)

            hook: Callable[..., Any] = parse_async
        else:

            def parse(*args: Any, **kwargs: Any) -> Any:
                return handle(original(*args, **kwargs), args, kwargs)

            hook = parse
        hook.__doc__ = getattr(original, "__doc__", None)
        try:
            object.__setattr__(raw, "parse", hook)
        except Exception as exc:
            self.tracer_error("raw-hook", exc)
        return raw

    # -- the end ----------------------------------------------------------------------------------

    def finish(self, latency: float, *, stream: bool, partial: bool) -> ImpactsOutput:
        """Estimate, emit the record, return the impacts. Runs at most once; never raises."""
        if self._done:
            return _failed("tracer-finished-twice", "internal: the request was already finalised")
        self._done = True
        return finish_request(
            self.provider, self.requested, self.tally, self.start, latency, stream=stream, partial=partial
        )

    def tracer_error(self, where: str, exc: BaseException) -> ImpactsOutput:
        """Log a failure of ours once and turn it into an output with errors."""
        return _tracer_error(self.provider, where, exc)


def is_omitted(value: object) -> bool:
    """Whether a request argument was left out (absent, ``None``, ``NotGiven`` or ``Omit``)."""
    return _is_omitted(value)
