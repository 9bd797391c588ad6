"""Generated malformed inputs for the component's actions, each invalid by construction."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

# Values that are wrong for a property of each type, whatever coercion a validator may apply.
WRONG: dict[str, list[Any]] = {
    "INTEGER": ["abc", [1], {"n": 1}, 1.5, True, "", "1e999"],
    "NUMBER": ["abc", [], {"n": 1}, True, "NaN-ish"],
    "BOOLEAN": ["maybe", [], {"b": 1}, 2, 1.5],
    "STRING": [{}, [], {"s": "x"}, ["a", "b"]],
    "DATE": ["31/31/2020", "yesterday", {}, [], "2026-13-45"],
    "DATE_TIME": ["not a time", {}, [], "2026-02-30T25:61:00Z"],
    "TIME": ["25:99", {}, [], "noon"],
    "OBJECT": ["text", [1, 2], 5, True],
    "ARRAY": [{"a": 1}, 5, True],
}


@dataclass(frozen=True)
class BadInput:
    kind: str
    action: str
    inputs: Any
    culprit: str  # the property (or thing) the error should name


def _filler(prop: Any) -> Any:
    """A valid-looking value for a required property other than the one being broken."""
    kind = prop.type.value
    if prop.options:
        return prop.options[0].value
    if kind == "OBJECT":
        return {p.name: _filler(p) for p in prop.properties if p.required}
    return {
        "INTEGER": 1,
        "NUMBER": 1.0,
        "BOOLEAN": True,
        "ARRAY": [],
        "DATE": "2026-01-31",
        "DATE_TIME": "2026-01-31T10:00:00Z",
        "TIME": "10:00",
    }.get(kind, "abcd")


def _base(action: Any) -> dict[str, Any]:
    return {p.name: _filler(p) for p in action.properties if p.required}


def generate(actions: tuple[Any, ...], n: int, rng: random.Random) -> BadInput:
    """The ``n``-th malformed input: a missing required property, a wrong type, an unknown option,
    a wrong nested field, inputs that are not an object, or an unknown action."""
    action = actions[n % len(actions)]
    props = list(action.properties)
    choice = rng.randrange(6)
    if choice == 0:
        required = [p for p in props if p.required]
        if required:
            victim = rng.choice(required)
            inputs = _base(action)
            inputs.pop(victim.name, None)
            return BadInput("missing_required", action.name, inputs, victim.name)
        choice = 1
    if choice == 1 and props:
        victim = rng.choice(props)
        inputs = _base(action)
        inputs[victim.name] = rng.choice(WRONG.get(victim.type.value, [object()]))
        return BadInput("wrong_type", action.name, inputs, victim.name)
    if choice == 2:
        with_options = [p for p in props if p.options and p.type.value in ("STRING", "INTEGER")]
        if with_options:
            victim = rng.choice(with_options)
            inputs = _base(action)
            inputs[victim.name] = "not-an-option-" + str(rng.randrange(1000))
            return BadInput("unknown_option", action.name, inputs, victim.name)
    if choice == 3:
        objects = [p for p in props if p.type.value == "OBJECT" and p.properties]
        if objects:
            parent = rng.choice(objects)
            child = rng.choice(list(parent.properties))
            inputs = _base(action)
            nested = dict(inputs.get(parent.name) or {})
            nested[child.name] = rng.choice(WRONG.get(child.type.value, [object()]))
            inputs[parent.name] = nested
            return BadInput("wrong_nested_type", action.name, inputs, f"{parent.name}.{child.name}")
    if choice == 4:
        return BadInput("not_an_object", action.name, rng.choice([[1, 2], "inputs", 7, 3.5]), "inputs")
    return BadInput("unknown_action", action.name + "Nope", {}, action.name + "Nope")
