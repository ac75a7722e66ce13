"""The logic's ports and the one repository that serves them.

mypy proves the structural fit (``_served_by_the_repository`` below, and every use case called with
the repository); the tests keep the ports complete: each store method the repository offers belongs
to a port, and each port method is the repository's, parameter for parameter.
"""

from __future__ import annotations

import inspect
from typing import Protocol

import pytest

from leadrouter.data.repository import Repository
from leadrouter.logic import ports

PORTS: dict[str, type] = {
    name: value
    for name, value in vars(ports).items()
    if inspect.isclass(value) and value.__module__ == ports.__name__ and Protocol in value.__mro__
}


def _served_by_the_repository(repo: Repository) -> list[object]:
    """Never called: mypy --strict checks that the repository is each port."""
    lead_reads: ports.LeadReads = repo
    lead_queues: ports.LeadQueues = repo
    workloads: ports.Workloads = repo
    lead_changes: ports.LeadChanges = repo
    lead_history: ports.LeadHistory = repo
    transitions: ports.Transitions = repo
    contacts: ports.Contacts = repo
    scopes: ports.Scopes = repo
    dispatch_checks: ports.DispatchChecks = repo
    rotation: ports.Rotation = repo
    tenants: ports.Tenants = repo
    staff: ports.Staff = repo
    rules: ports.Rules = repo
    active_rules: ports.ActiveRules = repo
    sources: ports.Sources = repo
    source_health: ports.SourceHealthNotes = repo
    pools: ports.Pools = repo
    submissions: ports.Submissions = repo
    limits: ports.Limits = repo
    webhooks: ports.Webhooks = repo
    deliveries: ports.Deliveries = repo
    exports: ports.Exports = repo
    imports: ports.Imports = repo
    contact_peppers: ports.ContactPeppers = repo
    calling_lists: ports.CallingLists = repo
    pepper_copies: ports.PepperCopies = repo
    suppressions: ports.Suppressions = repo
    personal_data: ports.PersonalData = repo
    privacy_requests: ports.PrivacyRequests = repo
    notices: ports.Notices = repo
    consent_changes: ports.ConsentChanges = repo
    audit_trail: ports.AuditTrail = repo
    audit_log: ports.AuditLog = repo
    retention_periods: ports.RetentionPeriods = repo
    return [
        lead_reads, lead_queues, workloads, lead_changes, lead_history, transitions, contacts, scopes,
        dispatch_checks, rotation, tenants, staff, rules, active_rules, sources, source_health, pools,
        submissions, limits, webhooks, deliveries, exports, imports, contact_peppers, calling_lists,
        pepper_copies, suppressions, personal_data, privacy_requests, notices, consent_changes,
        audit_trail, audit_log, retention_periods,
    ]  # fmt: skip


def _methods(cls: type) -> set[str]:
    return {
        name
        for name, value in vars(cls).items()
        if not name.startswith("_") and (inspect.isfunction(value) or isinstance(value, staticmethod))
    }


def test_every_port_is_listed_in_the_static_check() -> None:
    # Given the ports module, Then each of its Protocols is checked against the repository above
    checked = inspect.getsource(_served_by_the_repository)
    assert [name for name in sorted(PORTS) if f"ports.{name} = repo" not in checked] == []
    assert len(PORTS) == 34


def test_every_store_method_of_the_repository_belongs_to_a_port() -> None:
    # Given every public method the fused repository inherits from its stores
    offered = {
        name
        for cls in Repository.__mro__
        if cls.__module__.startswith("leadrouter.data.")
        for name in _methods(cls)
    }
    # Then each one is in some port, so a use case can name it without taking the whole repository
    in_ports = set().union(*(_methods(port) for port in PORTS.values()))
    assert offered - in_ports == set()


def _parameters(function: object) -> list[tuple[str, object, object]]:
    """Name, kind and default of each parameter but ``self`` (types are mypy's to check)."""
    found = inspect.signature(function).parameters.values()  # type: ignore[arg-type]
    return [(p.name, p.kind, p.default) for p in found if p.name != "self"]


@pytest.mark.parametrize("port", sorted(PORTS))
def test_each_port_method_is_the_repositorys_parameter_for_parameter(port: str) -> None:
    for name in sorted(_methods(PORTS[port])):
        # Given the port's method and the repository's, Then their parameters agree one for one
        wanted, served = getattr(PORTS[port], name), getattr(Repository, name)
        assert _parameters(wanted) == _parameters(served), f"{port}.{name}"
