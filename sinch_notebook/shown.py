"""What a reader sees of a text: every character for what it is.

A name, a label key, a server's message or a line of a file may hold characters a terminal,
a Markdown renderer or a browser does not show as themselves: ESC sequences that rewrite a
terminal, bidi overrides that reverse what follows, zero-width spaces that make two keys look
the same. Every face (text, Markdown and HTML reviews, the magic, the panel, the CLI, error
messages) shows such text through `visible`. A leaf module: `errors.py` uses it too.
"""

from __future__ import annotations


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str, keep: str = "") -> str:
    """`text` with every character a reader cannot see for what it is written as a visible
    escape, as Python's repr writes it: control characters (ESC -> \\x1b), format characters
    (bidi overrides U+202E -> \\u202e, zero-width spaces U+200B -> \\u200b), line and
    paragraph separators, and spaces other than the plain one. `keep` names characters left as
    they are (a message's line breaks). Every face shows user, server and file text through
    this, so what is read is what is there."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in keep else _escape(c) for c in text)


def has_hidden(text: str | None) -> bool:
    """Whether `visible` would change `text` (it holds characters a reader cannot see)."""
    return text is not None and not text.isprintable()
