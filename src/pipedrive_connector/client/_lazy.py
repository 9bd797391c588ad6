"""Typed list items that validate lazily, so reading every deal costs about what decoding them costs.

``lazy_items(Deal, page)`` wraps each decoded item of a page in an instance of a private subclass of
``Deal`` without validating it (a fraction of a microsecond, where pydantic's validation takes about
5 µs per deal). The instance is a ``Deal`` for ``isinstance`` and type checkers. Until it is
*materialized* every attribute read goes through ``__getattribute__`` below:

- a plain field whose decoded value already has the field's exact type (``id`` an ``int``, ``title``
  a ``str`` or ``None``...) is returned as it is, which is exactly what validation would return;
- anything else (a timestamp to parse, a nested model, a value of another type, an unknown key,
  ``model_dump``, ``__dict__``, ``repr``...) first materializes the instance: it is validated as a
  whole by pydantic, takes the validated state and becomes a plain ``Deal`` (its ``__class__`` is
  swapped), indistinguishable from one built by ``Deal.model_validate``.

So a wrong type from Pipedrive still raises pydantic's ``ValidationError`` (naming the model and the
field), when the item is first used beyond its plain, well-typed fields; with ``lenient=True`` (the
generated models) such an item is built unvalidated instead, as ``_generated.lenient`` does.

Until then the item holds the decoded dict it came from (the same object as in ``Page.envelope``), not
a copy; a model with validators, private attributes or value-changing options is validated eagerly.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Callable
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

_get = object.__getattribute__
_set = object.__setattr__
_new = object.__new__
_MISSING = object()
_STATE_SLOTS = ("__pydantic_extra__", "__pydantic_fields_set__", "__pydantic_private__")
# Model options under which validation changes a value that already has the right type.
_VALUE_CHANGING_OPTIONS = (
    "str_strip_whitespace",
    "str_to_lower",
    "str_to_upper",
    "str_min_length",
    "str_max_length",
    "use_enum_values",
)
_PLAIN_TYPES: dict[Any, tuple[type, ...]] = {int: (int,), str: (str,), bool: (bool,), float: (float,)}
# Materializing is rare (once per item) and short; one lock keeps two threads from doing it at once.
_LOCK = threading.RLock()
_CLASSES: dict[tuple[type[BaseModel], bool], type[BaseModel] | None] = {}


def lazy_items(model: type[M], raw: list[Any], *, lenient: bool) -> list[M]:
    """``raw``'s objects as lazily validated ``model`` instances (see the module docstring).

    Items that are not JSON objects, and every item of a model that cannot be built lazily (one with
    validators, private attributes or ``model_post_init``), are validated now: ``lenient`` items
    that fail are built unvalidated, strict ones raise ``ValidationError``.
    """
    cls = lazy_class(model, lenient)
    if cls is None:
        return [_eager(model, item, lenient) for item in raw]

    def wrap(item: Any) -> Any:
        if type(item) is not dict:
            return _eager(model, item, lenient)
        obj = _new(cls)
        _set(obj, "__dict__", item)
        return obj

    return [wrap(item) for item in raw]


def is_lazy(obj: Any) -> bool:
    """Whether ``obj`` is a lazy item not yet materialized."""
    return getattr(type(obj), "__lazy_base__", None) is not None


def _eager(model: type[M], item: Any, lenient: bool) -> Any:
    if not lenient:
        return model.model_validate(item)
    if not isinstance(item, dict):
        return item
    try:
        return model.model_validate(item)
    except ValidationError:
        return model.model_construct(**item)


def lazy_class(model: type[M], lenient: bool) -> type[M] | None:
    """The lazy subclass of ``model`` (built once), or None when ``model`` must be validated eagerly."""
    key = (model, lenient)
    try:
        return _CLASSES[key]  # type: ignore[return-value]
    except KeyError:
        pass
    with _LOCK:
        if key not in _CLASSES:
            _CLASSES[key] = _build_lazy_class(model, lenient) if _can_be_lazy(model) else None
    return _CLASSES[key]  # type: ignore[return-value]


def _can_be_lazy(model: type[BaseModel]) -> bool:
    decorators = model.__pydantic_decorators__
    has_validators = any(
        (
            decorators.validators,
            decorators.field_validators,
            decorators.root_validators,
            decorators.model_validators,
        )
    )
    has_post_init = model.model_post_init is not BaseModel.model_post_init
    plain_state = not model.__pydantic_root_model__ and not model.__private_attributes__
    return not has_validators and not has_post_init and plain_state


def _plain_fields(model: type[BaseModel]) -> dict[str, tuple[tuple[type, ...], bool, bool]]:
    """Fields whose value, when its decoded type is exactly right, validation returns unchanged:
    ``name -> (accepted types, None accepted, a missing key means None)``."""
    out: dict[str, tuple[tuple[type, ...], bool, bool]] = {}
    if any(model.model_config.get(option) for option in _VALUE_CHANGING_OPTIONS):
        return out  # validation may change even a well-typed value: every read validates
    for name, info in model.model_fields.items():
        if info.alias not in (None, name) or info.validation_alias is not None or info.metadata:
            continue
        accepted, nullable = _plain_annotation(info.annotation)
        if accepted is None:
            continue
        missing_is_none = not info.is_required() and info.default is None and info.default_factory is None
        out[name] = (accepted, nullable, missing_is_none and nullable)
    return out


def _plain_annotation(annotation: Any) -> tuple[tuple[type, ...] | None, bool]:
    if annotation in _PLAIN_TYPES:
        return _PLAIN_TYPES[annotation], False
    if get_origin(annotation) in (Union, types.UnionType):
        args = get_args(annotation)
        rest = [arg for arg in args if arg is not type(None)]
        if len(rest) == 1 and len(args) == 2 and rest[0] in _PLAIN_TYPES:
            return _PLAIN_TYPES[rest[0]], True
    return None, False


def _build_lazy_class(model: type[M], lenient: bool) -> type[M]:
    plain = _plain_fields(model)

    def materialize(self: Any) -> None:
        with _LOCK:
            if type(self) is not lazy:  # another thread did it
                return
            raw = _get(self, "__dict__")
            try:
                # Fills __dict__, __pydantic_extra__ and __pydantic_fields_set__ of ``self`` in
                # place (what BaseModel.__init__ does), or raises without touching them.
                model.__pydantic_validator__.validate_python(raw, self_instance=self)
            except ValidationError:
                if not lenient:
                    raise
                done = model.model_construct(**raw)
                for slot in _STATE_SLOTS:
                    _set(self, slot, _get(done, slot))
                _set(self, "__dict__", _get(done, "__dict__"))
            _set(self, "__class__", model)

    def __getattribute__(self: Any, name: str) -> Any:
        spec = plain.get(name)
        if spec is not None:
            value = _get(self, "__dict__").get(name, _MISSING)
            if value is _MISSING:
                if spec[2]:
                    return None
            elif type(value) in spec[0] or (value is None and spec[1]):
                return value
        elif name == "__class__":  # isinstance(item, dict) asks; the answer needs no data
            return model
        materialize(self)
        return getattr(self, name)

    def _through(method: str) -> Callable[..., Any]:
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            materialize(self)
            return getattr(self, method)(*args, **kwargs)

        call.__name__ = method
        return call

    def __repr__(self: Any) -> str:
        try:
            materialize(self)
        except ValidationError as exc:
            return f"<{model.__name__}: not valid, {exc.error_count()} validation error(s)>"
        return repr(self)

    namespace: dict[str, Any] = {
        "__module__": model.__module__,
        "__qualname__": model.__qualname__,
        "__doc__": model.__doc__,
        "__getattribute__": __getattribute__,
        "__repr__": __repr__,
        # Special methods looked up on the type (copy.copy, setattr...), not through __getattribute__.
        **{name: _through(name) for name in ("__str__", "__copy__", "__setattr__", "__delattr__")},
        "__lazy_base__": model,
        # Never validated through (materializing validates with ``model``): no schema to build.
        "model_config": {**model.model_config, "defer_build": True},
    }
    metaclass: Any = type(model)  # pydantic's ModelMetaclass: a real subclass, not a copy
    lazy: type[M] = metaclass(model.__name__, (model,), namespace)
    return lazy
