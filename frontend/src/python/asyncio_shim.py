# asyncio's streams for a program running in the page:
# `asyncio.open_connection` and `asyncio.start_server` over the page's
# sockets (the socket shim), so that many connections share one event loop
# as a course shows them. The rest of asyncio (`run`, `gather`, `sleep`,
# `wait_for`, tasks) is Pyodide's own and works unchanged.
#
# Each connection has a task of its own that reads from the socket into a
# real asyncio.StreamReader. A socket call blocks with run_sync, which
# suspends only the task that made it, so the event loop runs the others
# meanwhile; and a read that is cancelled (`wait_for` timing out) loses no
# bytes, since they wait in the reader, as with asyncio's own transports.

import asyncio
import socket

from pyodide.ffi import run_sync

# What one read of the pump asks for: the relay sends what has arrived,
# up to this much.
_CHUNK = 64 * 1024


def _pump(sock, reader):
    """Reads `sock` into `reader` until the peer closes or an error."""

    async def pump():
        try:
            while True:
                data = sock.recv(_CHUNK)
                if not data:
                    reader.feed_eof()
                    return
                reader.feed_data(data)
        except OSError as error:
            if not reader.at_eof():
                reader.set_exception(error)

    return asyncio.get_event_loop().create_task(pump())


class StreamWriter:
    """Writes to the page's socket: `write` keeps the bytes, `drain` sends
    them (and waits until the relay has written them all)."""

    def __init__(self, sock, reader, pump):
        self._sock = sock
        self._reader = reader
        self._pump = pump
        self._buffer = bytearray()
        self._closing = False
        self._closed = asyncio.get_event_loop().create_future()

    @property
    def transport(self):
        return self

    def write(self, data):
        if self._closing:
            raise ConnectionResetError("writing to a closed stream")
        self._buffer += data

    def writelines(self, data):
        for chunk in data:
            self.write(chunk)

    async def drain(self):
        if self._buffer:
            data, self._buffer = bytes(self._buffer), bytearray()
            self._sock.sendall(data)

    def can_write_eof(self):
        return True

    def write_eof(self):
        if self._buffer:
            data, self._buffer = bytes(self._buffer), bytearray()
            self._sock.sendall(data)
        self._sock.shutdown(socket.SHUT_WR)

    def is_closing(self):
        return self._closing

    def close(self):
        if self._closing:
            return
        self._closing = True
        try:
            if self._buffer:
                self._sock.sendall(bytes(self._buffer))
        except OSError:
            pass
        self._buffer = bytearray()
        self._sock.close()
        self._closed.set_result(None)

    async def wait_closed(self):
        await self._closed

    def get_extra_info(self, name, default=None):
        try:
            if name == "peername":
                return self._sock.getpeername()
            if name == "sockname":
                return self._sock.getsockname()
        except OSError:
            return default
        if name == "socket":
            return self._sock
        return default

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.close()


def _streams(sock, limit):
    reader = asyncio.StreamReader(limit=limit)
    pump = _pump(sock, reader)
    return reader, StreamWriter(sock, reader, pump)


async def open_connection(host=None, port=None, *, limit=2**16, **kwargs):
    sock = socket.create_connection((host, port))
    return _streams(sock, limit)


class Server:
    """What `start_server` returns: it accepts connections in a task and
    calls the program's callback for each."""

    def __init__(self, sock, callback, limit):
        self._sock = sock
        self.sockets = [sock]
        self._serving = True
        self._closed = asyncio.get_event_loop().create_future()
        self._handlers = set()

        async def accept_loop():
            while self._serving:
                try:
                    conn, _ = sock.accept()
                except OSError:
                    break
                reader, writer = _streams(conn, limit)
                result = callback(reader, writer)
                if asyncio.iscoroutine(result):
                    task = asyncio.get_event_loop().create_task(result)
                    self._handlers.add(task)
                    task.add_done_callback(self._handlers.discard)
            if not self._closed.done():
                self._closed.set_result(None)

        self._accepting = asyncio.get_event_loop().create_task(accept_loop())

    def is_serving(self):
        return self._serving

    def get_loop(self):
        return asyncio.get_event_loop()

    async def start_serving(self):
        pass

    async def serve_forever(self):
        await self._closed

    def close(self):
        if self._serving:
            self._serving = False
            self._sock.close()

    async def wait_closed(self):
        await self._closed

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.close()
        await self.wait_closed()


async def start_server(client_connected_cb, host=None, port=None, *, limit=2**16, backlog=100, **kwargs):
    sock = socket.create_server((host or "0.0.0.0", port or 0), backlog=backlog)
    return Server(sock, client_connected_cb, limit)


asyncio.open_connection = asyncio.streams.open_connection = open_connection
asyncio.start_server = asyncio.streams.start_server = start_server
asyncio.StreamWriter = asyncio.streams.StreamWriter = StreamWriter
