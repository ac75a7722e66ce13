"""Intake: every source's door, the stored-first pipeline, and the rules a new lead must pass."""
