"""What a request body may be, whoever reads it: at most ``MAX_BODY_BYTES``, and JSON read safely.

The stdlib parser recurses (5,000 levels of ``[`` from the public form key were a RecursionError) and
reads integers of any length (past 4,300 digits a ValueError that is not a JSONDecodeError), so
``parse_json`` bounds the depth, refuses integers DynamoDB could never store, and NaN/Infinity: every
refusal is a ``JSONDecodeError``.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_BODY_BYTES = 64 * 1024
#: Our deepest request body is 4 levels (rule → window, staff → item); 32 leaves room and stops abuse.
MAX_JSON_DEPTH = 32
#: DynamoDB numbers carry 38 significant digits; a longer integer could never be stored.
MAX_INTEGER_DIGITS = 38

_NEXT = re.compile(r'["\[\]{}]')
#: The rest of a JSON string after its opening quote (unrolled, so each character is looked at once).
_STRING_REST = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def json_depth(text: str, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply ``text`` nests arrays and objects, counted up to ``limit + 1``; linear in its length.

    Brackets inside strings do not count; an unterminated string ends the scan (the parser will say so).
    """
    depth = deepest = pos = 0
    while (found := _NEXT.search(text, pos)) is not None:
        pos = found.end()
        if found.group() == '"':
            rest = _STRING_REST.match(text, pos)
            if rest is None:
                break
            pos = rest.end()
        elif found.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        else:
            depth -= 1
    return deepest


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-").lstrip("0")) > MAX_INTEGER_DIGITS:
        raise json.JSONDecodeError(f"integer longer than {MAX_INTEGER_DIGITS} digits", digits, 0)
    return int(digits)


def _number(text: str) -> float | int:
    """A number with a fraction or an exponent. A whole one (``1950.0``, ``2e3``) is an integer, as JSON
    Schema reads it (a schema's ``integer`` admits it), so strict integer fields take it too; beyond
    DynamoDB's 38 digits it stays a float, for the field to refuse."""
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 10**MAX_INTEGER_DIGITS else value


def _no_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def parse_json(text: str) -> Any:
    """The resolver's JSON body parser: every refusal is a JSONDecodeError, which Powertools makes a 422."""
    if json_depth(text) > MAX_JSON_DEPTH:
        raise json.JSONDecodeError(f"nested deeper than {MAX_JSON_DEPTH} levels", text[:64], 0)
    return json.loads(text, parse_int=_bounded_int, parse_float=_number, parse_constant=_no_constant)
