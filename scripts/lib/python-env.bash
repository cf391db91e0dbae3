# Sourced by ./scripts/demo and ./scripts/test: chooses the Python they install into and run.
#
#   1. a virtual environment that is active ($VIRTUAL_ENV): that one;
#   2. else the checkout's own .venv, when an earlier run made it;
#   3. else `python3` when pip may install into it (pyenv, conda, python.org builds: CI's case);
#   4. else (an "externally managed" Python, PEP 668: Debian's and Ubuntu's /usr/bin/python3)
#      a new .venv in the checkout, made with that python3 (as root, Debian's python3-venv is
#      installed first when `venv` is missing; otherwise the script says what to install).
#
# It sets PY (the interpreter to use) and says which one it chose. With
# SINCH_NOTEBOOK_SETUP=check the scripts stop after the choice and a `pip install --dry-run`
# (tests use it: the install path without a full install).

_sn_externally_managed() {
  # PEP 668: the marker sits in the interpreter's stdlib directory; a venv is never managed.
  "$1" - <<'PYEOF' 2>/dev/null
import os, sys, sysconfig
in_venv = sys.prefix != getattr(sys, "base_prefix", sys.prefix)
marker = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
sys.exit(0 if not in_venv and os.path.exists(marker) else 1)
PYEOF
}

_sn_make_venv() {
  local base="$1"
  if "$base" -m venv .venv 2>/dev/null; then
    return 0
  fi
  rm -rf .venv
  local version
  version="$("$base" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's python${version}-venv (needed to make .venv)..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${version}-venv" >/dev/null
    "$base" -m venv .venv && return 0
  fi
  echo "Cannot make a virtual environment with $base: its venv module is missing." >&2
  echo "Install it (Debian/Ubuntu: sudo apt install python${version}-venv), then run this again;" >&2
  echo "or activate a virtual environment of your own first." >&2
  return 1
}

sn_choose_python() {
  local base
  if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
    PY="$VIRTUAL_ENV/bin/python"
    echo "Using the active virtual environment $VIRTUAL_ENV."
  elif [ -x .venv/bin/python ]; then
    PY="$PWD/.venv/bin/python"
    echo "Using the checkout's virtual environment $PWD/.venv."
  else
    base="$(command -v python3 || true)"
    if [ -z "$base" ]; then
      echo "python3 is missing: install Python 3.10 or newer, then run this again." >&2
      return 1
    fi
    if _sn_externally_managed "$base"; then
      echo "$base is managed by the system (PEP 668): making a virtual environment in $PWD/.venv"
      _sn_make_venv "$base" || return 1
      PY="$PWD/.venv/bin/python"
    else
      PY="$base"
      echo "Using $base ($("$PY" -c 'import sys; print(sys.prefix)'))."
    fi
  fi
  export PY
}

# pip install "$@" with $PY; with SINCH_NOTEBOOK_SETUP=check, a dry run that installs nothing.
sn_pip_install() {
  if [ "${SINCH_NOTEBOOK_SETUP:-}" = check ]; then
    "$PY" -m pip install --disable-pip-version-check --dry-run --quiet "$@"
    echo "check: $PY would install $*"
    return 0
  fi
  "$PY" -m pip install --disable-pip-version-check "$@"
}

# Whether sinch-notebook is installed in $PY as an editable install of this checkout. pip's
# output is read whole first: `pip show | grep -q` under pipefail fails whenever grep stops
# reading before pip has written its last line (pip then dies of SIGPIPE).
sn_installed_from_here() {
  local shown
  shown="$("$PY" -m pip show --disable-pip-version-check sinch-notebook 2>/dev/null)" || return 1
  grep -qxF "Editable project location: $PWD" <<<"$shown"
}
