"""The public result types: one impact, the usage and embodied phases, and the whole output."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from ecologits_like._log import log_once
from ecologits_like.impacts.range_value import RangeValue, ValueOrRange
from ecologits_like.impacts.units import convert, format_value

_M = TypeVar("_M", bound=BaseModel)

# The slot descriptors pydantic's BaseModel declares; calling their ``__set__`` directly skips the
# frozen model's ``__setattr__`` and the attribute lookup that ``object.__setattr__`` would redo.
_new = object.__new__
_get_dict = BaseModel.__dict__["__dict__"].__get__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_get_private = BaseModel.__dict__["__pydantic_private__"].__get__
_get_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__get__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def fast_construct(cls: type[_M], values: dict[str, Any]) -> _M:
    """Build a frozen model from trusted, complete ``values`` without validation.

    Equivalent to ``cls.model_construct(**values)`` for a model whose every field is given, at a
    fraction of the cost: the engine builds fourteen of these per estimate. The fields-set is
    shared between instances, which is safe because these models are frozen.
    """
    obj = _new(cls)
    _set_dict(obj, values)
    _set_fields_set(obj, _FIELDS_SETS.get(cls) or _fields_set(cls))
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj


_FIELDS_SETS: dict[type[BaseModel], set[str]] = {}


def _fields_set(cls: type[BaseModel]) -> set[str]:
    fields = _FIELDS_SETS.get(cls)
    if fields is None:
        fields = _FIELDS_SETS[cls] = set(cls.model_fields)
    return fields


__all__ = [
    "GWP",
    "PE",
    "WCF",
    "ADPe",
    "Embodied",
    "Energy",
    "FieldSource",
    "Impact",
    "ImpactsError",
    "ImpactsOutput",
    "ImpactsWarning",
    "Usage",
    "impact_builder",
]


def _dump_value(value: ValueOrRange) -> float | dict[str, float]:
    # One serializer for both shapes (a range as ``RangeValue.to_dict``): pydantic's own for the
    # union ``float | RangeValue`` made each range cost ten times its ``to_dict`` in a model_dump.
    return value.to_dict() if isinstance(value, RangeValue) else value


class Impact(BaseModel):
    """One environmental indicator.

    Attributes:
        type: Machine name of the indicator (``energy``, ``gwp``, ``adpe``, ``pe``, ``wcf``).
        name: Human name.
        value: The amount, a float or a :class:`RangeValue` when inputs were uncertain.
        unit: Unit of ``value``.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    type: str
    name: str
    value: Annotated[ValueOrRange, PlainSerializer(_dump_value, return_type=float | dict[str, float])]
    unit: str

    #: Defaults applied by :meth:`of`; each subclass sets its own.
    DEFAULTS: ClassVar[tuple[str, str, str]] = ("", "", "")

    @classmethod
    def of(cls, value: ValueOrRange) -> Self:
        """Build the indicator without re-validating an engine-produced value."""
        kind, name, unit = cls.DEFAULTS
        obj = _new(cls)
        _set_dict(obj, {"type": kind, "name": name, "value": value, "unit": unit})
        _set_fields_set(obj, _FIELDS_SETS.get(cls) or _fields_set(cls))
        _set_extra(obj, None)
        _set_private(obj, None)
        return obj

    @property
    def min(self) -> float:
        """Lower bound (the value itself when exact)."""
        return self.value.min if isinstance(self.value, RangeValue) else self.value

    @property
    def max(self) -> float:
        """Upper bound (the value itself when exact)."""
        return self.value.max if isinstance(self.value, RangeValue) else self.value

    @property
    def mean(self) -> float:
        """Midpoint of the range (the value itself when exact)."""
        return self.value.mean if isinstance(self.value, RangeValue) else self.value

    @property
    def central(self) -> float:
        """The best single figure: the methodology's central value, else the midpoint, else the value.

        Under the default methodology every estimate has a central value (central batch size,
        prefill efficiency and datacenter figures), which is not the midpoint of the range.
        """
        return self.value.central if isinstance(self.value, RangeValue) else self.value

    def to(self, unit: str) -> ValueOrRange:
        """The value in ``unit`` (e.g. ``"Wh"``); a range stays a range. ``ValueError`` lists accepted units."""
        return convert(self.value, self.type, self.unit, unit)

    def format(self, unit: str | None = None, digits: int = 2) -> str:
        """Readable text such as ``'0.42 Wh'`` or ``'0.3–0.6 Wh'`` (prefix chosen when ``unit`` is ``None``)."""
        return format_value(self.value, self.type, self.unit, to=unit, digits=digits)


_I = TypeVar("_I", bound=Impact)


def impact_builder(cls: type[_I]) -> Callable[[ValueOrRange], _I]:
    """A function building indicator ``cls`` from an engine-produced value, as ``cls.of`` does.

    For code that builds many: it looks the class's defaults up once instead of on every call.
    """
    kind, name, unit = cls.DEFAULTS
    fields_set = _fields_set(cls)

    def build(value: ValueOrRange) -> _I:
        obj = _new(cls)
        _set_dict(obj, {"type": kind, "name": name, "value": value, "unit": unit})
        _set_fields_set(obj, fields_set)
        _set_extra(obj, None)
        _set_private(obj, None)
        return obj

    return build


class Energy(Impact):
    """Electricity drawn at the datacenter meter, in kWh."""

    type: Literal["energy"] = "energy"
    name: str = "Energy"
    unit: str = "kWh"
    DEFAULTS: ClassVar[tuple[str, str, str]] = ("energy", "Energy", "kWh")


class GWP(Impact):
    """Global warming potential, in kgCO2eq."""

    type: Literal["gwp"] = "gwp"
    name: str = "Global Warming Potential"
    unit: str = "kgCO2eq"
    DEFAULTS: ClassVar[tuple[str, str, str]] = ("gwp", "Global Warming Potential", "kgCO2eq")


class ADPe(Impact):
    """Abiotic depletion potential for elements, in kgSbeq."""

    type: Literal["adpe"] = "adpe"
    name: str = "Abiotic Depletion Potential (elements)"
    unit: str = "kgSbeq"
    DEFAULTS: ClassVar[tuple[str, str, str]] = ("adpe", "Abiotic Depletion Potential (elements)", "kgSbeq")


class PE(Impact):
    """Primary energy, in MJ."""

    type: Literal["pe"] = "pe"
    name: str = "Primary Energy"
    unit: str = "MJ"
    DEFAULTS: ClassVar[tuple[str, str, str]] = ("pe", "Primary Energy", "MJ")


class WCF(Impact):
    """Water consumption footprint, in litres."""

    type: Literal["wcf"] = "wcf"
    name: str = "Water Consumption Footprint"
    unit: str = "L"
    DEFAULTS: ClassVar[tuple[str, str, str]] = ("wcf", "Water Consumption Footprint", "L")


class Usage(BaseModel):
    """Impacts of running the hardware: electricity and the water it takes."""

    model_config = ConfigDict(frozen=True)

    energy: Energy
    gwp: GWP
    adpe: ADPe
    pe: PE
    wcf: WCF


class Embodied(BaseModel):
    """Impacts of manufacturing the hardware, allocated to the request."""

    model_config = ConfigDict(frozen=True)

    gwp: GWP
    adpe: ADPe
    pe: PE


class _Notice(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    message: str

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class ImpactsWarning(_Notice):
    """Something the caller should know about an estimate that was made (e.g. an estimated size)."""


class ImpactsError(_Notice):
    """Why an estimate could not be made (e.g. an unknown model)."""


class _Deferred:
    """How to build a deferred :class:`ImpactsOutput`'s fields; held in its private slot until then."""

    __slots__ = ("args", "build")

    def __init__(self, build: Callable[..., ImpactsOutput], args: tuple[Any, ...]) -> None:
        self.build = build
        self.args = args


class FieldSource:
    """Builds the fields of an :class:`ImpactsOutput` one at a time (see :meth:`ImpactsOutput.lazy`).

    Subclasses compute everything the output holds the first time any field is asked for, and may
    build each field's objects only when that field is read. Several threads may ask at once:
    each field goes into the output's fields with ``dict.setdefault``, so the first one stored is
    the one every reader gets.
    """

    __slots__ = ()

    def field(self, name: str, fields: dict[str, Any]) -> Any:
        """The value of field ``name``: the one in ``fields``, else built and stored there."""
        raise NotImplementedError

    def complete(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Store every missing field in ``fields``; return them all in declaration order."""
        raise NotImplementedError


class ImpactsOutput(BaseModel):
    """The environmental impacts of one request (or the sum of several).

    Totals (``energy``, ``gwp``, ``adpe``, ``pe``, ``wcf``) are usage plus embodied where both
    phases exist. All indicators are ``None`` when the estimate could not be made; ``errors``
    then says why.
    """

    model_config = ConfigDict(frozen=True)

    energy: Energy | None = None
    gwp: GWP | None = None
    adpe: ADPe | None = None
    pe: PE | None = None
    wcf: WCF | None = None
    usage: Usage | None = None
    embodied: Embodied | None = None
    warnings: list[ImpactsWarning] = Field(default_factory=list)
    errors: list[ImpactsError] = Field(default_factory=list)

    @property
    def has_warnings(self) -> bool:
        """Whether any warning was raised."""
        return bool(self.warnings)

    @property
    def has_errors(self) -> bool:
        """Whether the estimate failed (indicators are then ``None``)."""
        return bool(self.errors)

    @classmethod
    def failed(cls, *errors: ImpactsError, warnings: list[ImpactsWarning] | None = None) -> ImpactsOutput:
        """An output carrying only errors (and optional warnings)."""
        return cls.model_construct(
            energy=None,
            gwp=None,
            adpe=None,
            pe=None,
            wcf=None,
            usage=None,
            embodied=None,
            warnings=list(warnings or []),
            errors=list(errors),
        )

    # -- deferred construction ------------------------------------------------------------------
    # An estimate is fourteen models and up to eleven ranges: most of the cost of a traced call.
    # ``deferred`` and ``lazy`` return an output whose fields are built the first time anything
    # reads them (an attribute, ``model_dump``, ``==``, ``repr``, pickling, copying...). Until then
    # its ``__dict__`` slot holds only the fields already read and the builder waits in
    # ``__pydantic_private__`` (unused by this model): a ``_Deferred``, a :class:`FieldSource`, or
    # ``(FieldSource subclass, *its arguments)``, the source not built yet (a tuple costs a traced
    # call less than an object: see ``lazy_estimate``); every way in goes through ``__dict__`` (a
    # property below: it completes the output), ``__getattr__`` (fields missing from the slot) or
    # the overrides that read the private slot first.

    @classmethod
    def deferred(cls, build: Callable[..., ImpactsOutput], *args: Any) -> ImpactsOutput:
        """An output equal to ``build(*args)``, built when first read (``build`` must not depend on time)."""
        obj = _new(cls)
        _set_dict(obj, {})
        _set_fields_set(obj, _FIELDS_SETS.get(cls) or _fields_set(cls))
        _set_extra(obj, None)
        _set_private(obj, _Deferred(build, args))
        return obj

    @classmethod
    def lazy(cls, source: FieldSource) -> ImpactsOutput:
        """An output whose fields ``source`` builds: each when first read, all when the whole is read.

        Reading one attribute builds that field only (reading ``usage`` builds the ``Usage`` model
        and the totals it shares with the output, ``energy`` and ``wcf``); reading the output as a
        whole (``model_dump``, ``==``, ``repr``, pickling, copying...) builds the rest, reusing the
        objects already built, so ``out.energy is out.usage.energy`` holds whatever was read first.
        """
        obj = _new(cls)  # as in ``deferred``, written out: this runs on every estimate and traced call
        _set_dict(obj, {})
        _set_fields_set(obj, _FIELDS_SETS.get(cls) or _fields_set(cls))
        _set_extra(obj, None)
        _set_private(obj, source)
        return obj

    def _materialize(self) -> None:
        pending = _get_private(self)
        if pending is None:
            return
        try:
            if type(pending) is _Deferred:
                built = pending.build(*pending.args)
                _set_fields_set(self, _get_fields_set(built))
                fields = built.__dict__  # a throwaway object: take its dict over
            else:
                if type(pending) is tuple:  # the source not built yet (see ``lazy_estimate``)
                    pending = pending[0](*pending[1:])
                fields = pending.complete(_get_dict(self))
        except Exception as exc:  # never raise from reading an attribute: say it in errors, log it once
            self._fail(exc)
            return
        _set_dict(self, fields)  # one store: a reader sees the fields read so far, or all of them
        _set_private(self, None)

    def _fail(self, exc: Exception) -> None:
        message = f"ecologits_like estimate failed: {type(exc).__name__}: {exc}"
        log_once(f"deferred:{type(exc).__name__}", "%s", message)
        failed = ImpactsOutput.failed(ImpactsError(code="estimate-failed", message=message))
        _set_fields_set(self, _get_fields_set(failed))
        _set_dict(self, _get_dict(failed))
        _set_private(self, None)

    @property
    def __dict__(self) -> dict[str, Any]:
        if _get_private(self) is not None:
            self._materialize()
        return _get_dict(self)  # type: ignore[no-any-return]

    @__dict__.setter
    def __dict__(self, value: dict[str, Any]) -> None:  # pydantic's copy and unpickling set it
        _set_dict(self, value)

    def __getattr__(self, name: str) -> Any:
        pending = _get_private(self)
        if pending is None:
            fields = _get_dict(self)
            if name in fields:  # another thread completed the output since this lookup missed
                return fields[name]
            return super().__getattr__(name)  # type: ignore[misc]
        if type(pending) is not _Deferred and name in _OUTPUT_FIELDS:
            try:
                if type(pending) is tuple:  # the source not built yet (see ``lazy_estimate``): kept for the next read
                    pending = pending[0](*pending[1:])
                    _set_private(self, pending)
                return pending.field(name, _get_dict(self))
            except Exception as exc:
                self._fail(exc)
                return getattr(self, name)
        self._materialize()
        return getattr(self, name)

    def __eq__(self, other: object) -> bool:
        self._materialize()
        if isinstance(other, ImpactsOutput):
            other._materialize()
        return super().__eq__(other)

    def __getstate__(self) -> dict[Any, Any]:
        self._materialize()
        return super().__getstate__()


_OUTPUT_FIELDS = frozenset(ImpactsOutput.model_fields)
