"""Erasing a person (``logic.privacy.erasure``) on moto tables and an in-memory files store: every
registered store loses them, the rotation's history stays, the receipt names no one, the suppression
list refuses them to imports until they submit again, and a replay after a restore erases them again.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest

from leadrouter.clock import utc_now
from leadrouter.data import expiry
from leadrouter.data.items import from_item, to_item
from leadrouter.data.repository import Repository
from leadrouter.domain.attribution import Touch
from leadrouter.domain.erasure import ERASED, Person
from leadrouter.domain.errors import Conflict
from leadrouter.domain.forms import FormSource
from leadrouter.domain.leads import LeadStatus
from leadrouter.domain.privacy import contact_digest
from leadrouter.domain.submissions import Submission
from leadrouter.domain.users import Caller
from leadrouter.logic.intake.new_leads import IntakeRequest, submit_lead
from leadrouter.logic.leads.care import add_activity
from leadrouter.logic.privacy import receipts
from leadrouter.logic.privacy.erasure import erase_person
from leadrouter.logic.privacy.replay import replay_erasures
from leadrouter.logic.privacy.suppression import still_suppressed
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.runtime import new_repository
from tests.support.builders import NOW, TENANT, rule, seed
from tests.support.files import MemoryFiles
from tests.support.ticks import run_sweeps

PHONE, EMAIL = "+84912345678", "an.nguyen@example.com"
SOURCE = FormSource(tenant_id=TENANT, source_id="web", name="Web", pool="web")
SALES = Caller(tenant_id=TENANT, role="admin", subject="u-a", staff_id="A")
LATER = NOW + timedelta(hours=2)


def _submit(repo: Repository, name: str, phone: str | None, email: str | None, at: object = NOW) -> str:
    request = IntakeRequest.model_validate(
        {"name": name, "phone": phone, "email": email, "fields": {"ghi_chu": "x"}}
    )
    return submit_lead(repo, SOURCE, request, at).lead_id  # type: ignore[arg-type]


def _stored_submission(
    repo: Repository, lead_id: str, fields: list[tuple[str, str]], key: str, referer: str
) -> None:
    record = Submission(
        tenant_id=TENANT,
        submission_id=f"web.K.{key}",
        source_id="web",
        received_at=NOW,
        lead_id=lead_id,
        payload_hash="0" * 64,
        channel="form",
        fields=fields,
        headers={"user-agent": "Mozilla", "referer": referer},
        client_ip="203.0.113.9",
        expires_at=int((NOW + timedelta(days=30)).timestamp()),
    )
    assert repo.store_submission(record) is None


@pytest.fixture
def world(moto_repo: Repository) -> tuple[Repository, MemoryFiles, str, str]:
    """Given a tenant whose rotation assigned the person's lead and another person's, a note, stored
    submissions, an import's files and an export holding both people."""
    seed(moto_repo, rule(weights={"A": 1, "B": 1}))
    moto_repo.put_form_source(SOURCE, "0" * 64)
    mine = _submit(moto_repo, "Nguyễn Văn An", "0912 345 678", EMAIL)
    other = _submit(moto_repo, "Trần Thị Bình", "0987654321", "binh@example.com", NOW + timedelta(seconds=1))
    run_sweeps(moto_repo, "assign", sweep_due_leads, NOW + timedelta(minutes=1), timedelta(minutes=3))
    owner = moto_repo.get_lead(TENANT, mine)
    assert owner is not None and owner.owner
    caller = SALES.model_copy(update={"staff_id": owner.owner})
    add_activity(moto_repo, caller, mine, "note", "Gọi lại 0912.345.678 sau 5h", NOW + timedelta(minutes=5))
    _stored_submission(
        moto_repo,
        mine,
        [("name", "Nguyễn Văn An"), ("phone", "0912345678")],
        "a",
        "https://acme.vn/?sdt=0912345678",
    )
    _stored_submission(
        moto_repo, other, [("name", "Trần Thị Bình"), ("phone", "0987654321")], "b", "https://acme.vn/"
    )
    files = MemoryFiles()
    both = "Họ tên,SĐT\nNguyễn Văn An,912345678\nTrần Thị Bình,987654321\n".encode()
    files.objects[f"imports/{TENANT}/I1/upload.csv"] = both
    files.objects[f"imports/{TENANT}/I1/chunks/0.jsonl"] = b'{"row": 2, "cells": ["An", 912345678]}\n'
    files.objects[f"imports/{TENANT}/I2/upload.csv"] = "Họ tên,SĐT\nTrần Thị Bình,987654321\n".encode()
    files.objects[f"exports/{TENANT}/E1/leads.csv"] = (
        f"name,phone,email\nAn,{PHONE},{EMAIL.upper()}\n".encode()
    )
    files.objects[f"exports/{TENANT}/E2/leads.csv"] = b"name,phone\nBinh,+84987654321\n"
    return moto_repo, files, mine, other


def test_the_pepper_is_made_once_sealed_and_the_same_for_every_container(moto_repo: Repository) -> None:
    # Given two containers that have never digested a contact of the tenant
    first, second = moto_repo, new_repository()
    # When both ask for the pepper, the second having missed the first's write when it looked
    pepper = first.contact_pepper(TENANT)
    second.sealed_pepper = lambda tenant_id: None  # type: ignore[method-assign]
    # Then its conditional put loses and it opens the one stored: the same 32 bytes
    assert second.contact_pepper(TENANT) == pepper and len(pepper) == 32
    stored = new_repository().sealed_pepper(TENANT)
    assert stored is not None and stored.startswith("sealed:kms:") and pepper.hex() not in stored
    assert new_repository().contact_pepper("globex") != pepper  # each tenant its own


def test_a_reader_finds_no_pepper_until_one_is_made_and_never_makes_one(moto_repo: Repository) -> None:
    # Given a tenant that never listed, logged or erased a number: a sweep asks without making one
    assert moto_repo.existing_pepper(TENANT) is None and moto_repo.sealed_pepper(TENANT) is None
    # When the API makes it (a Do-Not-Call upload, a logged call, an erasure)
    made = new_repository().contact_pepper(TENANT)
    # Then a reader in another container opens the same one
    assert new_repository().existing_pepper(TENANT) == made


def test_an_erasure_removes_the_person_from_every_store_and_keeps_the_history_pseudonymous(
    world: tuple[Repository, MemoryFiles, str, str],
) -> None:
    repo, files, mine, other = world
    before = {lead.lead_id: lead for lead in repo.tenant_leads(TENANT)}
    # When the person is erased by phone and e-mail
    receipt = erase_person(
        repo, files, TENANT, phone="0912345678", email=EMAIL.upper(), request_id="R1", by="u-admin", now=LATER
    )
    # Then their lead keeps its id, status, owner and decisions, without them
    after = repo.get_lead(TENANT, mine)
    assert after is not None
    assert (after.name, after.phone, after.email, after.attributes) == (ERASED, None, None, {})
    kept = ("status", "owner", "assignees", "decisions", "received_at", "assigned_at", "rule_id")
    assert {k: getattr(after, k) for k in kept} == {k: getattr(before[mine], k) for k in kept}
    assert after.status is LeadStatus.ASSIGNED
    # …the other person's lead is untouched, and so is the rotation's counter
    assert repo.get_lead(TENANT, other) == before[other]
    # …their history's text is gone, its line kept
    [note] = [e for e in repo.lead_events(TENANT, mine) if e.kind == "note"]
    assert note.text == ERASED
    # …their claims are gone, the other's stay
    assert repo.contact_claims(TENANT, Person(PHONE, EMAIL).contacts) == {}
    assert repo.contact_holder(TENANT, "phone#+84987654321") == other
    # …their submission keeps its record without body, headers or IP; the other's is whole
    mine_record = repo.get_submission(TENANT, "web.K.a")
    other_record = repo.get_submission(TENANT, "web.K.b")
    assert mine_record is not None and other_record is not None
    assert (mine_record.fields, mine_record.headers, mine_record.client_ip) == ([], {}, None)
    assert mine_record.lead_id == mine and other_record.fields and other_record.client_ip
    # …every file of the import holding them is deleted, and the export holding them; the rest stay
    kept_files = sorted(k for k in files.objects if not k.startswith("erasures/"))
    assert kept_files == [f"exports/{TENANT}/E2/leads.csv", f"imports/{TENANT}/I2/upload.csv"]
    # …and the receipt, stored where a restore of the tables does not reach, names no one
    pepper = repo.contact_pepper(TENANT)
    digests = [contact_digest(pepper, f"phone#{PHONE}"), contact_digest(pepper, f"email#{EMAIL}")]
    assert receipt.digests == digests
    assert receipt.counts["LeadsTable"] == {"leads": 1}
    assert receipt.counts["EventsTable"] == {"history_lines": 1}
    assert receipt.counts["ConfigTable"] == {"claims": 2, "import_previews": 0, "suppressions": 2}
    assert receipt.counts["SubmissionsTable"] == {"submissions": 1}
    assert receipt.counts["FilesBucket"] == {"import_files": 2, "export_files": 1}
    stored = files.objects[receipts.receipt_key(receipt)]
    assert json.loads(stored)["request_id"] == "R1"
    for text in ("912345678", "an.nguyen", "Nguyễn Văn An"):
        assert text not in stored.decode()
    assert files.objects[receipts.pepper_key(TENANT)].startswith(b"sealed:kms:")


def test_an_erasure_by_email_alone_finds_a_lead_that_holds_no_claim(moto_repo: Repository) -> None:
    # Given a deleted lead of the person (its claims released) still carrying their e-mail
    seed(moto_repo, rule(weights={"A": 1}))
    moto_repo.put_form_source(SOURCE, "0" * 64)
    lead_id = _submit(moto_repo, "An", None, EMAIL)
    lead = moto_repo.get_lead(TENANT, lead_id)
    assert lead is not None
    moto_repo.save_lead(
        lead, lead.model_copy(update={"status": LeadStatus.DELETED}), release=[f"email#{EMAIL}"]
    )
    # When the person is erased by e-mail
    receipt = erase_person(moto_repo, MemoryFiles(), TENANT, email=EMAIL, request_id="R2", by="u", now=LATER)
    # Then the lead is found by what it carries and erased
    erased = moto_repo.get_lead(TENANT, lead_id)
    assert erased is not None and erased.email is None and receipt.counts["LeadsTable"] == {"leads": 1}


def test_a_pending_lead_of_the_person_is_taken_out_of_the_rotation(moto_repo: Repository) -> None:
    seed(moto_repo, rule(weights={"A": 1}))
    moto_repo.put_form_source(SOURCE, "0" * 64)
    lead_id = _submit(moto_repo, "An", PHONE, None)
    erase_person(moto_repo, MemoryFiles(), TENANT, phone=PHONE, request_id="R3", by="u", now=LATER)
    erased = moto_repo.get_lead(TENANT, lead_id)
    assert erased is not None and erased.status is LeadStatus.DELETED and erased.deleted_at == LATER
    assert moto_repo.due_leads(TENANT, rule().scope.key, LATER + timedelta(days=1), 10)[0] == []


def _stamp(repo: Repository, lead_id: str) -> object:
    item = repo._client.get_item(
        TableName=repo._leads, Key=to_item({"tenant_id": TENANT, "lead_id": lead_id})
    )
    return from_item(item["Item"]).get(expiry.EXPIRES_ATTR)


def test_an_erased_lead_keeps_the_end_of_its_period(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the person's two leads written 700 days ago (kept 730 days: a month left), one assigned
    seed(moto_repo, rule(weights={"A": 1}))
    moto_repo.put_form_source(SOURCE, "0" * 64)
    monkeypatch.setattr(expiry, "stamp_now", lambda: utc_now() - timedelta(days=700))
    assigned = _submit(moto_repo, "An", PHONE, None)
    run_sweeps(moto_repo, "assign", sweep_due_leads, NOW + timedelta(minutes=1), timedelta(minutes=3))
    pending = _submit(moto_repo, "An", None, EMAIL, NOW + timedelta(minutes=2))
    stamps = {lead_id: _stamp(moto_repo, lead_id) for lead_id in (assigned, pending)}
    assert all(isinstance(stamp, int) for stamp in stamps.values())
    monkeypatch.setattr(expiry, "stamp_now", lambda: utc_now() - timedelta(days=60))  # kept 90 days
    _stored_submission(moto_repo, assigned, [("sdt", PHONE)], "old", "https://example.vn/")
    submitted = moto_repo.get_submission(TENANT, "web.K.old")
    assert submitted is not None
    # When the person is erased today
    monkeypatch.setattr(expiry, "stamp_now", utc_now)
    receipt = erase_person(
        moto_repo, MemoryFiles(), TENANT, phone=PHONE, email=EMAIL, request_id="R4", by="u", now=LATER
    )
    # Then both leads are pseudonymised, and still end when they would have: an erasure is nobody's use
    assert receipt.counts["LeadsTable"] == {"leads": 2}
    assert {lead_id: _stamp(moto_repo, lead_id) for lead_id in stamps} == stamps
    # …as their stored submission does (its body gone, its record kept to its own end)
    erased = moto_repo.get_submission(TENANT, "web.K.old")
    assert erased is not None and erased.fields == [] and erased.expires_at == submitted.expires_at


def test_a_save_keeping_the_stamp_refuses_a_lead_changed_since_it_was_read(moto_repo: Repository) -> None:
    # Given a lead read, then renewed by the customer's return (a touch: a new revision, a new stamp)
    moto_repo.put_form_source(SOURCE, "0" * 64)
    lead_id = _submit(moto_repo, "An", PHONE, None)
    read = moto_repo.get_lead(TENANT, lead_id)
    assert read is not None
    moto_repo.record_touch(TENANT, lead_id, Touch(at=LATER, utm_source="zalo"))
    # Then a save keeping the stamp it read is refused (the erasure reads the lead again and retries)
    with pytest.raises(Conflict):
        moto_repo.save_lead(read, read.model_copy(update={"name": ERASED}), renew=False)


def test_an_erased_contact_stays_suppressed_until_the_person_submits_again(
    world: tuple[Repository, MemoryFiles, str, str],
) -> None:
    repo, files, _, _ = world
    contacts = Person(PHONE, EMAIL).contacts
    erase_person(repo, files, TENANT, phone=PHONE, email=EMAIL, request_id="R1", by="u", now=LATER)
    # Then an import asking for their contacts is told they are suppressed; another contact is not
    assert still_suppressed(repo, TENANT, [*contacts, "phone#+84987654321"]) == set(contacts)
    # When the person fills in the form again (their own submission)
    _submit(repo, "Nguyễn Văn An", PHONE, None, LATER + timedelta(days=1))
    # Then their phone is let in again (lifted, and gone from the list); their e-mail stays refused
    assert still_suppressed(repo, TENANT, contacts) == {f"email#{EMAIL}"}
    pepper = repo.contact_pepper(TENANT)
    assert list(repo.suppressed(TENANT, [contact_digest(pepper, f"phone#{PHONE}")])) == []


def test_a_tenant_that_never_erased_anyone_is_never_asked_for_a_pepper(moto_repo: Repository) -> None:
    assert still_suppressed(moto_repo, TENANT, [f"phone#{PHONE}"]) == set()
    assert moto_repo.sealed_pepper(TENANT) is None


def test_a_replay_after_a_restore_erases_the_person_again(
    world: tuple[Repository, MemoryFiles, str, str],
) -> None:
    repo, files, mine, _ = world
    restored = repo.get_lead(TENANT, mine)
    receipt = erase_person(repo, files, TENANT, phone=PHONE, email=EMAIL, request_id="R1", by="u", now=LATER)
    # Given the tables restored to before the erasure: the lead, its claims, no suppression, no pepper
    assert restored is not None
    repo.save_lead(repo.get_lead(TENANT, mine), restored, claim=Person(PHONE, EMAIL).contacts)  # type: ignore[arg-type]
    repo.lift_suppressions(TENANT, receipt.digests)
    repo._client.delete_item(  # the pepper was made by this erasure
        TableName=repo._config, Key={"pk": {"S": f"TENANT#{TENANT}"}, "sk": {"S": "PEPPER"}}
    )
    # When the operator replays the erasures since the restore point, in a fresh process
    done = replay_erasures(new_repository(), files, NOW, LATER + timedelta(hours=1))
    # Then the person is erased again, found from the receipt's digests alone
    assert (done.receipts, done.found) == (1, 1)
    again = repo.get_lead(TENANT, mine)
    assert again is not None and again.phone is None and again.name == ERASED
    assert repo.contact_claims(TENANT, Person(PHONE, EMAIL).contacts) == {}
    assert set(repo.suppressed(TENANT, receipt.digests)) == set(receipt.digests)
    replayed = json.loads(files.objects[receipts.receipt_key(receipt)])
    assert len(replayed["replayed_at"]) == 1
    # …and a second replay finds nothing more to do
    assert replay_erasures(new_repository(), files, NOW, LATER + timedelta(hours=2)).found == 0


def test_the_matcher_finds_a_phone_in_its_usual_shapes_and_an_email_in_any_case() -> None:
    person = Person.named("0912 345 678", "An.Nguyen@Example.com")
    for text in ("+84912345678", "0912345678", "0912 345 678", "0912.345.678", "84-912-345-678", "912345678"):
        assert person.in_text(f"gọi {text} nhé"), text
    assert person.in_text("AN.NGUYEN@EXAMPLE.COM")
    for text in ("0912345679", "10912345678", "09123456781", "binh@example.com"):
        assert not person.in_text(text), text
    assert person.in_file(io.BytesIO(b"x" * (5 * 1024 * 1024 - 3) + b"0912345678"))  # across a block's edge
