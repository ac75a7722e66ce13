"""The HTTP API (API Gateway REST → one Lambda): routers, auth, error mapping."""
