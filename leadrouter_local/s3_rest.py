"""S3's REST protocol on the local endpoint, path style (``/<bucket>/<key>``), for what the file store
uses: the browser's form POST of a presigned upload and GET of a presigned URL (with the bucket's CORS
answers, so the console on another local port can post), and boto3's HeadObject, GetObject (streamed),
PutObject, multipart upload (CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
AbortMultipartUpload: ``upload_fileobj``'s large bodies) and DeleteObject.

Answers take S3's shapes (XML errors with ``Code`` and ``Message``, no body on HEAD), so botocore raises
its usual ``ClientError`` codes and a browser sees what it sees on AWS.
"""

from __future__ import annotations

import fnmatch
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from typing import Any, BinaryIO
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import multipart  # type: ignore[import-untyped]

from leadrouter_local.s3 import (
    S3,
    Readable,
    S3Error,
    StoredObject,
    check_post_policy,
    check_presigned_url,
)

_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
#: The query parameters that override a GET's answer headers (signed requests only, as on S3).
RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-disposition": "Content-Disposition",
    "response-content-language": "Content-Language",
    "response-content-encoding": "Content-Encoding",
    "response-cache-control": "Cache-Control",
    "response-expires": "Expires",
}
#: A request body left unread up to this size is drained to keep the connection; larger, it is closed.
_DRAIN_LIMIT = 1024 * 1024
_STREAM_BUFFER = 1024 * 1024


@dataclass(frozen=True)
class CorsRule:
    """One of a bucket's CORS rules (``CorsConfiguration.CorsRules`` in the template)."""

    methods: frozenset[str]
    origins: tuple[str, ...]
    headers: tuple[str, ...] = ()
    exposed: tuple[str, ...] = ()
    max_age: int | None = None

    def allows(self, origin: str, method: str, headers: Iterable[str] = ()) -> bool:
        return (
            method.upper() in self.methods
            and any(fnmatch.fnmatchcase(origin, o) for o in self.origins)
            and all(any(fnmatch.fnmatch(h.lower(), a.lower()) for a in self.headers) for h in headers)
        )


def cors_rules(properties: Mapping[str, Any]) -> list[CorsRule]:
    """The template's rules. An origin the local stack cannot resolve (the console's CloudFront domain,
    an ``!If``) allows any origin here: the local console is served from a port of its own."""
    rules = (properties.get("CorsConfiguration") or {}).get("CorsRules") or []
    return [
        CorsRule(
            methods=frozenset(str(m).upper() for m in rule.get("AllowedMethods", [])),
            origins=tuple(o if isinstance(o, str) else "*" for o in rule.get("AllowedOrigins", [])),
            headers=tuple(str(h) for h in rule.get("AllowedHeaders", [])),
            exposed=tuple(str(h) for h in rule.get("ExposedHeaders", [])),
            max_age=int(rule["MaxAge"]) if "MaxAge" in rule else None,
        )
        for rule in rules
    ]


class _Body:
    """The request body, read at most ``Content-Length`` bytes, so what is left can be drained."""

    def __init__(self, stream: Readable, length: int) -> None:
        self._stream, self.left = stream, length

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = self._stream.read(size) if size else b""
        self.left -= len(data)
        return data


@dataclass
class _Answer:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    stream: BinaryIO | None = None


def _xml(root: str, values: Mapping[str, str]) -> bytes:
    element = ET.Element(root, xmlns=_XMLNS) if root != "Error" else ET.Element(root)
    for name, value in values.items():
        ET.SubElement(element, name).text = value
    return bytes(ET.tostring(element, encoding="utf-8", xml_declaration=True))


def _error(error: S3Error) -> _Answer:
    request_id = uuid.uuid4().hex.upper()[:16]
    values = {"Code": error.code, "Message": error.message, **error.extra, "RequestId": request_id}
    return _Answer(error.status, {"Content-Type": "application/xml"}, _xml("Error", values))


def _object_headers(stored: StoredObject) -> dict[str, str]:
    return {
        "Content-Type": stored.content_type,
        "Content-Length": str(stored.size),
        "ETag": stored.etag,
        "Last-Modified": formatdate(stored.last_modified, usegmt=True),
        "Accept-Ranges": "bytes",
    }


class S3Rest:
    """Serves one request on ``s3``'s buckets; ``cors`` holds each bucket's CORS rules."""

    def __init__(self, s3: S3, cors: Mapping[str, list[CorsRule]]) -> None:
        self.s3, self.cors = s3, cors

    def serve(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        bucket, _, raw_key = url.path.lstrip("/").partition("/")
        key, query = unquote(raw_key), dict(parse_qsl(url.query, keep_blank_values=True))
        body = _Body(request.rfile, int(request.headers.get("Content-Length") or 0))
        try:
            if request.command == "OPTIONS":
                answer = self._preflight(bucket, request.headers)
            else:
                answer = self._operation(request.command, bucket, key, query, request.headers, body)
        except S3Error as error:
            answer = _error(error)
        except (KeyError, ValueError, ET.ParseError) as error:  # a parameter missing or malformed
            answer = _error(S3Error("InvalidRequest", f"{type(error).__name__}: {error}"))
        if request.command != "OPTIONS":
            answer.headers |= self._cors_headers(bucket, request.headers.get("Origin"), request.command)
        self._respond(request, answer, body)

    # ------------------------------------------------------------ operations
    def _operation(
        self, method: str, bucket: str, key: str, query: dict[str, str], headers: Any, body: _Body
    ) -> _Answer:
        if not bucket:
            raise S3Error("NotImplemented", "ListBuckets is not emulated locally", 501)
        if method == "POST" and not key:
            return self._form_upload(bucket, headers, body)
        if not ("X-Amz-Signature" in query or str(headers.get("Authorization", "")).startswith("AWS4-")):
            raise S3Error("AccessDenied", "Access Denied", 403)  # a private bucket: no anonymous access
        if "X-Amz-Signature" in query:
            check_presigned_url(query, self.s3.clock())
        if not key and method == "GET" and query.get("list-type") == "2":
            return self._list(bucket, query.get("prefix", ""))
        if not key:
            raise S3Error("NotImplemented", f"{method} on a bucket is not emulated locally", 501)
        if method in ("GET", "HEAD"):
            stored, content = self.s3.open(bucket, key)
            if method == "HEAD":
                content.close()
            answer_headers = _object_headers(stored)
            for parameter, header in RESPONSE_OVERRIDES.items():
                if parameter in query:
                    answer_headers[header] = query[parameter]
            return _Answer(200, answer_headers, stream=None if method == "HEAD" else content)
        if method == "PUT":
            if "x-amz-copy-source" in headers or "aws-chunked" in str(headers.get("Content-Encoding", "")):
                raise S3Error("NotImplemented", "CopyObject and aws-chunked bodies are not emulated", 501)
            if "uploadId" in query:
                etag = self.s3.upload_part(query["uploadId"], int(query["partNumber"]), body, body.left)
                return _Answer(200, {"ETag": etag})
            content_type = str(headers.get("Content-Type", ""))
            stored = self.s3.put(bucket, key, body, body.left, content_type)
            return _Answer(200, {"ETag": stored.etag})
        if method == "POST" and "uploads" in query:
            upload_id = self.s3.create_multipart(bucket, key, str(headers.get("Content-Type", "")))
            return _Answer(
                200,
                {"Content-Type": "application/xml"},
                _xml("InitiateMultipartUploadResult", {"Bucket": bucket, "Key": key, "UploadId": upload_id}),
            )
        if method == "POST" and "uploadId" in query:
            stored = self.s3.complete_multipart(query["uploadId"], _listed_parts(body.read()))
            result = {
                "Location": f"/{bucket}/{quote(key)}",
                "Bucket": bucket,
                "Key": key,
                "ETag": stored.etag,
            }
            return _Answer(
                200, {"Content-Type": "application/xml"}, _xml("CompleteMultipartUploadResult", result)
            )
        if method == "DELETE":
            if "uploadId" in query:
                self.s3.abort_multipart(query["uploadId"])
            else:
                self.s3.delete(bucket, key)
            return _Answer(204, {})
        raise S3Error("NotImplemented", f"{method} {'?'.join(query)} is not emulated locally", 501)

    def _list(self, bucket: str, prefix: str) -> _Answer:
        """ListObjectsV2, every key under ``prefix`` in one page (a local bucket holds few files)."""
        self.s3.head_bucket(bucket)
        root = ET.Element("ListBucketResult", xmlns=_XMLNS)
        keys = [key for key in self.s3.keys(bucket) if key.startswith(prefix)]
        for name, value in (("Name", bucket), ("Prefix", prefix), ("KeyCount", str(len(keys)))):
            ET.SubElement(root, name).text = value
        ET.SubElement(root, "IsTruncated").text = "false"
        for key in keys:
            stored = self.s3.head(bucket, key)
            entry = ET.SubElement(root, "Contents")
            ET.SubElement(entry, "Key").text = key
            ET.SubElement(entry, "Size").text = str(stored.size)
            ET.SubElement(entry, "ETag").text = stored.etag
        body = bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
        return _Answer(200, {"Content-Type": "application/xml"}, body)

    def _form_upload(self, bucket: str, headers: Any, body: _Body) -> _Answer:
        """A browser's POST of a presigned upload: the policy's fields, then ``file`` (fields after it
        are ignored, as S3 ignores them)."""
        content_type, options = multipart.parse_options_header(str(headers.get("Content-Type", "")))
        if content_type != "multipart/form-data" or not options.get("boundary"):
            raise S3Error(
                "PreconditionFailed", "Bucket POST must be of the enclosure-type multipart/form-data", 412
            )
        self.s3.head_bucket(bucket)
        parser = multipart.MultipartParser(body, options["boundary"], body.left, part_limit=64)
        fields: dict[str, str] = {}
        upload = None
        try:
            for part in parser:
                if part.name.lower() == "file":
                    upload = part
                    break
                fields[part.name.lower()] = part.value
        except multipart.MultipartError as error:
            raise S3Error(
                "MalformedPOSTRequest", "The body of your POST request is not well-formed"
            ) from error
        if upload is None:
            raise S3Error("InvalidArgument", "POST requires exactly one file upload per request.")
        try:
            key = fields.get("key", "").replace("${filename}", upload.filename or "")
            if not key:
                raise S3Error("InvalidArgument", "Bucket POST must contain a field named 'key'.")
            check_post_policy(bucket, {**fields, "key": key}, upload.size, self.s3.clock())
            stored = self.s3.put(bucket, key, upload.file, upload.size, fields.get("content-type", ""))
        finally:
            upload.close()
        location = f"/{bucket}/{quote(key)}"
        status = int(fields.get("success_action_status") or 204)
        if status == 201:
            result = {"Location": location, "Bucket": bucket, "Key": key, "ETag": stored.etag}
            return _Answer(
                201, {"Content-Type": "application/xml", "ETag": stored.etag}, _xml("PostResponse", result)
            )
        return _Answer(200 if status == 200 else 204, {"ETag": stored.etag, "Location": location})

    # ------------------------------------------------------------ CORS
    def _preflight(self, bucket: str, headers: Any) -> _Answer:
        origin, method = headers.get("Origin"), headers.get("Access-Control-Request-Method")
        if not origin or not method:
            raise S3Error("BadRequest", "Insufficient information. Origin request header needed.")
        requested = [
            h.strip() for h in str(headers.get("Access-Control-Request-Headers", "")).split(",") if h.strip()
        ]
        rule = next((r for r in self.cors.get(bucket, []) if r.allows(origin, method, requested)), None)
        if rule is None:
            raise S3Error(
                "AccessForbidden",
                "CORSResponse: This CORS request is not allowed. This is usually because the evalution of "
                "Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers "
                "are not whitelisted by the resource's CORS spec.",
                403,
            )
        allowed = {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ", ".join(sorted(rule.methods)),
            "Vary": "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        }
        if requested:
            allowed["Access-Control-Allow-Headers"] = ", ".join(requested)
        if rule.max_age is not None:
            allowed["Access-Control-Max-Age"] = str(rule.max_age)
        return _Answer(200, allowed)

    def _cors_headers(self, bucket: str, origin: str | None, method: str) -> dict[str, str]:
        rule = next((r for r in self.cors.get(bucket, []) if origin and r.allows(origin, method)), None)
        if rule is None or origin is None:
            return {}
        found = {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ", ".join(sorted(rule.methods)),
            "Vary": "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        }
        if rule.exposed:
            found["Access-Control-Expose-Headers"] = ", ".join(rule.exposed)
        return found

    # ------------------------------------------------------------ the answer
    def _respond(self, request: BaseHTTPRequestHandler, answer: _Answer, body: _Body) -> None:
        if 0 < body.left <= _DRAIN_LIMIT:
            while body.read(_STREAM_BUFFER):
                pass
        close = body.left > 0  # an unread large body: S3 answers and closes the connection too
        request.send_response(answer.status)
        headers = {"x-amz-request-id": uuid.uuid4().hex.upper()[:16], **answer.headers}
        if answer.stream is None and request.command != "HEAD" and answer.status != 204:
            headers["Content-Length"] = str(len(answer.body))
        if close:
            headers["Connection"] = "close"
            request.close_connection = True
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()
        if answer.stream is None:
            if request.command != "HEAD":
                request.wfile.write(answer.body)
            return
        with answer.stream as source:
            while chunk := source.read(_STREAM_BUFFER):
                request.wfile.write(chunk)


def _listed_parts(payload: bytes) -> list[tuple[int, str]]:
    """CompleteMultipartUpload's ``<Part><PartNumber/><ETag/></Part>`` list, in the order given."""
    root = ET.fromstring(payload)  # noqa: S314 - boto3's own request to a local test endpoint
    found = []
    for part in root.iter():
        if part.tag.rpartition("}")[2] != "Part":
            continue
        values = {child.tag.rpartition("}")[2]: (child.text or "") for child in part}
        found.append((int(values["PartNumber"]), values["ETag"]))
    return found
