"""A static landing page on its own origin: what a customer's site is to the form door.

The browser tests put the snippet the API returned on a page served from another port than the API's,
so every post is cross-origin exactly as from a real landing page (Origin, Referer, CORS).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

#: Lets the landing URL, UTM tags included, reach the door in the Referer of a cross-origin form post
#: (browsers cut it to the origin otherwise): what the snippet's comment asks the page to set.
REFERRER_META = '<meta name="referrer" content="no-referrer-when-downgrade">'


def landing_page(body: str, title: str = "Ưu đãi Tết 2027") -> str:
    """A whole UTF-8 page around ``body`` (a snippet), with the referrer policy the snippet asks for."""
    return (
        '<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        f"{REFERRER_META}\n<title>{title}</title>\n</head>\n<body>\n<h1>{title}</h1>\n{body}</body>\n</html>\n"
    )


@dataclass
class LandingSite:
    """The pages served, by path (query strings ignored), and the origin they are served from."""

    origin: str
    pages: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"{self.origin}{path}"


@contextmanager
def serve_landing() -> Iterator[LandingSite]:
    """Serve a ``LandingSite`` on a free port of 127.0.0.1 until the block ends."""
    site = LandingSite(origin="")

    class Pages(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Quiet: pytest shows the test's own output."""

        def do_GET(self) -> None:
            page = site.pages.get(urlsplit(self.path).path)
            out = (page if page is not None else "not found").encode()
            self.send_response(200 if page is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    site.origin = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="landing-site", daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
