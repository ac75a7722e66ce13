"""Dev-only tooling that emulates the AWS side locally (DynamoDB Local, tables from template.yaml).

Never deployed: nothing here is part of the Lambda code or the layer.
"""
