"""Privacy: what leadrouter gives a tenant, its controller, to comply with Vietnam's personal data law."""
