"""The panel's upload buttons (issue 33, item 9): labelled with their description alone, never
"Upload CSV / Excel (0)" after an upload, and no file in their saved state or in anything sent
back to the page. Files arrive as the page sends them: a custom message with the bytes as its
buffer (`send_file`)."""

from __future__ import annotations

from typing import Any

from sinch_notebook import files
from sinch_notebook.files import csv_bytes
from sinch_notebook.widgets import Panel
from sinch_notebook.widgets.upload import UploadButton

from .helpers import keeps_file, plain, send_file, send_to

MARKER = "Renamed-7d1e-only-in-the-file"


def bulk_buttons(panel: Panel) -> dict[str, UploadButton]:
    form = panel.bulk_form
    return {
        "frame": form.upload_frame,
        "plan": form.upload,
        "desired": form.desired.upload,
    }


def test_each_upload_button_is_labelled_by_its_description_alone(
    bulk_panel: tuple[Panel, dict],
) -> None:
    panel, _ = bulk_panel
    buttons = bulk_buttons(panel)
    assert {k: (b.description, b.accept) for k, b in buttons.items()} == {
        "frame": ("Upload CSV / Excel", ".csv,.xlsx"),
        "plan": ("Upload plan", ".json"),
        "desired": ("Upload YAML", ".yaml,.yml"),
    }
    for button in buttons.values():
        assert isinstance(button, UploadButton)
        assert not {"value", "counter", "multiple"} & set(button.get_state())


def test_after_an_upload_the_button_reads_the_same_and_keeps_no_file(
    bulk_panel: tuple[Panel, dict],
) -> None:
    panel, namespace = bulk_panel
    button = panel.bulk_form.upload_frame
    before = button.get_state()
    sent: list[Any] = []
    button._send = lambda msg, buffers=None: sent.append((msg, buffers))  # what goes to the page
    frame = panel.ctx.client().frame().head(1)
    frame.loc[0, "displayName"] = MARKER
    content = csv_bytes(frame)
    send_file(button, "edited.csv", content)
    assert panel.wait()
    assert "edited.csv: 1 row loaded" in plain(panel.bulk_form.picker_status.value)
    assert namespace["uploaded_df"].loc[0, "displayName"] == MARKER  # the file was read
    assert button.description == "Upload CSV / Excel"  # no "(1)", no "(0)"
    assert button.get_state() == before
    assert not keeps_file(button, content)
    assert MARKER not in repr(sent)  # nothing of the file goes back to the page


def test_the_same_file_twice_is_heard_twice_by_its_name_alone() -> None:
    button = UploadButton("Upload", accept=".csv")
    heard: list[tuple[str, bytes]] = []
    button.on_upload(lambda name, content: heard.append((name, content)))
    send_file(button, "a.csv", b"x,y\n")
    send_file(button, "a.csv", b"x,y\n")
    send_file(button, "C:\\Users\\me\\b.csv", b"z\n")  # some browsers once sent a path
    assert heard == [("a.csv", b"x,y\n"), ("a.csv", b"x,y\n"), ("b.csv", b"z\n")]
    button._handle_custom_msg({"type": "window"}, [])  # anything else is not a file
    assert len(heard) == 3
    button.close()


def test_a_file_sent_in_parts_is_heard_once_whole() -> None:
    button = UploadButton("Upload")
    heard: list[tuple[str, bytes]] = []
    button.on_upload(lambda name, content: heard.append((name, content)))
    content = bytes(range(256)) * 40
    send_file(button, "big.csv", content, part=1000)  # 11 parts
    assert heard == [("big.csv", content)]
    send_to(button, {"type": "file", "name": "x", "offset": 5, "last": True}, [b"tail"])
    assert len(heard) == 1  # a part without its beginning is no file
    button.close()


def test_a_file_beyond_the_limit_is_refused_in_the_tab_and_never_read(
    bulk_panel: tuple[Panel, dict],
) -> None:
    panel, namespace = bulk_panel
    button = panel.bulk_form.upload_frame
    assert button.max_bytes == files.MAX_UPLOAD_BYTES  # the page refuses larger files unsent
    size = files.MAX_UPLOAD_BYTES + 1
    send_to(button, {"type": "refused", "name": "huge.csv", "size": size})
    expected = str(files.upload_too_large("huge.csv", size))
    assert "huge.csv: an upload may be at most 32 MiB" in expected
    assert expected in plain(panel.bulk_form.picker_status.value)
    assert "uploaded_df" not in namespace and panel.bulk_form.plan is None


def test_a_page_that_sends_more_than_it_said_is_cut_off() -> None:
    button = UploadButton("Upload", max_bytes=2000)
    heard: list[Any] = []
    button.on_upload(lambda name, content: heard.append(("file", name)))
    button.on_refused(lambda name, size: heard.append(("refused", name, size)))
    send_file(button, "liar.csv", b"x" * 3000, part=1000)
    assert heard == [("refused", "liar.csv", 3000)]  # no file, and no more than 2000 bytes kept
    assert button._got == 0
    button.close()
