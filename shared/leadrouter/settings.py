"""Configuration from the environment (set by template.yaml, or by the local runner)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Settings:
    leads_table: str
    config_table: str
    events_table: str
    submissions_table: str
    lease_seconds: int

    @classmethod
    def from_env(cls) -> Settings:
        missing = [n for n in ("LEADS_TABLE", "CONFIG_TABLE") if not os.environ.get(n)]
        if missing:
            raise RuntimeError(f"missing environment variables: {', '.join(missing)} (set by template.yaml)")
        return cls(
            leads_table=os.environ["LEADS_TABLE"],
            config_table=os.environ["CONFIG_TABLE"],
            events_table=os.environ.get("EVENTS_TABLE", ""),
            submissions_table=os.environ.get("SUBMISSIONS_TABLE", ""),
            lease_seconds=int(os.environ.get("LEASE_SECONDS", "180")),
        )
