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


if __name__ == "__main__":
    unittest.main()
