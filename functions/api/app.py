"""API Lambda: API Gateway REST proxy events → the leadrouter resolver.

Cold, the module loads only the resolver; each resource's routes load on their first request. Under
SnapStart the snapshot is taken with every route loaded, and a restored container renews its clients.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter import runtime
from leadrouter.api.app import create_app, reject_oversized
from leadrouter.observability import logger, metrics, tracer
from leadrouter.snapstart import after_restore, before_snapshot

app = create_app(lazy=True)
before_snapshot(app.include_all)
after_restore(runtime.renew_after_restore)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return reject_oversized(event) or app.resolve(event, context)
