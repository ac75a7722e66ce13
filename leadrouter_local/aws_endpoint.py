"""EventBridge, SQS and S3 on one local HTTP endpoint, built from template.yaml (``make run``, the tests).

The functions' own boto3 calls work unmodified: the stack sets ``AWS_ENDPOINT_URL_SQS`` and
``AWS_ENDPOINT_URL_EVENTBRIDGE`` (boto3's name for EventBridge's; ``AWS_ENDPOINT_URL_EVENTS`` too) to
this endpoint, which serves both services' operations (:mod:`leadrouter_local.aws_operations`) in their
JSON protocol (:mod:`leadrouter_local.wire`). The template's queues, buses and rules are created on the
engines (:mod:`leadrouter_local.sqs`, :mod:`leadrouter_local.eventbridge`) with the names and ARNs its
``!Ref`` and ``!GetAtt`` resolve to, and its SQS event sources poll them
(:mod:`leadrouter_local.sqs_pollers`). Its S3 buckets are served in S3's REST protocol, path style
(:mod:`leadrouter_local.s3_rest` on :mod:`leadrouter_local.s3`): ``AWS_ENDPOINT_URL_S3`` points here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from leadrouter_local.aws_operations import event_operations, sqs_operations
from leadrouter_local.eventbridge import EventBridge, parse_target
from leadrouter_local.s3 import S3
from leadrouter_local.s3_rest import CorsRule, S3Rest, cors_rules
from leadrouter_local.sqs import Sqs
from leadrouter_local.sqs_pollers import Invoke, SqsPoller, sqs_triggers
from leadrouter_local.wire import make_handler


class AwsEmulator:
    """The endpoint, the resources the template declares, and a poller per SQS event source."""

    def __init__(
        self,
        template: dict[str, Any],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = "ap-southeast-1",
        time_scale: float = 1.0,
        log: Callable[[str], None] = print,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``clock`` is S3's time (a presigned upload's or URL's expiry), so a test can step past it."""
        self._server = ThreadingHTTPServer((host, port), BaseHTTPRequestHandler)
        self._server.daemon_threads = True
        self.endpoint = f"http://{host}:{self._server.server_address[1]}"
        self.sqs = Sqs(self.endpoint, region, time_scale=time_scale)
        self.events = EventBridge(self.sqs, region)
        self.s3 = S3(region, clock)
        self._cors: dict[str, list[CorsRule]] = {}
        self._server.RequestHandlerClass = make_handler(
            sqs_operations(self.sqs), event_operations(self.events), rest=S3Rest(self.s3, self._cors).serve
        )
        self._template, self._log = template, log
        self._pollers: SqsPoller | None = None
        self._serving = False
        #: logical id → what ``!Ref`` gives (queue URL, bus name, rule name)
        self.refs: dict[str, str] = {}
        #: (logical id, attribute) → what ``!GetAtt`` gives
        self.attributes: dict[tuple[str, str], str] = {}
        self._create_resources()

    def environment(self) -> dict[str, str]:
        """What points boto3 here. boto3 names the variable after the service id: EventBridge's is
        ``AWS_ENDPOINT_URL_EVENTBRIDGE`` (``..._EVENTS`` is not read by boto3; set for tools that use it).
        ``FILES_BUCKET`` names the template's FilesBucket to every local function, as the template
        names it to those it grants the bucket."""
        found = {
            "AWS_ENDPOINT_URL_SQS": self.endpoint,
            "AWS_ENDPOINT_URL_EVENTBRIDGE": self.endpoint,
            "AWS_ENDPOINT_URL_EVENTS": self.endpoint,
            "AWS_ENDPOINT_URL_S3": self.endpoint,
        }
        if "FilesBucket" in self.refs:
            found["FILES_BUCKET"] = self.refs["FilesBucket"]
        return found

    def _create_resources(self) -> None:
        resources: dict[str, Any] = self._template.get("Resources", {})
        for lid, resource in resources.items():
            if resource.get("Type") == "AWS::S3::Bucket":
                props = resource.get("Properties") or {}
                # S3 names are lower case; the template leaves them to CloudFormation
                name = str(props["BucketName"]) if isinstance(props.get("BucketName"), str) else lid.lower()
                self.refs[lid] = name
                self.attributes[(lid, "Arn")] = self.s3.create_bucket(name)
                self._cors[name] = cors_rules(props)
        queues = {
            lid: r.get("Properties") or {}
            for lid, r in resources.items()
            if r.get("Type") == "AWS::SQS::Queue"
        }
        for lid, props in queues.items():  # first every queue, so redrive policies can name any of them
            name = str(props["QueueName"]) if isinstance(props.get("QueueName"), str) else lid
            attributes = {
                k: props[k]
                for k in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds")
                if k in props
            }
            url = self.sqs.create_queue(name, attributes)
            queue = self.sqs.queue(url)
            self.refs[lid] = url
            self.attributes |= {(lid, "Arn"): queue.arn, (lid, "QueueUrl"): url, (lid, "QueueName"): name}
        for lid, props in queues.items():
            redrive = props.get("RedrivePolicy")
            if redrive:
                policy = {**redrive, "deadLetterTargetArn": self._resolve(redrive["deadLetterTargetArn"])}
                self.sqs.set_queue_attributes(self.refs[lid], {"RedrivePolicy": policy})
        for lid, resource in resources.items():
            if resource.get("Type") == "AWS::Events::EventBus":
                self.refs[lid] = lid
                self.attributes |= {(lid, "Arn"): self.events.create_bus(lid), (lid, "Name"): lid}
        for lid, resource in resources.items():
            if resource.get("Type") != "AWS::Events::Rule":
                continue
            props = resource.get("Properties") or {}
            if "EventPattern" not in props:
                continue  # a scheduled rule: EventBridge Scheduler's part, emulated by the runner
            bus = self._resolve(props.get("EventBusName")) if props.get("EventBusName") else None
            arn = self.events.put_rule(
                lid, bus, props["EventPattern"], props.get("State", "ENABLED") == "ENABLED"
            )
            self.refs[lid] = lid
            self.attributes[(lid, "Arn")] = arn
            targets = [
                parse_target(
                    {
                        **t,
                        "Arn": self._resolve(t["Arn"]),
                        "DeadLetterConfig": {"Arn": self._resolve(t["DeadLetterConfig"]["Arn"])}
                        if t.get("DeadLetterConfig")
                        else None,
                    }
                )
                for t in props.get("Targets") or []
            ]
            self.events.put_targets(lid, bus, targets)

    def _resolve(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "Ref" in value and value["Ref"] in self.refs:
            return self.refs[value["Ref"]]
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            key = (str(value["Fn::GetAtt"][0]), str(value["Fn::GetAtt"][1]))
            if key in self.attributes:
                return self.attributes[key]
        raise ValueError(f"cannot resolve {value!r} locally (a queue, bus or rule of the template?)")

    def start(self, invoke: Invoke | None = None) -> None:
        """Serve the endpoint; with ``invoke``, also poll each SQS event source and invoke its function."""
        threading.Thread(target=self._server.serve_forever, name="aws-emulator", daemon=True).start()
        self._serving = True
        if invoke is not None:
            self._pollers = SqsPoller(sqs_triggers(self._template), self.sqs, self.refs, invoke, self._log)
            self._pollers.start()

    def stop(self) -> None:
        if self._pollers is not None:
            self._pollers.stop()
        if self._serving:  # shutdown() waits for serve_forever, which never ran otherwise
            self._server.shutdown()
        self._server.server_close()
        self.s3.close()
