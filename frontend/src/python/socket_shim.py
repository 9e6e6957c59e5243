# The `socket` module of a program running in the page: the standard
# module, with its socket class replaced by one whose calls go through the
# relay (via the page) to real sockets. Constants, exceptions and helpers
# the program reads (AF_INET, SOCK_STREAM, timeout, gaierror, SHUT_WR, ...)
# stay the standard module's own.
#
# Each call is one request to the page, answered by one reply; the program
# waits for the reply with run_sync, so a blocking call blocks the program
# as it would on a real socket. The socket model on the page's side
# (roundtrip_shared::program::sockets) decides what each call returns or
# raises; this file only translates.

import base64
import builtins
import errno as _errno
import itertools
import json
import socket as _std

import js
from pyodide.ffi import run_sync

_call_ids = itertools.count(1)
# File descriptors as a program sees them: small numbers from 3 up.
_fds = itertools.count(3)


def _call(call, **fields):
    request = {"id": next(_call_ids), "call": call, **fields}
    reply = json.loads(run_sync(js.roundtrip_call(json.dumps(request))))
    if reply["result"] == "raised":
        raise _exception(reply["error"])
    return reply


def _exception(error):
    name = error["exception"]
    cls = _std.gaierror if name == "gaierror" else getattr(builtins, name)
    code = error.get("errno")
    if code is None:
        return cls(error["message"])
    return cls(code, error["message"])


def _payload(data):
    data = bytes(data)
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def _bytes(payload):
    if "text" in payload:
        return payload["text"].encode("utf-8")
    return base64.b64decode(payload["base64"])


def _address(text):
    # "127.0.0.1:40000" or "[::1]:40000", as the relay reports an end.
    host, _, port = text.rpartition(":")
    return (host.strip("[]"), int(port))


class socket:
    """A TCP socket whose calls the relay carries out on a real socket."""

    def __init__(self, family=_std.AF_INET, type=_std.SOCK_STREAM, proto=0, fileno=None):
        if family not in (_std.AF_INET, _std.AF_INET6):
            raise OSError(_errno.EAFNOSUPPORT, "Address family not supported by protocol")
        if type != _std.SOCK_STREAM:
            raise OSError(
                _errno.EPROTONOSUPPORT,
                "only TCP sockets (SOCK_STREAM) run in the page so far; "
                "use the UDP panel for datagrams",
            )
        self.family = family
        self.type = type
        self.proto = proto
        self._fd = next(_fds)
        self._timeout = _std.getdefaulttimeout()
        self._nodelay = False
        self._closed = False
        self._local = None
        self._remote = None
        self._io_refs = 0

    def __repr__(self):
        state = "closed" if self._closed else f"laddr={self._local}, raddr={self._remote}"
        return f"<socket.socket fd={self._fd}, family={self.family!r}, type={self.type!r}, {state}>"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def fileno(self):
        return -1 if self._closed else self._fd

    # Timeouts, as the standard socket keeps them.
    def settimeout(self, value):
        if value is not None:
            value = float(value)
            if value < 0:
                raise ValueError("Timeout value out of range")
        self._timeout = value

    def gettimeout(self):
        return self._timeout

    def setblocking(self, flag):
        self.settimeout(None if flag else 0.0)

    def getblocking(self):
        return self._timeout != 0.0

    def _timeout_ms(self):
        return None if self._timeout is None else int(self._timeout * 1000)

    def setsockopt(self, level, option, value, *rest):
        if level == _std.IPPROTO_TCP and option == _std.TCP_NODELAY:
            self._nodelay = bool(value)
        # SO_REUSEADDR and the rest are accepted: the relay's sockets have
        # what they need.

    def getsockopt(self, level, option, *rest):
        if level == _std.IPPROTO_TCP and option == _std.TCP_NODELAY:
            return int(self._nodelay)
        return 0

    def _check_open(self):
        if self._closed:
            raise OSError(_errno.EBADF, "Bad file descriptor")

    def connect(self, address):
        self._check_open()
        host, port = address[0], int(address[1])
        reply = _call(
            "connect",
            sock=self._fd,
            host=str(host),
            port=port,
            timeout_ms=self._timeout_ms(),
            nodelay=self._nodelay,
        )
        self._local = _address(reply["local"])
        self._remote = _address(reply["remote"])

    def connect_ex(self, address):
        try:
            self.connect(address)
        except OSError as error:
            return error.errno or _errno.EIO
        return 0

    def sendall(self, data, flags=0):
        self._check_open()
        _call("send", sock=self._fd, data=_payload(data))

    def send(self, data, flags=0):
        self._check_open()
        return _call("send", sock=self._fd, data=_payload(data))["bytes"]

    def recv(self, bufsize, flags=0):
        self._check_open()
        if bufsize < 0:
            raise ValueError("negative buffersize in recv")
        if bufsize == 0:
            return b""
        reply = _call("recv", sock=self._fd, max=bufsize, timeout_ms=self._timeout_ms())
        return _bytes(reply["data"])

    def recv_into(self, buffer, nbytes=0, flags=0):
        view = memoryview(buffer).cast("B")
        data = self.recv(nbytes or len(view))
        view[: len(data)] = data
        return len(data)

    def shutdown(self, how):
        self._check_open()
        if how in (_std.SHUT_WR, _std.SHUT_RDWR):
            _call("shutdown", sock=self._fd)

    def close(self):
        if not self._closed:
            self._closed = True
            _call("close", sock=self._fd)

    def detach(self):
        raise OSError(_errno.EOPNOTSUPP, "detach() is not available in the page")

    def getsockname(self):
        self._check_open()
        return self._local or ("0.0.0.0", 0)

    def getpeername(self):
        self._check_open()
        if self._remote is None:
            raise OSError(_errno.ENOTCONN, "Transport endpoint is not connected")
        return self._remote

    # `makefile` is the standard one: it needs recv_into, send, fileno and
    # the reference count below.
    makefile = _std.socket.makefile

    def _decref_socketios(self):
        if self._io_refs > 0:
            self._io_refs -= 1


def create_connection(address, timeout=_std._GLOBAL_DEFAULT_TIMEOUT, source_address=None, **kwargs):
    sock = socket(_std.AF_INET6 if ":" in str(address[0]) else _std.AF_INET, _std.SOCK_STREAM)
    if timeout is not _std._GLOBAL_DEFAULT_TIMEOUT:
        sock.settimeout(timeout)
    try:
        sock.connect(address)
    except BaseException:
        sock.close()
        raise
    return sock


_std.socket = socket
_std.SocketType = socket
_std.create_connection = create_connection
