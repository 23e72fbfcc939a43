"""The egress policy for webhooks (invariant 8): which URLs may be registered, which addresses
a delivery may reach, and how the operator's allow-list is read.

Names are resolved by a resolver passed in, the edge the policy reads DNS through: this
machine has no DNS beyond localhost, and a test must say what a name answers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pytest

from gatehouse.services.webhook_address import (
    ALLOW_ENV,
    EgressPolicy,
    InvalidSetting,
    IPAddress,
    WebhookAddressNotAllowed,
    address_class,
    check_registration,
    host_address,
    resolve_destination,
)


class FakeDns:
    """A resolver whose answers a test sets and changes, counting the questions."""

    def __init__(self, **answers: str) -> None:
        self.answers = {name.replace("_", "."): value for name, value in answers.items()}
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[IPAddress]:
        self.asked.append(host)
        if host not in self.answers:
            raise OSError("Name or service not known")
        return [ipaddress.ip_address(a) for a in self.answers[host].split(",")]


STRICT = EgressPolicy(resolve=FakeDns())

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.0.0.2", "loopback"),
    ("::1", "loopback"),
    ("169.254.169.254", "link_local"),  # the cloud metadata service
    ("fe80::1", "link_local"),
    ("10.0.0.7", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.254", "private"),
    ("192.168.1.20", "private"),
    ("fd00::1", "private"),
    ("100.64.0.1", "shared"),
    ("224.0.0.1", "multicast"),
    ("233.1.1.1", "multicast"),  # global yet multicast
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:169.254.169.254", "link_local"),
    ("::ffff:10.1.2.3", "private"),
    ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
]


@pytest.mark.parametrize(("address", "kind"), REFUSED)
def test_each_class_of_non_public_address_is_named(address: str, kind: str) -> None:
    assert address_class(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert address_class(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("host", "expected", "canonical"),
    [
        ("127.0.0.1", "127.0.0.1", True),
        ("2130706433", "127.0.0.1", False),  # decimal
        ("0177.0.0.1", "127.0.0.1", False),  # octal
        ("127.1", "127.0.0.1", False),  # short
        ("0x7f.0.0.1", "127.0.0.1", False),  # hexadecimal
        ("0xa9.254.169.254", "169.254.169.254", False),
        ("127.0.0.1.", "127.0.0.1", False),
        ("hooks.example", None, True),
        ("08", None, True),  # not a number inet_aton reads: a (strange) name
    ],
)
def test_a_host_is_read_as_the_address_the_resolver_would_see(
    host: str, expected: str | None, canonical: bool
) -> None:
    found = host_address(host)
    if expected is None:
        assert found is None
    else:
        assert found == (ipaddress.ip_address(expected), canonical)


# -- registration ---------------------------------------------------------------------------


@pytest.mark.parametrize(("address", "kind"), REFUSED)
def test_registration_refuses_every_non_public_address(address: str, kind: str) -> None:
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(WebhookAddressNotAllowed) as refused:
        check_registration(f"https://{host}/hook", STRICT)
    assert refused.value.code == "webhook_address_not_allowed"
    assert refused.value.details == {
        "field": "webhook_url",
        "reason": "address_not_public",
        "address_class": kind,
    }


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://2130706433/hook", "loopback"),
        ("https://0177.0.0.1/hook", "loopback"),
        ("https://127.1/hook", "loopback"),
        ("https://0xa9fea9fe/latest/meta-data/", "link_local"),
        ("https://1572395042/hook", "public"),  # 93.184.216.34: still no odd spellings
    ],
)
def test_registration_refuses_odd_spellings_of_addresses(url: str, kind: str) -> None:
    with pytest.raises(WebhookAddressNotAllowed) as refused:
        check_registration(url, STRICT)
    assert refused.value.details["reason"] == "unusual_spelling"
    assert refused.value.details["address_class"] == kind


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST.", "admin.localhost"])
def test_localhost_names_are_loopback_whatever_the_resolver_says(host: str) -> None:
    with pytest.raises(WebhookAddressNotAllowed, match="loopback"):
        check_registration(f"https://{host}/hook", STRICT)


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    policy = EgressPolicy(resolve=FakeDns(intranet_example="93.184.215.14,10.0.0.5"))
    with pytest.raises(WebhookAddressNotAllowed, match="private"):
        check_registration("https://intranet.example/hook", policy)


def test_a_name_that_does_not_resolve_yet_is_accepted() -> None:
    check_registration("https://not-yet.example/hook", STRICT)


def test_a_public_name_and_a_public_address_are_accepted() -> None:
    policy = EgressPolicy(resolve=FakeDns(hooks_example="93.184.215.14"))
    check_registration("https://hooks.example/hook", policy)
    check_registration("https://93.184.215.14:8443/hook", policy)
    check_registration("https://[2606:4700::1111]/hook", policy)


@pytest.mark.parametrize(
    "url", ["http://93.184.215.14/hook", "ftp://93.184.215.14/hook", "HTTP://hooks.example/h"]
)
def test_only_https_is_allowed_by_default(url: str) -> None:
    with pytest.raises(WebhookAddressNotAllowed) as refused:
        check_registration(url, STRICT, "url")
    assert refused.value.details["reason"] == "scheme_not_allowed"
    assert refused.value.details["field"] == "url"


def test_http_is_allowed_only_to_listed_hosts() -> None:
    policy = EgressPolicy.parse("127.0.0.1/32,localhost,10.1.0.0/16", resolve=FakeDns())
    check_registration("http://127.0.0.1:8080/hook", policy)
    check_registration("http://localhost:8080/hook", policy)
    check_registration("http://10.1.2.3/hook", policy)
    for url in ("http://127.0.0.2/hook", "http://hooks.example/hook", "http://127.1/hook"):
        with pytest.raises(WebhookAddressNotAllowed):
            check_registration(url, policy)


# -- delivery -------------------------------------------------------------------------------


def test_delivery_resolves_again_and_refuses_a_rebound_name() -> None:
    dns = FakeDns(rebind_example="93.184.215.14")
    policy = EgressPolicy(resolve=dns)
    check_registration("https://rebind.example/hook", policy)
    assert resolve_destination("https://rebind.example/hook", policy).addresses == (
        ipaddress.ip_address("93.184.215.14"),
    )
    dns.answers["rebind.example"] = "127.0.0.1"
    with pytest.raises(WebhookAddressNotAllowed, match="loopback"):
        resolve_destination("https://rebind.example/hook", policy)
    dns.answers["rebind.example"] = "93.184.215.14,169.254.169.254"  # one bad answer is enough
    with pytest.raises(WebhookAddressNotAllowed, match="link_local"):
        resolve_destination("https://rebind.example/hook", policy)


def test_delivery_to_a_name_that_does_not_resolve_is_an_os_error() -> None:
    with pytest.raises(OSError):
        resolve_destination("https://gone.example/hook", STRICT)


def test_delivery_refuses_http_even_when_it_was_stored_before_the_policy() -> None:
    with pytest.raises(WebhookAddressNotAllowed, match="https"):
        resolve_destination("http://93.184.215.14/hook", STRICT)


def test_a_listed_name_may_resolve_to_any_address() -> None:
    policy = EgressPolicy.parse("sink.test", resolve=FakeDns(sink_test="10.9.9.9"))
    found = resolve_destination("http://sink.test:9000/h", policy)
    assert (found.scheme, found.host, found.port) == ("http", "sink.test", 9000)
    assert found.addresses == (ipaddress.ip_address("10.9.9.9"),)


def test_a_batch_asks_the_resolver_once_per_host() -> None:
    dns = FakeDns(hooks_example="93.184.215.14")
    policy = EgressPolicy(resolve=dns).remembering()
    for _ in range(3):
        check_registration("https://hooks.example/a", policy)
        check_registration("https://missing.example/a", policy)
    assert dns.asked == ["hooks.example", "missing.example"]


# -- the operator's setting -----------------------------------------------------------------


def test_the_allow_list_reads_networks_addresses_and_names() -> None:
    policy = EgressPolicy.parse(" 127.0.0.1/32, ::1/128 ,localhost,10.0.0.0/8,fd00::5,Dev.Test. ,")
    assert policy.networks == (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("::1/128"),
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("fd00::5/128"),
    )
    assert policy.hosts == frozenset({"localhost", "dev.test"})
    assert EgressPolicy.parse("") == EgressPolicy()


@pytest.mark.parametrize(
    "value",
    [
        "10.0.0.1/8",  # host bits set: which network was meant?
        "0.0.0.0/0",
        "::/0",
        "127.0.0.1/33",
        "http://localhost",
        "*",
        "local host",
        "-bad-.example",
    ],
)
def test_a_bad_allow_list_is_a_configuration_error(value: str) -> None:
    with pytest.raises(InvalidSetting) as bad:
        EgressPolicy.parse(f"localhost,{value}")
    assert bad.value.code == "invalid_setting"
    assert ALLOW_ENV in bad.value.message
    assert bad.value.details["entry"] == value


def test_a_network_with_host_bits_names_the_network_meant() -> None:
    with pytest.raises(InvalidSetting, match="did you mean 10.0.0.0/8"):
        EgressPolicy.parse("10.0.0.1/8")
