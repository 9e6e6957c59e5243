# The `requests` module of a program running in the page: the part of the
# real package that a course uses (get/post/put/patch/delete/head/request,
# Session, params, data, json, headers, auth, timeout, allow_redirects; the
# Response and the exceptions), written to behave as requests 2.x does.
# The real package is not in Pyodide's core, and its sockets could not
# leave the page anyway: each request here is one call to the page, which
# makes it as one relay `http_request` (drawn in the waterfall with its
# phases) and answers with the whole response. The page's model
# (roundtrip_shared::program::http) decides what a failure raises; this
# file words it as requests does.
#
# What differs from the real package: the relay makes each request on a
# fresh connection (no keep-alive, no connection pool), the body is
# received whole before the call returns (at most 4 MiB; `stream=True`
# changes nothing), a request lasts at most the relay's 60 s in all, the
# relay checks certificates whatever `verify` says, there are no proxies
# and no file uploads, and a cookie set during a redirect the relay
# followed is not sent on the next hop (the Session keeps it for the next
# request).

import base64
import copy
import datetime
import http.client
import http.cookiejar
import json as _json
import sys
import types
from collections.abc import Mapping, MutableMapping
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

import _roundtrip_socket

__title__ = "requests"
# The release whose behaviour this module follows.
__version__ = "2.32.3"

_REDIRECTS = (301, 302, 303, 307, 308)
DEFAULT_REDIRECT_LIMIT = 30


# requests.exceptions, with the real package's class hierarchy.
class RequestException(IOError):
    def __init__(self, *args, **kwargs):
        response = kwargs.pop("response", None)
        self.response = response
        self.request = kwargs.pop("request", None)
        if response is not None and not self.request and hasattr(response, "request"):
            self.request = self.response.request
        super().__init__(*args, **kwargs)


class InvalidJSONError(RequestException):
    pass


class JSONDecodeError(InvalidJSONError, _json.JSONDecodeError):
    def __init__(self, *args, **kwargs):
        _json.JSONDecodeError.__init__(self, *args)
        InvalidJSONError.__init__(self, *self.args, **kwargs)

    def __reduce__(self):
        return _json.JSONDecodeError.__reduce__(self)


class HTTPError(RequestException):
    pass


class ConnectionError(RequestException):
    pass


class ProxyError(ConnectionError):
    pass


class SSLError(ConnectionError):
    pass


class Timeout(RequestException):
    pass


class ConnectTimeout(ConnectionError, Timeout):
    pass


class ReadTimeout(Timeout):
    pass


class URLRequired(RequestException):
    pass


class TooManyRedirects(RequestException):
    pass


class MissingSchema(RequestException, ValueError):
    pass


class InvalidSchema(RequestException, ValueError):
    pass


class InvalidURL(RequestException, ValueError):
    pass


class InvalidHeader(RequestException, ValueError):
    pass


class InvalidProxyURL(InvalidURL):
    pass


class ChunkedEncodingError(RequestException):
    pass


class ContentDecodingError(RequestException):
    pass


class StreamConsumedError(RequestException, TypeError):
    pass


class RetryError(RequestException):
    pass


class UnrewindableBodyError(RequestException):
    pass


class RequestsWarning(Warning):
    pass


class FileModeWarning(RequestsWarning, DeprecationWarning):
    pass


class RequestsDependencyWarning(RequestsWarning):
    pass


_EXCEPTIONS = [
    RequestException, InvalidJSONError, JSONDecodeError, HTTPError, ConnectionError,
    ProxyError, SSLError, Timeout, ConnectTimeout, ReadTimeout, URLRequired,
    TooManyRedirects, MissingSchema, InvalidSchema, InvalidURL, InvalidHeader,
    InvalidProxyURL, ChunkedEncodingError, ContentDecodingError, StreamConsumedError,
    RetryError, UnrewindableBodyError, RequestsWarning, FileModeWarning,
    RequestsDependencyWarning,
]


# requests.cookies: the standard library's cookie jar, which keeps each
# cookie with its domain, path and expiry and sends it only where and
# while they allow, fed through stand-ins for urllib's request and
# response, as requests feeds it.
class _MockRequest:
    """A request as http.cookiejar reads one (requests.cookies.MockRequest)."""

    def __init__(self, url, headers):
        self._url = url
        self._headers = headers
        self._new_headers = {}
        self.type = urlsplit(url).scheme

    def get_type(self):
        return self.type

    def get_host(self):
        return urlsplit(self._url).netloc

    def get_origin_req_host(self):
        return self.get_host()

    def get_full_url(self):
        # A Host header the program set names the host the cookies are for.
        host = self._headers.get("Host")
        if not host:
            return self._url
        parts = urlsplit(self._url)
        return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))

    def is_unverifiable(self):
        return True

    def has_header(self, name):
        return name in self._headers or name in self._new_headers

    def get_header(self, name, default=None):
        return self._headers.get(name, self._new_headers.get(name, default))

    def add_unredirected_header(self, name, value):
        self._new_headers[name] = value

    def get_new_headers(self):
        return self._new_headers

    @property
    def unverifiable(self):
        return self.is_unverifiable()

    @property
    def origin_req_host(self):
        return self.get_origin_req_host()

    @property
    def host(self):
        return self.get_host()


class _MockResponse:
    """A response's headers as http.cookiejar reads them."""

    def __init__(self, raw_headers):
        self._headers = http.client.HTTPMessage()
        for name, value in raw_headers:
            self._headers[name] = value

    def info(self):
        return self._headers


class CookieConflictError(RuntimeError):
    pass


class RequestsCookieJar(http.cookiejar.CookieJar, MutableMapping):
    """requests' jar: a standard CookieJar (each cookie with its domain,
    path and expiry) that a program also reads as a dict by name
    (`r.cookies["name"]`, `get_dict()`, `set()`)."""

    def get(self, name, default=None, domain=None, path=None):
        try:
            return self._find_no_duplicates(name, domain, path)
        except KeyError:
            return default

    def set(self, name, value, **kwargs):
        if value is None:
            remove_cookie_by_name(self, name, domain=kwargs.get("domain"), path=kwargs.get("path"))
            return None
        cookie = create_cookie(name, value, **kwargs)
        self.set_cookie(cookie)
        return cookie

    def keys(self):
        return [cookie.name for cookie in iter(self)]

    def values(self):
        return [cookie.value for cookie in iter(self)]

    def items(self):
        return [(cookie.name, cookie.value) for cookie in iter(self)]

    def list_domains(self):
        domains = []
        for cookie in iter(self):
            if cookie.domain not in domains:
                domains.append(cookie.domain)
        return domains

    def list_paths(self):
        paths = []
        for cookie in iter(self):
            if cookie.path not in paths:
                paths.append(cookie.path)
        return paths

    def get_dict(self, domain=None, path=None):
        return {
            cookie.name: cookie.value
            for cookie in iter(self)
            if (domain is None or cookie.domain == domain) and (path is None or cookie.path == path)
        }

    def __contains__(self, name):
        try:
            return super().__contains__(name)
        except CookieConflictError:
            return True

    def __getitem__(self, name):
        return self._find_no_duplicates(name)

    def __setitem__(self, name, value):
        self.set(name, value)

    def __delitem__(self, name):
        remove_cookie_by_name(self, name)

    def set_cookie(self, cookie, *args, **kwargs):
        if hasattr(cookie.value, "startswith") and cookie.value.startswith('"') and cookie.value.endswith('"'):
            cookie.value = cookie.value.replace('\\"', "")
        return super().set_cookie(cookie, *args, **kwargs)

    def update(self, other):
        if isinstance(other, http.cookiejar.CookieJar):
            for cookie in other:
                self.set_cookie(copy.copy(cookie))
        else:
            super().update(other)

    def copy(self):
        new = RequestsCookieJar()
        new.set_policy(self.get_policy())
        new.update(self)
        return new

    def get_policy(self):
        return self._policy

    def _find_no_duplicates(self, name, domain=None, path=None):
        found = None
        for cookie in iter(self):
            if cookie.name == name and (domain is None or cookie.domain == domain) and (
                path is None or cookie.path == path
            ):
                if found is not None:
                    raise CookieConflictError(f"There are multiple cookies with name, {name!r}")
                found = cookie.value
        if found is not None:
            return found
        raise KeyError(f"name={name!r}, domain={domain!r}, path={path!r}")


def create_cookie(name, value, **kwargs):
    """A cookie for every host and path unless `domain` or `path` say
    otherwise (requests.cookies.create_cookie)."""
    result = {
        "version": 0, "name": name, "value": value, "port": None, "domain": "", "path": "/",
        "secure": False, "expires": None, "discard": True, "comment": None,
        "comment_url": None, "rest": {"HttpOnly": None}, "rfc2109": False,
    }
    badargs = set(kwargs) - set(result)
    if badargs:
        raise TypeError(f"create_cookie() got unexpected keyword arguments: {list(badargs)}")
    result.update(kwargs)
    result["port_specified"] = bool(result["port"])
    result["domain_specified"] = bool(result["domain"])
    result["domain_initial_dot"] = result["domain"].startswith(".")
    result["path_specified"] = bool(result["path"])
    return http.cookiejar.Cookie(**result)


def remove_cookie_by_name(cookiejar, name, domain=None, path=None):
    clearables = [
        (cookie.domain, cookie.path, cookie.name)
        for cookie in cookiejar
        if cookie.name == name
        and (domain is None or domain == cookie.domain)
        and (path is None or path == cookie.path)
    ]
    for domain, path, name in clearables:
        cookiejar.clear(domain, path, name)


def cookiejar_from_dict(cookie_dict, cookiejar=None, overwrite=True):
    if cookiejar is None:
        cookiejar = RequestsCookieJar()
    if cookie_dict is not None:
        names = [cookie.name for cookie in cookiejar]
        for name in cookie_dict:
            if overwrite or name not in names:
                cookiejar.set_cookie(create_cookie(name, cookie_dict[name]))
    return cookiejar


def merge_cookies(cookiejar, cookies):
    if not isinstance(cookiejar, http.cookiejar.CookieJar):
        raise ValueError("You can only merge into CookieJar")
    if isinstance(cookies, dict):
        cookiejar = cookiejar_from_dict(cookies, cookiejar=cookiejar, overwrite=False)
    elif isinstance(cookies, http.cookiejar.CookieJar):
        try:
            cookiejar.update(cookies)
        except AttributeError:
            for cookie in cookies:
                cookiejar.set_cookie(cookie)
    return cookiejar


def _extract_cookies(jar, response):
    """The Set-Cookie headers of `response` into `jar`, for the URL it
    answered (requests.cookies.extract_cookies_to_jar)."""
    request = response.request
    headers = request.headers if request is not None else {}
    jar.extract_cookies(_MockResponse(response._raw_headers), _MockRequest(response.url, headers))


def _cookie_header(jar, url, headers):
    """The Cookie header `jar` gives a request to `url`, if any."""
    request = _MockRequest(url, headers)
    jar.add_cookie_header(request)
    return request.get_new_headers().get("Cookie")


class CaseInsensitiveDict(MutableMapping):
    """A dict whose keys are matched without regard to case, keeping the
    case they were last set with (requests.structures.CaseInsensitiveDict)."""

    def __init__(self, data=None, **kwargs):
        self._store = {}
        if data is None:
            data = {}
        self.update(data, **kwargs)

    def __setitem__(self, key, value):
        self._store[key.lower()] = (key, value)

    def __getitem__(self, key):
        return self._store[key.lower()][1]

    def __delitem__(self, key):
        del self._store[key.lower()]

    def __iter__(self):
        return (casedkey for casedkey, _ in self._store.values())

    def __len__(self):
        return len(self._store)

    def lower_items(self):
        return ((lowerkey, kv[1]) for (lowerkey, kv) in self._store.items())

    def __eq__(self, other):
        if isinstance(other, Mapping):
            other = CaseInsensitiveDict(other)
        else:
            return NotImplemented
        return dict(self.lower_items()) == dict(other.lower_items())

    def copy(self):
        return CaseInsensitiveDict(self._store.values())

    def __repr__(self):
        return str(dict(self.items()))


# requests.auth
class AuthBase:
    def __call__(self, r):
        raise NotImplementedError("Auth hooks must be callable.")


class HTTPBasicAuth(AuthBase):
    def __init__(self, username, password):
        self.username = username
        self.password = password

    def __eq__(self, other):
        return (self.username, self.password) == (
            getattr(other, "username", None),
            getattr(other, "password", None),
        )

    def __call__(self, r):
        r.headers["Authorization"] = _basic_auth_str(self.username, self.password)
        return r


def _basic_auth_str(username, password):
    if isinstance(username, str):
        username = username.encode("latin1")
    if isinstance(password, str):
        password = password.encode("latin1")
    return "Basic " + base64.b64encode(b":".join((username, password))).strip().decode("ascii")


# requests.status_codes, the names a course uses.
codes = types.SimpleNamespace(
    ok=200, OK=200, created=201, no_content=204, moved_permanently=301, found=302,
    see_other=303, not_modified=304, temporary_redirect=307, permanent_redirect=308,
    bad_request=400, unauthorized=401, forbidden=403, not_found=404,
    method_not_allowed=405, request_timeout=408, conflict=409, teapot=418,
    too_many_requests=429, internal_server_error=500, bad_gateway=502,
    service_unavailable=503, gateway_timeout=504,
)


def default_headers():
    return CaseInsensitiveDict(
        {"User-Agent": f"python-requests/{__version__}", "Accept": "*/*"}
    )


class Request:
    """A request not yet prepared (requests.Request)."""

    def __init__(self, method=None, url=None, headers=None, files=None, data=None,
                 params=None, auth=None, cookies=None, hooks=None, json=None):
        if files:
            raise NotImplementedError("file uploads (files=) are not available in the page")
        self.method = method
        self.url = url
        self.headers = headers or {}
        self.data = data or []
        self.params = params or {}
        self.auth = auth
        self.cookies = cookies
        self.json = json

    def __repr__(self):
        return f"<Request [{self.method}]>"

    def prepare(self):
        p = PreparedRequest()
        p.prepare(
            method=self.method, url=self.url, headers=self.headers, data=self.data,
            params=self.params, auth=self.auth, json=self.json, cookies=self.cookies,
        )
        return p


class PreparedRequest:
    """The request as it goes out: method, URL (with params), headers,
    body."""

    def __init__(self):
        self.method = None
        self.url = None
        self.headers = CaseInsensitiveDict()
        self.body = None

    def __repr__(self):
        return f"<PreparedRequest [{self.method}]>"

    def prepare(self, method, url, headers=None, data=None, params=None, auth=None, json=None, cookies=None):
        self.method = method.upper() if method else method
        self.url = _prepare_url(url, params)
        self.headers = CaseInsensitiveDict(headers or {})
        self.prepare_cookies(cookies)
        self._prepare_body(data, json)
        if auth is None:
            # Credentials in the URL (http://user:pass@host/), as requests
            # takes them.
            parts = urlsplit(self.url)
            if parts.username or parts.password:
                auth = (unquote(parts.username or ""), unquote(parts.password or ""))
        if auth:
            if isinstance(auth, tuple) and len(auth) == 2:
                auth = HTTPBasicAuth(*auth)
            result = auth(self)
            self.__dict__.update(result.__dict__)

    def prepare_cookies(self, cookies):
        """The Cookie header from a jar (or a dict) as its policy allows for
        this URL: a cookie's domain, path and expiry, unless the program
        set the header itself."""
        if isinstance(cookies, http.cookiejar.CookieJar):
            self._cookies = cookies
        else:
            self._cookies = cookiejar_from_dict(cookies)
        header = _cookie_header(self._cookies, self.url, self.headers)
        if header is not None:
            self.headers["Cookie"] = header

    def _prepare_body(self, data, json):
        body = None
        content_type = None
        if not data and json is not None:
            content_type = "application/json"
            try:
                body = _json.dumps(json, allow_nan=False)
            except ValueError as error:
                raise InvalidJSONError(error, request=self)
            body = body.encode("utf-8")
        elif data:
            if hasattr(data, "read"):
                body = data.read()
            elif isinstance(data, (str, bytes)):
                body = data
            else:
                body = urlencode(list(_pairs(data)), doseq=True)
                content_type = "application/x-www-form-urlencoded"
        if body is not None:
            self.headers["Content-Length"] = str(len(body.encode("utf-8") if isinstance(body, str) else body))
        elif self.method not in ("GET", "HEAD"):
            self.headers["Content-Length"] = "0"
        if content_type and "content-type" not in self.headers:
            self.headers["Content-Type"] = content_type
        self.body = body


def _pairs(data):
    items = data.items() if isinstance(data, Mapping) else data
    for key, value in items:
        if value is None:
            continue
        yield key, value


def _prepare_url(url, params):
    if isinstance(url, bytes):
        url = url.decode("utf8")
    else:
        url = str(url)
    url = url.strip()
    if ":" in url and not url.lower().startswith("http"):
        # Not an HTTP URL: requests finds no adapter for it when it sends.
        return url
    parts = urlsplit(url)
    if not parts.scheme:
        raise MissingSchema(
            f"Invalid URL {url!r}: No scheme supplied. Perhaps you meant https://{url}?"
        )
    if not parts.hostname:
        raise InvalidURL(f"Invalid URL {url!r}: No host supplied")
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    netloc = userinfo + at + hostport.lower()
    path = parts.path or "/"
    query = parts.query
    if params:
        if isinstance(params, (str, bytes)):
            encoded = params.decode() if isinstance(params, bytes) else params
        else:
            encoded = urlencode(list(_pairs(params)), doseq=True)
        if encoded:
            query = f"{query}&{encoded}" if query else encoded
    return _requote(urlunsplit((parts.scheme.lower(), netloc, path, query, parts.fragment)))


_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _requote(uri):
    """Quotes what must be, leaving escapes as they are (requests.utils'
    requote_uri)."""
    parts = uri.split("%")
    try:
        for i in range(1, len(parts)):
            h = parts[i][0:2]
            if len(h) == 2 and h.isalnum():
                try:
                    c = chr(int(h, 16))
                except ValueError:
                    raise InvalidURL(f"Invalid percent-escape sequence: '{h}'")
                parts[i] = c + parts[i][2:] if c in _UNRESERVED else f"%{parts[i]}"
            else:
                parts[i] = f"%{parts[i]}"
        return quote("".join(parts), safe="!#$%&'()*+,/:;=?@[]~")
    except InvalidURL:
        return quote(uri, safe="!#$&'()*+,/:;=?@[]~")


def _timeouts(timeout):
    """`timeout` as requests takes it (a number, or (connect, read)), in
    milliseconds for the page; None waits as long as the relay lets it."""
    if isinstance(timeout, tuple):
        try:
            connect, read = timeout
        except ValueError:
            raise ValueError(
                f"Invalid timeout {timeout}. Pass a (connect, read) timeout tuple, "
                "or a single float to set both timeouts to the same value."
            )
    else:
        connect = read = timeout
    return _ms("connect", connect), _ms("read", read)


def _ms(name, value):
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(
            "Timeout cannot be a boolean value. It must be an int, float or None."
        )
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"Timeout value {name} was {value}, but it must be an int, float or None."
        ) from None
    if seconds <= 0:
        raise ValueError(
            f"Attempted to set {name} timeout to {value}, but the timeout cannot be "
            "set to a value less than or equal to 0."
        )
    return max(1, round(seconds * 1000))


class Response:
    """What a request returned."""

    __attrs__ = ["_content", "status_code", "headers", "url", "history", "encoding", "reason", "elapsed", "request"]

    def __init__(self):
        self._content = False
        self.status_code = None
        self.headers = CaseInsensitiveDict()
        self._raw_headers = []
        self.raw = None
        self.url = None
        self.encoding = None
        self.history = []
        self.reason = None
        self.cookies = RequestsCookieJar()
        self.elapsed = datetime.timedelta(0)
        self.request = None
        self.connection = None

    def __repr__(self):
        return f"<Response [{self.status_code}]>"

    def __bool__(self):
        return self.ok

    def __iter__(self):
        return self.iter_content(128)

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.close()

    def close(self):
        pass

    @property
    def ok(self):
        try:
            self.raise_for_status()
        except HTTPError:
            return False
        return True

    @property
    def is_redirect(self):
        return "location" in self.headers and self.status_code in _REDIRECTS

    @property
    def is_permanent_redirect(self):
        return "location" in self.headers and self.status_code in (301, 308)

    @property
    def content(self):
        return self._content

    @property
    def apparent_encoding(self):
        try:
            self._content.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError:
            return "ISO-8859-1"

    @property
    def text(self):
        if not self._content:
            return ""
        encoding = self.encoding or self.apparent_encoding
        try:
            return str(self._content, encoding, errors="replace")
        except (LookupError, TypeError):
            return str(self._content, errors="replace")

    def json(self, **kwargs):
        try:
            return _json.loads(self.text, **kwargs)
        except _json.JSONDecodeError as error:
            raise JSONDecodeError(error.msg, error.doc, error.pos)

    def iter_content(self, chunk_size=1, decode_unicode=False):
        data = self.text if decode_unicode else self._content
        size = chunk_size or len(data) or 1
        for start in range(0, len(data), size):
            yield data[start : start + size]

    def iter_lines(self, chunk_size=512, decode_unicode=False, delimiter=None):
        data = self.text if decode_unicode else self._content
        lines = data.split(delimiter) if delimiter else data.splitlines()
        yield from lines

    @property
    def links(self):
        return {}

    def raise_for_status(self):
        """Raises HTTPError for a 4xx or 5xx status, as requests words it."""
        http_error_msg = ""
        if isinstance(self.reason, bytes):
            try:
                reason = self.reason.decode("utf-8")
            except UnicodeDecodeError:
                reason = self.reason.decode("iso-8859-1")
        else:
            reason = self.reason
        if 400 <= self.status_code < 500:
            http_error_msg = f"{self.status_code} Client Error: {reason} for url: {self.url}"
        elif 500 <= self.status_code < 600:
            http_error_msg = f"{self.status_code} Server Error: {reason} for url: {self.url}"
        if http_error_msg:
            raise HTTPError(http_error_msg, response=self)


def _encoding_from_headers(headers):
    content_type = headers.get("content-type")
    if not content_type:
        return None
    mime, *params = [p.strip() for p in content_type.split(";")]
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip("'\" ")
    if "text" in mime:
        return "ISO-8859-1"
    if "application/json" in mime:
        return "utf-8"
    return None


def _response(answer, request, body=b""):
    response = Response()
    response.status_code = answer["status"]
    response.reason = answer["reason"]
    headers = CaseInsensitiveDict()
    for name, value in answer["headers"]:
        # As urllib3 gives them to requests: a repeated header's values
        # joined with ", ".
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    response.headers = headers
    response._raw_headers = [tuple(h) for h in answer["headers"]]
    response.url = answer["url"]
    response.elapsed = datetime.timedelta(microseconds=answer["elapsed_us"])
    response.encoding = _encoding_from_headers(headers)
    response._content = body
    response.request = request
    _extract_cookies(response.cookies, response)
    return response


def _pool(url):
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    kind = "HTTPS" if https else "HTTP"
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    where = f"(host={parts.hostname!r}, port={port})"
    return f"{kind}ConnectionPool{where}", f"{kind}Connection{where}", parts.hostname, path


def _failure(error, request, seconds):
    """The requests exception for the page's answer, worded as requests
    (with urllib3 2) words it: the pool, the URL, what caused it."""
    kind = error["exception"]
    cls = {cls.__name__: cls for cls in _EXCEPTIONS}.get(kind, RequestException)
    pool, conn, host, path = _pool(request.url)
    cause = error.get("cause")
    cause_exc = _roundtrip_socket._exception(cause) if cause else None
    retries = f"{pool}: Max retries exceeded with url: {path}"
    # Which of the program's (connect, read) ran out; none: the relay's own
    # limit, in its words.
    waited = {"connect": seconds[0], "read": seconds[1]}.get(error.get("limit"))
    if kind == "ReadTimeout":
        # A stalled TLS handshake too, named by the connect timeout it
        # waited under, as urllib3 2 words it.
        if waited is None:
            text = f"{pool}: Read timed out. ({error['message']})"
        else:
            text = f"{pool}: Read timed out. (read timeout={waited})"
    elif kind == "ConnectTimeout":
        limit = error["message"] if waited is None else f"connect timeout={waited}"
        text = (
            f"{retries} (Caused by ConnectTimeoutError({conn}, "
            f"'Connection to {host} timed out. ({limit})'))"
        )
    elif kind == "ConnectionError" and cause and cause["exception"] == "ConnectionResetError":
        # Reset during the exchange, as http.client meets it.
        text = f"('Connection aborted.', {cause_exc!r})"
    elif kind == "ConnectionError" and cause:
        line = _errno_line(cause)
        if cause["exception"] == "gaierror":
            caused = f"NameResolutionError(\"{conn}: Failed to resolve '{host}' ({line})\")"
        else:
            caused = f"NewConnectionError(\"{conn}: Failed to establish a new connection: {line}\")"
        text = f"{retries} (Caused by {caused})"
    elif kind == "SSLError":
        text = f"{retries} (Caused by SSLError({error['message']!r}))"
    elif kind == "ConnectionError":
        text = f"('Connection aborted.', {error['message']!r})"
    else:
        text = error["message"]
    exc = cls(text, request=request)
    exc.__cause__ = cause_exc
    return exc


def _errno_line(cause):
    if cause.get("errno") is None:
        return cause["message"]
    return f"[Errno {cause['errno']}] {cause['message']}"


def _body_payload(body):
    if body is None:
        return None
    if isinstance(body, str):
        body = body.encode("utf-8")
    return _roundtrip_socket._payload(body)


class Session:
    """Settings shared by several requests: headers, auth, params,
    max_redirects, and the cookies the responses set."""

    __attrs__ = ["headers", "auth", "params", "max_redirects"]

    def __init__(self):
        self.headers = default_headers()
        self.auth = None
        self.params = {}
        self.proxies = {}
        self.hooks = {"response": []}
        self.stream = False
        self.verify = True
        self.cert = None
        self.cookies = RequestsCookieJar()
        self.trust_env = True
        self.max_redirects = DEFAULT_REDIRECT_LIMIT

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.close()

    def close(self):
        pass

    def prepare_request(self, request):
        """A Request made ready with this Session's settings."""
        return self._prepare(
            request.method, request.url, request.headers, request.data, request.params,
            request.auth, request.json, request.cookies,
        )

    def _prepare(self, method, url, headers=None, data=None, params=None, auth=None, json=None, cookies=None):
        merged = CaseInsensitiveDict(self.headers)
        for name, value in (headers or {}).items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        # As requests merges them: two mappings merge, anything else given
        # with the request is taken as it is.
        if params is None:
            merged_params = self.params
        elif isinstance(params, Mapping) and isinstance(self.params, Mapping):
            merged_params = {**self.params, **params}
        else:
            merged_params = params
        # The request's cookies over the Session's, as requests merges them.
        if not isinstance(cookies, http.cookiejar.CookieJar):
            cookies = cookiejar_from_dict(cookies or {})
        merged_cookies = merge_cookies(merge_cookies(RequestsCookieJar(), self.cookies), cookies)
        request = PreparedRequest()
        request.prepare(
            method=method, url=url, headers=merged, data=data,
            params=merged_params, auth=auth if auth is not None else self.auth, json=json,
            cookies=merged_cookies,
        )
        return request

    def request(self, method, url, params=None, data=None, headers=None, cookies=None,
                files=None, auth=None, timeout=None, allow_redirects=True, proxies=None,
                hooks=None, stream=None, verify=None, cert=None, json=None):
        if files:
            raise NotImplementedError("file uploads (files=) are not available in the page")
        request = self._prepare(method, url, headers, data, params, auth, json, cookies)
        return self.send(request, timeout=timeout, allow_redirects=allow_redirects)

    def send(self, request, timeout=None, allow_redirects=True, **kwargs):
        scheme = urlsplit(request.url).scheme.lower()
        if scheme not in ("http", "https"):
            raise InvalidSchema(f"No connection adapters were found for {request.url!r}")
        timeouts = _timeouts(timeout)
        seconds = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        for name, value in request.headers.items():
            if not isinstance(value, (str, bytes)):
                raise InvalidHeader(
                    f"Header part ({value!r}) from ({name!r}, {value!r}) must be of type str or bytes, not {type(value)}"
                )
        reply = _roundtrip_socket._call(
            "http",
            method=request.method,
            url=request.url,
            # The relay frames the body itself (Content-Length from it).
            headers=[
                [name, value.decode("latin1") if isinstance(value, bytes) else value]
                for name, value in request.headers.items()
                if name.lower() != "content-length"
            ],
            body=_body_payload(request.body),
            connect_timeout_ms=timeouts[0],
            read_timeout_ms=timeouts[1],
            max_redirects=min(self.max_redirects, 255) if allow_redirects else 0,
        )
        if reply["result"] == "http_failed":
            raise _failure(reply["error"], request, seconds)
        history = [_response(hop, request) for hop in reply["history"]]
        response = _response(
            reply["response"], request, _roundtrip_socket._bytes(reply["body"])
        )
        response.history = history
        for hop in history + [response]:
            _extract_cookies(self.cookies, hop)
        if allow_redirects and response.is_redirect and len(history) >= self.max_redirects:
            # A redirect past max_redirects (the relay stops at the limit
            # and, at 0, follows none), as requests' resolve_redirects
            # refuses it.
            raise TooManyRedirects(f"Exceeded {self.max_redirects} redirects.", response=response)
        return response

    def get(self, url, **kwargs):
        kwargs.setdefault("allow_redirects", True)
        return self.request("GET", url, **kwargs)

    def options(self, url, **kwargs):
        kwargs.setdefault("allow_redirects", True)
        return self.request("OPTIONS", url, **kwargs)

    def head(self, url, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        return self.request("HEAD", url, **kwargs)

    def post(self, url, data=None, json=None, **kwargs):
        return self.request("POST", url, data=data, json=json, **kwargs)

    def put(self, url, data=None, **kwargs):
        return self.request("PUT", url, data=data, **kwargs)

    def patch(self, url, data=None, **kwargs):
        return self.request("PATCH", url, data=data, **kwargs)

    def delete(self, url, **kwargs):
        return self.request("DELETE", url, **kwargs)


def session():
    return Session()


def request(method, url, **kwargs):
    with Session() as s:
        return s.request(method=method, url=url, **kwargs)


def get(url, params=None, **kwargs):
    return request("get", url, params=params, **kwargs)


def options(url, **kwargs):
    return request("options", url, **kwargs)


def head(url, **kwargs):
    kwargs.setdefault("allow_redirects", False)
    return request("head", url, **kwargs)


def post(url, data=None, json=None, **kwargs):
    return request("post", url, data=data, json=json, **kwargs)


def put(url, data=None, **kwargs):
    return request("put", url, data=data, **kwargs)


def patch(url, data=None, **kwargs):
    return request("patch", url, data=data, **kwargs)


def delete(url, **kwargs):
    return request("delete", url, **kwargs)


# The submodules a program imports from: requests.exceptions, requests.auth,
# requests.structures, requests.status_codes, requests.sessions,
# requests.models.
def _submodule(name, **names):
    module = types.ModuleType(f"{__name__}.{name}")
    module.__dict__.update(names)
    sys.modules[module.__name__] = module
    globals()[name] = module
    return module


_submodule("exceptions", **{cls.__name__: cls for cls in _EXCEPTIONS})
_submodule("auth", AuthBase=AuthBase, HTTPBasicAuth=HTTPBasicAuth, _basic_auth_str=_basic_auth_str)
_submodule("structures", CaseInsensitiveDict=CaseInsensitiveDict)
_submodule(
    "cookies", RequestsCookieJar=RequestsCookieJar, CookieConflictError=CookieConflictError,
    create_cookie=create_cookie, cookiejar_from_dict=cookiejar_from_dict, merge_cookies=merge_cookies,
    remove_cookie_by_name=remove_cookie_by_name,
)
_submodule("status_codes", codes=codes)
_submodule("sessions", Session=Session, session=session)
_submodule("models", Request=Request, Response=Response, PreparedRequest=PreparedRequest)
