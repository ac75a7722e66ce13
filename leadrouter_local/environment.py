"""The functions' environment on the local stack: the template's variables with their ``!Ref`` and
``!GetAtt`` resolved to the local tables, queues and buses, and the settings only the local stack has.
"""

from __future__ import annotations

from typing import Any

from leadrouter_local.template import functions, table_env

#: Settings only the local stack has, over the template's values: webhooks may point at a receiver on
#: this machine (the template declares the variable empty, so it can never be on in AWS).
LOCAL_ONLY = {"WEBHOOKS_ALLOW_LOCAL": "1"}


#: The process settings every local function shares: fake credentials (DynamoDB Local and the emulators
#: accept any), the region, and Powertools with tracing and metrics off (there is no X-Ray or CloudWatch
#: here; read before the first import of Powertools Metrics).
LOCAL_PROCESS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "ap-southeast-1",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_SERVICE_NAME": "leadrouter",
    "POWERTOOLS_METRICS_NAMESPACE": "LeadRouterLocal",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def resolve_environment(
    template: dict[str, Any],
    tables: dict[str, str],
    refs: dict[str, str] | None = None,
    attributes: dict[tuple[str, str], str] | None = None,
    endpoint: str | None = None,
) -> dict[str, str]:
    """Every function's environment with Refs resolved: tables by name, parameters by default, and the
    emulated queues and buses by ``refs`` (``!Ref``) and ``attributes`` (``!GetAtt``).

    ``endpoint`` is DynamoDB Local's: it replaces the template's ``AWS_ENDPOINT_URL_DYNAMODB`` (empty by
    default, which means AWS's own endpoint).
    """
    params = {k: v.get("Default") for k, v in (template.get("Parameters") or {}).items()}
    env: dict[str, str] = {}
    for fn in functions(template).values():
        for key, value in fn["environment"].items():
            if isinstance(value, dict) and "Ref" in value:
                ref = value["Ref"]
                value = tables.get(ref, (refs or {}).get(ref, params.get(ref)))
            elif isinstance(value, dict) and "Fn::GetAtt" in value:
                name, attribute = value["Fn::GetAtt"][:2]
                value = (attributes or {}).get((str(name), str(attribute)))
            if isinstance(value, str | int | float):
                env[key] = str(value)
    env.update(table_env(tables, template))
    if endpoint is not None:
        env["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    return env
