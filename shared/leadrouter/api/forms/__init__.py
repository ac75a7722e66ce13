"""The form door's HTTP layer: browser bodies decoded, browsers answered (pure code, no DynamoDB)."""
