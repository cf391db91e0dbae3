"""Saved connection profiles: the non-secret settings in a TOML file, the Key Secret in the OS
keychain (through `keyring`), never in the file.

The file is the user's config folder's `sinch-notebook/profiles.toml` (`SINCH_NOTEBOOK_CONFIG`
names another), one table per profile:

    [profiles.prod]
    key_id = "..."
    project_id = "..."
    auth = "oauth"
    default = true

A file that is not valid (bad TOML, an unknown field, a wrong value, a secret written into it by
hand) is refused with the file, the line and the reason; a secret found in it is never used and
never echoed. The keychain entry of a profile is keyed by the profile's name *and* its Key ID,
so a profile's secret can only ever travel with that profile's Key ID.

No usable keychain (headless Linux, Binder, JupyterHub, a locked keychain: `keyring` raising
anything) is never a traceback and never a plain-text fallback: the profile is saved without
its secret, `SavedProfile.line()` says so, and connecting asks for the secret as without
profiles (or takes `SINCH_KEY_SECRET`).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..auth import Credentials, Secret
from ..config import (
    API_VERSIONS,
    AUTH_MODES,
    DEFAULT_API_URL,
    DEFAULT_AUTH_URL,
    check_url,
    env,
    set_profile_history,
)
from ..errors import UserFileError, ValidationError
from ..local_files import PROFILES_LIMIT, FileRefused, read_bytes
from ..models import validate_label_key
from ..redact import redact

if TYPE_CHECKING:
    import pandas as pd

    from ..client import SubprojectsClient

ENV_CONFIG = "SINCH_NOTEBOOK_CONFIG"
ENV_PROFILE = "SINCH_PROFILE"
KEYCHAIN_SERVICE = "sinch-notebook"
KEYCHAIN_TIMEOUT = 5.0  # seconds a keychain call may take before "the keychain did not answer"
NAME_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
SECRET_WORDS = ("secret", "password", "token", "passwd")
HEADER = """\
# sinch-notebook connection profiles (sinch-notebook profile add|list|remove, sn.save_profile).
# The Key Secret is never written here: it is in the OS keychain (service "sinch-notebook").
"""


class ProfilesFileError(UserFileError):
    """The profiles file is not valid: which file, which line, and why (never a value)."""

    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        super().__init__("profiles file", str(path), line, reason)
        self.path = path


@dataclass(frozen=True)
class Profile:
    """One saved profile: everything a connection needs except the Key Secret."""

    name: str
    key_id: str
    project_id: str
    auth: str = "oauth"
    api_url: str | None = None
    auth_url: str | None = None
    api_version: str | None = None
    history: str | None = None  # the account history store: a path or a postgresql:// URL
    default: bool = False
    protect_label: str | None = None  # the protection label's key (see guards.py)
    policy: str | None = None  # a label policy file (see guards/policy.py)

    def keychain_user(self) -> str:
        """The keychain entry's user name: the profile *and* its Key ID, so a secret saved for
        one Key ID is never found for another."""
        return f"{self.name}/{self.key_id}"


FIELDS = tuple(f.name for f in fields(Profile) if f.name != "name")
TEXT_FIELDS = (
    "key_id",
    "project_id",
    "auth",
    "api_url",
    "auth_url",
    "api_version",
    "protect_label",
    "policy",
    "history",
)


# -- where the file is -------------------------------------------------------------------------


def config_path() -> Path:
    """`SINCH_NOTEBOOK_CONFIG`, else `profiles.toml` in the user's config folder."""
    named = env(ENV_CONFIG)
    if named:
        return Path(named).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "sinch-notebook" / "profiles.toml"


# -- reading and checking ----------------------------------------------------------------------


def check_name(name: object, field: str = "profile", kind: str = "profile") -> str:
    """A profile's name; a connection's too (`field`, `kind` name it), since a connection is
    named after its profile by default and both rules must stay one."""
    if not isinstance(name, str) or not NAME_RULE.fullmatch(name):
        raise ValidationError(
            field,
            f"a {kind} name is 1..64 letters, digits, '_', '.' or '-', starting with a letter "
            f"or digit; got {name!r}",
        )
    return name


def _toml_loads(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib.loads(text)


def _line_of(text: str, table: str | None, key: str | None = None) -> int | None:
    """The line of `[profiles.<table>]` (or of `key` inside it); tomllib gives no positions."""
    current: str | None = None
    header = re.compile(r"\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")
    for number, line in enumerate(text.splitlines(), 1):
        found = header.match(line)
        if found:
            parts = [p.strip().strip("\"'") for p in found.group(1).split(".")]
            current = parts[1] if len(parts) == 2 and parts[0] == "profiles" else None
            if key is None and current == table and table is not None:
                return number
            continue
        if key is not None and current == table:
            stripped = line.strip()
            name = stripped.split("=", 1)[0].strip().strip("\"'")
            if "=" in stripped and name == key:
                return number
    return None


def _is_secret_field(key: str) -> bool:
    return any(word in key.lower() for word in SECRET_WORDS)


def parse(text: str, path: Path) -> dict[str, Profile]:
    """Every profile of a profiles file's text, checked; `ProfilesFileError` names the line."""
    try:
        document = _toml_loads(text)
    except ValueError as err:  # tomllib.TOMLDecodeError: "... (at line N, column M)"
        found = re.search(r"at line (\d+)", str(err))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(err))
        line = int(found.group(1)) if found else None
        raise ProfilesFileError(path, line, f"not valid TOML: {reason}") from None
    for key in document:
        if _is_secret_field(key):
            raise ProfilesFileError(
                path,
                _line_of_top(text, key),
                f"a {key!r} field: a secret is never read from "
                "this file (remove that line; the Key Secret goes in the OS keychain)",
            )
        if key != "profiles":
            raise ProfilesFileError(
                path, _line_of_top(text, key), f"unknown section {key!r} (only [profiles.NAME])"
            )
    tables = document.get("profiles", {})
    if not isinstance(tables, dict):
        raise ProfilesFileError(path, _line_of_top(text, "profiles"), "profiles must be tables")
    profiles: dict[str, Profile] = {}
    defaults: list[str] = []
    for name, table in tables.items():
        line = _line_of(text, name)
        if not isinstance(name, str) or not NAME_RULE.fullmatch(name):
            raise ProfilesFileError(path, line, f"{name!r} is not a valid profile name")
        if not isinstance(table, dict):
            raise ProfilesFileError(path, line, f"profile {name!r} must be a table")
        for key in table:
            if _is_secret_field(key):
                raise ProfilesFileError(
                    path,
                    _line_of(text, name, key),
                    f"profile {name!r} has a {key!r} field: a secret is never read from this "
                    "file (remove that line; the Key Secret goes in the OS keychain, e.g. "
                    f"sinch-notebook profile add {name})",
                )
        for key, value in table.items():
            where = _line_of(text, name, key) or line
            if key not in FIELDS:
                raise ProfilesFileError(
                    path,
                    where,
                    f"profile {name!r}: unknown field {key!r} (fields: {', '.join(FIELDS)})",
                )
            expected = bool if key == "default" else str
            if not isinstance(value, expected):
                raise ProfilesFileError(
                    path, where, f"profile {name!r}: {key} must be {expected.__name__}"
                )
        try:
            profile = _checked(Profile(name=name, **table))
        except TypeError as err:
            missing = [k for k in ("key_id", "project_id") if k not in table]
            raise ProfilesFileError(
                path, line, f"profile {name!r}: missing {', '.join(missing) or err}"
            ) from None
        except ValidationError as err:
            raise ProfilesFileError(
                path, _line_of(text, name, err.field) or line, f"profile {name!r}: {err}"
            ) from None
        if profile.default:
            defaults.append(name)
        profiles[name] = profile
    if len(defaults) > 1:
        raise ProfilesFileError(
            path,
            _line_of(text, defaults[1], "default"),
            f"more than one profile is marked default ({', '.join(defaults)})",
        )
    return profiles


def _line_of_top(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith(f"[{key}") or stripped.split("=", 1)[0].strip() == key:
            return number
    return None


def _checked(profile: Profile) -> Profile:
    """The same rules as a connection's options: a bad profile is refused when saved or read."""
    for key in ("key_id", "project_id"):
        value = getattr(profile, key)
        if not isinstance(value, str) or not value.strip() or value != value.strip():
            raise ValidationError(key, "must be non-empty text without surrounding spaces")
    if profile.auth not in AUTH_MODES:
        raise ValidationError("auth", f"must be one of {', '.join(AUTH_MODES)}")
    if profile.api_version is not None and profile.api_version not in API_VERSIONS:
        raise ValidationError("api_version", f"must be one of {', '.join(API_VERSIONS)}")
    if profile.protect_label is not None:
        validate_label_key(profile.protect_label, "protect_label")
    for key in ("api_url", "auth_url"):
        value = getattr(profile, key)
        if value is not None and check_url(value, key) != value:
            raise ValidationError(key, "must be written without a trailing '/' or spaces")
    if profile.history is not None:
        check_history(profile.history)
    return profile


def check_history(location: str) -> None:
    """A profile's history store: a path or a postgresql:// URL, never with a password (it
    would sit in a plain file): libpq's ~/.pgpass, PGPASSWORD or a service file give that."""
    from urllib.parse import parse_qsl, urlsplit

    if not isinstance(location, str) or not location.strip() or location != location.strip():
        raise ValidationError("history", "must be non-empty text without surrounding spaces")
    if location.lower().startswith(("postgresql://", "postgres://")):
        parts = urlsplit(location)
        userinfo = parts.netloc.rpartition("@")[0]
        if ":" in userinfo or any(k == "password" for k, _ in parse_qsl(parts.query)):
            raise ValidationError(
                "history",
                "a password is never kept in a profile: give it in ~/.pgpass, PGPASSWORD or a "
                "PostgreSQL service file (PGSERVICEFILE)",
            )


def load(path: Path | None = None) -> dict[str, Profile]:
    """The profiles of the file (none when it does not exist); an invalid file is refused."""
    path = path or config_path()
    if not path.exists() and not path.is_symlink():
        return {}
    try:
        text = read_bytes(path, PROFILES_LIMIT).decode("utf-8")
    except FileRefused as refused:
        raise ProfilesFileError(
            path, None, f"{refused.reason}; move it away (profiles are saved there again)"
        ) from None
    except UnicodeDecodeError as err:
        raise ProfilesFileError(path, None, f"cannot be read ({type(err).__name__})") from None
    return parse(text, path)


def names() -> list[str]:
    """Profile names, for completion and pickers: never raises (an invalid file has none)."""
    try:
        return sorted(load())
    except Exception:
        return []


def get(name: str) -> Profile:
    profiles = load()
    if check_name(name) not in profiles:
        known = ", ".join(sorted(profiles)) or "none saved yet"
        raise ValidationError("profile", f"no profile named {name!r} ({known}; {config_path()})")
    return profiles[name]


def default_profile() -> Profile | None:
    """`SINCH_PROFILE`, else the profile marked default, else None."""
    named = env(ENV_PROFILE)
    if named:
        try:
            return get(named)
        except ValidationError as err:
            raise ValidationError(ENV_PROFILE, err.rule) from None
    return next((p for p in load().values() if p.default), None)


# -- writing -----------------------------------------------------------------------------------


def _toml_dumps(profiles: dict[str, Profile]) -> str:
    import tomli_w

    tables = {
        name: {k: v for k, v in asdict(p).items() if k != "name" and v not in (None, False)}
        for name, p in sorted(profiles.items())
    }
    return HEADER + "\n" + tomli_w.dumps({"profiles": tables})


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer at a time (across processes): read, change and replace under a lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: one writer is the usual case there
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write(path: Path, profiles: dict[str, Profile]) -> None:
    """Replace the file atomically, readable by the user only."""
    text = _toml_dumps(profiles)
    parse(text, path)  # what is written must read back
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".profiles-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# -- the keychain ------------------------------------------------------------------------------


class KeychainSilent(Exception):
    """The keychain did not answer within `Keychain.timeout` (waiting for an unlock nobody
    sees: a cron job, a locked desktop keychain over SSH)."""


class Keychain:
    """The OS keychain through `keyring`; every failure becomes a short reason, never raised.

    Each call runs in a daemon thread and is given `timeout` seconds: a keychain waiting for
    an unlock nobody sees becomes "the keychain did not answer", never a hang (the thread is
    left waiting; it cannot keep the process alive). While that call is still waiting, later
    calls are not started: they get the same answer at once (a list of profiles waits once).
    """

    timeout: float = KEYCHAIN_TIMEOUT

    def __init__(self) -> None:
        self._waiting: threading.Thread | None = None  # a call that did not answer in time

    @staticmethod
    def _backend() -> Any:
        import keyring

        return keyring

    def _call(self, method: str, *args: str) -> Any:
        """`keyring.<method>(*args)` within `timeout`; raises what it raised, or
        KeychainSilent."""
        stuck = self._waiting
        if stuck is not None and stuck.is_alive():
            raise KeychainSilent(f"the keychain did not answer in {self.timeout:g} s")
        outcome: list[Any] = []

        def call() -> None:
            try:
                outcome.append((True, getattr(self._backend(), method)(*args)))
            except BaseException as err:  # handed to the caller's thread
                outcome.append((False, err))

        worker = threading.Thread(target=call, name="sinch-keychain", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if not outcome:
            self._waiting = worker
            raise KeychainSilent(f"the keychain did not answer in {self.timeout:g} s")
        ok, value = outcome[0]
        if not ok:
            raise value
        return value

    def problem(self, err: BaseException) -> str:
        # keyring's NoKeyringError text suggests installing keyrings.alt (plain-text files),
        # which this package never falls back to: the reason is said in our words instead.
        kind = type(err).__name__
        if isinstance(err, KeychainSilent):
            return redact(str(err)).splitlines()[0][:120]
        return NO_KEYCHAIN if kind == "NoKeyringError" else kind

    def store(self, profile: Profile, secret: Secret) -> str | None:
        """Save the secret; None when done, else why not."""
        try:
            self._call("set_password", KEYCHAIN_SERVICE, profile.keychain_user(), secret.reveal())
        except Exception as err:  # any backend, any failure: a reason, never a traceback
            return self.problem(err)
        return None

    def fetch(self, profile: Profile) -> tuple[Credentials | None, str | None]:
        """(credentials, None), (None, None) when none is saved, or (None, why not)."""
        try:
            secret = self._call("get_password", KEYCHAIN_SERVICE, profile.keychain_user())
        except Exception as err:
            return None, self.problem(err)
        if not secret:
            return None, None
        try:
            return Credentials(profile.key_id, Secret(secret)), None
        finally:
            del secret

    def remove(self, profile: Profile) -> str | None:
        """Delete the saved secret (none saved is fine); None when done, else why not."""
        try:
            if self._call("get_password", KEYCHAIN_SERVICE, profile.keychain_user()) is None:
                return None
            self._call("delete_password", KEYCHAIN_SERVICE, profile.keychain_user())
        except Exception as err:
            return self.problem(err)
        return None


KEYCHAIN = Keychain()
NO_KEYCHAIN = "there is no OS keychain on this machine"
FROM_KEYCHAIN = "from the OS keychain (type one to use it instead)"
INSTEAD = (
    "give it as SINCH_KEY_SECRET (with SINCH_KEY_ID) where it runs unattended (cron, CI), "
    "or type it when a notebook or the panel asks"
)


def secret_source(profile: Profile) -> str:
    """Where a profile's Key Secret comes from, in words (for a picker's note)."""
    credentials, problem = KEYCHAIN.fetch(profile)
    found = credentials is not None
    del credentials  # only whether there is one
    if problem == NO_KEYCHAIN:
        return f"{NO_KEYCHAIN}, so none was saved: type it"
    if problem:
        return f"the OS keychain could not be used ({problem}): type it"
    return FROM_KEYCHAIN if found else "none saved in the OS keychain: type it"


def stored_credentials(profile: Profile) -> tuple[Credentials | None, str | None]:
    """The profile's Key ID with its secret from the keychain; or (None, why not / None)."""
    return KEYCHAIN.fetch(profile)


# -- the operations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedProfile:
    """What `save` did: the one line the faces show."""

    profile: Profile
    path: Path
    secret: str  # "keychain", "kept" (none given, the keychain's is kept), "none", "failed"
    problem: str | None = None

    def line(self) -> str:
        name = self.profile.name
        if self.secret == "keychain":
            return f"Saved profile {name!r} in {self.path}; its Key Secret is in the OS keychain."
        if self.secret == "failed" and self.problem == NO_KEYCHAIN:
            return f"Saved profile {name!r} in {self.path} without its Key Secret: {INSTEAD}."
        if self.secret == "failed":
            return (
                f"Saved profile {name!r} in {self.path} WITHOUT its Key Secret: no usable OS "
                f"keychain ({self.problem}); connecting will ask for it (or take "
                "SINCH_KEY_SECRET)."
            )
        if self.secret == "kept":
            return f"Saved profile {name!r} in {self.path} (its Key Secret in the keychain kept)."
        return (
            f"Saved profile {name!r} in {self.path} without a Key Secret; connecting will ask "
            "for it (or take SINCH_KEY_SECRET)."
        )

    __str__ = line

    def __repr__(self) -> str:
        return f"SavedProfile({self.profile.name!r}, secret={self.secret!r})"


def save(
    name: str,
    *,
    key_id: str,
    project_id: str,
    key_secret: str | Secret | Credentials | None = None,
    auth: str = "oauth",
    api_url: str | None = None,
    auth_url: str | None = None,
    api_version: str | None = None,
    history: str | None = None,
    default: bool = False,
    protect_label: str | None = None,
    policy: str | None = None,
) -> SavedProfile:
    """Save (or replace) a profile; the secret (text, a `Secret` or `Credentials` of this Key
    ID) goes to the keychain only. `default=True` unmarks any other default."""
    if isinstance(key_secret, Credentials):
        if key_secret.key_id != key_id:
            raise ValidationError("key_secret", "belongs to another Key ID than the profile's")
        secret = Secret(key_secret.secret())
    else:
        secret = Secret.wrap(key_secret)
    del key_secret
    if secret.given and not (isinstance(secret.reveal(), str) and secret.reveal().strip()):
        raise ValidationError("key_secret", "must be non-empty text when given")
    if not isinstance(default, bool):
        raise ValidationError("default", "must be True or False")
    profile = _checked(
        Profile(
            name=check_name(name),
            key_id=key_id.strip() if isinstance(key_id, str) else key_id,
            project_id=project_id.strip() if isinstance(project_id, str) else project_id,
            auth=auth,
            api_url=check_url(api_url, "api_url") if api_url else None,
            auth_url=check_url(auth_url, "auth_url") if auth_url else None,
            api_version=api_version or None,
            history=history or None,
            default=default,
            protect_label=protect_label or None,
            policy=policy or None,
        )
    )
    path = config_path()
    with _locked(path):
        profiles = load(path)
        old = profiles.get(name)
        if default:
            profiles = {n: Profile(**{**asdict(p), "default": False}) for n, p in profiles.items()}
        profiles[name] = profile
        _write(path, profiles)
    if old is not None and old.key_id != profile.key_id:
        KEYCHAIN.remove(old)  # the old Key ID's secret must not linger
    if not secret.given:
        kept, _ = KEYCHAIN.fetch(profile)
        return SavedProfile(profile, path, "kept" if kept is not None else "none")
    problem = KEYCHAIN.store(profile, secret)
    if problem is not None:
        return SavedProfile(profile, path, "failed", problem)
    return SavedProfile(profile, path, "keychain")


def save_connection(name: str, client: SubprojectsClient, credentials: Credentials) -> SavedProfile:
    """Save the connection that just worked (a login's `--save-as`, the panel's "save as") as
    profile `name`; the default URLs are left out so the profile follows them."""
    endpoints = client.endpoints
    return save(
        name,
        key_id=credentials.key_id,
        project_id=client.project_id,
        key_secret=credentials,
        auth=client.auth_mode,
        api_url=None if endpoints.api_url == DEFAULT_API_URL else endpoints.api_url,
        auth_url=None if endpoints.auth_url == DEFAULT_AUTH_URL else endpoints.auth_url,
        api_version=endpoints.api_version,
    )


def delete(name: str) -> str:
    """Remove a profile from the file and its secret from the keychain; the one line to show."""
    path = config_path()
    with _locked(path):
        profiles = load(path)
        if check_name(name) not in profiles:
            known = ", ".join(sorted(profiles)) or "none saved"
            raise ValidationError("profile", f"no profile named {name!r} ({known})")
        profile = profiles.pop(name)
        _write(path, profiles)
    problem = KEYCHAIN.remove(profile)
    if problem == NO_KEYCHAIN:
        return f"Removed profile {name!r} ({NO_KEYCHAIN}: no Key Secret was saved with it)."
    if problem:
        return (
            f"Removed profile {name!r} from {path}; its Key Secret could not be removed from "
            f"the OS keychain ({problem})."
        )
    return f"Removed profile {name!r} (and its Key Secret, if one was saved)."


def frame() -> pd.DataFrame:
    """Every profile as a DataFrame (never a secret): name, default, key_id, project_id, auth,
    api_url, auth_url, api_version, and secret (keychain / none / no keychain)."""
    import pandas as pd

    rows = []
    for profile in load().values():
        credentials, problem = KEYCHAIN.fetch(profile)
        state = "keychain" if credentials else ("no keychain" if problem else "none")
        del credentials
        rows.append({**asdict(profile), "secret": state})
    columns = ["name", *FIELDS, "secret"]
    table = pd.DataFrame(rows, columns=columns)
    for column in columns:
        if column != "default":
            table[column] = table[column].astype("string")
    table["default"] = table["default"].astype(bool)
    return table


# -- the Python API ----------------------------------------------------------------------------


def save_profile(
    name: str,
    *,
    key_id: str,
    key_secret: str | None = None,
    project_id: str,
    auth: str = "oauth",
    api_url: str | None = None,
    auth_url: str | None = None,
    api_version: str | None = None,
    default: bool = False,
    protect_label: str | None = None,
    policy: str | None = None,
) -> None:
    """`sn.save_profile(...)`: save a profile and print the one line saying where the secret
    went (the OS keychain, or nowhere when there is no usable keychain). `protect_label` and
    `policy` are the guard rails of its connections (see `guards/rules.py`)."""
    secret = Secret.wrap(key_secret)
    del key_secret
    saved = save(
        name,
        key_id=key_id,
        project_id=project_id,
        key_secret=secret,
        auth=auth,
        api_url=api_url,
        auth_url=auth_url,
        api_version=api_version,
        default=default,
        protect_label=protect_label,
        policy=policy,
    )
    print(saved.line())


def profiles() -> pd.DataFrame:
    """`sn.profiles()`: the saved profiles as a DataFrame (no secrets)."""
    return frame()


def delete_profile(name: str) -> None:
    """`sn.delete_profile(name)`: remove the profile and its keychain entry; prints one line."""
    print(delete(name))


def _history_of(profile: str | None) -> str | None:
    """The `history` field of `profile` (None: the default profile), for the core's default
    store (config.profile_history)."""
    found = get(profile) if profile else default_profile()
    return found.history if found is not None and found.history else None


set_profile_history(_history_of)
