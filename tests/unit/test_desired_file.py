"""Desired-state files: every rule of the file, each broken one a single line naming the file and
the line (nothing here talks to a server; tests/integration/test_desired_state.py does)."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sinch_notebook.desired_state import DesiredFileError, load_desired
from sinch_notebook.desired_state.dumper import dump_text, scalar
from sinch_notebook.desired_state.reader import MAX_DEPTH, MAX_ITEMS

GOOD = """\
project: p1   # the parent project
managed_by: analytics-team
unmanaged: delete
policy: {required: [tier]}
subprojects:
  - id: 01FC66621VHDBN119Z8PMXXXXX
    name: Acme EU
    labels: {region: eu-west, tier: gold}
  - name: Globex US
    key: {customer-id: C-1002}
    labels: {tier: silver}
  - name: Initech
    key: [customer-id]
    labels: {customer-id: C-7, tier: 0123}
    protected: true
  - id: 01FC66621VHDBN119Z8PMYYYYY
"""


def write(tmp_path: Path, text: str, name: str = "subprojects.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str) -> DesiredFileError:
    path = write(tmp_path, text)
    with pytest.raises(DesiredFileError) as caught:
        load_desired(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path))
    return caught.value


def test_a_good_file_reads_as_written(tmp_path: Path) -> None:
    state = load_desired(write(tmp_path, GOOD))
    assert (state.project, state.managed_by, state.unmanaged) == ("p1", "analytics-team", "delete")
    assert state.policy is not None and state.policy.required == ("tier",)
    assert state.policy.source == str(tmp_path / "subprojects.yaml")
    acme, globex, initech, bare = state.entries
    assert (acme.id, acme.name, acme.labels, acme.line) == (
        "01FC66621VHDBN119Z8PMXXXXX", "Acme EU", {"region": "eu-west", "tier": "gold"}, 6,
    )  # fmt: skip
    # a key mapping is part of the labels; a key list names labels the entry gives
    assert globex.key == {"customer-id": "C-1002"}
    assert globex.labels == {"tier": "silver", "customer-id": "C-1002"}
    assert initech.key == {"customer-id": "C-7"}
    # plain text is the text written (0123 stays 0123); protected: true is said apart (the
    # plan gives it the connection's protection label)
    assert initech.labels == {"customer-id": "C-7", "tier": "0123"}
    assert (initech.protected, acme.protected) == (True, None)
    assert (bare.name, bare.labels) == (None, None)  # left out: kept as the server has them


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("project: p\nsubprojects:\n  - id: A\n    lables: {}\n", 4, "did you mean labels?"),
        ("projet: p\n", 1, "did you mean project?"),
        ("project: p\nsubprojects:\n  - id: A\n  - id: A\n", 4, "id A is listed twice"),
        (
            "project: p\nsubprojects:\n  - {name: a, key: {c: '1'}}\n"
            "  - {name: b, key: {c: '1'}}\n",
            4,
            "listed twice (first at line 3)",
        ),
        ("project: p\nproject: q\n", 2, "'project' is given twice (first at line 1)"),
        (
            "project: p\nsubprojects:\n  - name: a\n    key: [customer-id]\n    labels: {t: x}\n",
            4,
            "key label 'customer-id' is missing from labels",
        ),
        (
            "project: p\nsubprojects:\n  - name: a\n    key: {c: '1'}\n    labels: {c: '2'}\n",
            4,
            "a key label is one of the labels",
        ),
        ("project: p\nsubprojects:\n  - name: a\n", 3, "needs a key"),
        ("project: p\nsubprojects:\n  - id: A\n    name:\n", 4, "name: is required"),
        ("project: p\nsubprojects:\n  - id: A\n    labels:\n", 4, "must be a mapping"),
        ("project: p\nsubprojects:\n  - id: A\n    labels: {a: null}\n", 4, "is empty"),
        ("project: p\nunmanaged: remove\n", 2, "must be report, ignore or delete"),
        ("project: p\npolicy: [a]\n", 2, "policy: must be a mapping"),
        ("project: p\npolicy:\n  require: [tier]\n", 2, "policy: unknown key 'require'"),
        (
            "project: p\nunmanaged: ignore\npolicy:\n  keys: {pattern: '(['}\n",
            3,
            "policy: keys: bad regular expression '(['",
        ),
        ("project: p\npolicy: {allowed: {tier: {regex: x}}}\n", 2, "unknown key 'regex'"),
        ("project: p\nsubprojects: {a: b}\n", 2, "must be a list"),
        ("subprojects: []\n", 1, "project: is required"),
        ("project: p\nsubprojects:\n  - id: A\n    name: [x\n", 5, "is not valid YAML"),
        ("project: p\n  bad: indent\n", 2, "is not valid YAML"),
        ("project: &a p\n", 1, "anchors (&a) are not allowed"),
        ("project: !!int 5\n", 1, "tags (tag:yaml.org,2002:int) are not allowed"),
        ("project: p\n---\nproject: q\n", 2, "more than one YAML document"),
        ("", 1, "is empty"),
        ("project: p\nsubprojects:\n  - id: A\n    protected: maybe\n", 4, "true or false"),
        ("project: p\nsubprojects:\n  - id: A\n    name: '" + "x" * 300 + "'\n", 4, "1..255"),
    ],
)
def test_each_broken_rule_is_one_line_with_the_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    error = refused(tmp_path, text)
    assert error.line == line, str(error)
    assert words in str(error) and f"line {line}:" in str(error)


def test_deep_nesting_is_refused_while_reading(tmp_path: Path) -> None:
    error = refused(tmp_path, "project: p\npolicy: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert f"nested more than {MAX_DEPTH} levels deep" in str(error)
    assert error.line == 2


def test_a_million_entries_are_refused_without_building_them(tmp_path: Path) -> None:
    text = "project: p\nsubprojects:\n" + "  - {id: A}\n" * 1_000_000
    error = refused(tmp_path, text)
    assert f"more than {MAX_ITEMS:,} items" in str(error)
    assert error.line == MAX_ITEMS + 3  # the first item too many


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "subprojects.yaml"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            load_desired(fifo)
        except DesiredFileError as err:
            outcome.append(err)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)
    assert not reader.is_alive(), "reading a FIFO blocked"
    assert "is not a regular file" in str(outcome[0]) and str(fifo) in str(outcome[0])


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"project: p\n\xff\xfe\n", "line 2: is not UTF-8 text"), (None, "is a directory")],
)
def test_what_is_not_a_text_file_is_refused(
    tmp_path: Path, content: bytes | None, words: str
) -> None:
    path = tmp_path / "subprojects.yaml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(DesiredFileError, match=words):
        load_desired(path)
    with pytest.raises(DesiredFileError, match="no such file"):
        load_desired(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    "text",
    ["yes", "No", "null", "~", "", "0123", "1e5", "0x1F", "a: b", "#x", " lead", "trail ",
     "tab\there", "line\nbreak", "quote\"'", "\\back", "ünïcødé ✓", "\u2028", "\ufeffbom",
     "- dash", "[x]", "{y}", "*star", "&amp", "!bang", "%pct", "@at", "`tick", "|pipe", ">gt",
     "true", ".inf", "01HYN7HSW328MXQWQET4XSSTMN", "2026-01-01", "1_000", "+1", "\x00\x07"],
)  # fmt: skip
def test_a_dumped_value_reads_back_exactly(tmp_path: Path, text: str) -> None:
    import yaml

    name, key, value = text or "x", text or "k", text or "v"
    record = {"subprojectId": "A1", "displayName": name, "labels": {key: value}}
    path = write(tmp_path, dump_text("p", [record]))
    entry = load_desired(path).entries[0]
    assert (entry.name, entry.labels) == (record["displayName"], record["labels"])
    # and so does any YAML reader (the dump quotes what one could take for something else)
    loaded = yaml.safe_load(scalar(text))
    assert loaded == text or (text == "" and loaded == "")


def both_readers(path: Path) -> tuple[Any, Any]:
    """What the dump-layout reader and the full reader make of one file (None: gave up)."""
    from sinch_notebook.desired_state.fastpath import read_dump_layout
    from sinch_notebook.desired_state.loader import _Reader
    from sinch_notebook.desired_state.reader import parse, read_text

    text = read_text(path)
    return read_dump_layout(path, text, MAX_ITEMS), _Reader(path).state(parse(path, text))


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
WORDS = st.sampled_from(["yes", "No", "null", "0123", "1e5", "0x1F", "a b", "Acme EU", "C-1002"])
RECORD = st.fixed_dictionaries(
    {
        "subprojectId": st.one_of(st.from_regex(r"[0-9A-Z]{26}", fullmatch=True), TEXT),
        "displayName": st.one_of(WORDS, TEXT),
        "labels": st.dictionaries(st.one_of(WORDS, TEXT), st.one_of(WORDS, TEXT), max_size=3),
    }
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=st.lists(RECORD, max_size=6, unique_by=lambda r: r["subprojectId"].strip()))
def test_the_dump_layout_reader_agrees_with_the_full_reader(
    tmp_path: Path, records: list[dict[str, Any]]
) -> None:
    path = write(tmp_path, dump_text("p", records))
    fast, full = both_readers(path)
    if fast is not None:
        assert (fast.project, fast.entries) == (full.project, full.entries)
    assert [(e.name, e.labels) for e in full.entries] == [
        (r["displayName"], r["labels"]) for r in dump_order(records)
    ]


def dump_order(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(records, key=lambda r: (r["displayName"], r["subprojectId"]))


def test_a_dump_is_read_by_the_dump_layout_reader(tmp_path: Path) -> None:
    records = [
        {"subprojectId": f"01HYN7HSW328MXQWQET4X{i:05d}", "displayName": f"Customer {i}",
         "labels": {"tier": "gold", "note": "yes" if i % 2 else "a: b", "id": f"C-{i}"}}
        for i in range(50)
    ]  # fmt: skip
    path = write(tmp_path, dump_text("p", records))
    fast, full = both_readers(path)
    assert fast is not None and fast.entries == full.entries and len(fast.entries) == 50
    # a hand edit the layout reader does not know (a comment after a value): the full reader
    edited = path.read_text().replace("name: Customer 7\n", "name: Customer 7  # renamed\n")
    path.write_text(edited)
    fast, full = both_readers(path)
    assert fast is None and "Customer 7" in [e.name for e in full.entries]


def test_too_many_entries_in_the_dump_layout_are_refused_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sinch_notebook.desired_state import loader, reader

    monkeypatch.setattr(loader, "MAX_ITEMS", 1_000)
    monkeypatch.setattr(reader, "MAX_ITEMS", 1_000)
    records = [{"subprojectId": f"ID{i:05d}", "displayName": "n"} for i in range(1_001)]
    error = refused(tmp_path, dump_text("p", records))
    assert (
        "more than 1,000 items" in str(error) and error.line == 5 + 3 * 1_000
    )  # the header is 4 lines
