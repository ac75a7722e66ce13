"""The tenant's Do-Not-Call lists as admins keep them: its own list, and the national register
(Decree 91/2020's "Danh sách không quảng cáo") when the tenant brings it (the tenant always from the
token).

Numbers are read like a lead's phone (``domain.contacts``: 0912…, +84…, old 11-digit mobiles) and kept
only as their contact digest under the tenant's pepper (``data.calling``). An upload is checked whole
first: one invalid number refuses it (422 naming each line) and nothing is written. Every sweep reads
the lists (``logic.privacy.calling``), so a number added is never offered as a call from the next tick.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from leadrouter.domain.calling import DoNotCallOrigin
from leadrouter.domain.contacts import PHONE_SCHEMA, normalise_phone
from leadrouter.domain.errors import InvalidInput, NotFound
from leadrouter.domain.users import Caller
from leadrouter.logic.privacy.calling import CallCheckPorts, phone_digest

#: Numbers per upload: a request stays small (API Gateway's 29 s covers a thousand writes in parallel).
MAX_UPLOAD = 1000

PhoneText = Annotated[
    str,
    Field(min_length=1, max_length=40, json_schema_extra=PHONE_SCHEMA),
]


class DoNotCallUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    origin: DoNotCallOrigin = Field(
        default=DoNotCallOrigin.TENANT,
        description="tenant: the tenant's own list; national: numbers of the national Do-Not-Call register",
    )
    phones: list[PhoneText] = Field(min_length=1, max_length=MAX_UPLOAD)


class DoNotCallRemoval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    origin: DoNotCallOrigin = DoNotCallOrigin.TENANT
    phone: PhoneText


class DoNotCallAdded(BaseModel):
    origin: DoNotCallOrigin
    #: Distinct numbers of the upload (two spellings of one number count once).
    numbers: int


class DoNotCallCounts(BaseModel):
    tenant: int = Field(description="numbers on the tenant's own list")
    national: int = Field(description="numbers of the national register the tenant uploaded")


def _numbers(phones: list[str]) -> list[str]:
    """The upload's numbers in E.164, or InvalidInput naming every line (1-based) that is not one;
    never the number itself (no personal data in errors)."""
    numbers: list[str] = []
    invalid: dict[str, str] = {}
    for index, raw in enumerate(phones):
        try:
            numbers.append(normalise_phone(raw))
        except ValueError:
            invalid[f"phones[{index}]"] = f"line {index + 1} is not a valid phone number"
    if invalid:
        raise InvalidInput(
            f"{len(invalid)} of {len(phones)} lines are not valid phone numbers; nothing was added", invalid
        )
    return list(dict.fromkeys(numbers))


def add_numbers(repo: CallCheckPorts, caller: Caller, body: DoNotCallUpload, now: datetime) -> DoNotCallAdded:
    """Put the upload's numbers on the list (a number already there keeps its first date)."""
    numbers = _numbers(body.phones)
    pepper = repo.contact_pepper(caller.tenant_id)
    repo.add_do_not_call(caller.tenant_id, [phone_digest(pepper, n) for n in numbers], body.origin, now)
    return DoNotCallAdded(origin=body.origin, numbers=len(numbers))


def count_numbers(repo: CallCheckPorts, caller: Caller) -> DoNotCallCounts:
    counts = repo.count_do_not_call(caller.tenant_id)
    return DoNotCallCounts(tenant=counts[DoNotCallOrigin.TENANT], national=counts[DoNotCallOrigin.NATIONAL])


def remove_number(repo: CallCheckPorts, caller: Caller, body: DoNotCallRemoval) -> None:
    """Take one number off a list; NotFound if it is not on it."""
    (number,) = _numbers([body.phone])
    digest = phone_digest(repo.contact_pepper(caller.tenant_id), number)
    if not repo.remove_do_not_call(caller.tenant_id, digest, body.origin):
        raise NotFound(f"that number is not on the {body.origin.value} Do-Not-Call list")
