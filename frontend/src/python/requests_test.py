# The page's `requests` module run by the machine's CPython, with the page
# stood in for: each test answers the module's call as the page's model
# (roundtrip_shared::program::http) would, and checks what the program sees
# and what it asked the page for. Where the real `requests` package is
# installed (the learn venv has it), the exceptions, the prepared requests
# and the messages are compared with the real package's.
# Run: python3 -B frontend/src/python/requests_test.py

import contextlib
import http.server
import importlib.util
import json
import pathlib
import sys
import threading
import types
import unittest

try:
    import requests as real
    import requests.exceptions  # noqa: F401
except ImportError:
    real = None
for name in [n for n in sys.modules if n == "requests" or n.startswith("requests.")]:
    del sys.modules[name]

calls = []
answers = []


def roundtrip_call(request):
    request = json.loads(request)
    calls.append(request)
    reply = answers.pop(0)
    reply["id"] = request["id"]
    return json.dumps(reply)


# The machine's sockets, before the shim replaces them in `socket`: the
# real package and the servers it talks to here use them.
import socket  # noqa: E402

_MACHINE_SOCKETS = {
    name: getattr(socket, name)
    for name in ("socket", "SocketType", "create_connection", "create_server",
                 "gethostbyname", "gethostbyname_ex", "getaddrinfo")
}

sys.modules["js"] = types.SimpleNamespace(roundtrip_call=roundtrip_call)
sys.modules["pyodide"] = types.ModuleType("pyodide")
sys.modules["pyodide.ffi"] = types.SimpleNamespace(run_sync=lambda value: value)
here = pathlib.Path(__file__).parent
for module, file in (("_roundtrip_socket", "socket_shim.py"), ("requests", "requests_shim.py")):
    spec = importlib.util.spec_from_file_location(module, here / file)
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[module] = loaded
    spec.loader.exec_module(loaded)

import requests  # noqa: E402  (the page's, loaded above)
from requests.exceptions import HTTPError, JSONDecodeError, Timeout  # noqa: E402

assert requests is not real


def answer(*replies):
    calls.clear()
    answers[:] = list(replies)


def response(status=200, reason="OK", headers=(), body="", url="http://www.lab.test/get", history=(), elapsed_us=1500):
    return {
        "result": "response",
        "response": {
            "status": status,
            "reason": reason,
            "headers": [list(h) for h in headers],
            "url": url,
            "elapsed_us": elapsed_us,
        },
        "body": {"text": body},
        "history": list(history),
    }


def failed(exception, message="", cause=None, limit=None):
    error = {"exception": exception, "message": message}
    if cause:
        error["cause"] = cause
    if limit:
        error["limit"] = limit
    return {"result": "http_failed", "error": error}


@contextlib.contextmanager
def machine_sockets():
    """The machine's own sockets in `socket` while the real package runs."""
    shim = {name: getattr(socket, name) for name in _MACHINE_SOCKETS}
    for name, value in _MACHINE_SOCKETS.items():
        setattr(socket, name, value)
    try:
        yield
    finally:
        for name, value in shim.items():
            setattr(socket, name, value)


@contextlib.contextmanager
def serving(handler):
    """An HTTP server on this machine for the real package; its base URL."""
    with machine_sockets():
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def sent_headers(call):
    return {name.lower(): value for name, value in call["headers"]}


class Get(unittest.TestCase):
    def test_a_get_returns_status_json_and_case_insensitive_headers(self):
        answer(
            response(
                headers=[
                    ("content-type", "application/json"),
                    ("set-cookie", "a=1"),
                    ("set-cookie", "b=2"),
                ],
                body='{"slideshow": {"title": "Roundtrip sample"}}',
                url="http://www.lab.test/json",
            )
        )
        r = requests.get("http://www.lab.test/json", timeout=5)
        self.assertEqual(r.status_code, 200)
        self.assertTrue(r.ok)
        self.assertEqual(r.reason, "OK")
        self.assertEqual(r.headers["Content-Type"], "application/json")
        self.assertEqual(r.headers["CONTENT-TYPE"], "application/json")
        # Repeated headers joined, as urllib3 gives them to requests.
        self.assertEqual(r.headers["Set-Cookie"], "a=1, b=2")
        self.assertEqual(r.json()["slideshow"]["title"], "Roundtrip sample")
        self.assertEqual(r.content, b'{"slideshow": {"title": "Roundtrip sample"}}')
        self.assertEqual(r.encoding, "utf-8")
        self.assertEqual(r.url, "http://www.lab.test/json")
        self.assertEqual(r.elapsed.total_seconds(), 0.0015)
        self.assertEqual(r.history, [])
        self.assertEqual(repr(r), "<Response [200]>")
        (call,) = calls
        self.assertEqual(call["call"], "http")
        self.assertEqual(call["method"], "GET")
        self.assertEqual(call["url"], "http://www.lab.test/json")
        self.assertEqual(call["connect_timeout_ms"], 5000)
        self.assertEqual(call["read_timeout_ms"], 5000)
        self.assertEqual(call["max_redirects"], 30)
        self.assertIsNone(call["body"])
        self.assertEqual(sent_headers(call)["user-agent"], f"python-requests/{requests.__version__}")

    def test_params_are_encoded_into_the_url(self):
        answer(response())
        requests.get("http://www.lab.test/get?x=0", params={"q": "a b", "n": [1, 2], "skip": None})
        self.assertEqual(calls[0]["url"], "http://www.lab.test/get?x=0&q=a+b&n=1&n=2")
        self.assertIsNone(calls[0]["connect_timeout_ms"])

    def test_a_timeout_tuple_is_connect_then_read(self):
        answer(response())
        requests.get("http://www.lab.test/get", timeout=(3.05, 27))
        self.assertEqual((calls[0]["connect_timeout_ms"], calls[0]["read_timeout_ms"]), (3050, 27000))

    def test_redirects_are_the_history(self):
        hop = response(302, "Found", [("location", "/get")], url="http://www.lab.test/redirect/1")["response"]
        answer(response(url="http://www.lab.test/get", history=[hop]))
        r = requests.get("http://www.lab.test/redirect/1")
        self.assertEqual(r.url, "http://www.lab.test/get")
        self.assertEqual([h.status_code for h in r.history], [302])
        self.assertEqual(r.history[0].url, "http://www.lab.test/redirect/1")
        self.assertTrue(r.history[0].is_redirect)
        answer(response(302, "Found", [("location", "/get")], url="http://www.lab.test/redirect/1"))
        r = requests.get("http://www.lab.test/redirect/1", allow_redirects=False)
        self.assertEqual(calls[0]["max_redirects"], 0)
        self.assertEqual(r.status_code, 302)
        # head() does not follow redirects unless asked, as in requests.
        answer(response())
        requests.head("http://www.lab.test/get")
        self.assertEqual((calls[0]["method"], calls[0]["max_redirects"]), ("HEAD", 0))

    def test_text_follows_the_charset(self):
        answer(response(headers=[("content-type", "text/plain; charset=utf-8")], body="héllo"))
        self.assertEqual(requests.get("http://www.lab.test/get").text, "héllo")


class Bodies(unittest.TestCase):
    def test_json_sets_the_content_type(self):
        answer(response())
        requests.post("http://www.lab.test/post", json={"a": 1})
        call = calls[0]
        self.assertEqual(call["method"], "POST")
        self.assertEqual(json.loads(call["body"]["text"]), {"a": 1})
        self.assertEqual(sent_headers(call)["content-type"], "application/json")
        # The relay sets Content-Length from the body.
        self.assertNotIn("content-length", sent_headers(call))

    def test_a_dict_of_data_is_a_form(self):
        answer(response())
        requests.put("http://www.lab.test/put", data={"name": "Ada", "x": "1&2"})
        call = calls[0]
        self.assertEqual(call["body"], {"text": "name=Ada&x=1%262"})
        self.assertEqual(sent_headers(call)["content-type"], "application/x-www-form-urlencoded")

    def test_bytes_go_as_they_are_and_headers_given_win(self):
        answer(response())
        requests.patch(
            "http://www.lab.test/patch",
            data=b"\xff\x00",
            headers={"content-type": "application/octet-stream", "X-Lesson": "1"},
        )
        call = calls[0]
        self.assertEqual(call["body"], {"base64": "/wA="})
        self.assertEqual(sent_headers(call)["content-type"], "application/octet-stream")
        self.assertEqual(sent_headers(call)["x-lesson"], "1")

    def test_auth_is_basic(self):
        answer(response(), response())
        requests.get("http://www.lab.test/basic-auth/ada/secret", auth=("ada", "secret"))
        requests.delete("http://www.lab.test/delete", auth=requests.auth.HTTPBasicAuth("ada", "secret"))
        for call in calls:
            self.assertEqual(sent_headers(call)["authorization"], "Basic YWRhOnNlY3JldA==")
        self.assertEqual(calls[1]["method"], "DELETE")

    def test_a_session_keeps_headers_auth_and_params(self):
        answer(response(), response())
        with requests.Session() as s:
            s.headers.update({"X-Course": "net101"})
            s.auth = ("ada", "secret")
            s.params = {"lang": "en"}
            s.get("http://www.lab.test/get", params={"page": 2})
            s.get("http://www.lab.test/headers", headers={"X-Course": None})
        first, second = calls
        self.assertEqual(first["url"], "http://www.lab.test/get?lang=en&page=2")
        self.assertEqual(sent_headers(first)["x-course"], "net101")
        self.assertIn("authorization", sent_headers(first))
        self.assertNotIn("x-course", sent_headers(second))

    def test_a_request_prepared_by_hand_is_sent(self):
        answer(response())
        with requests.Session() as s:
            s.headers["X-Course"] = "net101"
            prepared = s.prepare_request(requests.Request("POST", "http://www.lab.test/post", data={"a": "1"}))
            self.assertEqual(prepared.body, "a=1")
            s.send(prepared, timeout=2)
        self.assertEqual(calls[0]["body"], {"text": "a=1"})
        self.assertEqual(sent_headers(calls[0])["x-course"], "net101")
        self.assertEqual(calls[0]["read_timeout_ms"], 2000)

    def test_cookies_go_back_to_the_host_that_set_them(self):
        answer(
            response(headers=[("set-cookie", "session=abc; Path=/; HttpOnly"), ("set-cookie", "theme=dark")]),
            response(),
            response(),
            response(headers=[("set-cookie", "session=; Max-Age=0")], url="http://www.lab.test/logout"),
        )
        with requests.Session() as s:
            r = s.get("http://www.lab.test/cookies/set")
            self.assertEqual(r.cookies["session"], "abc")
            self.assertEqual(r.cookies.get_dict(), {"session": "abc", "theme": "dark"})
            s.get("http://www.lab.test/cookies", cookies={"extra": "1"})
            s.get("http://other.lab.test/cookies")
            s.get("http://www.lab.test/logout")
            self.assertEqual(s.cookies.get_dict(), {"theme": "dark"})
        self.assertEqual(sent_headers(calls[1])["cookie"], "session=abc; theme=dark; extra=1")
        self.assertNotIn("cookie", sent_headers(calls[2]))

    def test_a_cookie_goes_only_where_its_path_and_expiry_let_it(self):
        set_cookies = [
            ("set-cookie", "cart=3; Path=/shop"),
            ("set-cookie", "visited=yes; Path=/; Max-Age=3600"),
            ("set-cookie", "until=2100; Path=/; Expires=Fri, 01 Jan 2100 00:00:00 GMT"),
            ("set-cookie", "expired=1; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
            ("set-cookie", "spent=1; Path=/; Max-Age=0"),
            # No Path: the directory of the URL that set it (/shop).
            ("set-cookie", "step=2"),
        ]
        answer(
            response(headers=set_cookies, url="http://www.lab.test/shop/login"),
            response(url="http://www.lab.test/shop/basket"),
            response(url="http://www.lab.test/about"),
            response(url="http://www.lab.test/shopping"),
        )
        with requests.Session() as s:
            r = s.get("http://www.lab.test/shop/login")
            self.assertEqual(
                sorted(r.cookies.keys()), ["cart", "step", "until", "visited"]
            )
            s.get("http://www.lab.test/shop/basket")
            s.get("http://www.lab.test/about")
            s.get("http://www.lab.test/shopping")
            self.assertEqual(s.cookies.get("cart", path="/shop"), "3")
            self.assertIsNone(s.cookies.get("expired"))
        cookies = [sent_headers(call).get("cookie") for call in calls]
        self.assertIsNone(cookies[0])
        self.assertEqual(cookies[1], "cart=3; step=2; visited=yes; until=2100")
        self.assertEqual(cookies[2], "visited=yes; until=2100")
        # /shopping is not under /shop.
        self.assertEqual(cookies[3], "visited=yes; until=2100")

    def test_a_cookie_that_expires_while_kept_is_no_longer_sent(self):
        answer(response(headers=[("set-cookie", "token=abc; Path=/; Max-Age=60")]), response(), response())
        with requests.Session() as s:
            s.get("http://www.lab.test/cookies/set")
            s.get("http://www.lab.test/cookies")
            (cookie,) = list(s.cookies)
            cookie.expires -= 61  # a minute later
            s.get("http://www.lab.test/cookies")
        self.assertEqual(sent_headers(calls[1])["cookie"], "token=abc")
        self.assertNotIn("cookie", sent_headers(calls[2]))

    def test_max_redirects_is_the_limit_the_relay_follows(self):
        answer(response(url="http://www.lab.test/get"))
        with requests.Session() as s:
            s.max_redirects = 2
            s.get("http://www.lab.test/redirect/2")
        self.assertEqual(calls[0]["max_redirects"], 2)
        answer(failed("TooManyRedirects", "Exceeded 2 redirects."))
        with requests.Session() as s:
            s.max_redirects = 2
            with self.assertRaisesRegex(requests.TooManyRedirects, "^Exceeded 2 redirects.$"):
                s.get("http://www.lab.test/redirect/3")

    def test_max_redirects_of_0_refuses_the_first_redirect(self):
        redirect = response(302, "Found", [("location", "/get")], url="http://www.lab.test/redirect/1")
        answer(redirect)
        with requests.Session() as s:
            s.max_redirects = 0
            with self.assertRaises(requests.TooManyRedirects) as raised:
                s.get("http://www.lab.test/redirect/1")
            self.assertEqual(calls[0]["max_redirects"], 0)
            self.assertEqual(str(raised.exception), "Exceeded 0 redirects.")
            self.assertEqual(raised.exception.response.status_code, 302)
            # Not following at all is still allowed, and so is a response
            # that is not a redirect.
            answer(redirect, response())
            self.assertEqual(s.get("http://www.lab.test/redirect/1", allow_redirects=False).status_code, 302)
            self.assertEqual(s.get("http://www.lab.test/get").status_code, 200)


class Errors(unittest.TestCase):
    def test_raise_for_status_words_it_as_requests_does(self):
        answer(response(404, "Not Found", url="http://www.lab.test/status/404"))
        r = requests.get("http://www.lab.test/status/404")
        self.assertFalse(r.ok)
        with self.assertRaises(HTTPError) as raised:
            r.raise_for_status()
        self.assertEqual(
            str(raised.exception), "404 Client Error: Not Found for url: http://www.lab.test/status/404"
        )
        self.assertIs(raised.exception.response, r)
        answer(response(503, "Service Unavailable", url="http://www.lab.test/status/503"))
        with self.assertRaisesRegex(HTTPError, "^503 Server Error: Service Unavailable for url"):
            requests.get("http://www.lab.test/status/503").raise_for_status()

    def test_json_of_a_body_that_is_not_json(self):
        answer(response(body="<html>"))
        r = requests.get("http://www.lab.test/html")
        with self.assertRaises(JSONDecodeError) as raised:
            r.json()
        self.assertIsInstance(raised.exception, ValueError)
        self.assertIsInstance(raised.exception, requests.exceptions.RequestException)
        self.assertEqual(str(raised.exception), "Expecting value: line 1 column 1 (char 0)")

    def test_a_read_timeout_is_a_timeout(self):
        answer(failed("ReadTimeout", "first byte timeout: no response within 500 ms", limit="read"))
        with self.assertRaises(Timeout) as raised:
            requests.get("http://www.lab.test/delay/3", timeout=0.5)
        self.assertIsInstance(raised.exception, requests.exceptions.ReadTimeout)
        self.assertNotIsInstance(raised.exception, requests.ConnectionError)
        self.assertEqual(
            str(raised.exception),
            "HTTPConnectionPool(host='www.lab.test', port=80): Read timed out. (read timeout=0.5)",
        )

    def test_a_connect_timeout_is_both_a_timeout_and_a_connection_error(self):
        answer(failed("ConnectTimeout", "connection to 192.0.2.1:80 timed out", limit="connect"))
        with self.assertRaises(requests.exceptions.ConnectTimeout) as raised:
            requests.get("http://192.0.2.1/", timeout=(1, 5))
        self.assertIsInstance(raised.exception, requests.ConnectionError)
        self.assertIsInstance(raised.exception, requests.Timeout)
        self.assertIn("Connection to 192.0.2.1 timed out. (connect timeout=1)", str(raised.exception))

    def test_a_stalled_tls_handshake_is_a_read_timeout_named_by_the_connect_timeout(self):
        answer(
            failed(
                "ReadTimeout",
                "TLS handshake timeout: no handshake within 1000 ms (timeouts.tls_ms)",
                limit="connect",
            )
        )
        with self.assertRaises(requests.exceptions.ReadTimeout) as raised:
            requests.get("https://www.lab.test/get", timeout=(1, 5))
        self.assertEqual(
            str(raised.exception),
            "HTTPSConnectionPool(host='www.lab.test', port=443): Read timed out. (read timeout=1)",
        )
        # The relay's own limit (no timeout of the program's ran out).
        answer(failed("ReadTimeout", "total timeout: the whole request took longer than 60000 ms"))
        with self.assertRaises(requests.exceptions.ReadTimeout) as raised:
            requests.get("http://www.lab.test/drip", timeout=5)
        self.assertIn("Read timed out. (total timeout: the whole request", str(raised.exception))

    def test_refused_and_unresolved_are_connection_errors_caused_by_the_socket_error(self):
        answer(
            failed(
                "ConnectionError",
                cause={"exception": "ConnectionRefusedError", "errno": 111, "message": "Connection refused"},
            )
        )
        with self.assertRaises(requests.exceptions.ConnectionError) as raised:
            requests.get("http://127.0.0.1:1/")
        self.assertEqual(
            str(raised.exception),
            "HTTPConnectionPool(host='127.0.0.1', port=1): Max retries exceeded with url: / "
            "(Caused by NewConnectionError(\"HTTPConnection(host='127.0.0.1', port=1): "
            "Failed to establish a new connection: [Errno 111] Connection refused\"))",
        )
        self.assertIsInstance(raised.exception.__cause__, ConnectionRefusedError)
        answer(
            failed(
                "ConnectionError",
                cause={"exception": "gaierror", "errno": -2, "message": "Name or service not known"},
            )
        )
        with self.assertRaises(requests.ConnectionError) as raised:
            requests.get("http://nosuch.lab.test/x?a=1")
        self.assertIn(
            "(Caused by NameResolutionError(\"HTTPConnection(host='nosuch.lab.test', port=80): "
            "Failed to resolve 'nosuch.lab.test' ([Errno -2] Name or service not known)\"))",
            str(raised.exception),
        )

    def test_a_reset_during_the_exchange_is_connection_aborted(self):
        answer(
            failed(
                "ConnectionError",
                cause={"exception": "ConnectionResetError", "errno": 104, "message": "Connection reset by peer"},
            )
        )
        with self.assertRaises(requests.ConnectionError) as raised:
            requests.get("http://www.lab.test/get")
        self.assertEqual(
            str(raised.exception),
            "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))",
        )

    def test_a_blocked_target_says_why(self):
        answer(
            failed(
                "ConnectionError",
                cause={
                    "exception": "PermissionError",
                    "errno": 13,
                    "message": "Permission denied: blocked: 10.0.0.5 is in a private range (10.0.0.0/8)",
                },
            )
        )
        with self.assertRaises(requests.ConnectionError) as raised:
            requests.get("http://10.0.0.5/")
        self.assertIn("private range (10.0.0.0/8)", str(raised.exception))
        self.assertIsInstance(raised.exception.__cause__, PermissionError)

    def test_too_many_redirects_and_ssl(self):
        answer(failed("TooManyRedirects", "Exceeded 30 redirects."))
        with self.assertRaisesRegex(requests.TooManyRedirects, "^Exceeded 30 redirects.$"):
            requests.get("http://www.lab.test/redirect/20")
        answer(failed("SSLError", "the certificate is not valid for wrong.host"))
        with self.assertRaises(requests.exceptions.SSLError) as raised:
            requests.get("https://wrong.host/")
        self.assertIsInstance(raised.exception, requests.ConnectionError)

    def test_bad_urls_and_timeouts_raise_before_any_call(self):
        answer()
        with self.assertRaisesRegex(requests.exceptions.MissingSchema, "No scheme supplied"):
            requests.get("www.lab.test/get")
        with self.assertRaisesRegex(requests.exceptions.InvalidSchema, "No connection adapters"):
            requests.get("ftp://www.lab.test/")
        with self.assertRaisesRegex(requests.exceptions.InvalidURL, "No host supplied"):
            requests.get("http://")
        with self.assertRaisesRegex(ValueError, "less than or equal to 0"):
            requests.get("http://www.lab.test/", timeout=0)
        self.assertEqual(calls, [])


@unittest.skipIf(real is None, "the real requests package is not installed")
class AsTheRealPackage(unittest.TestCase):
    def test_the_exception_classes_relate_as_the_real_ones(self):
        names = [
            n
            for n, c in vars(real.exceptions).items()
            if isinstance(c, type)
            and issubclass(c, BaseException)
            and c.__module__ == "requests.exceptions"
        ]
        self.assertIn("ConnectTimeout", names)
        for name in names:
            self.assertTrue(hasattr(requests.exceptions, name), name)
            ours, theirs = getattr(requests.exceptions, name), getattr(real.exceptions, name)
            for builtin in (OSError, ValueError, TypeError, Warning, DeprecationWarning):
                self.assertEqual(issubclass(ours, builtin), issubclass(theirs, builtin), (name, builtin))
            for other in names:
                self.assertEqual(
                    issubclass(ours, getattr(requests.exceptions, other)),
                    issubclass(theirs, getattr(real.exceptions, other)),
                    (name, other),
                )
        for name in ("RequestException", "ConnectionError", "HTTPError", "Timeout", "TooManyRedirects", "JSONDecodeError"):
            self.assertIs(getattr(requests, name), getattr(requests.exceptions, name))

    def test_raise_for_status_and_json_errors_read_the_same(self):
        for status, reason in ((404, "NOT FOUND"), (418, "I'M A TEAPOT"), (500, "Internal Server Error")):
            url = f"http://www.lab.test/status/{status}"
            theirs = real.models.Response()
            theirs.status_code, theirs.reason, theirs.url = status, reason, url
            answer(response(status, reason, url=url))
            ours = requests.get(url)
            with self.assertRaises(real.HTTPError) as expected:
                theirs.raise_for_status()
            with self.assertRaises(requests.HTTPError) as got:
                ours.raise_for_status()
            self.assertEqual(str(got.exception), str(expected.exception))
            self.assertEqual(ours.ok, theirs.ok)
        theirs = real.models.Response()
        theirs._content, theirs.encoding = b"not json", "utf-8"
        answer(response(body="not json"))
        ours = requests.get("http://www.lab.test/html")
        with self.assertRaises(ValueError) as expected:
            theirs.json()
        with self.assertRaises(ValueError) as got:
            ours.json()
        self.assertEqual(str(got.exception), str(expected.exception))
        self.assertEqual(got.exception.pos, expected.exception.pos)

    def test_requests_are_prepared_as_the_real_package_prepares_them(self):
        cases = [
            ("GET", "http://WWW.Lab.Test/get", dict(params={"q": "a b", "n": [1, 2]})),
            ("GET", "http://www.lab.test", dict(params=[("a", "1"), ("a", "2")])),
            ("POST", "http://www.lab.test/post", dict(json={"a": [1, 2], "b": None})),
            ("POST", "http://www.lab.test/post", dict(data={"name": "Ada Lovelace", "x": "1&2"})),
            ("PUT", "http://www.lab.test/put", dict(data="plain text")),
            ("GET", "http://www.lab.test/basic-auth/ada/s3cret", dict(auth=("ada", "s3cret"))),
            ("DELETE", "http://www.lab.test/delete", dict()),
            ("GET", "http://www.lab.test/a b/%7E?q=x y&z=1", dict(params={"k": "v w"})),
            ("GET", "https://ada:pw@www.lab.test:8443/x?", dict(params={"q": "é"})),
        ]
        for method, url, kwargs in cases:
            theirs = real.Session().prepare_request(real.Request(method, url, **kwargs))
            answer(response())
            requests.request(method, url, **kwargs)
            (call,) = calls
            self.assertEqual(call["url"], theirs.url, (method, url, kwargs))
            body = theirs.body.encode() if isinstance(theirs.body, str) else theirs.body
            sent = None if call["body"] is None else requests._roundtrip_socket._bytes(call["body"])
            self.assertEqual(sent, body, (method, url, kwargs))
            mine = sent_headers(call)
            for name in ("content-type", "authorization", "accept"):
                self.assertEqual(mine.get(name), theirs.headers.get(name), (name, method, url))

    def test_cookies_go_where_the_real_package_sends_them(self):
        # The same Set-Cookie headers from a server on this machine to the
        # real package, and from the page's answers to ours: the Cookie
        # header of each later request is the same.
        set_cookies = [
            "cart=3; Path=/shop",
            "visited=yes; Path=/; Max-Age=3600",
            "until=2100; Path=/; Expires=Fri, 01 Jan 2100 00:00:00 GMT",
            "expired=1; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "spent=1; Path=/; Max-Age=0",
            "step=2",
            "deep=1; Path=/shop/basket/",
        ]
        paths = ["/shop/login", "/shop/basket", "/shop/basket/items", "/about", "/shopping", "/"]
        received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                received.append(self.headers.get("Cookie"))
                self.send_response(200)
                if self.path == paths[0]:
                    for value in set_cookies:
                        self.send_header("Set-Cookie", value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        with serving(Handler) as base:
            with machine_sockets(), real.Session() as theirs:
                for path in paths:
                    theirs.get(base + path, timeout=5)
            answer(
                *[
                    response(headers=[("set-cookie", v) for v in set_cookies] if path == paths[0] else [], url=base + path)
                    for path in paths
                ]
            )
            with requests.Session() as ours:
                for path in paths:
                    ours.get(base + path, timeout=5)
        self.assertEqual([sent_headers(call).get("cookie") for call in calls], received)
        self.assertEqual(received[2], "deep=1; cart=3; step=2; visited=yes; until=2100")

    def test_max_redirects_of_0_reads_as_the_real_package(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(302)
                self.send_header("Location", "/get")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        with serving(Handler) as base:
            with machine_sockets(), real.Session() as theirs:
                theirs.max_redirects = 0
                with self.assertRaises(real.TooManyRedirects) as expected:
                    theirs.get(base + "/redirect/1", timeout=5)
        answer(response(302, "Found", [("location", "/get")], url=base + "/redirect/1"))
        with requests.Session() as ours:
            ours.max_redirects = 0
            with self.assertRaises(requests.TooManyRedirects) as got:
                ours.get(base + "/redirect/1", timeout=5)
        self.assertEqual(str(got.exception), str(expected.exception))
        self.assertEqual(got.exception.response.status_code, expected.exception.response.status_code)

    def test_a_stalled_tls_handshake_reads_as_the_real_package(self):
        # A server on this machine that accepts and never answers the
        # ClientHello.
        with machine_sockets():
            server = socket.create_server(("127.0.0.1", 0))
        port = server.getsockname()[1]
        held = []
        thread = threading.Thread(target=lambda: held.append(server.accept()), daemon=True)
        thread.start()
        url = f"https://127.0.0.1:{port}/get"
        try:
            with machine_sockets(), self.assertRaises(real.exceptions.Timeout) as expected:
                real.get(url, timeout=(0.2, 5))
        finally:
            thread.join()
            for conn, _ in held:
                conn.close()
            server.close()
        answer(failed("ReadTimeout", "TLS handshake timeout: no handshake within 200 ms", limit="connect"))
        with self.assertRaises(requests.exceptions.Timeout) as got:
            requests.get(url, timeout=(0.2, 5))
        self.assertIs(type(got.exception), getattr(requests.exceptions, type(expected.exception).__name__))
        self.assertEqual(str(got.exception), str(expected.exception))

    def test_bad_timeouts_read_the_same(self):
        for timeout in (0, -1, (1, 2, 3), True, "x"):
            with self.assertRaises(ValueError) as expected:
                real.get("http://127.0.0.1:1/", timeout=timeout)
            with self.assertRaises(ValueError) as got:
                requests.get("http://127.0.0.1:1/", timeout=timeout)
            self.assertEqual(str(got.exception), str(expected.exception), timeout)


if __name__ == "__main__":
    unittest.main()
