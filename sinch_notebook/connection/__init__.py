"""The connection wing: who is connected, to what, and with which secret.

- `options`: every connection option and where it comes from (argument, profile, environment),
  resolved in one place for every face;
- `active`: `sn.connect()` and the one active connection the faces share;
- `registry`: the named connections of this process (`sn.connections()`, `sn.use(name)`);
- `profiles`: saved profiles (a TOML file) with the Key Secret in the OS keychain;
- `local_sandbox`: the process-wide local sandbox the faces connect to (`sn.connect_or_sandbox()`).

The core (the client, `bulk/`, `account_history/`) never imports this wing: it is handed a client.
"""
