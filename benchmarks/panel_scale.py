"""The panel at 100,000 subprojects, driven through its widgets as a person drives them.

Baseline: `client.frame(show_deleted=True)` of the same account (the sandbox in its own process,
100,000 subprojects, 10% of them deleted, the seed's realistic labels), measured in the same run,
alternated with the panel's load. Measured through the widgets (`.value`, `.click()`):

- connect and load Browse (Connect clicked until the grid shows the account);
- typing a name filter letter by letter ("a", "ac", "acm", "acme"), each sent as the front-end
  sends a keystroke (a comm "update"), then the same four keystrokes as one burst (arriving back
  to back, as a kernel gets them after a busy moment): how many filters that burst runs; the
  same text set from code (`.value`);
- a label key filter ("region") and a label value filter ("eu");
- "show deleted" on; Clear filters;
- sorting by each column, both ways (two clicks on each header);
- a row click that opens Edit (the subproject fetched and shown);
- scrolling the grid to rows all over the view: the kernel's answer to the page's request for
  the window of rows now on screen (what a scroll costs the kernel; the page holds no more);
- the grid's saved widget state: its size, and that no row is in it;
- the Bulk tab loading a 10,000-row frame (shown and planned), one cell edit and the re-plan;
- the History tab's diff of two stored snapshots of the whole account;
- memory held by the panel with the account loaded against that of the frame (tracemalloc,
  after a garbage collection, in the same process: both are Python and numpy allocations).

Each Browse action's clock stops when the page shows its result, observed from outside the
panel: `widgets.page` receives what the kernel sends the count line and the grid (their comm
messages) and asks the grid for its first rows as its front-end does; the clock stops when the
count line shows the new count (not "updating") and the grid's model holds the new row count
and first rows, those of the view worked out without the panel (`reference_view`: the core's
filter and `sorted()`). An action whose page still shows the old view after 300 s fails the run.

Goals (exit 1 when one is missed), as ratios to the baseline: Browse loaded <= 1.5x; every
Browse action <= 0.1x (about 0.1 s here: a person feels anything slower), a scroll's window
included; a burst of keystrokes
runs one filter; the Bulk re-plan after one edit <= 0.2x; the panel's memory <= 2x the frame's.
The Bulk load and the History diff are printed without a goal of their own here (the plan and
the diff have theirs in `history.py`).

    python benchmarks/panel_scale.py            # 100,000 subprojects (~2 min)
    python benchmarks/panel_scale.py --quick    # small smoke run, goals not enforced
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from _sandbox import connect, sandbox_process, verdict

import sinch_notebook as sn
from sinch_notebook.filters import SubprojectFilter
from sinch_notebook.models import Subproject
from sinch_notebook.widgets import Panel
from sinch_notebook.widgets.browse_columns import COLUMNS
from sinch_notebook.widgets.page import Page, browse_seen, reference_view, watch_browse

GOAL_LOAD = 1.5
GOAL_ACTION = 0.1
GOAL_REPLAN = 0.2
GOAL_MEMORY = 2.0
GOAL_BURST_FILTERS = 1
DELETED_SHARE = 0.10
BULK_ROWS = 10_000
TYPED = "acme"
TIMEOUT = 300.0  # s: a view not shown by then fails the run
POLL = 0.002  # s between two looks at the page
SORTS = (("Name", False), ("Labels", False), ("Updated", True), ("Created", True), ("ID", False))
WINDOW = 80  # rows the page asks for at a time: those on screen and a margin each way
STATE_GOAL_BYTES = 3_000  # the grid's saved state without its code: columns, count, sort


def settle(panel: Panel) -> None:
    """Wait until the panel shows the result of what was just done (background work included)."""
    settle_browse = getattr(panel.browser, "settle", None)
    if settle_browse is not None:
        settle_browse(300, flush=False)  # keystrokes wait for their delay, as in a notebook
    if not panel.wait(300):
        raise SystemExit("FAIL: the panel's background work did not finish")


def timed(panel: Panel, action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    settle(panel)
    return time.perf_counter() - started


class Expected:
    """What Browse should show, worked out without the panel (`widgets.page.reference_view`:
    the core's `SubprojectFilter.matches` and `sorted()` with the grid's keys over the listing's
    records); each sort is done once, and each view re-sorts an already sorted list."""

    def __init__(self, records: list[Subproject]) -> None:
        self.records = records
        self._sorted: dict[tuple[str, bool], list[Subproject]] = {}

    def view(self, wanted: SubprojectFilter, column: str, descending: bool) -> tuple[int, list]:
        key = (column, descending)
        if key not in self._sorted:
            by = next(c for c in COLUMNS if c.title == column).key
            self._sorted[key] = sorted(self.records, key=by, reverse=descending)
        return reference_view(self._sorted[key], wanted, column, descending)


def timed_until_seen(
    page: Page, browser: Any, action: Callable[[], Any], expected: tuple[int, list]
) -> float:
    """Seconds from `action()` until the page shows the expected count and first rows, read
    from what the page was sent (`widgets.page`), polled; fails after TIMEOUT."""
    count, first = expected
    before = browse_seen(page, browser).model
    started = time.perf_counter()
    action()
    while True:
        seen = browse_seen(page, browser)
        if seen.model != before and seen.shows(count, first):  # a new model, and the view
            return time.perf_counter() - started
        if time.perf_counter() - started > TIMEOUT:
            raise SystemExit(
                f"FAIL: after {TIMEOUT} s the page shows {seen.count_text[:60]!r}, "
                f"{seen.rows:,} rows, first {seen.first[:1]}; expected {count:,} rows, "
                f"first {first[:1]}"
            )
        time.sleep(POLL)


def delete_up_to(client: sn.SubprojectsClient, share: float) -> None:
    """Soft-delete live subprojects until `share` of the account is deleted (the seed has ~7%)."""
    frame = client.frame(show_deleted=True)
    missing = int(len(frame) * share) - int(frame["deleted"].sum())
    ids = list(frame.loc[~frame["deleted"], "subprojectId"].iloc[::7][: max(0, missing)])
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(client.delete, ids))


def connect_panel(settings: dict[str, str], namespace: dict[str, Any]) -> Panel:
    panel = Panel(namespace=namespace, autoconnect=False)
    form = panel.connect_form
    form.key_id.value = settings["SINCH_KEY_ID"]
    form.project_id.value = settings["SINCH_PROJECT_ID"]
    form.api_url.value = settings["SINCH_API_URL"]
    form.auth_url.value = settings["SINCH_AUTH_URL"]
    form.key_secret.value = settings["SINCH_KEY_SECRET"]
    form.connect_button.click()
    settle(panel)
    return panel


def count_views(panel: Panel) -> list[int]:
    """A counter of the views the Browse grid is given (one per filter that ran)."""
    grid = panel.browser.grid
    counter = [0]
    show = grid.show_view

    def counting(*args: Any, **kwargs: Any) -> Any:
        counter[0] += 1
        return show(*args, **kwargs)

    grid.show_view = counting
    return counter


def typed(widget: Any, value: Any) -> None:
    """A value as the front-end sends it (a comm "update" message: a keystroke, a tick)."""
    widget.set_state({"value": value})


def browse_actions(panel: Panel, expect: Expected) -> tuple[dict[str, float], int]:
    """Every Browse action, each timed until the page shows its result; and the burst's filters.

    Each action's clock stops when what the page was sent (the count line and the grid's model:
    its row count and its first rows, asked for as the front-end asks) shows the view the
    action asks for, worked out independently (`Expected`).
    """
    browser = panel.browser
    page = watch_browse(browser)
    times: dict[str, float] = {}
    sort = ["Updated", True]

    def run(name: str, action: Callable[[], Any], **wanted: Any) -> None:
        expected = expect.view(SubprojectFilter(**wanted), sort[0], sort[1])
        times[name] = timed_until_seen(page, browser, action, expected)
        settle(panel)  # nothing left running before the next action

    for n in range(1, len(TYPED) + 1):
        run(
            f"type {TYPED[:n]!r}", lambda n=n: typed(browser.name_filter, TYPED[:n]), text=TYPED[:n]
        )
    run("Clear filters (after typing)", browser.clear_button.click)
    views = count_views(panel)

    def burst() -> None:
        for n in range(1, len(TYPED) + 1):
            typed(browser.name_filter, TYPED[:n])

    run(f"burst {TYPED!r}", burst, text=TYPED)
    burst_filters = views[0]
    run("Clear filters (after the burst)", browser.clear_button.click)
    run(
        "name set from code 'acme'",
        lambda: setattr(browser.name_filter, "value", TYPED),
        text=TYPED,
    )
    run("Clear filters (after code)", browser.clear_button.click)
    run("label key 'region'", lambda: typed(browser.label_key, "region"), label_key="region")
    run(
        "label value 'eu'",
        lambda: typed(browser.label_value, "eu"),
        label_key="region",
        label_value="eu",
    )
    run(
        "show deleted",
        lambda: typed(browser.show_deleted, True),
        label_key="region",
        label_value="eu",
        show_deleted=True,
    )
    run("Clear filters", browser.clear_button.click)
    run("show deleted (all)", lambda: typed(browser.show_deleted, True), show_deleted=True)
    run("Clear filters (from all)", browser.clear_button.click)
    for title, first in SORTS:
        for click, descending in (("1st", first), ("2nd", not first)):
            sort[:] = [title, descending]
            run(f"sort {title} ({click} click)", lambda t=title: browser.grid.click_header(t))
    grid, size = browser.grid.grid, browser.view_size
    for start in (0, size // 3, size // 2, (size * 9) // 10, max(0, size - WINDOW)):
        started = time.perf_counter()  # the page's request to the rows it would draw
        rows = page.grid_rows(grid, start, start + WINDOW)
        times[f"scroll to row {start:,} (a window of {WINDOW})"] = time.perf_counter() - started
        if len(rows) != min(WINDOW, size - start):
            raise SystemExit(f"FAIL: the window at {start:,} was not answered whole")
    times["row click opens Edit"] = timed(panel, lambda: browser.grid.click_row(0))
    if panel.edit_form.opened is None or not browser.view:
        raise SystemExit("FAIL: the row click did not open the subproject in Edit")
    if panel.edit_form.opened.subproject_id != browser.view[0].subproject_id:
        raise SystemExit("FAIL: the row click opened another subproject")
    return times, burst_filters


def grid_state(panel: Panel) -> tuple[int, int]:
    """The Browse grid's widget state as a saved notebook holds it: its size in bytes besides
    its ES module and CSS (the same for every grid), and how many of the view's ids it holds."""
    import json

    state = panel.browser.grid.grid.get_state()
    text = json.dumps({k: v for k, v in state.items() if k not in ("_esm", "_css")}, default=str)
    everything = json.dumps(state, default=str)
    ids = panel.browser.view_ids
    return len(text), sum(sid in everything for sid in ids[:: max(1, len(ids) // 1000)])


def bulk_actions(panel: Panel, client: sn.SubprojectsClient, rows: int) -> dict[str, float]:
    namespace = panel.ctx.namespace()
    namespace["bulk_df"] = client.frame().head(rows).reset_index(drop=True)
    bulk = panel.bulk_form
    times = {f"Bulk load and plan {rows:,} rows": timed(panel, lambda: bulk.load("bulk_df"))}
    if bulk.plan is None or len(bulk.plan) != 0:
        raise SystemExit(f"FAIL: the unchanged frame planned changes: {bulk.plan!r}")
    times["Bulk re-plan after one edit"] = timed(
        panel, lambda: bulk.editor.set_cell(0, "displayName", "Renamed in the benchmark")
    )
    if bulk.plan is None or len(bulk.plan) != 1:
        raise SystemExit(f"FAIL: one edit did not plan one change: {bulk.plan!r}")
    return times


def history_diff(panel: Panel, client: sn.SubprojectsClient, folder: Path) -> float:
    store = sn.open_store(folder / "history.sqlite")
    first = sn.snapshot(client, store)
    frame = client.frame().head(100).copy()
    frame["label.bench"] = "changed"
    client.plan(frame).apply(workers=8, progress=False, journal=False)
    second = sn.snapshot(client, store)
    form = panel.history_form
    form.store = store
    form.reload()
    settle(panel)
    form.a.value, form.b.value = first.id, second.id
    seconds = timed(panel, form.diff_button.click)
    if form.diff is None or len(form.diff.subprojects) != 100:
        raise SystemExit(f"FAIL: the History diff did not find the 100 changes: {form.diff!r}")
    return seconds


def retained(make: Callable[[], Any]) -> tuple[int, Any]:
    """Bytes still allocated after `make()` (its result kept alive), after a collection."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        made = make()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before, made
    finally:
        tracemalloc.stop()


def memory(settings: dict[str, str], client: sn.SubprojectsClient) -> tuple[int, int]:
    frame_bytes, frame = retained(lambda: client.frame(show_deleted=True))
    del frame
    panel_bytes, panel = retained(lambda: connect_panel(settings, {}))
    sn.disconnect()
    panel.close()
    return frame_bytes, panel_bytes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subprojects", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="loads, alternated with listings")
    parser.add_argument("--bulk-rows", type=int, default=BULK_ROWS)
    parser.add_argument("--quick", action="store_true", help="tiny sizes; do not enforce goals")
    args = parser.parse_args(argv)
    if args.quick:
        args.subprojects, args.rounds, args.bulk_rows = 2_000, 1, 200

    print(f"seeding a sandbox with {args.subprojects:,} subprojects ...", flush=True)
    with sandbox_process(args.subprojects) as settings, tempfile.TemporaryDirectory() as tmp:
        client = connect(settings)
        delete_up_to(client, DELETED_SHARE)
        listed = client.frame(show_deleted=True)  # also a warm-up (imports, connections)
        print(
            f"account: {len(listed):,} subprojects, {int(listed['deleted'].sum()):,} deleted, "
            f"{sum(c.startswith('label.') for c in listed.columns)} label keys",
            flush=True,
        )
        del listed
        listings: list[float] = []
        loads: list[float] = []
        panel: Panel | None = None
        for _ in range(args.rounds):
            started = time.perf_counter()
            client.frame(show_deleted=True)
            listings.append(time.perf_counter() - started)
            if panel is not None:
                sn.disconnect()
                panel.close()
            namespace: dict[str, Any] = {}
            started = time.perf_counter()
            panel = connect_panel(settings, namespace)
            loads.append(time.perf_counter() - started)
            loaded = getattr(panel.browser, "size", None) or len(panel.browser.rows)
            if loaded != args.subprojects:
                raise SystemExit(f"FAIL: Browse loaded {loaded:,} subprojects")
            print(f"listing {listings[-1]:.3f} s, panel loaded {loads[-1]:.3f} s", flush=True)
        assert panel is not None
        expect = Expected([Subproject.from_api(r) for r in client.records().values()])
        actions, burst_filters = browse_actions(panel, expect)
        state_bytes, state_rows = grid_state(panel)
        bulk = bulk_actions(panel, client, args.bulk_rows)
        diff_seconds = history_diff(panel, client, Path(tmp))
        sn.disconnect()
        panel.close()
        frame_bytes, panel_bytes = memory(settings, client)

    base = statistics.median(listings)
    load = statistics.median(loads)
    missed = []

    def ratio(name: str, seconds: float, goal: float | None, key: str) -> None:
        value = seconds / base
        target = f" (goal <= {goal}x)" if goal is not None else ""
        print(f"ratio {name}/listing = {value:.3f}x  [{seconds:.3f} s]{target}")
        if goal is not None and value > goal:
            missed.append(key)

    print(f"\nmedian listing (client.frame(show_deleted=True)): {base:.3f} s")
    ratio("Browse loaded", load, GOAL_LOAD, "Browse loaded")
    for name, seconds in actions.items():
        ratio(name, seconds, GOAL_ACTION, name)
    print(f"filters run by the burst of {len(TYPED)} keystrokes: {burst_filters}", end="")
    print(f" (goal <= {GOAL_BURST_FILTERS})")
    if burst_filters > GOAL_BURST_FILTERS:
        missed.append("burst")
    for name, seconds in bulk.items():
        goal = GOAL_REPLAN if name.startswith("Bulk re-plan") else None
        ratio(name, seconds, goal, name)
    ratio("History diff of two stored snapshots", diff_seconds, None, "History diff")
    memory_ratio = panel_bytes / frame_bytes
    print(
        f"memory: frame {frame_bytes / 1e6:.1f} MB, panel with the account loaded "
        f"{panel_bytes / 1e6:.1f} MB, ratio panel/frame = {memory_ratio:.2f}x "
        f"(goal <= {GOAL_MEMORY}x)"
    )
    if memory_ratio > GOAL_MEMORY:
        missed.append("memory")
    print(
        f"the Browse grid's widget state: {state_bytes:,} bytes besides its code, "
        f"{state_rows} rows in it (goal <= {STATE_GOAL_BYTES:,} bytes and no rows)"
    )
    if state_bytes > STATE_GOAL_BYTES or state_rows:
        missed.append("grid state")
    return verdict(missed, args.quick)


if __name__ == "__main__":
    sys.exit(main())
