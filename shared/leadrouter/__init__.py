"""leadrouter: fair, fast, exactly-once lead distribution (shared code, deployed as a Lambda layer)."""
