"""docs/webhooks.md's verification snippets verify what leadrouter signs and refuse what it does not."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from leadrouter.signing import sign

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
SECRET = "whsec_docs_example"
BODY = '{"id":"L1-1","type":"LeadAssigned","data":{"pool":"Tết 2027"}}'.encode()


def _block(language: str) -> str:
    [code] = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    return str(code)


def _cases() -> list[tuple[str, str, bytes, bool]]:
    """(secret, header, body, should verify)."""
    now = int(time.time())
    fresh = sign(SECRET, now, BODY)
    return [
        (SECRET, fresh, BODY, True),
        ("whsec_other", fresh, BODY, False),
        (SECRET, fresh, BODY.replace(b"L1-1", b"L2-1"), False),
        (SECRET, sign(SECRET, now - 400, BODY), BODY, False),
        ("whsec_old", sign(["whsec_new", "whsec_old"], now, BODY), BODY, True),
        (SECRET, "t=abc,v1=00", BODY, False),
    ]


def test_the_python_snippet_verifies_leadrouters_signatures():
    # Given the documented function
    scope: dict[str, Any] = {}
    exec(compile(_block("python"), str(DOC), "exec"), scope)  # our own documentation's code
    verify = scope["verify_leadrouter"]

    # Then it accepts genuine deliveries (also during a rotation) and refuses the rest
    assert [verify(secret, header, body) for secret, header, body, _ in _cases()] == [
        ok for *_, ok in _cases()
    ]


def test_the_node_snippet_verifies_leadrouters_signatures(tmp_path: Path):
    # Given the documented module and node (the suite needs it for DynamoDB Local's npm package)
    node = shutil.which("node")
    assert node, "node is needed (npm ci installs DynamoDB Local)"
    (tmp_path / "verify.js").write_text(_block("javascript"), encoding="utf-8")
    cases = [[s, h, b.decode(), ok] for s, h, b, ok in _cases()]
    script = (
        "const { verifyLeadrouter } = require('./verify.js');"
        f"const cases = {json.dumps(cases)};"
        "const results = cases.map(([s, h, b]) => verifyLeadrouter(s, h, Buffer.from(b, 'utf8')));"
        "console.log(JSON.stringify(results));"
    )

    # When node runs each case
    result = subprocess.run([node, "-e", script], cwd=tmp_path, capture_output=True, text=True, check=True)

    # Then it agrees with the signer
    assert json.loads(result.stdout) == [ok for *_, ok in cases]
