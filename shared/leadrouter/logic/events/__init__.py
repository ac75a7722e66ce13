"""Events: telling the outside world (the bus, webhooks, escalation alerts)."""
