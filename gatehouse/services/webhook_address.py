"""Where webhooks may go: public addresses only.

A recipient chooses its webhook URL, and a hostile one could point it at the operator's own
network (a metadata service, an admin port, the database). Before every delivery the host is
resolved and each of its addresses must be global; a name that resolves to a private,
loopback, link-local or reserved address is refused for good. Local development and the
tests deliver to endpoints on this machine, and say so with ``ALLOW_PRIVATE_ENV``.

The name is resolved again when the request connects, so a name that changes its answer in
between could still slip through; pinning the connection to the checked address is the next
step.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from urllib.parse import urlsplit

__all__ = ["ALLOW_PRIVATE_ENV", "NotPublic", "check_public", "private_allowed"]

ALLOW_PRIVATE_ENV = "GATEHOUSE_ALLOW_PRIVATE_WEBHOOKS"


class NotPublic(Exception):
    """The URL's host is, or resolves to, an address that is not public."""


def private_allowed() -> bool:
    """Whether this process may deliver to private addresses (set to 1 for development)."""
    return os.environ.get(ALLOW_PRIVATE_ENV) == "1"


def check_public(url: str) -> None:
    """Raise :class:`NotPublic` unless every address of the URL's host is global.

    Resolving may raise ``OSError`` (an unknown name, no resolver): the caller retries.
    """
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise NotPublic("the endpoint has no host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for *_, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        ip = ipaddress.ip_address(str(address[0]).split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            raise NotPublic("the endpoint's address is not public")
