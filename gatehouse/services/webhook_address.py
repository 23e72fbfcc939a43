"""Where webhooks may go: the egress policy (invariant 8).

A recipient chooses its webhook URL, and a hostile one could point it at the operator's own
network: a cloud's metadata service, an admin port, the database. So a URL is judged twice:

* when it is registered, by its scheme and by the address its host spells or resolves to (a
  name that does not resolve yet is accepted: DNS changes, and delivery checks it again);
* before every delivery, after resolving the name, and the connection then goes to the very
  address that was checked (:mod:`gatehouse.services.webhook_send`), so a name that answers
  differently a second later (DNS rebinding) reaches nothing it should not.

An address is public when the standard library's :mod:`ipaddress` says it is global and it is
not multicast; IPv4 addresses inside IPv6 (``::ffff:127.0.0.1``, 6to4) are judged as the IPv4
address they carry, and numbers spelled the way ``inet_aton`` reads them (``2130706433``,
``0177.0.0.1``, ``127.1``) are refused outright. Only ``https`` is allowed.

Local development and the tests deliver to endpoints on this machine. The operator says so with
``GATEHOUSE_WEBHOOK_ALLOW``: a comma-separated list of networks (``127.0.0.1/32``), addresses
and host names (``localhost``). A listed network admits its addresses; a listed name admits
whatever it resolves to; plain ``http`` is allowed only to a listed name or a listed address.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from gatehouse.domain.errors import GatehouseError, InvalidInput

__all__ = [
    "ALLOW_ENV",
    "Destination",
    "EgressPolicy",
    "IPAddress",
    "InvalidSetting",
    "Resolver",
    "WebhookAddressNotAllowed",
    "address_class",
    "check_registration",
    "host_address",
    "resolve_destination",
    "resolve_host",
]

ALLOW_ENV = "GATEHOUSE_WEBHOOK_ALLOW"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[IPAddress]]
"""Resolve ``(host, port)`` to addresses; raise ``OSError`` when the name does not resolve."""

# RFC 6598 shared address space (carrier-grade NAT). ipaddress keeps it out of is_global but
# has no property naming it; the range serves only to name the refusal.
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")
# What inet_aton, and so getaddrinfo, reads as an IPv4 address: one to four parts, each
# decimal, octal (leading 0) or hexadecimal (0x).
_NUMERIC = re.compile(r"(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?", re.IGNORECASE)
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


class WebhookAddressNotAllowed(InvalidInput):
    """The webhook URL's scheme or address is outside the egress policy."""

    code = "webhook_address_not_allowed"


class InvalidSetting(GatehouseError):
    """A setting read at start-up has a value Gatehouse cannot use."""

    code = "invalid_setting"


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to, through the system resolver, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0])) for info in infos))


def address_class(ip: IPAddress) -> str | None:
    """None for a public address; otherwise the name of the class that keeps it out."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return address_class(ip.ipv4_mapped)
        if ip.sixtofour is not None and (embedded := address_class(ip.sixtofour)):
            return embedded
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link_local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
    )
    for name, matches in checks:
        if matches:
            return name
    if ip.is_global:
        return None
    return "shared" if ip in _SHARED else "not_global"


def host_address(host: str) -> tuple[IPAddress, bool] | None:
    """The address a URL's host spells and whether the spelling is canonical; None for a name."""
    try:
        return ipaddress.ip_address(host), True
    except ValueError:
        pass
    if _NUMERIC.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host.removesuffix("."))), False
        except OSError:
            return None
    return None


def _name(host: str) -> str:
    return host.lower().removesuffix(".")


def _is_localhost(host: str) -> bool:
    name = _name(host)
    return name == "localhost" or name.endswith(".localhost")


def _network(entry: str, *, strict: bool = True) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(entry, strict=strict)
    except ValueError:
        return None


@dataclass(frozen=True)
class EgressPolicy:
    """Which hosts and networks beyond the public internet webhooks may reach (default: none)."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()
    resolve: Resolver = field(default=resolve_host, compare=False)

    @classmethod
    def parse(cls, value: str, resolve: Resolver = resolve_host) -> EgressPolicy:
        """Read :data:`ALLOW_ENV`; raise :class:`InvalidSetting` naming the first bad entry."""
        networks: list[IPNetwork] = []
        hosts: list[str] = []
        for raw in value.split(","):
            entry = raw.strip()
            if not entry:
                continue
            network = _network(entry)
            if network is not None:
                if network.prefixlen == 0:
                    raise InvalidSetting(
                        f"{ALLOW_ENV}: {entry} would allow every address; list the networks "
                        "webhooks need",
                        details={"setting": ALLOW_ENV, "entry": entry},
                    )
                networks.append(network)
            elif all(_LABEL.fullmatch(label) for label in _name(entry).split(".")):
                hosts.append(_name(entry))
            elif (loose := _network(entry, strict=False)) is not None:
                raise InvalidSetting(
                    f"{ALLOW_ENV}: {entry} has host bits set; did you mean {loose}?",
                    details={"setting": ALLOW_ENV, "entry": entry},
                )
            else:
                raise InvalidSetting(
                    f"{ALLOW_ENV}: {entry!r} is neither a network (10.0.0.0/8), an address nor "
                    "a host name",
                    details={"setting": ALLOW_ENV, "entry": entry},
                )
        return cls(tuple(networks), frozenset(hosts), resolve)

    def remembering(self) -> EgressPolicy:
        """This policy with a resolver that asks once per host, for checking a batch of URLs."""
        answers: dict[tuple[str, int], Sequence[IPAddress] | OSError] = {}
        resolve = self.resolve

        def remembered(host: str, port: int) -> Sequence[IPAddress]:
            key = (_name(host), port)
            if key not in answers:
                try:
                    answers[key] = resolve(host, port)
                except OSError as exc:
                    answers[key] = exc
            answer = answers[key]
            if isinstance(answer, OSError):
                raise answer
            return answer

        return replace(self, resolve=remembered)

    def lists_host(self, host: str) -> bool:
        """Whether ``host`` is named in the policy."""
        return _name(host) in self.hosts

    def lists_address(self, ip: IPAddress) -> bool:
        """Whether ``ip`` falls in a listed network."""
        return any(ip.version == net.version and ip in net for net in self.networks)

    def allows_http(self, host: str) -> bool:
        """Plain http only to a listed name or a listed address spelled canonically."""
        literal = host_address(host)
        if literal is None:
            return self.lists_host(host)
        ip, canonical = literal
        return canonical and self.lists_address(ip)


@dataclass(frozen=True)
class Destination:
    """A checked endpoint: its URL's parts and the addresses a delivery may connect to."""

    scheme: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


def _refuse(field_name: str, message: str, **details: str) -> WebhookAddressNotAllowed:
    return WebhookAddressNotAllowed(
        f"{field_name}: {message}", details={"field": field_name, **details}
    )


def _judge(ips: Iterable[IPAddress], policy: EgressPolicy, field_name: str) -> None:
    for ip in ips:
        kind = address_class(ip)
        if kind is not None and not policy.lists_address(ip):
            raise _refuse(
                field_name,
                f"webhooks go only to public addresses, and this one is {kind}",
                reason="address_not_public",
                address_class=kind,
            )


def _parts(url: str, policy: EgressPolicy, field_name: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise _refuse(field_name, "the URL has no host", reason="no_host")
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and policy.allows_http(host)):
        raise _refuse(
            field_name,
            "webhooks must use https",
            reason="scheme_not_allowed",
            scheme=scheme,
        )
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise _refuse(field_name, "the URL's port is not a number", reason="bad_port") from None
    literal = host_address(host)
    if literal is not None:
        ip, canonical = literal
        if not canonical:
            kind = address_class(ip) or "public"
            raise _refuse(
                field_name,
                f"the host is an address spelled in an unusual form (a {kind} address); "
                "write it in dotted-decimal form",
                reason="unusual_spelling",
                address_class=kind,
            )
        _judge([ip], policy, field_name)
    elif ":" in host or "%" in host:
        raise _refuse(field_name, "the host is not a valid name or address", reason="bad_host")
    elif not policy.lists_host(host) and _is_localhost(host):
        # RFC 6761: every name under localhost is this machine, whatever a resolver says.
        raise _refuse(
            field_name,
            "webhooks go only to public addresses, and this one is loopback",
            reason="address_not_public",
            address_class="loopback",
        )
    return scheme, host, port


def check_registration(url: str, policy: EgressPolicy, field_name: str = "webhook_url") -> None:
    """Raise :class:`WebhookAddressNotAllowed` unless ``url`` may be registered.

    A name that does not resolve now is accepted: every delivery resolves it again.
    """
    _, host, port = _parts(url, policy, field_name)
    if host_address(host) is not None or policy.lists_host(host):
        return
    try:
        addresses = policy.resolve(host, port)
    except OSError:
        return
    _judge(addresses, policy, field_name)


def resolve_destination(url: str, policy: EgressPolicy) -> Destination:
    """Resolve and check ``url`` for one delivery; the answer names the addresses to dial.

    Raises :class:`WebhookAddressNotAllowed` when any address, or the scheme, is refused, and
    ``OSError`` when the name does not resolve (the caller retries later).
    """
    scheme, host, port = _parts(url, policy, "url")
    literal = host_address(host)
    if literal is not None:
        return Destination(scheme, host, port, (literal[0],))
    addresses = tuple(policy.resolve(host, port))
    if not addresses:
        raise OSError("the name resolved to no address")
    if not policy.lists_host(host):
        # Every answer must pass, not just the first: the resolver's order may change.
        _judge(addresses, policy, "url")
    return Destination(scheme, host, port, addresses)
