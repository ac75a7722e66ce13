"""The one way into DynamoDB."""
