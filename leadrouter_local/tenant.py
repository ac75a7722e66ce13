"""The operator's command: a new tenant and its first admin, in one step (``make tenant``).

    python -m leadrouter_local.tenant create --tenant-id an-phat --name "Công ty An Phát" \\
        --time-zone Asia/Ho_Chi_Minh --admin-email lan@anphat.vn [--stack leadrouter-dev]

Runs the use case ``POST /operator/tenants`` runs (``logic.admin.tenants.create_tenant``) with the caller's
own AWS credentials, against the tables and user pool named by ``CONFIG_TABLE``, ``LEADS_TABLE`` and
``USER_POOL_ID``, or by the outputs of ``--stack`` (its CloudFormation stack). Pointed at ``make run``'s
stack by those variables and ``AWS_ENDPOINT_URL_*``, it creates a local tenant. Exit status: 0 created,
1 refused (the tenant or the e-mail exists; nothing written), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

#: Environment variable ← the stack output that names it (template.yaml's Outputs).
STACK_OUTPUTS = {
    "LEADS_TABLE": "LeadsTableName",
    "CONFIG_TABLE": "ConfigTableName",
    "USER_POOL_ID": "UserPoolId",
}
_SHARED_DIR = Path(__file__).resolve().parent.parent / "shared"


def _from_stack(stack: str) -> None:
    """Fill the variables the runtime reads from the stack's outputs (those already set win)."""
    import boto3

    described = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    for variable, output in STACK_OUTPUTS.items():
        if output in outputs:
            os.environ.setdefault(variable, outputs[output])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m leadrouter_local.tenant", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a tenant and invite its first admin")
    create.add_argument("--tenant-id", required=True, help="the tenant's id in every token (never changes)")
    create.add_argument("--name", required=True, help="the tenant's name, shown in the console")
    create.add_argument(
        "--time-zone", default="Asia/Ho_Chi_Minh", help="IANA time zone (default: %(default)s)"
    )
    create.add_argument(
        "--admin-email", required=True, help="the first admin; Cognito e-mails the invitation"
    )
    create.add_argument("--admin-name", default=None, help="the admin's name (optional)")
    create.add_argument("--stack", default=None, help="read table names and the user pool from this stack")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if str(_SHARED_DIR) not in sys.path:
        sys.path.insert(0, str(_SHARED_DIR))
    from leadrouter.domain.errors import Conflict, Unavailable
    from leadrouter.logic.admin.tenants import NewTenant, create_tenant
    from leadrouter.runtime import identity, repository

    try:
        request = NewTenant(
            tenant_id=args.tenant_id,
            name=args.name,
            time_zone=args.time_zone,
            admin_email=args.admin_email,
            admin_name=args.admin_name,
        )
    except ValidationError as error:
        for problem in error.errors():
            print(f"error: {'.'.join(map(str, problem['loc']))}: {problem['msg']}", file=sys.stderr)
        return 2
    if args.stack:
        _from_stack(args.stack)
    try:
        created = create_tenant(repository(), identity(), request)
    except Conflict as error:
        print(f"refused: {error} (nothing was written)", file=sys.stderr)
        return 1
    except (Unavailable, RuntimeError) as error:  # no pool / no tables configured
        print(f"error: {error}; set them, or pass --stack", file=sys.stderr)
        return 2
    print(json.dumps(created.model_dump(mode="json"), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
