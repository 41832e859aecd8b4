"""What a PostgreSQL server is sent, read off the wire: a TCP relay in front of the server that keeps every byte the
clients send, split into the protocol's messages (startup, then one type byte and a length per message).

A statement's text is what the server's log_statement or pg_stat_statements would keep: the simple-query messages
('Q') and the extended protocol's Parse messages ('P'). COPY's rows travel in CopyData messages ('d'), apart from
any statement. The clients must not encrypt (PGSSLMODE=disable, PGGSSENCMODE=disable), or nothing can be read.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

ENCRYPTION_REQUESTS = {80877103, 80877104}  # SSLRequest, GSSENCRequest: answered by one byte, then startup again


@dataclass
class Capture:
    streams: list[bytearray] = field(default_factory=list)

    def messages(self) -> list[tuple[str, bytes]]:
        """(type, body) of every message every client sent; the startup message has type ''."""
        found: list[tuple[str, bytes]] = []
        for stream in self.streams:
            data, position, started = bytes(stream), 0, False
            while position + 4 <= len(data):
                if not started:
                    (length,) = struct.unpack("!i", data[position : position + 4])
                    body = data[position + 4 : position + length]
                    code = struct.unpack("!i", body[:4])[0] if len(body) >= 4 else 0
                    started = code not in ENCRYPTION_REQUESTS
                    found.append(("", body))
                    position += length
                    continue
                kind = chr(data[position])
                (length,) = struct.unpack("!i", data[position + 1 : position + 5])
                found.append((kind, data[position + 5 : position + 1 + length]))
                position += 1 + length
        return found

    def statements(self) -> list[str]:
        """Every statement's text the server was sent (simple queries and Parse messages)."""
        texts = []
        for kind, body in self.messages():
            if kind == "Q":
                texts.append(body.rstrip(b"\0").decode("utf-8", "replace"))
            elif kind == "P":
                _name, _, rest = body.partition(b"\0")
                texts.append(rest.partition(b"\0")[0].decode("utf-8", "replace"))
        return texts

    def copy_data(self) -> bytes:
        return b"".join(body for kind, body in self.messages() if kind == "d")


def _pump(source: socket.socket, target: socket.socket, kept: bytearray | None) -> None:
    try:
        while chunk := source.recv(65536):
            if kept is not None:
                kept.extend(chunk)
            target.sendall(chunk)
    except OSError:
        pass
    finally:
        for side in (source, target):
            with suppress(OSError):
                side.shutdown(socket.SHUT_RDWR)


@contextmanager
def relay(host: str, port: int) -> Iterator[tuple[int, Capture]]:
    """A relay on a free local port to ``host:port``; yields (its port, what the clients sent)."""
    capture = Capture()
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection((host, port))
            kept = bytearray()
            capture.streams.append(kept)
            threading.Thread(target=_pump, args=(client, server, kept), daemon=True).start()
            threading.Thread(target=_pump, args=(server, client, None), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1], capture
    finally:
        stop.set()
        listener.close()
