# The socket shim run by the machine's CPython, with the page stood in for:
# each test answers the shim's requests as the page's socket model would,
# and checks what the program sees (the values, the exceptions) and what
# it asked for. Run: python3 frontend/src/python/shim_test.py

import importlib.util
import json
import pathlib
import sys
import types
import unittest

requests = []
answers = []


def roundtrip_call(request):
    request = json.loads(request)
    requests.append(request)
    reply = answers.pop(0)
    reply["id"] = request["id"]
    return json.dumps(reply)


sys.modules["js"] = types.SimpleNamespace(roundtrip_call=roundtrip_call)
sys.modules["pyodide"] = types.ModuleType("pyodide")
sys.modules["pyodide.ffi"] = types.SimpleNamespace(run_sync=lambda value: value)
spec = importlib.util.spec_from_file_location(
    "_roundtrip_socket", pathlib.Path(__file__).with_name("socket_shim.py")
)
spec.loader.exec_module(importlib.util.module_from_spec(spec))

import socket  # noqa: E402  (patched by the shim above)


def answer(*replies):
    requests.clear()
    answers[:] = list(replies)


class Server(unittest.TestCase):
    def test_bind_listen_accept_as_a_course_writes_them(self):
        answer(
            {"result": "listening", "local": "127.0.0.1:8080", "relay": "127.0.0.1:41234"},
            {"result": "accepted", "peer": "127.0.0.1:50000"},
            {"result": "received", "data": {"text": "Hello"}},
            {"result": "sent", "bytes": 5},
            {"result": "done"},
            {"result": "done"},
        )
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(("127.0.0.1", 8080))
            server.listen()
            self.assertEqual(server.getsockname(), ("127.0.0.1", 8080))
            conn, addr = server.accept()
            with conn:
                self.assertEqual(addr, ("127.0.0.1", 50000))
                self.assertEqual(conn.getpeername(), addr)
                self.assertEqual(conn.getsockname(), ("127.0.0.1", 8080))
                self.assertNotEqual(conn.fileno(), server.fileno())
                conn.sendall(conn.recv(1024))
        calls = [r["call"] for r in requests]
        self.assertEqual(calls, ["listen", "accept", "recv", "send", "close", "close"])
        self.assertEqual(requests[0]["port"], 8080)
        self.assertEqual(requests[1]["conn"], requests[2]["sock"])

    def test_so_linger_zero_makes_close_abort_and_only_then(self):
        import struct

        answer(
            {"result": "listening", "local": "127.0.0.1:8080", "relay": "127.0.0.1:41234"},
            {"result": "accepted", "peer": "127.0.0.1:50000"},
            {"result": "done"},
            {"result": "done"},
        )
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
            server.bind(("127.0.0.1", 8080))
            server.listen()
            conn, _ = server.accept()
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.assertEqual(
                struct.unpack("ii", conn.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8)),
                (1, 0),
            )
            conn.close()
        closes = [r for r in requests if r["call"] == "close"]
        self.assertEqual([c["abort"] for c in closes], [True, False])
        self.assertEqual(closes[0]["sock"], requests[1]["conn"])

        # A linger with a timeout is an ordinary close (a FIN).
        plain = socket.socket()
        plain.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 5))
        self.assertFalse(plain._abort)

    def test_accept_with_a_timeout_raises_timeout_error(self):
        answer(
            {"result": "listening", "local": "127.0.0.1:8080", "relay": "127.0.0.1:41234"},
            {"result": "raised", "error": {"exception": "TimeoutError", "message": "timed out"}},
            {"result": "done"},
        )
        server = socket.create_server(("", 8080))
        server.settimeout(1.5)
        with self.assertRaises(socket.timeout):
            server.accept()
        server.close()
        self.assertEqual(requests[1]["timeout_ms"], 1500)

    def test_address_in_use_is_an_os_error_with_its_errno(self):
        answer(
            {"result": "raised", "error": {"exception": "OSError", "errno": 98, "message": "Address already in use"}},
            {"result": "done"},
        )
        with self.assertRaises(OSError) as raised:
            socket.create_server(("127.0.0.1", 8080))
        self.assertEqual(raised.exception.errno, 98)


class Udp(unittest.TestCase):
    def test_sendto_and_recvfrom(self):
        answer(
            {"result": "sent", "bytes": 4},
            {"result": "datagram", "data": {"text": "ping"}, "from": "127.0.0.1:40007"},
            {"result": "done"},
        )
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(2)
            self.assertEqual(sock.sendto(b"ping", ("echo.lab.test", 7)), 4)
            self.assertEqual(sock.recvfrom(1024), (b"ping", ("127.0.0.1", 40007)))
        self.assertEqual(requests[0]["call"], "send_to")
        self.assertEqual(requests[0]["host"], "echo.lab.test")
        self.assertEqual(requests[1]["timeout_ms"], 2000)

    def test_a_receive_timeout_is_timeout_error(self):
        answer(
            {"result": "bound", "local": "127.0.0.1:9999"},
            {"result": "raised", "error": {"exception": "TimeoutError", "message": "timed out"}},
            {"result": "done"},
        )
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 9999))
            self.assertEqual(sock.getsockname(), ("127.0.0.1", 9999))
            sock.settimeout(1)
            with self.assertRaises(TimeoutError):
                sock.recvfrom(1024)


class Names(unittest.TestCase):
    def test_gethostbyname_asks_the_relay_and_literals_do_not(self):
        answer({"result": "addresses", "addrs": ["127.0.0.1"]})
        self.assertEqual(socket.gethostbyname("echo.lab.test"), "127.0.0.1")
        self.assertEqual(socket.gethostbyname("192.0.2.7"), "192.0.2.7")
        self.assertEqual(socket.gethostbyname("localhost"), "127.0.0.1")
        self.assertEqual([r["call"] for r in requests], ["resolve"])

    def test_getaddrinfo_gives_what_a_program_unpacks(self):
        answer({"result": "addresses", "addrs": ["127.0.0.1"]})
        infos = socket.getaddrinfo("echo.lab.test", 7, type=socket.SOCK_STREAM)
        self.assertEqual(
            infos,
            [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", 7))],
        )

    def test_a_name_that_does_not_resolve_is_a_gaierror(self):
        answer(
            {"result": "raised", "error": {"exception": "gaierror", "errno": -2, "message": "Name or service not known"}}
        )
        with self.assertRaises(socket.gaierror) as raised:
            socket.gethostbyname("nosuch.lab.test")
        self.assertEqual(raised.exception.errno, socket.EAI_NONAME)


def response(status=200, reason="OK", headers=(), body="", url="http://www.lab.test/get"):
    return {
        "result": "response",
        "response": {
            "status": status,
            "reason": reason,
            "headers": [list(h) for h in headers],
            "url": url,
            "elapsed_us": 900,
        },
        "body": {"text": body},
        "history": [],
    }


class Urllib(unittest.TestCase):
    """urllib.request, patched as the program imports it: each request is
    one `http` call to the page."""

    def test_urlopen_reads_a_response(self):
        import urllib.request

        answer(response(headers=[("Content-Type", "application/json")], body='{"a": 1}', url="https://www.lab.test/json"))
        with urllib.request.urlopen("https://www.lab.test/json", timeout=5) as r:
            self.assertEqual(r.status, 200)
            self.assertEqual(r.reason, "OK")
            self.assertEqual(r.headers["content-type"], "application/json")
            self.assertEqual(json.loads(r.read()), {"a": 1})
            self.assertEqual(r.url, "https://www.lab.test/json")
        (call,) = requests
        self.assertEqual(call["call"], "http")
        self.assertEqual((call["method"], call["url"]), ("GET", "https://www.lab.test/json"))
        self.assertEqual((call["connect_timeout_ms"], call["read_timeout_ms"]), (5000, 5000))
        self.assertEqual(call["max_redirects"], 0)

    def test_a_post_and_redirects_as_urllib_follows_them(self):
        import urllib.request

        answer(
            response(302, "Found", [("Location", "/get")], url="http://www.lab.test/post"),
            response(body="done", url="http://www.lab.test/get"),
        )
        r = urllib.request.urlopen("http://www.lab.test/post", data=b"a=1")
        self.assertEqual(r.read(), b"done")
        self.assertEqual(r.url, "http://www.lab.test/get")
        first, second = requests
        self.assertEqual((first["method"], first["body"]), ("POST", {"text": "a=1"}))
        headers = {k.lower(): v for k, v in first["headers"]}
        self.assertEqual(headers["content-type"], "application/x-www-form-urlencoded")
        self.assertNotIn("content-length", headers)
        self.assertEqual((second["method"], second["url"]), ("GET", "http://www.lab.test/get"))

    def test_errors_are_urllibs(self):
        import urllib.error
        import urllib.request

        answer(response(404, "Not Found", url="http://www.lab.test/status/404"))
        with self.assertRaises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen("http://www.lab.test/status/404")
        self.assertEqual(str(raised.exception), "HTTP Error 404: Not Found")
        self.assertEqual(raised.exception.code, 404)
        answer(
            {
                "result": "http_failed",
                "error": {
                    "exception": "ConnectionError",
                    "message": "",
                    "cause": {"exception": "ConnectionRefusedError", "errno": 111, "message": "Connection refused"},
                },
            }
        )
        with self.assertRaises(urllib.error.URLError) as raised:
            urllib.request.urlopen("http://127.0.0.1:1/")
        self.assertEqual(str(raised.exception), "<urlopen error [Errno 111] Connection refused>")
        self.assertIsInstance(raised.exception.reason, ConnectionRefusedError)
        answer({"result": "http_failed", "error": {"exception": "ReadTimeout", "message": "first byte timeout", "limit": "read"}})
        with self.assertRaises(TimeoutError):
            urllib.request.urlopen("http://www.lab.test/delay/3", timeout=1)
        # A TLS handshake that stalls fails inside urlopen's request, which
        # wraps it.
        answer(
            {
                "result": "http_failed",
                "error": {"exception": "ReadTimeout", "message": "TLS handshake timeout", "limit": "connect"},
            }
        )
        with self.assertRaises(urllib.error.URLError) as raised:
            urllib.request.urlopen("https://www.lab.test/get", timeout=1)
        self.assertIsInstance(raised.exception.reason, TimeoutError)
        self.assertIn("handshake operation timed out", str(raised.exception))


if __name__ == "__main__":
    unittest.main()
