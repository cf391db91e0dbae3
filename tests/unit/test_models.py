"""Input rules checked before sending, and parsing of API resources."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sinch_notebook import Subproject, ValidationError
from sinch_notebook.models import parse_time, validate_display_name, validate_labels


@pytest.mark.parametrize("length", [1, 255])
def test_display_name_length_bounds_accepted(length: int) -> None:
    assert validate_display_name("x" * length) == "x" * length


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("", "1..255 characters, got an empty string"),
        ("x" * 256, "1..255 characters, got 256"),
        (None, "is required"),
        (12, "must be a string, got int"),
    ],
)
def test_display_name_rejections_name_field_and_rule(value: object, rule: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_display_name(value)
    assert info.value.field == "displayName"
    assert rule in str(info.value)


def test_labels_255_entries_ok_256_rejected() -> None:
    assert len(validate_labels({f"k{i}": "v" for i in range(255)})) == 255
    with pytest.raises(ValidationError, match=r"at most 255 labels.*got 256"):
        validate_labels({f"k{i}": "v" for i in range(256)})


@pytest.mark.parametrize(
    ("labels", "field", "rule"),
    [
        ({"tier": 3}, "labels['tier']", "must be a string, got int"),
        ({"tier": None}, "labels['tier']", "must be a string, got NoneType"),
        ({"tier": ""}, "labels['tier']", "1..255 characters, got 0"),
        ({"tier": "v" * 256}, "labels['tier']", "1..255 characters, got 256"),
        ({"": "v"}, "labels key ''", "1..255 characters, got 0"),
        ({5: "v"}, "labels key 5", "must be a string"),
    ],
)
def test_label_rejections(labels: dict, field: str, rule: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_labels(labels)
    assert info.value.field == field
    assert rule in info.value.rule


def test_label_bounds_accepted() -> None:
    labels = {"k" * 255: "v" * 255, "a": "b"}
    assert validate_labels(labels) == labels


def test_labels_must_be_a_mapping() -> None:
    with pytest.raises(ValidationError, match="labels: must be a mapping"):
        validate_labels([("a", "b")])


def test_subproject_ignores_unknown_fields_and_parses_times() -> None:
    sp = Subproject.from_api(
        {
            "subprojectId": "01FC66621VHDBN119Z8PMXXXXX",
            "displayName": "Acme",
            "parentProjectId": "p",
            "labels": {"a": "b"},
            "createTime": "2021-08-04T13:52:56.123Z",
            "updateTime": "2021-08-04T13:52:56.123456789Z",
            "deleted": False,
            "newBetaField": {"nested": True},
        }
    )
    assert sp.id == "01FC66621VHDBN119Z8PMXXXXX"
    assert sp.create_time == datetime(2021, 8, 4, 13, 52, 56, 123000, tzinfo=timezone.utc)
    assert sp.update_time == datetime(2021, 8, 4, 13, 52, 56, 123456, tzinfo=timezone.utc)
    assert sp.extra == {"newBetaField": {"nested": True}}
    assert sp.to_dict()["createTime"] == "2021-08-04T13:52:56.123000Z"


def test_parse_time_offsets_normalise_to_utc() -> None:
    assert parse_time("2024-01-01T02:00:00+02:00") == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert parse_time("garbage") is None
    assert parse_time(None) is None
