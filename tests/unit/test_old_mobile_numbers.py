"""Old 11-digit mobile numbers (before Vietnam's 2018 renumbering) are read as the numbers they became.

A customer list kept since before 2018, or a customer who still types the number they learnt by heart,
writes ``0169 123 4567``: that subscriber is ``039 123 4567`` today. Intake and the import store the new
number (so duplicates are found) and keep what was typed.
"""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadrouter.data.repository import Repository
from leadrouter.domain.contacts import OLD_MOBILE_PREFIXES, normalise_phone, read_phone
from leadrouter.logic.intake.new_leads import IntakeRequest
from tests.support.api import ADMIN, SOURCE_SECRET, add_form_source, call_as
from tests.support.forms import post_form

SECRET = {"X-Source-Secret": SOURCE_SECRET}
SUBSCRIBER = st.text(alphabet="0123456789", min_size=7, max_size=7)


@pytest.mark.parametrize(
    ("typed", "new"),
    [
        ("0169 123 4567", "+84391234567"),  # Viettel
        ("0162.123.4567", "+84321234567"),
        ("0120-123-4567", "+84701234567"),  # MobiFone
        ("0121 123 4567", "+84791234567"),
        ("0122 123 4567", "+84771234567"),
        ("0126 123 4567", "+84761234567"),
        ("0128 123 4567", "+84781234567"),
        ("0123 123 4567", "+84831234567"),  # VinaPhone
        ("0124 123 4567", "+84841234567"),
        ("0125 123 4567", "+84851234567"),
        ("0127 123 4567", "+84811234567"),
        ("0129 123 4567", "+84821234567"),
        ("0186 123 4567", "+84561234567"),  # Vietnamobile
        ("0188 123 4567", "+84581234567"),
        ("0199 123 4567", "+84591234567"),  # Gmobile
    ],
)
def test_the_published_table_converts_each_network(typed: str, new: str) -> None:
    # Given an old number as the operators' 2018 notices show it; When read; Then it is the new number
    assert read_phone(typed).e164 == new


@pytest.mark.parametrize(
    "typed", ["0169 123 4567", "01691234567", "+84 169 123 4567", "841691234567", " (0169) 1234567 "]
)
def test_an_old_number_written_any_way_becomes_the_new_number_and_says_so(typed: str) -> None:
    reading = read_phone(typed)
    assert reading.e164 == "+84391234567"
    assert reading.converted is True
    assert reading.as_typed == typed.strip()
    assert normalise_phone(typed) == "+84391234567"  # intake's and the edits' reading


def test_a_national_old_number_is_vietnamese_only_when_read_as_vietnamese() -> None:
    # "0169…" read for another country is not a Vietnamese old mobile number (no conversion)
    with pytest.raises(ValueError, match="not a valid phone number"):
        read_phone("01691234567", region="US")
    assert read_phone("+84 169 123 4567", region="US").e164 == "+84391234567"


@pytest.mark.parametrize(
    "typed", ["01011234567", "01301234567", "0161 123 4567", "0189 123 4567", "0169 123 456"]
)
def test_numbers_that_were_never_mobile_prefixes_are_refused_as_before(typed: str) -> None:
    with pytest.raises(ValueError, match="not a valid phone number"):
        read_phone(typed)


def test_the_error_messages_are_unchanged() -> None:
    with pytest.raises(ValueError, match=r"^not a phone number$"):
        read_phone("call me")
    with pytest.raises(ValueError, match=r"^not a valid phone number \(Vietnamese numbers"):
        normalise_phone("123")


@given(old=st.sampled_from(sorted(OLD_MOBILE_PREFIXES)), subscriber=SUBSCRIBER, form=st.integers(0, 3))
def test_every_old_prefix_with_any_seven_digits_is_a_valid_new_mobile_number(
    old: str, subscriber: str, form: int
) -> None:
    # Given an old number in one of the ways people write it
    typed = [
        f"0{old}{subscriber}",
        f"0{old} {subscriber[:3]} {subscriber[3:]}",
        f"+84{old}{subscriber}",
        f"84{old}{subscriber}",
    ][form]
    # When read
    reading = read_phone(typed)
    # Then it is the mapped prefix with the same 7 digits, a valid Vietnamese mobile number
    assert reading.e164 == f"+84{OLD_MOBILE_PREFIXES[old]}{subscriber}"
    assert reading.converted and reading.as_typed == typed
    number = phonenumbers.parse(reading.e164)
    assert phonenumbers.is_valid_number(number)
    assert phonenumbers.region_code_for_number(number) == "VN"
    assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE


@given(
    prefix=st.sampled_from(["32", "39", "56", "59", "70", "79", "81", "85", "86", "90", "91", "98"]),
    subscriber=SUBSCRIBER,
)
def test_a_new_number_is_unchanged_and_not_converted(prefix: str, subscriber: str) -> None:
    reading = read_phone(f"0{prefix}{subscriber}")
    assert reading.e164 == f"+84{prefix}{subscriber}"
    assert reading.converted is False


def test_the_intake_request_keeps_what_was_typed_only_when_converted() -> None:
    old = IntakeRequest.model_validate({"name": "An", "phone": " 0169 123 4567 "})
    assert old.phone == "+84391234567" and old.phone_as_typed == "0169 123 4567"
    new = IntakeRequest.model_validate({"name": "An", "phone": "039 123 4567"})
    assert new.phone == "+84391234567" and new.phone_as_typed is None
    assert IntakeRequest.model_validate({"name": "An", "email": "an@example.com"}).phone_as_typed is None


# ------------------------------------------------------------------ through the form door
def test_a_form_posting_an_old_number_makes_a_lead_with_the_new_number_and_keeps_what_was_typed(
    moto_repo: Repository,
) -> None:
    # Given a form source
    add_form_source(moto_repo)
    # When a customer types their old Viettel number
    reply = post_form([("name", "Trần Văn Bình"), ("phone", "0169 123 4567")], headers=SECRET)
    assert reply.status == 201, reply.body
    # Then the lead has the new number, and what was typed is stored and shown
    lead = moto_repo.get_lead("acme", reply.body["lead_id"])
    assert lead is not None
    assert lead.phone == "+84391234567" and lead.phone_as_typed == "0169 123 4567"
    shown = call_as("GET", f"/leads/{lead.lead_id}", who=ADMIN)
    assert shown.status == 200, shown.body
    assert shown.body["lead"]["phone"] == "+84391234567"
    assert shown.body["lead"]["phone_as_typed"] == "0169 123 4567"
    # And the same customer typing the new number is the same lead (its claim is the new number)
    again = post_form([("name", "Trần Văn Bình"), ("phone", "039 123 4567")], headers=SECRET)
    assert again.status in (200, 201) and again.body["lead_id"] == lead.lead_id


def test_a_form_posting_a_new_number_keeps_nothing_else(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    reply = post_form([("name", "An"), ("phone", "0912 345 678")], headers=SECRET)
    assert reply.status == 201, reply.body
    lead = moto_repo.get_lead("acme", reply.body["lead_id"])
    assert lead is not None and lead.phone == "+84912345678" and lead.phone_as_typed is None
    assert call_as("GET", f"/leads/{lead.lead_id}").body["lead"].get("phone_as_typed") is None


def test_an_edit_to_an_old_number_stores_the_new_one_and_what_was_typed(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    lead_id = post_form([("name", "An"), ("phone", "0912 345 678")], headers=SECRET).body["lead_id"]
    edited = call_as("PATCH", f"/leads/{lead_id}", {"phone": "0123 456 7890"})
    assert edited.status == 200, edited.body
    assert edited.body["lead"]["phone"] == "+84834567890"
    assert edited.body["lead"]["phone_as_typed"] == "0123 456 7890"
    # and a later edit to a new number leaves nothing typed behind
    edited = call_as("PATCH", f"/leads/{lead_id}", {"phone": "0987 654 321"})
    assert edited.status == 200 and edited.body["lead"].get("phone_as_typed") is None
