"""One webhook POST over a pinned connection.

The endpoint's name was resolved and every address checked (:mod:`webhook_address`); the
connection goes to one of those addresses, never to a second resolution that a hostile name
server could answer differently. The request still names the endpoint: the ``Host`` header is
the URL's host and port, and TLS sends the name as SNI and verifies the certificate for it,
exactly as a connection made by name would.

No redirect is followed (a 3xx is just a status to the caller), and no proxy or netrc is
taken from the environment: a proxy would resolve the name itself.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping

import httpx

from gatehouse.services.webhook_address import Destination, host_address

__all__ = ["MAX_ADDRESSES", "TIMEOUT", "pinned_post"]

# Connect fast or fail; give a slow endpoint a little longer to answer.
TIMEOUT = httpx.Timeout(connect=5.0, read=10.0, write=10.0, pool=5.0)
# A name with many addresses gets this many connection attempts, so one delivery stays short.
MAX_ADDRESSES = 3
# One TLS context for every delivery: building it loads the CA bundle, which took most of a
# delivery's time when each POST made its own.
_TLS = httpx.create_ssl_context()


def pinned_post(
    destination: Destination,
    url: str,
    content: bytes,
    headers: Mapping[str, str],
    *,
    tls: ssl.SSLContext = _TLS,
) -> int:
    """POST ``content`` to ``url`` through the first checked address that connects.

    Returns the status; the body is never read. Raises ``httpx.HTTPError`` when no address
    connects or the exchange fails. ``tls`` defaults to the system's trusted CAs.
    """
    target = httpx.URL(url)
    sent = {**headers, "host": target.netloc.decode("ascii")}
    extensions = {}
    if destination.scheme == "https" and host_address(destination.host) is None:
        extensions["sni_hostname"] = target.raw_host.decode("ascii")
    failure: httpx.HTTPError | None = None
    with httpx.Client(
        timeout=TIMEOUT, follow_redirects=False, verify=tls, trust_env=False
    ) as client:
        for address in destination.addresses[:MAX_ADDRESSES]:
            request = client.build_request(
                "POST",
                target.copy_with(host=str(address)),
                content=content,
                headers=sent,
                extensions=extensions,
            )
            try:
                response = client.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                failure = exc  # this address is down; another may answer
                continue
            # Streamed and closed unread: only the status matters, whatever the body's size.
            response.close()
            return response.status_code
    assert failure is not None, "a destination always has an address"
    raise failure
