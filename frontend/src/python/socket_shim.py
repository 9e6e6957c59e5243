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
import struct as _struct
import sys

import js
from pyodide.ffi import run_sync

_call_ids = itertools.count(1)
# File descriptors as a program sees them: small numbers from 3 up.
_fds = itertools.count(3)


# The line of the learner's program that created each socket, told to the
# page with the socket's first call (the page sees a socket only then).
_made = {}


def _learner_line():
    """The line of the learner's file that is running now: the frame of
    their program nearest to this call, past the modules in between
    (socket, requests, threads)."""
    program = getattr(js, "roundtrip_program_file", None)
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename == program:
            return frame.f_lineno
        frame = frame.f_back
    return None


def _call(call, **fields):
    request = {"id": next(_call_ids), "call": call, **fields}
    line = _learner_line()
    if line is not None:
        request["line"] = line
    made = _made.pop(fields.get("sock"), None)
    if made is not None:
        request["made"] = made
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


def _host_port(address):
    if not isinstance(address, tuple) or len(address) < 2:
        raise TypeError("AF_INET address must be a tuple (host, port)")
    host, port = address[0], address[1]
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise OverflowError("bind(): port must be 0-65535.")
    return str(host), port


class socket:
    """A TCP or UDP socket whose calls the relay carries out on a real
    socket. A server's port is the program's own: the page maps it to the
    port the relay really listens on."""

    def __init__(self, family=_std.AF_INET, type=_std.SOCK_STREAM, proto=0, fileno=None):
        if family not in (_std.AF_INET, _std.AF_INET6):
            raise OSError(_errno.EAFNOSUPPORT, "Address family not supported by protocol")
        if type not in (_std.SOCK_STREAM, _std.SOCK_DGRAM):
            raise OSError(
                _errno.EPROTONOSUPPORT,
                "only TCP (SOCK_STREAM) and UDP (SOCK_DGRAM) sockets run in the page",
            )
        self.family = family
        self.type = type
        self.proto = proto
        self._fd = next(_fds) if fileno is None else fileno
        # Bounded: a program making sockets it never uses tells no more.
        if fileno is None and len(_made) < 1024:
            line = _learner_line()
            if line is not None:
                _made[self._fd] = line
        self._bound = None
        self._listening = False
        self._timeout = _std.getdefaulttimeout()
        self._nodelay = False
        # SO_LINGER on with zero seconds: close() sends an RST.
        self._abort = False
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
        elif level == _std.SOL_SOCKET and option == _std.SO_LINGER:
            # struct.pack("ii", on, seconds): on with zero seconds makes
            # close() abort the connection with an RST instead of a FIN.
            on, seconds = _struct.unpack("ii", bytes(value)[:8])
            self._abort = bool(on) and seconds == 0
        # SO_REUSEADDR and the rest are accepted: the relay's sockets have
        # what they need.

    def getsockopt(self, level, option, *rest):
        if level == _std.IPPROTO_TCP and option == _std.TCP_NODELAY:
            return int(self._nodelay)
        if level == _std.SOL_SOCKET and option == _std.SO_LINGER:
            linger = _struct.pack("ii", int(self._abort), 0)
            return linger[: rest[0]] if rest else int(self._abort)
        return 0

    def _check_open(self):
        if self._closed:
            raise OSError(_errno.EBADF, "Bad file descriptor")

    def _udp(self):
        return self.type == _std.SOCK_DGRAM

    def bind(self, address):
        self._check_open()
        host, port = _host_port(address)
        if self._bound is not None:
            raise OSError(_errno.EINVAL, "Invalid argument")
        if self._udp():
            reply = _call("bind", sock=self._fd, host=host, port=port)
            self._local = _address(reply["local"])
        else:
            # The relay listens when the program calls listen().
            self._local = ("0.0.0.0" if host == "" else host, port)
        self._bound = (host, port)

    def listen(self, backlog=None):
        self._check_open()
        if self._udp():
            raise OSError(_errno.EOPNOTSUPP, "Operation not supported")
        if self._listening:
            return
        host, port = self._bound or ("0.0.0.0", 0)
        reply = _call("listen", sock=self._fd, host=host, port=port)
        self._local = _address(reply["local"])
        self._listening = True

    def accept(self):
        self._check_open()
        if not self._listening:
            raise OSError(_errno.EINVAL, "Invalid argument")
        conn_fd = next(_fds)
        reply = _call("accept", sock=self._fd, conn=conn_fd, timeout_ms=self._timeout_ms())
        conn = socket(self.family, self.type, self.proto, fileno=conn_fd)
        # As CPython's: the new socket blocks unless a default timeout is set.
        conn._timeout = _std.getdefaulttimeout()
        conn._local = self._local
        conn._remote = _address(reply["peer"])
        return conn, conn._remote

    def sendto(self, data, flags_or_address, address=None):
        self._check_open()
        if not self._udp():
            raise OSError(_errno.EISCONN, "Transport endpoint is already connected")
        host, port = _host_port(flags_or_address if address is None else address)
        reply = _call("send_to", sock=self._fd, host=host, port=port, data=_payload(data))
        return reply["bytes"]

    def recvfrom(self, bufsize, flags=0):
        self._check_open()
        if bufsize < 0:
            raise ValueError("negative buffersize in recvfrom")
        if not self._udp():
            return self.recv(bufsize), self._remote
        reply = _call("recv_from", sock=self._fd, max=bufsize, timeout_ms=self._timeout_ms())
        return _bytes(reply["data"]), _address(reply["from"])

    def recvfrom_into(self, buffer, nbytes=0, flags=0):
        view = memoryview(buffer).cast("B")
        data, address = self.recvfrom(nbytes or len(view))
        view[: len(data)] = data
        return len(data), address

    def connect(self, address):
        self._check_open()
        if self._udp():
            # A UDP "connection" only names where send() goes.
            self._remote = _host_port(address)
            return
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
        if self._udp():
            self.send(data)
            return
        _call("send", sock=self._fd, data=_payload(data))

    def send(self, data, flags=0):
        self._check_open()
        if self._udp():
            if self._remote is None:
                raise OSError(_errno.EDESTADDRREQ, "Destination address required")
            return self.sendto(data, self._remote)
        return _call("send", sock=self._fd, data=_payload(data))["bytes"]

    def recv(self, bufsize, flags=0):
        self._check_open()
        if bufsize < 0:
            raise ValueError("negative buffersize in recv")
        if self._udp():
            return self.recvfrom(bufsize)[0]
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
            _call("close", sock=self._fd, abort=self._abort)

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


def create_server(address, *, family=_std.AF_INET, backlog=None, reuse_port=False, dualstack_ipv6=False):
    sock = socket(family, _std.SOCK_STREAM)
    try:
        sock.bind(address)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def _is_ipv4(text):
    parts = text.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


def gethostbyname_ex(hostname):
    name = str(hostname)
    if _is_ipv4(name):
        return name, [], [name]
    if name in ("", "localhost"):
        return "localhost", [], ["127.0.0.1"]
    # Asked of the relay's DNS: the lab's names (echo.lab.test, ...).
    reply = _call("resolve", name=name)
    return name, [], reply["addrs"]


def gethostbyname(hostname):
    return gethostbyname_ex(hostname)[2][0]


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    if port is None:
        port = 0
    elif isinstance(port, str):
        port = int(port) if port.isdigit() else _std.getservbyname(port)
    if host is None:
        host = "0.0.0.0" if flags & _std.AI_PASSIVE else "127.0.0.1"
    if ":" in str(host):
        if family not in (0, _std.AF_INET6):
            raise _std.gaierror(_std.EAI_ADDRFAMILY, "Address family for hostname not supported")
        addrs = [(_std.AF_INET6, (str(host), port, 0, 0))]
    else:
        if family not in (0, _std.AF_INET):
            raise _std.gaierror(_std.EAI_ADDRFAMILY, "Address family for hostname not supported")
        addrs = [(_std.AF_INET, (addr, port)) for addr in gethostbyname_ex(host)[2]]
    kinds = [(_std.SOCK_STREAM, _std.IPPROTO_TCP), (_std.SOCK_DGRAM, _std.IPPROTO_UDP)]
    if type:
        kinds = [(k, p) for k, p in kinds if k == type]
    return [(fam, kind, p, "", addr) for fam, addr in addrs for kind, p in kinds]


# Pyodide's socket module is built without SO_REUSEADDR and SO_REUSEPORT,
# which nearly every course's server sets: give them Linux's values (the
# relay's sockets need neither, and setsockopt accepts them).
for _name, _value in (("SO_REUSEADDR", 2), ("SO_REUSEPORT", 15)):
    if not hasattr(_std, _name):
        setattr(_std, _name, _value)

# urllib.request: `urlopen` makes each request (each hop of a redirect) one
# `http` call to the page, as the `requests` module does, so it is drawn
# in the waterfall and https:// works (Pyodide has no `ssl` to wrap a
# socket in). Patched when the program imports it, so a program that does
# not pays nothing.
def _urllib_patch(module):
    import email.parser
    import http.client
    import io
    import urllib.error
    import urllib.response

    def _open(req):
        timeout = None if req.timeout is _std._GLOBAL_DEFAULT_TIMEOUT else req.timeout
        ms = None if timeout is None else max(1, round(float(timeout) * 1000))
        headers = dict(req.unredirected_hdrs)
        headers.update(req.headers)
        body = req.data
        if body is not None and not isinstance(body, (bytes, bytearray)):
            if hasattr(body, "read"):
                body = body.read()
            else:
                body = b"".join(body)
        reply = _call(
            "http",
            method=req.get_method(),
            url=req.full_url,
            # The relay frames the body itself (Content-Length from it).
            headers=[[k, str(v)] for k, v in headers.items() if k.lower() != "content-length"],
            body=None if body is None else _payload(body),
            connect_timeout_ms=ms,
            read_timeout_ms=ms,
            # urllib's own redirect handler follows them, one call each.
            max_redirects=0,
        )
        if reply["result"] == "http_failed":
            error = reply["error"]
            if error["exception"] == "ReadTimeout" and error.get("limit") != "connect":
                # As http.client's getresponse() raises it: not wrapped.
                raise _std.timeout("timed out")
            if error["exception"] == "ReadTimeout":
                # The TLS handshake stalled: urlopen wraps what the
                # handshake raised, as it wraps a connect timeout.
                raise urllib.error.URLError(_std.timeout("The handshake operation timed out"))
            if error["exception"] == "ConnectTimeout":
                raise urllib.error.URLError(_std.timeout("timed out"))
            cause = error.get("cause")
            raise urllib.error.URLError(_exception(cause) if cause else error["message"])
        answer = reply["response"]
        head = "".join(f"{name}: {value}\r\n" for name, value in answer["headers"])
        message = email.parser.Parser(_class=http.client.HTTPMessage).parsestr(head + "\r\n")
        response = urllib.response.addinfourl(
            io.BytesIO(_bytes(reply["body"])), message, answer["url"], answer["status"]
        )
        response.msg = response.reason = answer["reason"]
        return response

    class HTTPHandler(module.HTTPHandler):
        def http_open(self, req):
            return _open(req)

    handlers = [HTTPHandler]
    if hasattr(module, "HTTPSHandler"):
        class HTTPSHandler(module.HTTPSHandler):
            def https_open(self, req):
                return _open(req)
    else:
        class HTTPSHandler(module.BaseHandler):
            https_request = module.AbstractHTTPHandler.do_request_

            def https_open(self, req):
                return _open(req)
    handlers.append(HTTPSHandler)
    module.install_opener(module.build_opener(*handlers))


class _UrllibFinder:
    """Patches urllib.request as it is first imported."""

    def find_spec(self, name, path=None, target=None):
        if name != "urllib.request":
            return None
        import importlib.util
        import sys

        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        exec_module = spec.loader.exec_module

        class Loader:
            def create_module(self, spec):
                return None

            def exec_module(self, module):
                exec_module(module)
                _urllib_patch(module)

        spec.loader = Loader()
        return spec


def _watch_urllib():
    import sys

    if "urllib.request" in sys.modules:
        _urllib_patch(sys.modules["urllib.request"])
    else:
        sys.meta_path.insert(0, _UrllibFinder())


_watch_urllib()

_std.socket = socket
_std.SocketType = socket
_std.create_connection = create_connection
_std.create_server = create_server
_std.gethostbyname = gethostbyname
_std.gethostbyname_ex = gethostbyname_ex
_std.getaddrinfo = getaddrinfo
