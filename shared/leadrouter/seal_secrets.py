"""One-off: seal every secret still stored in clear in the config table (written before sealing).

Reading such a secret keeps working without it (``domain.secrets.reveal``), and a form source's CAPTCHA
secret is sealed on its next save; a webhook is never saved again, so its signing secret stays in clear
until this runs. Run it once per stack after deploying, as an operator (it Scans the config table, which
no function's role may do), with the stack's table and key::

    CONFIG_TABLE=… LEADS_TABLE=… SECRETS_KEY_ID=<SecretsKey ARN> python -m leadrouter.seal_secrets

The operator needs ``dynamodb:Scan`` and ``dynamodb:UpdateItem`` on the config table and ``kms:Encrypt``
on the key. Each value is replaced only if it is still the clear value read (an admin's save meanwhile
has sealed it already), so running it twice, or while the service runs, is safe. It prints counts only.
"""

from __future__ import annotations

import argparse

from leadrouter.data.secrets import ClearSecretsStore
from leadrouter.domain.secrets import NO_SECRETS
from leadrouter.runtime import dynamodb_client, secret_box
from leadrouter.settings import Settings


def seal_clear_secrets(store: ClearSecretsStore) -> tuple[int, int]:
    """(sealed, skipped because saved meanwhile)."""
    box = secret_box()
    if box is NO_SECRETS:
        raise SystemExit("error: set SECRETS_KEY_ID to the stack's SecretsKey ARN")
    sealed = skipped = 0
    for found in store.clear_secrets():
        if store.replace_clear_secret(found, box.seal(found.clear, found.context)):
            sealed += 1
        else:
            skipped += 1
    return sealed, skipped


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    sealed, skipped = seal_clear_secrets(ClearSecretsStore(Settings.from_env(), dynamodb_client()))
    print(f"sealed {sealed} secret(s); {skipped} changed meanwhile (already sealed by a save)")


if __name__ == "__main__":
    main()
