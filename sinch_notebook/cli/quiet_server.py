"""What keeps the terminal of a Jupyter server we start (the demo's JupyterLab, the app's Voilà)
quiet, and its kernels connected for an afternoon.

Kernel websockets: jupyter_server pings every 30 s and, by default, closes a socket only when no
pong came for 90 s (three pings). Its timeout must stay longer than the interval: the clock
starts when the socket opens, so with a timeout equal to the interval the very first ping finds
"no pong for 30 s" and closes every socket twice a minute. Tornado, which jupyter_server's
setting also reaches (read there as seconds, so tornado's own pings never start), notes once that
the timeout is longer than the interval; that notice is dropped by `DropPingTimeoutNotice`.

Kernels that can encrypt their traffic (CurveZMQ) are given keys, since each kernel would
otherwise warn about unencrypted TCP.
"""

from __future__ import annotations

import logging

TORNADO_LOGGER = "tornado.general"
PING_NOTICE = "The websocket_ping_timeout"


class DropPingTimeoutNotice(logging.Filter):
    """Drops tornado's notice that jupyter_server's ping timeout exceeds its interval."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(PING_NOTICE)


def kernels_can_encrypt() -> bool:
    """Whether this jupyter_client can give kernels CurveZMQ keys ("auto": those whose spec
    says they support it), with a libzmq that has CurveZMQ."""
    try:
        import zmq
        from jupyter_client.manager import KernelManager
    except ImportError:
        return False
    return zmq.has("curve") and KernelManager.class_traits().get("transport_encryption") is not None


def logging_config() -> dict:
    """An `Application.logging_config` that adds `DropPingTimeoutNotice` to tornado's logger."""
    return {
        "filters": {"ping_notice": {"()": f"{__name__}.DropPingTimeoutNotice"}},
        "loggers": {TORNADO_LOGGER: {"filters": ["ping_notice"]}},
    }


def server_config(app_class: str) -> dict:
    """The config (as for `jupyter_server_config.json` or `voila.json`) of `app_class`'s server:
    jupyter_server's own ping defaults (no `ws_ping_*` set), the notice dropped, and kernels
    encrypted where they can be."""
    config: dict = {app_class: {"logging_config": logging_config()}}
    if kernels_can_encrypt():
        config["KernelManager"] = {"transport_encryption": "auto"}
    return config
