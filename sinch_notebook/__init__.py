"""sinch-notebook: the Sinch Subprojects API in Jupyter.

import sinch_notebook as sn
client = sn.connect()          # SINCH_KEY_ID, SINCH_KEY_SECRET, SINCH_PROJECT_ID
df = client.frame()
"""

from __future__ import annotations

__version__ = "0.1.0"

from .client import SubprojectsClient
from .connection import active, connect, disconnect, on_change, require_active, set_active
from .errors import (
    AlreadyExists,
    CreateOutcomeUnknown,
    FailedPrecondition,
    InsecureTransportError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    SinchError,
    TransportError,
    Unauthenticated,
    ValidationError,
)
from .models import Subproject
from .retry import RetryPolicy

__all__ = [
    "AlreadyExists",
    "CreateOutcomeUnknown",
    "FailedPrecondition",
    "InsecureTransportError",
    "InvalidArgument",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "RetryPolicy",
    "ServerError",
    "SinchError",
    "Subproject",
    "SubprojectsClient",
    "TransportError",
    "Unauthenticated",
    "ValidationError",
    "__version__",
    "active",
    "connect",
    "disconnect",
    "on_change",
    "require_active",
    "set_active",
]
