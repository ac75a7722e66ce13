"""Pure domain logic: no AWS, no I/O, so it can be reasoned about and property-tested in isolation."""
