"""Hostile feed bodies, served from a separate process so the test measures only the bot's memory.

`python -m tests.reliability.hostile_server CASE` starts a feed server double on 127.0.0.1 serving case
CASE at `/hostile.xml`, prints its port on one line, and serves until stdin closes.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass

from tests.doubles.feed_server import FeedServer

CAP = 10 * 1024 * 1024  # the production default of FEED_MAX_BYTES
MB = 1024 * 1024
HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n'
CHANNEL = b'<rss version="2.0"><channel><title>Hostile</title><link>https://example.com/</link>'
END = b"</channel></rss>"


def item(guid: str, title: bytes | str, notes: bytes | str = b"notes") -> bytes:
    title_b = title.encode() if isinstance(title, str) else title
    notes_b = notes.encode() if isinstance(notes, str) else notes
    return (
        b'<item><guid isPermaLink="false">' + guid.encode() + b"</guid><title>" + title_b + b"</title>"
        b"<pubDate>Sat, 28 Nov 2026 10:00:00 GMT</pubDate><description>" + notes_b + b"</description></item>"
    )


def billion_laughs() -> bytes:
    entities = [b'<!ENTITY lol0 "lol">']
    entities += [
        b'<!ENTITY lol%d "%s">' % (n, b"".join(b"&lol%d;" % (n - 1) for _ in range(10))) for n in range(1, 10)
    ]
    doctype = b"<!DOCTYPE rss [" + b"".join(entities) + b"]>"
    return HEAD + doctype + CHANNEL + item("laughs", b"&lol9;") + END


def quadratic_blowup() -> bytes:
    doctype = b'<!DOCTYPE rss [<!ENTITY a "' + b"A" * 100_000 + b'">]>'
    return HEAD + doctype + CHANNEL + item("quad", b"&a;" * 2_000) + END


def external_entity() -> bytes:
    doctype = b'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    return HEAD + doctype + CHANNEL + item("xxe", b"leak &xxe;", b"&xxe;") + END


def huge_fields() -> bytes:
    return HEAD + CHANNEL + item("huge", b"T" * MB, b"<p>" + b"word " * (MB // 5) + b"</p>") + END


@dataclass
class Case:
    name: str
    serve: Callable[[FeedServer, str], None]
    expect: str  # "refused" (a FetchError with a reason) or "read" (stored, bounded)
    reason: str = ""  # a fragment of the moderator-facing reason when refused


def feed(body: bytes, **options: object) -> Callable[[FeedServer, str], None]:
    return lambda server, path: server.set_feed(path, body, **options)  # type: ignore[arg-type]


def lazy(build: Callable[[], bytes], **options: object) -> Callable[[FeedServer, str], None]:
    return lambda server, path: server.set_feed(path, build(), **options)  # type: ignore[arg-type]


def plain(*items: bytes) -> bytes:
    return HEAD + CHANNEL + b"".join(items) + END


ITUNES = b'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
UNICODE_DIGITS = (
    HEAD + CHANNEL.replace(b"<rss ", b"<rss " + ITUNES + b" ")
    + b"<item><guid>d</guid><title>Digits</title><itunes:episode>\xc2\xb2</itunes:episode>"
    + b"<itunes:season>\xd9\xa1</itunes:season>"
    + b"<itunes:duration>\xc2\xb2:\xc2\xb9</itunes:duration></item>" + END
)  # fmt: skip
KLINGON = b'<?xml version="1.0" encoding="x-klingon"?>' + CHANNEL + item("k", "tlhIngan") + END
HTML_PAGE = b"<html><body>" + b"<div>x</div>" * 5_000 + b"</body></html>"
CASES = [
    Case(
        "gzip bomb (64 MB in 64 KB)", lazy(lambda: plain(b" " * (64 * MB)), gzip=True), "refused", "allowed"
    ),
    Case("100 MB body with Content-Length", lambda s, p: s.set_oversize(p, 100 * MB), "refused", "allowed"),
    Case(
        "100 MB body, no Content-Length",
        lambda s, p: s.set_oversize(p, 100 * MB, send_length=False),
        "refused",
        "allowed",
    ),
    Case("endless body", lambda s, p: s.set_infinite(p), "refused", "allowed"),
    Case("billion laughs", lazy(billion_laughs), "either"),
    Case("quadratic entity blowup", lazy(quadratic_blowup), "either"),
    Case("external entity (XXE)", lazy(external_entity), "either"),
    Case("1 MB title and notes", lazy(huge_fields), "read"),
    Case("declared UTF-8, latin-1 bytes", feed(plain(item("l1", b"Caf\xe9 \xff\xfe"))), "read"),
    Case("NUL and control bytes", feed(plain(item("nul", b"a\x00b\x01c\x1b[31m"))), "either"),
    Case("unknown encoding", feed(KLINGON), "either"),
    Case("Unicode digits in episode numbers", feed(UNICODE_DIGITS), "read"),
    Case(
        "UTF-16 body declared UTF-8",
        lazy(lambda: plain(item("u16", "wide")).decode().encode("utf-16-le")),
        "either",
    ),
    Case("random bytes", feed(bytes(range(256)) * 4000), "either"),
    Case(
        "HTML page, not a feed",
        feed(HTML_PAGE, content_type="text/html"),
        "refused",
        "not an RSS or Atom feed",
    ),
    Case("unclosed tags", feed(HEAD + CHANNEL + b"<item><title>" * 2_000), "either"),
]


BY_NAME = {case.name: case for case in CASES}


async def serve(name: str) -> None:
    async with FeedServer() as server:
        BY_NAME[name].serve(server, "/hostile.xml")
        print(server.port, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def many_items(count: int = 100_000) -> bytes:
    return plain(*(b"<item><guid>g%d</guid><title>Episode %d</title></item>" % (n, n) for n in range(count)))


#: Not in CASES: parsing every item of this one takes minutes today (see test_hostile_items.py).
HUNDRED_THOUSAND_ITEMS = Case("100,000 items (6 MB)", lazy(many_items), "read")
BY_NAME[HUNDRED_THOUSAND_ITEMS.name] = HUNDRED_THOUSAND_ITEMS


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1]))
