"""Run a command in a fresh network namespace that has only the loopback interface, up.

    python -S tests/netns_exec.py -- COMMAND [ARGS...]

As root this is ``unshare -n`` plus ``ip link set lo up``; elsewhere it tries an unprivileged
user namespace (which grants the rights needed inside it). Only the standard library is used, so
neither util-linux nor iproute2 has to be installed. Exit status 97 means the namespace could
not be made; the reason is on stderr.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct
import sys

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
CANNOT = 97


def _unshare(flags: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(ctypes.c_int(flags)) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def enter_loopback_namespace() -> str:
    """Unshare the network namespace and bring ``lo`` up; return how it was done."""
    try:
        _unshare(CLONE_NEWNET)
        how = "network namespace"
    except PermissionError as first:
        uid, gid = os.getuid(), os.getgid()
        try:
            _unshare(CLONE_NEWUSER | CLONE_NEWNET)
        except OSError as second:
            raise OSError(second.errno, f"unshare(CLONE_NEWNET): {first.strerror}; with a user"
                                        f" namespace: {second.strerror}") from second
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
        how = "user + network namespace"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sh14x", b"lo", 0)
        flags = struct.unpack("16sh14x", fcntl.ioctl(sock.fileno(), SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock.fileno(), SIOCSIFFLAGS, struct.pack("16sh14x", b"lo", flags | IFF_UP))
    return how


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        print("usage: netns_exec.py -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1:]
    try:
        enter_loopback_namespace()
    except OSError as exc:
        print(f"netns_exec: cannot make a loopback-only network namespace: {exc}",
              file=sys.stderr)
        return CANNOT
    os.execvp(command[0], command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
