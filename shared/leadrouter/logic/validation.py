"""Input checked by the domain model before anything is written.

Request models carry only what a caller may set; each is rebuilt with its domain model (``Rule``,
``StaffMember``, ``Lead``, …), and a validation failure becomes ``InvalidInput`` naming each field
(``staff.0.weight``, ``window.end``), so a bad request writes nothing. Administration, leads and
routing all build their writes this way, so the helpers live here where each wing reaches them.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from leadrouter.domain.base import Ident
from leadrouter.domain.errors import InvalidInput, NotFound
from leadrouter.domain.leads import Lead

M = TypeVar("M", bound=BaseModel)

_IDENT: TypeAdapter[str] = TypeAdapter(Ident)


def invalid(error: ValidationError, message: str) -> InvalidInput:
    """A pydantic error as InvalidInput: one entry per dotted field location, every message kept."""
    fields: dict[str, str] = {}
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "body"
        fields[where] = f"{fields[where]}; {problem['msg']}" if where in fields else problem["msg"]
    return InvalidInput(message, fields)


def validated(model: type[M], data: dict[str, Any], message: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise invalid(error, message) from error


def known_id(value: str, what: str) -> str:
    """Ids from a path: one that could never have been created is simply not found (never a 5xx)."""
    try:
        return _IDENT.validate_python(value)
    except ValidationError as error:
        raise NotFound(f"{what} {value[:64]!r} not found") from error


def changed(lead: Lead, **changes: Any) -> Lead:
    """``lead`` with ``changes``, validated as a read would be (``model_copy`` skips validation).

    So a value the model would refuse when the lead is read back can never be written: 422 instead.
    """
    try:
        return Lead.model_validate({**lead.model_dump(), **changes})
    except ValidationError as error:
        problems = {".".join(str(p) for p in e["loc"]) or "lead": e["msg"] for e in error.errors()}
        raise InvalidInput("invalid lead fields", problems) from error
