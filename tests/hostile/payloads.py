"""Hostile and odd inputs from the security review (issue 11), built in code, not stored.

Each builder returns the bytes a hostile or merely odd publisher could serve. Sizes follow the
review's reproductions; the tests measure memory and CPU against a normal input of the same
size rather than against the clock.
"""

import json

from tests.factories.feeds import item, rss

ENCLOSURE = '<enclosure url="https://cdn.example.com/{n}.mp3" type="audio/mpeg" length="1"/>'


def normal_feed(size: int) -> bytes:
    """A plain, valid podcast feed of about `size` bytes (the CPU and memory baseline)."""
    items, body = [], b""
    n = 0
    while len(body) < size:
        n += 1
        items.append(item(n, description="<p>" + "Plain show notes about pricing. " * 8 + "</p>"))
        if n % 50 == 0:
            body = rss(items).encode()
    return rss(items).encode()


def quadratic_entity_feed(entity_size: int = 10_000, references: int = 100_000) -> bytes:
    """The review's 310 KB feed: a line of text before the DOCTYPE makes the strict pass fail,
    then one flat entity is expanded once per reference by the loose parser (4.97 GB)."""
    refs = "&a;" * references
    return (
        "This line makes the document not well-formed.\n"
        "<!DOCTYPE rss [\n"
        f'<!ENTITY a "{"x" * entity_size}">\n'
        "]>\n"
        '<rss version="2.0"><channel><title>Quadratic</title>'
        f"<item><title>{refs}</title><guid>q-1</guid>{ENCLOSURE.format(n=1)}</item>"
        "</channel></rss>"
    ).encode()


def billion_laughs_feed(levels: int = 10) -> bytes:
    """Nested entities, each ten of the one before: 10**levels copies of "lol"."""
    decls = ['<!ENTITY lol0 "lol">']
    decls += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(decls) + "\n]>\n"
        '<rss version="2.0"><channel><title>Laughs</title>'
        f"<item><title>&lol{levels - 1};</title><guid>l-1</guid>{ENCLOSURE.format(n=1)}</item>"
        "</channel></rss>"
    ).encode()


def xxe_feed(target_url: str) -> bytes:
    """An external entity pointing at a local file or an internal URL."""
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{target_url}">]>\n'
        '<rss version="2.0"><channel><title>&xxe;</title>'
        f"<item><title>&xxe;</title><guid>x-1</guid>{ENCLOSURE.format(n=1)}</item>"
        "</channel></rss>"
    ).encode()


def entity_in_comment_feed(entity_size: int = 10_000, references: int = 30_000) -> bytes:
    """The entity declaration on its own line inside a comment before the DOCTYPE: expat sees a
    comment, feedparser's line-based DOCTYPE rewrite would still pick the entity up."""
    refs = "&a;" * references
    return (
        '<?xml version="1.0"?>\n<!--\n'
        f'<!ENTITY a "{"x" * entity_size}">\n'
        "-->\n<!DOCTYPE rss>\n"
        '<rss version="2.0"><channel><title>Comment</title>'
        f"<item><title>{refs}</title><guid>c-1</guid>{ENCLOSURE.format(n=1)}</item>"
        "</channel></rss>"
    ).encode()


def utf16_entity_feed() -> bytes:
    """An entity declaration in a UTF-16 document (NUL bytes between the letters)."""
    text = (
        quadratic_entity_feed(1000, 1000)
        .decode()
        .replace("This line makes the document not well-formed.\n", "")
    )
    return ("\ufeff" + text).encode("utf-16-le")


def feed_with_title(title_xml: str, **overrides) -> bytes:
    """A one-item feed whose item title is `title_xml`, inserted as raw XML."""
    return rss([item(1, title="@@TITLE@@", **overrides)]).replace("@@TITLE@@", title_xml).encode()


def relative_urls_feed() -> bytes:
    """Protocol-relative and relative enclosure, artwork and transcript URLs."""
    return rss(
        [
            item(
                1,
                audio="//cdn.example.net/ep-1.mp3",
                transcripts=[{"url": "transcripts/ep-1.vtt", "type": "text/vtt"}],
                extra=['<itunes:image href="/art/ep-1.png"/>'],
            ),
            item(2, audio="../media/ep-2.mp3"),
        ],
        image="//cdn.example.net/show.jpg",
    ).encode()


# --- transcripts -----------------------------------------------------------------------------


def html_open_tags(size: int = 120_000) -> bytes:
    """The review's 120 KB of repeated "<a " (html.parser on 3.13.0: 141 s)."""
    return ("<a " * (size // 3)).encode()


def html_marked_section() -> bytes:
    """`<![` in an HTML transcript (html.parser raised AssertionError)."""
    return b"<cite>Dana:</cite><p>Hello</p><![foo[ x ]]><p>World</p><![ "


def normal_html_transcript(size: int) -> bytes:
    """A podcast-namespace HTML transcript of about `size` bytes."""
    rows, n = [], 0
    while sum(map(len, rows)) < size:
        n += 1
        who = "Dana" if n % 2 else "Priya"
        rows.append(
            f"<cite>{who}:</cite>\n<time>{n // 60}:{n % 60:02d}</time>\n"
            f"<p>Segment {n}: we talked about the close, accruals and the forecast.</p>\n"
        )
    return "".join(rows).encode()


def deep_json(depth: int = 100_000) -> bytes:
    """JSON nested deeper than the interpreter's recursion limit."""
    return b'{"segments": ' + b"[" * depth + b"]" * depth + b"}"


def many_speakers_json(count: int = 300) -> bytes:
    """More distinct speakers than the old label generator had labels (286)."""
    segments = [
        {"speaker": f"Guest {i}", "startTime": i, "endTime": i + 1, "body": f"Words {i}."}
        for i in range(count)
    ]
    return json.dumps({"version": "1.0.0", "segments": segments}).encode()


def infinite_start_json() -> bytes:
    """A startTime of 1e999: float("inf") after json.loads, unstorable in a JSON column."""
    return (
        b'{"segments": [{"speaker": "A", "startTime": 1e999, "endTime": -1e999, "body": "Hi."},'
        b'{"speaker": "B", "startTime": 2, "endTime": 3, "body": "Hello."}]}'
    )


def arrow_first_text() -> bytes:
    """A text file whose first line starts with "-->" (IndexError in format detection)."""
    return b"--> not a cue\nJane: Hello there.\n"


def bracket_text_transcript() -> bytes:
    """A text transcript starting with "[": the JSON guess fails, text must be tried next."""
    return (
        b"[00:00:01] Dana: Welcome to the show.\n"
        b"[00:00:05] Priya: Thanks for having me.\n"
        b"[00:00:09] Dana: Let us talk about the close.\n"
    )


def asr_export_transcript() -> bytes:
    """Exports of ASR tools: "Speaker 1 00:00:05" on its own line, or on the text's line."""
    return (
        b"Speaker 1 00:00:00\nWelcome back to the show.\n\n"
        b"Speaker 2 00:00:04\nGlad to be here, thank you.\n\n"
        b"Speaker 1 00:00:09 So tell us about the close.\n"
        b"Speaker 2 00:00:12 It takes six days now.\n"
    )
