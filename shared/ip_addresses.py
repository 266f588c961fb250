"""Which network addresses a tenant's HTTP request may reach: the rules of the SSRF guard and of its allow-list.

An IPv6 address that carries an IPv4 address (IPv4-mapped, IPv4-compatible, 6to4, NAT64, Teredo) is judged by
the IPv4 address it carries, on every Python: 3.11 and 3.12 count `2002:7f00:1::` (6to4 of 127.0.0.1) as global.
Link-local and cloud metadata addresses are never reachable, whatever a tenant's `http_allowed_hosts` says.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# RFC 8215's local-use NAT64 prefix: where it embeds the IPv4 address depends on the local translator.
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_TEREDO = ipaddress.ip_network("2001::/32")

METADATA_NETWORKS = (
    ipaddress.ip_network("169.254.0.0/16"),  # link-local: AWS/GCP/Azure/OpenStack metadata, ECS task metadata
    ipaddress.ip_network("fe80::/10"),  # IPv6 link-local
    ipaddress.ip_network("fd00:ec2::/32"),  # EC2's IPv6 instance services (metadata fd00:ec2::254, DNS, NTP)
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba Cloud metadata
    ipaddress.ip_network("192.0.0.192/32"),  # Oracle Cloud metadata
)
METADATA_HOST_NAMES = frozenset(
    {"metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"}
)
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")


def _parse(address: str) -> IpAddress:
    return ipaddress.ip_address(address.split("%", 1)[0])


def embedded_ipv4(ip: IpAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (none for a plain one)."""
    if isinstance(ip, ipaddress.IPv4Address):
        return []
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _MAPPED or ip in _COMPATIBLE or ip in _NAT64:
        return [low32]
    if ip in _SIX_TO_FOUR:
        return [ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)]
    if ip in _TEREDO:
        server = ipaddress.IPv4Address((int(ip) >> 64) & 0xFFFFFFFF)
        return [server, ipaddress.IPv4Address(~int(ip) & 0xFFFFFFFF)]
    return []


def _is_public_ipv4_or_plain_ipv6(ip: IpAddress) -> bool:
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback)


def is_public_address(address: str) -> bool:
    """Globally reachable: not loopback, private, link-local (metadata), multicast or reserved, nor carrying one."""
    ip = _parse(address)
    if ip in _LOCAL_NAT64 or is_metadata_address(address):
        return False
    carried = embedded_ipv4(ip)
    if carried:
        return all(_is_public_ipv4_or_plain_ipv6(inner) for inner in carried)
    return _is_public_ipv4_or_plain_ipv6(ip)


def is_metadata_address(address: str) -> bool:
    """Link-local or a cloud metadata address, itself or carried in an IPv6 address: never reachable."""
    ip = _parse(address)
    return any(candidate in network for candidate in (ip, *embedded_ipv4(ip)) for network in METADATA_NETWORKS)


def is_metadata_host(host: str) -> bool:
    return host.lower().rstrip(".") in METADATA_HOST_NAMES


def canonical_host(host: str) -> str:
    """How the guard and the allow-list compare hosts: lower case, no trailing dot, an address in its short form."""
    text = host.strip().lower().rstrip(".").removeprefix("[").removesuffix("]")
    try:
        return str(_parse(text))
    except ValueError:
        return text


def allowed_host_error(entry: str) -> str | None:
    """Why `entry` can't be in a tenant's `http_allowed_hosts`, or None: a host name or an IP address only."""
    host = canonical_host(entry)
    try:
        _parse(host)
    except ValueError:
        if not _HOST_NAME.match(host):
            return f"{entry!r} is not a host name or an IP address (no wildcards, schemes, ports or paths)"
        if is_metadata_host(host):
            return f"{entry!r} is a cloud metadata host, which is never reachable"
        return None
    if is_metadata_address(host):
        return f"{entry!r} is a link-local or cloud metadata address, which is never reachable"
    ip = _parse(host)
    if ip.is_unspecified or ip.is_multicast:
        return f"{entry!r} is not an address a request can be sent to"
    return None


class RefusalKind(enum.Enum):
    METADATA = "metadata"  # a metadata host, or a link-local or metadata address: never reachable
    NON_PUBLIC = "non_public"  # reachable only once the tenant allows the host
    NO_ADDRESS = "no_address"  # the host resolved to nothing
    NOT_A_URL = "not_a_url"  # not an http(s) URL with a plain host and no credentials


@dataclass(frozen=True)
class AddressRefusal:
    kind: RefusalKind
    message: str


def address_refusal(host: str, addresses: Sequence[str], allowed_hosts: frozenset[str]) -> AddressRefusal | None:
    """Why a request to `host`, which resolved to `addresses`, is refused, or None: every address must be public
    unless the host is in `allowed_hosts` (canonical form); link-local and metadata ones never pass."""
    if is_metadata_host(host):
        return AddressRefusal(RefusalKind.METADATA, f"{host} is a cloud metadata host, which is never reachable")
    if not addresses:
        return AddressRefusal(RefusalKind.NO_ADDRESS, f"{host} has no address")
    metadata = [address for address in addresses if is_metadata_address(address)]
    if metadata:
        return AddressRefusal(
            RefusalKind.METADATA,
            f"{host} resolves to a link-local or metadata address ({metadata[0]}), which is never reachable",
        )
    if canonical_host(host) not in allowed_hosts:
        blocked = [address for address in addresses if not is_public_address(address)]
        if blocked:
            return AddressRefusal(
                RefusalKind.NON_PUBLIC,
                f"{host} resolves to a non-public address ({blocked[0]}); a tenant admin can allow this host in the "
                "tenant's http_allowed_hosts setting",
            )
    return None


def url_refusal(url: str, allowed_hosts: frozenset[str]) -> AddressRefusal | None:
    """Why `url` may never be requested, judged without resolving it, or None: an http(s) URL without credentials
    whose host is a host name or an address that `address_refusal` lets through."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port outside 0-65535 raises here)
    except ValueError as error:
        return AddressRefusal(RefusalKind.NOT_A_URL, f"is not a URL: {error}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return AddressRefusal(RefusalKind.NOT_A_URL, "must be an http(s) URL with a host")
    if parts.username or parts.password:
        return AddressRefusal(RefusalKind.NOT_A_URL, "must not carry credentials: name a tenant credential instead")
    host = canonical_host(parts.hostname)
    if is_metadata_host(host):
        return AddressRefusal(RefusalKind.METADATA, f"{host} is a cloud metadata host, which is never reachable")
    try:
        ip = _parse(host)
    except ValueError:
        if _HOST_NAME.match(host):
            return None
        return AddressRefusal(RefusalKind.NOT_A_URL, f"{host!r} is not a host name or an IP address")
    if ip.is_unspecified or ip.is_multicast:
        return AddressRefusal(RefusalKind.NOT_A_URL, f"{host} is not an address a request can be sent to")
    return address_refusal(host, [host], allowed_hosts)
