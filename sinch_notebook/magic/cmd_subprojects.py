"""Subproject commands: list, get, create (line and `%%sinch create` cell), update, delete."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..bulk import Plan
from ..cli.options import add_options, switch, value
from ..confirm import before_deleting, changed_since, wants_confirmation
from ..connection import registry as named_connections
from ..display import plural, subproject_line
from ..errors import SubprojectChanged, ValidationError
from ..filters import SubprojectFilter
from ..frames import records_frame
from ..guards import refuse_if_protected
from ..models import Subproject, validate_display_name, validate_labels
from . import recent
from .command import Command
from .errors import MagicError
from .hints import magic_hints
from .interaction import ask_before_deleting
from .parsing import add_output, label_filter, label_pair, labels_dict, positive_int
from .views import ListingAbout

PROGRESS_FROM = 20  # lines of a %%sinch create cell from which a progress bar is shown

if TYPE_CHECKING:
    from ..client import SubprojectsClient
    from .context import Context


def _label_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument(
        "--label",
        "-l",
        dest="labels",
        metavar="KEY=VALUE",
        type=label_pair,
        action="append",
        help=help_text,
    )


def _name(words: list[str]) -> str:
    """Unquoted words form one name: `%sinch create Acme EU` is 'Acme EU'."""
    return " ".join(words)


# -- list ------------------------------------------------------------------------------------


def _list_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(
        parser,
        switch("--deleted", help="include deleted subprojects"),
        value("--name", metavar="TEXT", help="only names (or ids) containing TEXT, ignoring case"),
        value(
            "--label",
            "-l",
            metavar="KEY[=VALUE]",
            help="only subprojects with this label, its value containing VALUE (repeat: all match)",
            dest="labels",
            type=label_filter,
            action="append",
        ),
        value("--limit", metavar="N", help="at most N rows", type=positive_int),
    )
    add_options(
        parser.add_mutually_exclusive_group(),
        value(
            "--connection",
            metavar="CONNECTION",
            help="list through this open connection, for once (default: the active one)",
        ),
        switch(
            "--all-connections",
            help="one frame across every open connection (parentProjectId tells the rows apart)",
        ),
    )
    add_output(parser, "the DataFrame")


def list_(ctx: Context, args: argparse.Namespace) -> pd.DataFrame:
    """Filters are applied page by page, and with --limit paging stops once one more than
    enough are found (so the listing can say that more match, without reading them all; with
    --all-connections, per connection)."""
    wanted = SubprojectFilter(
        text=args.name or "", labels=labels_dict(args.labels), show_deleted=args.deleted
    )
    records: list[dict[str, Any]] = []
    more = False
    clients = _listed_clients(ctx, args)
    for client in clients:
        found: list[dict[str, Any]] = []
        for page in client.iter_pages(show_deleted=args.deleted, page_size=ctx.settings.page_size):
            found.extend(r for r in page if wanted.matches(r))
            if args.limit is not None and len(found) > args.limit:  # one more: "more match"
                break
        if args.limit is not None and len(found) > args.limit:
            more = True
            del found[args.limit :]
        records.extend(found)
    frame = records_frame(records)
    recent.remember(frame)
    ctx.store(args.output, frame)
    about = ListingAbout(tuple(c.project_id for c in clients), wanted.describe())
    return ctx.views.frames.mark(frame, more=more, about=about)


def _listed_clients(ctx: Context, args: argparse.Namespace) -> list[SubprojectsClient]:
    """The active connection, the one --connection names, or every open one (each once)."""
    if args.connection:
        return [named_connections.get(args.connection)]
    if not args.all_connections:
        return [ctx.client()]
    clients: list[SubprojectsClient] = []
    for name in named_connections.names():
        client = named_connections.get(name)
        if all(client is not c for c in clients):
            clients.append(client)
    if not clients:
        raise MagicError("no open connections: %sinch login first")
    return clients


# -- get, create, update ---------------------------------------------------------------------


def _id_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", metavar="ID", help="the subprojectId")


def get(ctx: Context, args: argparse.Namespace) -> Subproject:
    return ctx.client().get(args.id)


def _create_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name",
        metavar="NAME",
        nargs="*",
        help="display name (a line of %%%%sinch create reads one name per line instead)",
    )
    _label_option(parser, "a label (repeat for more; in a cell: a label for every line)")
    add_output(parser, "the new subproject(s)")


CREATE_EPILOG = """\
As a cell, one subproject per line; blank lines and lines starting with # are skipped:

    %%sinch create --label tier=gold
    Acme EU | region=eu-west, industry=retail
    Globex US | region=us-east

Every line is checked first; nothing is created unless all of them are valid."""


def create(ctx: Context, args: argparse.Namespace) -> Subproject:
    if not args.name:
        raise MagicError("give the display name: %sinch create NAME [--label KEY=VALUE ...]")
    name = validate_display_name(_name(args.name))
    labels = validate_labels(labels_dict(args.labels))
    created = ctx.client().create(name, labels)
    ctx.store(args.output, created)
    return created


def _update_arguments(parser: argparse.ArgumentParser) -> None:
    _id_argument(parser)
    parser.add_argument("--name", metavar="NEW", nargs="+", help="the new display name")
    _label_option(parser, "set a label (repeat for more); other labels are kept")
    parser.add_argument(
        "--unlabel", metavar="KEY", action="append", default=[], help="remove a label"
    )
    _allow_protected_option(parser, "rename")


def _allow_protected_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--allow-protected",
        action="store_true",
        help=f"{what} it even if it carries the protection label (%%config Sinch.protect_label)",
    )


def update(ctx: Context, args: argparse.Namespace) -> Subproject:
    if not (args.name or args.labels or args.unlabel):
        raise MagicError("nothing to change: give --name, --label or --unlabel")
    edit = ctx.client().edit(
        args.id,
        display_name=_name(args.name) if args.name else None,
        set_labels=labels_dict(args.labels),
        remove_labels=args.unlabel,
        allow_protected=args.allow_protected,
    )
    for note in edit.notes:
        print(f"Note: {note}.")
    return edit.subproject


# -- delete ----------------------------------------------------------------------------------


def _delete_arguments(parser: argparse.ArgumentParser) -> None:
    _id_argument(parser)
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    _allow_protected_option(parser, "delete")


DELETE_ROUNDS = 5  # a subproject that changes between every check and its delete, given up


def delete(ctx: Context, args: argparse.Namespace) -> None:
    """Ask about the version read here, and delete only that version (`delete_if_unchanged`):
    one a colleague changed while the question was open is named as it is now, and asked
    about again."""
    wants_confirmation(args.yes)  # a bad SINCH_CONFIRM_DELETES is reported before any request
    client = ctx.client()
    target = client.get(args.id)
    for _round in range(DELETE_ROUNDS):
        if target.deleted:
            print(f"{subproject_line(target)} was already deleted.")
            return
        refuse_if_protected(target.to_dict(), "delete", client, args.allow_protected)
        question = before_deleting(target, assume_yes=args.yes)
        if not ask_before_deleting(ctx.shell, question, "add --yes to delete without asking"):
            print("Cancelled: nothing was deleted.")
            return
        try:
            deleted_now = client.delete_if_unchanged(target, allow_protected=args.allow_protected)
        except SubprojectChanged as changed:
            print(f"{changed_since(target, changed.current)}.")
            target = changed.current
            continue
        line = subproject_line(target)
        print(f"Deleted {line}." if deleted_now else f"{line} was already deleted.")
        return
    raise MagicError(f"{subproject_line(target)} kept changing on the server; nothing was deleted")


# -- %%sinch create --------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSubproject:
    """One valid line of a `%%sinch create` cell."""

    line: int
    name: str
    labels: dict[str, str]


def _parse_line(text: str, common: dict[str, str]) -> tuple[str, dict[str, str]]:
    name, _, labels_text = text.rpartition("|") if "|" in text else (text, "", "")
    line_labels: dict[str, str] = {}
    for part in labels_text.split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise ValidationError("labels", f"expected key=value, got {part!r}")
        if key in line_labels:
            raise ValidationError("labels", f"label {key!r} is given twice")
        line_labels[key] = value
    return validate_display_name(name.strip()), validate_labels({**common, **line_labels})


def parse_create_cell(cell: str, common: dict[str, str]) -> list[NewSubproject]:
    """Every line parsed and validated; any invalid line stops everything, with line numbers."""
    items: list[NewSubproject] = []
    problems: list[str] = []
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
    for number, raw in enumerate(cell.splitlines(), start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        try:
            name, labels = _parse_line(text, common)
        except ValidationError as err:
            problems.append(f"line {number}: {err}")
            continue
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            problems.append(f"line {number}: same name and labels as line {seen[key]}")
            continue
        seen[key] = number
        items.append(NewSubproject(number, name, labels))
    if problems:
        lines = "\n".join(f"  {problem}" for problem in problems)
        raise MagicError(f"{plural(len(problems), 'invalid line')}, nothing was created:\n{lines}")
    if not items:
        raise MagicError("no subprojects in the cell: one per line, 'Name | key=value, ...'")
    return items


def create_cell(ctx: Context, args: argparse.Namespace, cell: str) -> pd.DataFrame:
    """A plan of creates, applied by the one engine (journal, resume, reconcile, Ctrl-C)."""
    if args.name:
        raise MagicError("as a cell, names go in the cell body, one per line")
    common = validate_labels(labels_dict(args.labels))
    items = parse_create_cell(cell, common)
    client = ctx.client()
    plan = Plan.of_creates(
        client, [(i.line, i.name, i.labels) for i in items], origin="%%sinch create"
    )
    plan.hints = magic_hints()
    result = plan.apply(
        workers=min(ctx.settings.workers, len(items)),
        progress=len(items) > PROGRESS_FROM,
    )
    created = [o.subproject for o in result.outcomes if o.status == "ok" and o.subproject]
    frame = ctx.views.frames.mark(records_frame([sp.to_dict() for sp in created]))
    ctx.store(args.output, frame)
    if result.ok:
        return frame
    if created:
        ctx.show(frame)
    not_done = [o for o in result.outcomes if o.status != "ok"]
    problems = [
        f"  line {o.change.row} ({o.change.display_name!r}): {o.error}"
        for o in not_done
        if o.status != "skipped"
    ]
    unsent = [str(o.change.row) for o in not_done if o.status == "skipped"]
    if unsent:
        why = "interrupted" if result.interrupted else (result.stopped or "stopped")
        lines_word = "line" if len(unsent) == 1 else "lines"
        problems.append(f"  {why}: {lines_word} {', '.join(unsent)} not sent")
    shown = " (the created ones are shown above)" if created else ""
    lines = "\n".join(problems)
    error = MagicError(
        f"{len(not_done)} of {len(items)} subprojects were not created{shown}:\n{lines}"
    )
    error.result = result
    raise error


COMMANDS = [
    Command("list", "subprojects as a DataFrame (df = %sinch list)", _list_arguments, list_),
    Command("get", "one subproject by ID", _id_argument, get),
    Command(
        "create",
        "create one subproject; as %%sinch create, one per line",
        _create_arguments,
        create,
        run_cell=create_cell,
        epilog=CREATE_EPILOG,
    ),
    Command("update", "rename, set or remove labels", _update_arguments, update),
    Command("delete", "delete one subproject (asks first)", _delete_arguments, delete),
]
