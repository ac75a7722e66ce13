"""Operator command: apply again every erasure made after a point-in-time restore of the tables.

A restore of the leads, config, events or submissions tables brings back the people erased after the
restore point; their receipts, in FilesBucket under ``erasures/`` (never restored with the tables),
say what to erase again. Run it once the restored tables are in service, with the restore point::

    LEADS_TABLE=… CONFIG_TABLE=… EVENTS_TABLE=… SUBMISSIONS_TABLE=… FILES_BUCKET=… \\
    SECRETS_KEY_ID=<SecretsKey ARN> python -m leadrouter.replay_erasures --since 2026-12-01T03:00:00Z

The operator needs what the API's erasure needs (Query, UpdateItem, PutItem, DeleteItem and
BatchGetItem on those tables; GetObject, PutObject, DeleteObject and ListBucket on the bucket;
kms:Decrypt and kms:Encrypt for the purpose ``contact_pepper``). Every step is idempotent: running it
twice, or with an earlier ``--since``, erases nothing more than the receipts say. It prints counts only.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from leadrouter.clock import utc_now
from leadrouter.domain.secrets import NO_SECRETS
from leadrouter.logic.privacy.replay import replay_erasures
from leadrouter.runtime import files, new_repository, secret_box


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give the time with its offset, e.g. 2026-12-01T03:00:00Z")
    return moment.astimezone(UTC)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--since", type=_moment, required=True, help="the restore point (ISO 8601, with offset)"
    )
    arguments = parser.parse_args(argv)
    if secret_box() is NO_SECRETS:
        raise SystemExit("error: set SECRETS_KEY_ID to the stack's SecretsKey ARN")
    done = replay_erasures(new_repository(), files(), arguments.since, utc_now())
    print(
        f"replayed {done.receipts} erasure(s) since {arguments.since.isoformat()}; {done.found} found again"
    )
    for store, counts in sorted(done.counts.items()):
        print(f"  {store}: " + ", ".join(f"{name} {n}" for name, n in sorted(counts.items())))


if __name__ == "__main__":
    main()
