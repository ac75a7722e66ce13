"""EventBridge event patterns, locally: which rules an event matches.

Supported (what leadrouter's rules and webhook subscriptions need, and the common rest): nested keys;
lists of exact values (strings, numbers compared as numbers, booleans, null); ``prefix`` and ``suffix``
(plain or ``{"equals-ignore-case": ...}``); ``equals-ignore-case``; ``anything-but`` (a value, a list,
a prefix or a suffix); ``exists``; ``numeric`` (``[">", 0, "<=", 5]``); ``wildcard`` (``*``). An
array in the event matches when any element does, as in EventBridge. Anything else is refused when the
rule is created (``InvalidEventPattern``), never silently ignored.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["InvalidEventPatternError", "check_pattern", "matches"]

_NUMERIC: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_OPERATORS = {"prefix", "suffix", "equals-ignore-case", "anything-but", "exists", "numeric", "wildcard"}


class InvalidEventPatternError(ValueError):
    """A pattern EventBridge would refuse, or one this emulator does not understand."""


def check_pattern(pattern: Any, where: str = "pattern") -> None:
    """Raise :class:`InvalidEventPatternError` unless ``pattern`` is a pattern we can match exactly."""
    if not isinstance(pattern, dict) or not pattern:
        raise InvalidEventPatternError(f"{where}: a pattern is a non-empty JSON object")
    for key, sub in pattern.items():
        if isinstance(sub, dict):
            check_pattern(sub, f"{where}.{key}")
        elif isinstance(sub, list):
            if not sub:
                raise InvalidEventPatternError(f"{where}.{key}: an empty list matches nothing")
            for condition in sub:
                if isinstance(condition, dict):
                    _check_condition(condition, f"{where}.{key}")
        else:
            raise InvalidEventPatternError(f"{where}.{key}: values must be in a list")


def _check_condition(condition: dict[str, Any], where: str) -> None:
    if len(condition) != 1 or next(iter(condition)) not in _OPERATORS:
        raise InvalidEventPatternError(f"{where}: unsupported condition {condition!r}")
    ((name, arg),) = condition.items()
    if name == "numeric":
        if not isinstance(arg, list) or len(arg) % 2 or not arg:
            raise InvalidEventPatternError(f"{where}: numeric wants [op, number, ...]")
        for op, number in zip(arg[::2], arg[1::2], strict=True):
            if op not in _NUMERIC or not _is_number(number):
                raise InvalidEventPatternError(f"{where}: numeric {op!r} {number!r}")
    elif name == "exists":
        if not isinstance(arg, bool):
            raise InvalidEventPatternError(f"{where}: exists wants true or false")
    elif name in ("prefix", "suffix"):
        if not isinstance(arg, str) and not (
            isinstance(arg, dict)
            and set(arg) == {"equals-ignore-case"}
            and isinstance(arg["equals-ignore-case"], str)
        ):
            raise InvalidEventPatternError(f"{where}: {name} wants a string")
    elif name == "anything-but":
        if isinstance(arg, dict) and (len(arg) != 1 or next(iter(arg)) not in ("prefix", "suffix")):
            raise InvalidEventPatternError(f"{where}: anything-but {arg!r}")
    elif not isinstance(arg, str):
        raise InvalidEventPatternError(f"{where}: {name} wants a string")


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """Whether ``event`` (the full event: source, detail-type, detail, ...) matches ``pattern``."""
    fields = event if isinstance(event, Mapping) else {}
    for key, sub in pattern.items():
        present = key in fields
        value = fields.get(key)
        if isinstance(sub, Mapping):
            if isinstance(value, list):
                if not any(matches(sub, v) for v in value):
                    return False
            elif not matches(sub, value if isinstance(value, Mapping) else {}):
                return False
        elif not _field_matches(sub, present, value):
            return False
    return True


def _field_matches(conditions: list[Any], present: bool, value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    for condition in conditions:
        if isinstance(condition, dict) and "exists" in condition:
            if condition["exists"] == (present and value != []):
                return True
        elif not present:
            continue
        elif isinstance(condition, dict):
            if any(_condition_holds(condition, v) for v in values):
                return True
        elif any(_equal(condition, v) for v in values):
            return True
    return False


def _condition_holds(condition: dict[str, Any], value: Any) -> bool:
    ((name, arg),) = condition.items()
    if name == "numeric":
        return _is_number(value) and all(
            _NUMERIC[op](float(value), float(n)) for op, n in zip(arg[::2], arg[1::2], strict=True)
        )
    if name == "anything-but":
        if isinstance(arg, dict):
            return isinstance(value, str) and not _condition_holds(arg, value)
        excluded = arg if isinstance(arg, list) else [arg]
        return not any(_equal(x, value) for x in excluded)
    if not isinstance(value, str):
        return False
    if name in ("prefix", "suffix"):
        text, ignore_case = (arg["equals-ignore-case"], True) if isinstance(arg, dict) else (arg, False)
        subject = value.casefold() if ignore_case else value
        wanted = text.casefold() if ignore_case else text
        return subject.startswith(wanted) if name == "prefix" else subject.endswith(wanted)
    if name == "equals-ignore-case":
        return bool(value.casefold() == str(arg).casefold())
    if name == "wildcard":
        return (
            re.fullmatch(".*".join(re.escape(part) for part in str(arg).split("*")), value, re.S) is not None
        )
    return False


def _equal(wanted: Any, value: Any) -> bool:
    """JSON equality: null only to null, booleans only to booleans, numbers by value, strings exactly."""
    if wanted is None or value is None:
        return wanted is None and value is None
    if isinstance(wanted, bool) or isinstance(value, bool):
        return isinstance(wanted, bool) and isinstance(value, bool) and wanted == value
    if _is_number(wanted):
        return _is_number(value) and float(wanted) == float(value)
    return isinstance(value, str) and wanted == value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
