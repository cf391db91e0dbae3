# Sourced by ./scripts/test: makes sure PostgreSQL's server binaries are installed, for the
# history store's PostgreSQL tests. The tests start (and stop) a throwaway cluster of their own
# with them (tests/pg_cluster.py: initdb in a temporary folder, a free port on 127.0.0.1, run as
# the `postgres` user when the tests run as root), so nothing is started here.
#
# Missing binaries are installed with apt-get (Debian's `postgresql` package) when running as
# root; otherwise the PostgreSQL tests skip with one reason, except with CI=true, where they
# fail (CI must test both engines).

sn_find_postgres() {
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1
}

sn_ensure_postgres() {
  if sn_find_postgres; then
    return 0
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's postgresql for the history store's PostgreSQL tests..."
    apt-get update -qq
    # The package's own cluster is not needed (the tests make theirs): do not start services.
    local own_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
      chmod +x /usr/sbin/policy-rc.d
      own_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    if [ -n "$own_policy" ]; then
      rm -f /usr/sbin/policy-rc.d
    fi
  elif [ "${CI:-}" = true ]; then
    echo "PostgreSQL is missing and cannot be installed here (needs root and apt-get)." >&2
    return 1
  else
    echo "PostgreSQL is missing: its history store tests will skip (install postgresql to run them)." >&2
  fi
}
