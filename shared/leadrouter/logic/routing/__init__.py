"""Routing: the scheduled and arrival sweeps that assign, reclaim and escalate leads."""
