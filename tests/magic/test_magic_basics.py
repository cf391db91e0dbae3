"""The %sinch magic's frame: loading, help, argument errors, expansion, settings, display."""

from __future__ import annotations

import pytest
from traitlets.config import Config

import sinch_notebook as sn
from sinch_notebook import config
from sinch_notebook.magic import COMMANDS, MagicError
from sinch_notebook.sandbox import Sandbox
from tests.magic_shell import MagicShell, fresh_shell


def test_load_ext_registers_line_and_cell_magic(ip: MagicShell) -> None:
    magics = ip.shell.magics_manager.magics
    assert "sinch" in magics["line"]
    assert "sinch" in magics["cell"]


def test_unload_and_reload_leave_one_working_magic(ip: MagicShell) -> None:
    ip.ok("%unload_ext sinch_notebook")
    assert "sinch" not in ip.shell.magics_manager.magics["line"]
    assert not any(isinstance(c, config.Sinch) for c in ip.shell.configurables)
    assert sn.Subproject not in ip.shell.display_formatter.formatters["text/html"].type_printers
    ip.ok("%load_ext sinch_notebook")
    ip.ok("%reload_ext sinch_notebook")
    assert sum(isinstance(c, config.Sinch) for c in ip.shell.configurables) == 1
    assert "login" in ip.ok("%sinch help").stdout


@pytest.mark.parametrize("line", ["%sinch", "%sinch help", "%sinch --help", "%sinch -h"])
def test_help_lists_every_command_on_one_line_each(ip: MagicShell, line: str) -> None:
    out = ip.ok(line).stdout
    width = max(len(name) for name in COMMANDS)
    for name, command in COMMANDS.items():
        assert [row for row in out.splitlines() if row.strip().startswith(f"{name} ")] == [
            f"  {name.ljust(width)}  {command.summary}"
        ]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_has_usage_and_help_does_not_exit(ip: MagicShell, name: str) -> None:
    run = ip.ok(f"%sinch {name} --help")
    assert run.stdout.startswith(f"usage: %sinch {name}")
    assert ip.ok(f"%sinch help {name}").stdout == run.stdout


def test_bad_arguments_are_one_line_and_fail_the_cell(ip: MagicShell) -> None:
    run = ip.fails("%sinch list --limit zero")
    assert run.lines() == [
        "%sinch list: argument --limit: must be a positive integer, got 'zero' "
        "(see %sinch list --help)"
    ]
    assert isinstance(run.error, MagicError)
    assert isinstance(run.error, sn.SinchError)  # catchable as any error of the package
    run = ip.fails("%sinch list --colour red")
    assert run.lines() == ["%sinch list: unknown option --colour (see %sinch list --help)"]
    assert ip.fails("%sinch get").lines() == [
        "%sinch get: missing: the subprojectId (see %sinch get --help)"
    ]


def test_option_typos_get_the_close_option_and_no_internal_names_show(ip: MagicShell) -> None:
    assert ip.fails("%sinch list --lable tier=gold").lines() == [
        "%sinch list: unknown option --lable (did you mean --label?) (see %sinch list --help)"
    ]
    for line, internal in [
        ("%sinch sandbox restart", "argument action"),
        ("%sinch apply", "PLAN"),
        ("%sinch diff", "A "),
    ]:
        text = ip.fails(line).lines()[0]
        assert internal not in text and "argument " not in text, text


def test_unknown_command_suggests_the_close_one(ip: MagicShell) -> None:
    run = ip.fails("%sinch lst")
    assert run.lines() == [
        "%sinch: unknown command 'lst'; did you mean 'list'? (%sinch help lists the commands)"
    ]


def test_unbalanced_quotes_are_a_clear_error(ip: MagicShell) -> None:
    run = ip.fails("%sinch create O'Brien Ltd")
    assert "No closing quotation" in run.lines()[0]
    assert len(run.lines()) == 1


def test_commands_that_need_a_connection_say_how_to_get_one(ip: MagicShell) -> None:
    for line in ("%sinch list", "%sinch get X", "%sinch create A", "%sinch delete X --yes"):
        run = ip.fails(line)
        assert (
            "not connected (no SINCH_* credentials are set): run %sinch login" in (run.lines()[0])
        )
        assert len(run.lines()) == 1


def test_cell_body_only_where_a_command_takes_one(ip: MagicShell) -> None:
    run = ip.fails("%%sinch list\nAcme | a=b")
    assert run.lines() == ["%sinch list: %%sinch list takes no cell body (cells: create)"]


def test_error_line_is_what_ipython_renders_for_the_exception(ip: MagicShell) -> None:
    run = ip.fails("%sinch get")
    assert run.error._render_traceback_() == run.lines()


def test_dollar_and_brace_expansion(ip: MagicShell, sandbox_env: Sandbox) -> None:
    ip.ok("%sinch login")
    ip.ok("who = 'Initech'; region = 'eu-west'")
    created = ip.ok("%sinch create {who} $who --label region=$region --label tier={who.lower()}")
    assert created.value.display_name == "Initech Initech"
    assert created.value.labels == {"region": "eu-west", "tier": "initech"}
    ip.ok("target = _.id")
    assert ip.ok("%sinch get {target}").value.display_name == "Initech Initech"
    assert ip.ok("%sinch get $target").value.id == created.value.id


def test_trailing_semicolon_silences_the_output(ip: MagicShell) -> None:
    run = ip.ok("%sinch status;")
    assert run.value is None
    assert run.stdout == ""


# -- settings --------------------------------------------------------------------------------


def test_config_lists_and_changes_the_shared_settings(ip: MagicShell) -> None:
    listing = ip.ok("%config Sinch").stdout
    for name in ("page_size", "workers", "api_version", "confirm_deletes", "display_limit"):
        assert f"Sinch.{name}=" in listing
    ip.ok("%config Sinch.page_size = 250")
    ip.ok("%config Sinch.workers = 3")
    ip.ok("%config Sinch.confirm_deletes = False")
    ip.ok("%config Sinch.api_version = 'v1alpha1'")
    ip.ok("%config Sinch.display_limit = 7")
    settings = config.settings()
    assert (settings.page_size, settings.workers, settings.api_version) == (250, 3, "v1alpha1")
    assert settings.confirm_deletes is False
    assert settings.display_limit == 7


def test_config_rejects_values_out_of_range(
    ip: MagicShell, caplog: pytest.LogCaptureFixture
) -> None:
    ip.run("%config Sinch.page_size = 5000")  # IPython logs the TraitError and goes on
    assert "'page_size' trait of a Sinch instance should not be greater than 1000" in caplog.text
    assert config.settings().page_size == 1000
    ip.run("%config Sinch.api_version = 'v2'")
    assert "'api_version' trait of a Sinch instance expected any of" in caplog.text
    assert config.settings().api_version == "v1"


def test_settings_defaults_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SINCH_PAGE_SIZE", "200")
    monkeypatch.setenv("SINCH_WORKERS", "2")
    monkeypatch.setenv("SINCH_DISPLAY_LIMIT", "0")
    monkeypatch.setenv("SINCH_CONFIRM_DELETES", "no")
    monkeypatch.setenv("SINCH_API_VERSION", "v1alpha1")
    config.reset_settings()
    try:
        settings = config.settings()
        assert settings is config.settings()
        assert (settings.page_size, settings.workers, settings.display_limit) == (200, 2, 0)
        assert settings.confirm_deletes is False
        assert settings.api_version == "v1alpha1"
    finally:
        config.reset_settings()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SINCH_PAGE_SIZE", "0", "SINCH_PAGE_SIZE: must be an integer from 1 to 1000, got '0'"),
        ("SINCH_WORKERS", "many", "SINCH_WORKERS: must be an integer from 1 to 64, got 'many'"),
        ("SINCH_CONFIRM_DELETES", "maybe", "SINCH_CONFIRM_DELETES: must be true or false"),
        ("SINCH_API_VERSION", "v9", "SINCH_API_VERSION: must be one of v1, v1alpha1"),
    ],
)
def test_a_bad_environment_value_is_a_one_line_error(
    ip: MagicShell, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    config.reset_settings()
    line = {
        "SINCH_PAGE_SIZE": "%sinch list",
        "SINCH_WORKERS": "%%sinch create\nA",
        "SINCH_CONFIRM_DELETES": "%sinch delete X",
        "SINCH_API_VERSION": "%sinch login --sandbox",
    }[name]
    if name != "SINCH_API_VERSION":
        ip.ok("%sinch login --sandbox")
    run = ip.fails(line)
    assert message in run.lines()[0]


def test_profile_config_applies_when_the_extension_loads() -> None:
    cfg = Config()
    cfg.Sinch.workers = 5
    with fresh_shell(cfg) as shell:
        assert shell.run_cell("%load_ext sinch_notebook").success
        assert config.settings().workers == 5


def test_short_errors_off_shows_the_full_traceback(ip: MagicShell, sandbox_env: Sandbox) -> None:
    ip.ok("%sinch login")
    ip.ok("%config Sinch.short_errors = False")
    run = ip.run("%sinch get 01FC66621VHDBN119Z8PMXXXXX")
    assert isinstance(run.error, sn.NotFound)
    assert "Traceback" in run.text
    ip.ok("%config Sinch.short_errors = True")
    assert isinstance(ip.fails("%sinch get 01FC66621VHDBN119Z8PMXXXXX").error, MagicError)


# -- display ---------------------------------------------------------------------------------


def test_subprojects_show_as_html_and_as_text(ip: MagicShell, sandbox_env: Sandbox) -> None:
    ip.ok("%sinch login")
    run = ip.ok("%sinch create Acme <EU> --label region=eu-west")
    html = run.formatted["text/html"]
    assert "<b>Acme &lt;EU&gt;</b>" in html
    assert "region=eu-west" in html
    assert run.value.id in html
    assert f"Subproject {run.value.id}  'Acme <EU>'" in run.stdout
    assert "region=eu-west" in run.stdout


def test_status_shows_as_html_and_as_text(ip: MagicShell, sandbox_env: Sandbox) -> None:
    run = ip.ok("%sinch login")
    assert "<table" in run.formatted["text/html"]
    assert run.formatted["text/plain"].startswith("Connected to project 'demo-project'")


def test_display_limit_applies_to_listings_only(
    ip: MagicShell, seeded: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in seeded.env().items():
        monkeypatch.setenv(name, value)
    ip.ok("%sinch login")
    ip.ok("%config Sinch.display_limit = 6")
    listing = ip.ok("df = %sinch list\ndf")
    frame = ip.user_ns["df"]
    total = len(frame)
    assert total > 6
    html = listing.formatted["text/html"]
    assert html.count("<tr>") == 1 + 6  # the header and exactly 6 rows
    assert f"showing 6 of {total} subprojects" in html
    text = listing.formatted["text/plain"]
    assert f"showing 6 of {total} subprojects" in text
    assert len(text.splitlines()) == 1 + 1 + 6  # heading, column titles, rows
    assert "rows ×" not in text and "rows x" not in html  # no pandas footer
    copy = ip.ok("df.copy()").formatted
    assert copy["text/html"] == frame.copy()._repr_html_()  # pandas' own display
    ip.ok("%config Sinch.display_limit = 0")
    shown = ip.ok("df").formatted["text/html"]
    assert shown.count("<tr>") == 1 + total and f"showing {total} of {total}" in shown


def test_other_dataframes_display_exactly_as_without_the_extension(ip: MagicShell) -> None:
    ip.ok("import pandas as pd; big = pd.DataFrame({'a': range(500)})")
    with_ext = ip.ok("big").formatted
    ip.ok("%unload_ext sinch_notebook")
    without = ip.ok("big").formatted
    assert with_ext == without
