"""Loaded by every Python process started with this folder on PYTHONPATH (the server under the
offline test): records, and refuses, any network use that leaves the machine.

Python's audit hooks see every socket connect, datagram send and host-name lookup made through
the socket module, whichever library makes it. Each process writes one JSON line when it
starts (its network namespace, so the test can check it ran inside the isolated one) and one per
refused attempt, to the file named by HEARTH_NET_GUARD_LOG.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import sys
import traceback
from typing import Any

LOG = os.environ.get("HEARTH_NET_GUARD_LOG", "")
LOCAL_NAMES = {"", "localhost", "localhost.localdomain", "ip6-localhost"}


def _write(entry: dict[str, Any]) -> None:
    if LOG:
        with open(LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


def _local_host(host: Any) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    name = str(host).strip("[]").lower()
    if name in LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False  # a name to look up: that lookup would be traffic
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _local_address(sock: Any, address: Any) -> bool:
    family = getattr(sock, "family", None)
    if family == getattr(socket, "AF_UNIX", None) or isinstance(address, str | bytes):
        return True  # a Unix socket path
    if isinstance(address, tuple) and address:
        return _local_host(address[0])
    return False


def _refuse(event: str, args: tuple[Any, ...]) -> None:
    _write({"event": event, "args": repr(args)[:300], "pid": os.getpid(),
            "stack": traceback.format_stack(limit=12)[:-2]})
    raise PermissionError(f"hearth offline guard: {event} {args!r} leaves the machine")


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event in ("socket.connect", "socket.sendto"):
        if not _local_address(args[0], args[1]):
            _refuse(event, args)
    elif event == "socket.sendmsg":
        if len(args) > 1 and args[1] is not None and not _local_address(args[0], args[1]):
            _refuse(event, args)
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
        if not _local_host(args[0]):
            _refuse(event, args)
    elif event == "http.client.connect":
        if not _local_host(args[1]):
            _refuse(event, args)
    elif event == "urllib.Request":
        host = args[0].split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
        if not _local_host(host):
            _refuse(event, args)


try:
    netns = os.readlink("/proc/self/ns/net")
except OSError:
    netns = ""
_write({"event": "start", "pid": os.getpid(), "netns": netns, "argv": sys.argv})
sys.addaudithook(_hook)
