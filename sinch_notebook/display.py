"""How things look to people, the same in every face: times, plurals, tables, the token, a
connection, a subproject, and the messages more than one place says ("changed on the server").
The magic (text in a terminal, HTML in Jupyter), the panel and the Python reprs all use these;
each face's own next-step hints (code, `%sinch` commands, buttons) are `bulk.render.Hints`.

Nothing here ever receives the Key Secret or a token: statuses are built from
`SubprojectsClient.status()`, which leaves both out.
"""

from __future__ import annotations

import html
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .config import is_loopback_host
from .models import Subproject, parse_time
from .shown import has_hidden, visible  # noqa: F401 - what people read: re-exported here

if TYPE_CHECKING:
    from .client import SubprojectsClient

AUTH_LABELS = {"oauth": "OAuth2", "basic": "Basic"}
TABLE = '<table style="text-align:left">{}</table>'
_ROW = (
    '<tr><th style="text-align:left;padding-right:1em">{}</th>'
    '<td style="text-align:left">{}</td></tr>'
)


def short_time(value: datetime | None) -> str:
    """A time in a listing or a status, to the minute: `2026-04-17 18:24 UTC`."""
    if value is None:
        return ""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def exact_time(value: datetime | str | None) -> str:
    """A time where seconds matter (a snapshot, a version that moved): `2026-04-17 18:24:05
    UTC`. RFC 3339 text is read first; text that is not a time is shown as it is."""
    moment = parse_time(value) if isinstance(value, str) else value
    if moment is None:
        return "" if value is None else str(value)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 change`, `2 changes`, `1,200 changes` (the plural may be given when it is not
    word + "s")."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def changed_on_server(now: Any, seen: Any, since: str) -> str:
    """The one "changed on the server" message: `changed on the server at <now>, after
    <since> (<seen>)`, both times in one short format."""
    return f"changed on the server at {exact_time(now)}, after {since} ({exact_time(seen)})"


# -- tables --------------------------------------------------------------------------------------

TABLE_STYLE = 'style="border-collapse:collapse;font-size:12px;text-align:left;margin-top:4px"'
CELL = 'style="padding:2px 8px;border-bottom:1px solid rgba(128,128,128,0.25);text-align:left"'


def td(content_html: str, colspan: int = 1, style: str = CELL) -> str:
    """One `<td>`; `content_html` is already escaped."""
    span = f' colspan="{colspan}"' if colspan > 1 else ""
    return f"<td {style}{span}>{content_html}</td>"


def tr(cells: Iterable[str], tint: str | None = None, title: str | None = None) -> str:
    """One `<tr>` of `td()`s, tinted with a colour (faintly) and with a tooltip."""
    attrs = f' style="background:{tint}14"' if tint else ""
    if title:
        attrs += f' title="{html.escape(title, quote=True)}"'
    return f"<tr{attrs}>{''.join(cells)}</tr>"


def html_table(head: Iterable[str], rows: Iterable[str], css_class: str, style: str = CELL) -> str:
    """The one look of a table people read in a notebook or the panel: `head` is plain text
    (escaped here), `rows` come from `tr()`."""
    heads = "".join(f"<th {style}>{html.escape(h)}</th>" for h in head)
    return (
        f'<table class="{css_class}" {TABLE_STYLE}><thead><tr>{heads}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def token_text(auth: str, seconds_left: float | None) -> str:
    """The token's countdown in words (never the token), or what Basic auth means instead."""
    if auth != "oauth":
        return "no token: Basic auth sends the key with every call"
    if seconds_left is None:
        return "no token yet (one is fetched on the next call)"
    if seconds_left <= 0:
        return "token expired (a new one is fetched on the next call)"
    minutes = int(seconds_left // 60)
    if minutes < 1:
        return "token valid for less than 1 min (renewed on the next call)"
    return f"token valid for {minutes} min"


def is_sandbox_url(url: str | None) -> bool:
    """A connection to this machine is a local sandbox (Sinch itself is never on loopback)."""
    return bool(url) and is_loopback_host(urlsplit(url).hostname)


def html_rows(rows: list[tuple[str, str]]) -> str:
    return "".join(_ROW.format(html.escape(visible(k)), html.escape(visible(v))) for k, v in rows)


def text_rows(rows: list[tuple[str, str]]) -> str:
    width = max((len(k) for k, _ in rows), default=0)
    return "\n".join(f"  {k.ljust(width)}  {visible(v)}" for k, v in rows)


@dataclass(frozen=True)
class ConnectionStatus:
    """The active connection, as `%sinch status` and the panel's header show it."""

    connected: bool
    project_id: str | None = None
    key_id: str | None = None
    auth: str | None = None
    api_url: str | None = None
    api_version: str | None = None
    auth_url: str | None = None
    token_seconds_left: float | None = None
    sandbox: bool = False

    @classmethod
    def of(cls, client: SubprojectsClient | None) -> ConnectionStatus:
        if client is None:
            return cls(connected=False)
        facts = client.status()
        return cls(
            connected=True,
            project_id=facts["project_id"],
            key_id=facts["key_id"],
            auth=facts["auth"],
            api_url=facts["api_url"],
            api_version=facts["api_version"],
            auth_url=facts["auth_url"],
            token_seconds_left=client.token_seconds_left(),
            sandbox=is_sandbox_url(facts["api_url"]),
        )

    @property
    def token_minutes_left(self) -> float | None:
        left = self.token_seconds_left
        return None if left is None else round(left / 60, 1)

    @property
    def auth_label(self) -> str:
        return AUTH_LABELS.get(str(self.auth), str(self.auth))

    @property
    def token(self) -> str:
        return token_text(str(self.auth), self.token_seconds_left)

    def title(self, not_connected_hint: str = "") -> str:
        if not self.connected:
            return "Not connected" + (f": {not_connected_hint}" if not_connected_hint else "")
        where = " (local sandbox)" if self.sandbox else ""
        return f"Connected to project {self.project_id!r}{where}"

    def rows(self) -> list[tuple[str, str]]:
        if not self.connected:
            return []
        rows = [
            ("Key ID", str(self.key_id)),
            ("Auth", self.auth_label),
            ("API", f"{self.api_url}/{self.api_version}"),
        ]
        if self.auth_url:
            rows.append(("Token endpoint", self.auth_url))
        rows.append(("Token", self.token))
        return rows


def subproject_rows(sp: Subproject) -> list[tuple[str, str]]:
    labels = ", ".join(f"{k}={v}" for k, v in sorted(sp.labels.items())) or "(none)"
    return [
        ("Labels", labels),
        ("Parent project", sp.parent_project_id),
        ("Created", short_time(sp.create_time)),
        ("Updated", short_time(sp.update_time)),
        ("Deleted", "yes" if sp.deleted else "no"),
    ]


def subproject_text(sp: Subproject) -> str:
    head = f"Subproject {visible(sp.subproject_id)}  {sp.display_name!r}\n"
    return head + text_rows(subproject_rows(sp))


def subproject_html(sp: Subproject) -> str:
    name, sid = html.escape(visible(sp.display_name)), html.escape(visible(sp.subproject_id))
    title = f"<b>{name}</b> <code>{sid}</code>"
    return title + TABLE.format(html_rows(subproject_rows(sp)))


def subproject_line(sp: Subproject) -> str:
    """One line: `'Acme EU' (01FC...)`, for messages."""
    return f"{sp.display_name!r} ({visible(sp.subproject_id)})"


def labels_text(labels: Any) -> str:
    if not isinstance(labels, dict) or not labels:
        return ""
    return ", ".join(label_items(labels))


def label_items(labels: Any) -> list[str]:
    """`key=value` for each label, in key order: the pieces `labels_text` joins."""
    if not isinstance(labels, dict):
        return []
    return [visible(f"{k}={v}") for k, v in sorted(labels.items())]


def labels_html(labels: Any) -> str:
    """Labels for an HTML cell: a line may break between labels, never inside one."""
    return ", ".join(
        f'<span style="white-space:nowrap">{html.escape(item)}</span>'
        for item in label_items(labels)
    )


def terminal_width() -> int | None:
    """The width text output may use: `COLUMNS`, else the terminal's; None when the output is
    not a terminal (a kernel's text/plain, a file), where lines are not wrapped by anyone."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        if sys.stdout.isatty():
            return os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError, AttributeError):
        pass
    return None


def cut(text: str, width: int) -> str:
    """`text` in at most `width` characters: cut, the last one "…", when it is longer."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def wrap_items(items: list[str], width: int, separator: str = ", ") -> list[str]:
    """`items` joined by `separator` in lines of at most `width` characters, breaking only
    between items (an item wider than a line is cut with "…")."""
    ending = separator.rstrip()  # what a line that goes on ends with
    lines: list[str] = []
    current = ""
    for position, item in enumerate(items):
        last = position == len(items) - 1
        room = width if last else width - len(ending)
        item = cut(item, room)
        joined = f"{current}{separator}{item}" if current else item
        if current and len(joined) > room:
            lines.append(current + ending)
            current = item
        else:
            current = joined
    lines.append(current)
    return lines
