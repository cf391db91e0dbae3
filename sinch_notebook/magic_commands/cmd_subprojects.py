"""Subproject commands: list, get, create (line and `%%sinch create` cell), update, delete."""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import SinchError, ValidationError
from ..frames import records_frame
from ..models import Subproject, validate_display_name, validate_labels
from .command import Command
from .errors import MagicError
from .interaction import confirm
from .parsing import add_output, label_pair, labels_dict, positive_int

if TYPE_CHECKING:
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
    parser.add_argument("--deleted", action="store_true", help="include deleted subprojects")
    parser.add_argument("--name", metavar="TEXT", help="only names containing TEXT (ignoring case)")
    _label_option(parser, "only subprojects with this label (repeat: all must match)")
    parser.add_argument("--limit", metavar="N", type=positive_int, help="at most N rows")
    add_output(parser, "the DataFrame")


def _matches(record: dict[str, Any], name: str | None, labels: dict[str, str]) -> bool:
    if name is not None and name not in str(record.get("displayName", "")).casefold():
        return False
    have = record.get("labels") if isinstance(record.get("labels"), dict) else {}
    return all(have.get(key) == value for key, value in labels.items())


def list_(ctx: Context, args: argparse.Namespace) -> pd.DataFrame:
    """Filters are applied page by page, and with --limit paging stops once enough are found."""
    wanted = labels_dict(args.labels)
    name = args.name.casefold() if args.name else None
    page_size = ctx.settings.page_size
    client = ctx.client()
    records: list[dict[str, Any]] = []
    for page in client.iter_pages(show_deleted=args.deleted, page_size=page_size):
        records.extend(r for r in page if _matches(r, name, wanted))
        if args.limit is not None and len(records) >= args.limit:
            del records[args.limit :]
            break
    frame = records_frame(records)
    ctx.store(args.output, frame)
    return ctx.views.frames.mark(frame)


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


def update(ctx: Context, args: argparse.Namespace) -> Subproject:
    if not (args.name or args.labels or args.unlabel):
        raise MagicError("nothing to change: give --name, --label or --unlabel")
    name = validate_display_name(_name(args.name)) if args.name else None
    changes = validate_labels(labels_dict(args.labels))
    both = sorted(set(changes) & set(args.unlabel))
    if both:
        raise MagicError(f"label {both[0]!r} is both set (--label) and removed (--unlabel)")
    client = ctx.client()
    labels = None
    if changes or args.unlabel:
        # The API replaces the whole label set, so start from the server's current labels.
        current = client.get(args.id)
        missing = [key for key in args.unlabel if key not in current.labels]
        if missing:
            have = ", ".join(sorted(current.labels)) or "none"
            raise MagicError(
                f"--unlabel: {current.subproject_id} has no label {missing[0]!r} "
                f"(its labels: {have})"
            )
        labels = {k: v for k, v in current.labels.items() if k not in args.unlabel}
        labels.update(changes)
    return client.update(args.id, display_name=name, labels=labels)


# -- delete ----------------------------------------------------------------------------------


def _delete_arguments(parser: argparse.ArgumentParser) -> None:
    _id_argument(parser)
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")


def delete(ctx: Context, args: argparse.Namespace) -> None:
    ask_first = ctx.settings.confirm_deletes and not args.yes
    client = ctx.client()
    target = client.get(args.id)
    label = f"{target.display_name!r} ({target.subproject_id})"
    if target.deleted:
        raise MagicError(f"{label} is already deleted")
    if ask_first:
        answer = confirm(ctx.shell, f"Delete {label}? There is no undelete. [y/N] ")
        if answer is None:
            raise MagicError(
                f"not deleting {label}: nobody can confirm in this non-interactive run; "
                "add --yes to delete without asking"
            )
        if not answer:
            print("Cancelled: nothing was deleted.")
            return
    client.delete(target.subproject_id)
    print(f"Deleted {label}.")


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
        raise MagicError(
            f"{len(problems)} invalid line{'s' if len(problems) > 1 else ''}, "
            f"nothing was created:\n{lines}"
        )
    if not items:
        raise MagicError("no subprojects in the cell: one per line, 'Name | key=value, ...'")
    return items


def _create_all(ctx: Context, items: list[NewSubproject]) -> list[Subproject | SinchError | None]:
    """Each line's outcome in line order; None for lines not sent because of Ctrl-C.

    On Ctrl-C the creates already sent finish (so each one's outcome is known) and the rest are
    not sent.
    """
    client = ctx.client()

    def create_one(item: NewSubproject) -> Subproject | SinchError:
        try:
            return client.create(item.name, item.labels)
        except SinchError as err:
            return err

    workers = max(1, min(ctx.settings.workers, len(items)))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sinch-create")
    futures = [pool.submit(create_one, item) for item in items]
    try:
        for future in futures:
            future.result()
    except KeyboardInterrupt:
        pass  # what was sent is reported below; the rest is cancelled
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [f.result() if f.done() and not f.cancelled() else None for f in futures]


def create_cell(ctx: Context, args: argparse.Namespace, cell: str) -> pd.DataFrame:
    if args.name:
        raise MagicError("as a cell, names go in the cell body, one per line")
    common = validate_labels(labels_dict(args.labels))
    items = parse_create_cell(cell, common)
    outcomes = _create_all(ctx, items)
    created = [o for o in outcomes if isinstance(o, Subproject)]
    frame = ctx.views.frames.mark(records_frame([sp.to_dict() for sp in created]))
    ctx.store(args.output, frame)
    pairs = list(zip(items, outcomes, strict=True))
    failed = [(item, o) for item, o in pairs if isinstance(o, SinchError)]
    unsent = [item.line for item, o in pairs if o is None]
    if not failed and not unsent:
        return frame
    if created:
        ctx.show(frame)
    problems = [f"  line {item.line} ({item.name!r}): {err}" for item, err in failed]
    if unsent:
        listed = ", ".join(str(n) for n in unsent)
        problems.append(f"  interrupted: line{'s' if len(unsent) > 1 else ''} {listed} not sent")
    shown = " (the created ones are shown above)" if created else ""
    lines = "\n".join(problems)
    raise MagicError(
        f"{len(failed) + len(unsent)} of {len(items)} subprojects were not created{shown}:\n{lines}"
    )


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
