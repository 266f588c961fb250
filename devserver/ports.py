"""The loopback ports `forge dev` serves on, taken before anything starts so a busy one fails at once."""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ServedPort:
    port: int
    serves: str  # what listens there, as the user knows it: "the API", "the AWS emulation"
    flag: str  # the `forge dev` option that moves it


class PortUnavailable(Exception):
    def __init__(self, served: ServedPort, error: OSError) -> None:
        if error.errno == errno.EADDRINUSE:
            reason = "is in use: free it"
        else:
            reason = f"cannot be listened on ({error.strerror}): choose another"
        super().__init__(f"port {served.port} ({served.serves}) {reason} or pass {served.flag} N")


def bind_port(served: ServedPort) -> socket.socket:
    """A socket bound to the port with the options both servers use (SO_REUSEADDR, as werkzeug and asyncio set it);
    the server is handed this very socket, so no other program can take the port in between."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((LOOPBACK, served.port))
    except OSError as error:
        listener.close()
        raise PortUnavailable(served, error) from error
    return listener
