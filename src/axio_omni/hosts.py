"""Which servers need a key: the hosted APIs always do; a server on this machine or a private
network usually runs without one (llama.cpp, Ollama, LM Studio, vLLM, LocalAI)."""

from __future__ import annotations

import functools
import ipaddress
from urllib.parse import urlsplit

__all__ = ["is_keyless_host", "needs_key"]

#: Hosts that never answer without a key, so a missing key fails before the request.
_KEYED_HOSTS = ("api.openai.com", ".openai.azure.com", ".cognitiveservices.azure.com", "openrouter.ai")
#: Name suffixes that only resolve inside a private network (RFC 6761, RFC 6762, common home and
#: cloud-internal zones).
_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


@functools.lru_cache(maxsize=64)
def needs_key(base_url: str) -> bool:
    """Whether ``base_url`` is a hosted API that never answers without a key (cached: asked per request)."""
    host = _host(base_url)
    return any(host == h or (h.startswith(".") and host.endswith(h)) for h in _KEYED_HOSTS)


@functools.lru_cache(maxsize=64)
def is_keyless_host(base_url: str) -> bool:
    """Whether ``base_url`` points at this machine or a private network, where servers usually take
    no key: ``localhost``, loopback, private and link-local addresses (IPv4 and IPv6), a single-label
    name (a container or a LAN host: ``http://ollama:11434``) and the private-only name suffixes."""
    host = _host(base_url)
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or "." not in host or host.endswith(_PRIVATE_SUFFIXES)
    return address.is_loopback or address.is_private or address.is_link_local
