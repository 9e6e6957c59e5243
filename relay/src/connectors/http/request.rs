//! What the learner asked for, made into what goes on the wire: the URL and
//! headers checked (each refusal says what to write instead), `user:pass@`
//! taken out as Basic credentials, the rules a redirect follows (which
//! method and body go on, which headers stay with the old origin), and the
//! hyper request of one hop. All of it is pure: no socket is touched here,
//! so the rules can be read (and tested) apart from the exchange.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderName, HeaderValue};
use roundtrip_shared::protocol::{ErrorCode, HttpRequest};
use url::Url;

use super::{Stop, fail};

/// The request as it goes to one URL (it changes along redirects).
pub(super) struct Hop {
    pub(super) method: hyper::Method,
    pub(super) url: Url,
    pub(super) body: Bytes,
}

/// What a hop sends that the learner chose: the body, the URL and the
/// headers (the relay's own few header lines are not counted).
pub(super) fn outgoing_bytes(hop: &Hop, headers: &[(HeaderName, HeaderValue)]) -> usize {
    let head: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    hop.body.len() + hop.url.as_str().len() + head
}

/// `user:pass@` in `url`, taken out of it as the Basic `Authorization`
/// they stand for (as curl sends them; the userinfo itself never goes on
/// the wire).
pub(super) fn take_credentials(url: &mut Url) -> Option<HeaderValue> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let decode = |text: &str| percent_encoding::percent_decode_str(text).collect::<Vec<u8>>();
    let mut pair = decode(url.username());
    pair.push(b':');
    pair.extend(decode(url.password().unwrap_or_default()));
    let _ = url.set_username("");
    let _ = url.set_password(None);
    use base64::Engine as _;
    let value = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    );
    Some(HeaderValue::from_str(&value).expect("base64 is a valid header value"))
}

/// Headers that carry credentials.
pub(super) fn is_credential(name: &HeaderName) -> bool {
    [
        header::AUTHORIZATION,
        header::COOKIE,
        header::PROXY_AUTHORIZATION,
    ]
    .contains(name)
}

pub(super) fn parse_url(text: &str) -> Result<Url, Stop> {
    let url = Url::parse(text.trim()).or_else(|e| {
        fail(
            ErrorCode::InvalidUrl,
            format!(
                "\"{text}\" is not an absolute URL ({e}); write it like http://127.0.0.1:8080/json"
            ),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return fail(
            ErrorCode::InvalidUrl,
            format!(
                "\"{}\" URLs are not HTTP: use http:// or https://",
                url.scheme()
            ),
        );
    }
    if url.host().is_none() {
        return fail(ErrorCode::InvalidUrl, format!("\"{text}\" has no host"));
    }
    if url.port() == Some(0) {
        return fail(
            ErrorCode::InvalidUrl,
            format!("\"{text}\": port 0 cannot be connected to (ports are 1-65535)"),
        );
    }
    Ok(url)
}

pub(super) fn parse_headers(request: &HttpRequest) -> Result<Vec<(HeaderName, HeaderValue)>, Stop> {
    let mut headers = Vec::with_capacity(request.headers.len() + 1);
    let body_len = request.body.as_ref().map_or(0, |body| body.0.len());
    let mut lengths = 0;
    for (name, value) in &request.headers {
        // How the body is framed is the relay's to say, as in any client
        // library: a Content-Length that does not match would cut the body
        // short or leave the server waiting for bytes that never come. One
        // that matches is left to the relay, which sets it from the body
        // (and drops it when a redirect drops the body).
        if name.trim().eq_ignore_ascii_case("content-length") {
            lengths += 1;
            if lengths > 1 {
                return fail(
                    ErrorCode::Http,
                    "Content-Length is given more than once: leave it out and the relay sets it",
                );
            }
            if value.trim().parse::<usize>().ok() != Some(body_len) {
                return fail(
                    ErrorCode::Http,
                    format!(
                        "Content-Length: {} does not match the body ({body_len} bytes): leave the header out and the relay sets it",
                        value.trim()
                    ),
                );
            }
            continue;
        }
        if name.trim().eq_ignore_ascii_case("transfer-encoding") {
            return fail(
                ErrorCode::Http,
                "Transfer-Encoding is for the relay to choose: it sends the body whole, with a Content-Length; leave the header out",
            );
        }
        let name = HeaderName::from_bytes(name.trim().as_bytes()).or_else(|_| {
            fail(
                ErrorCode::Http,
                format!("\"{name}\" is not a valid header name"),
            )
        })?;
        let value = HeaderValue::from_str(value.trim()).or_else(|_| {
            fail(
                ErrorCode::Http,
                format!("the value of header \"{name}\" has characters HTTP does not allow"),
            )
        })?;
        headers.push((name, value));
    }
    if request.json && !headers.iter().any(|(n, _)| n == header::CONTENT_TYPE) {
        headers.push((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ));
    }
    Ok(headers)
}

/// The first hop of `request`: its method, URL and body, and the headers
/// to send (the URL's `user:pass@` become an `Authorization`, unless the
/// learner gave one). Refusals come in that order: method, headers, URL.
pub(super) fn first_hop(
    request: &HttpRequest,
) -> Result<(Hop, Vec<(HeaderName, HeaderValue)>), Stop> {
    let method = hyper::Method::from_bytes(request.method.trim().as_bytes()).or_else(|_| {
        fail(
            ErrorCode::Http,
            format!("\"{}\" is not an HTTP method", request.method),
        )
    })?;
    let mut headers = parse_headers(request)?;
    let mut url = parse_url(&request.url)?;
    if let Some(basic) = take_credentials(&mut url)
        && !headers
            .iter()
            .any(|(name, _)| name == header::AUTHORIZATION)
    {
        headers.push((header::AUTHORIZATION, basic));
    }
    let hop = Hop {
        method,
        url,
        body: Bytes::from(request.body.clone().map(|p| p.0).unwrap_or_default()),
    };
    Ok((hop, headers))
}

/// Where a redirect's `location` leads from `from`: an http:// or https://
/// URL that can be dialled, else a refusal that says why not.
pub(super) fn redirect_url(from: &Url, location: &str) -> Result<Url, Stop> {
    let url = from.join(location).or_else(|e| {
        fail(
            ErrorCode::Http,
            format!("the redirect's Location \"{location}\" is not a URL: {e}"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return fail(
            ErrorCode::Http,
            format!("the redirect goes to {url}, which is not http:// or https://"),
        );
    }
    if url.port() == Some(0) {
        return fail(
            ErrorCode::Http,
            format!("the redirect goes to {url}: port 0 cannot be connected to"),
        );
    }
    Ok(url)
}

/// Moves `hop` on to `url`, where a redirect of `status` sent it, with the
/// method, body and `headers` that go on.
pub(super) fn follow(
    hop: &mut Hop,
    headers: &mut Vec<(HeaderName, HeaderValue)>,
    status: u16,
    url: Url,
) {
    // As browsers do: 303 always, and 301/302 after a POST, turn into a GET
    // without a body; 307 and 308 repeat the request as it was.
    if status == 303 && hop.method != hyper::Method::HEAD
        || matches!(status, 301 | 302) && hop.method == hyper::Method::POST
    {
        hop.method = hyper::Method::GET;
        hop.body = Bytes::new();
        // The body's headers went with it.
        headers.retain(|(name, _)| name != header::CONTENT_TYPE);
    }
    // Credentials are for the origin they were given to: a redirect to
    // another one does not carry them (as browsers and curl do).
    // A Host the learner gave named the old server.
    if url.origin() != hop.url.origin() {
        headers.retain(|(name, _)| !is_credential(name) && name != header::HOST);
    }
    hop.url = url;
}

/// The hyper request of one hop: `headers` as the learner gave them, plus
/// the `Host`, `User-Agent` and `Content-Length` a client adds when they
/// are missing.
pub(super) fn build(
    hop: &Hop,
    headers: &[(HeaderName, HeaderValue)],
) -> Result<hyper::Request<Full<Bytes>>, Stop> {
    let url = &hop.url;
    let mut builder = hyper::Request::builder()
        .method(hop.method.clone())
        .uri(match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        });
    let authority = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    if !headers.iter().any(|(n, _)| n == header::HOST) {
        builder = builder.header(header::HOST, authority);
    }
    if !headers.iter().any(|(n, _)| n == header::USER_AGENT) {
        builder = builder.header(
            header::USER_AGENT,
            concat!("roundtrip/", env!("CARGO_PKG_VERSION")),
        );
    }
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    // hyper gives an empty body no length; a POST without one is refused
    // by some servers (411), so say 0, as curl and browsers do.
    if hop.body.is_empty()
        && !matches!(
            hop.method,
            hyper::Method::GET
                | hyper::Method::HEAD
                | hyper::Method::OPTIONS
                | hyper::Method::CONNECT
                | hyper::Method::TRACE
                | hyper::Method::DELETE
        )
    {
        builder = builder.header(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
    builder
        .body(Full::new(hop.body.clone()))
        .or_else(|e| fail(ErrorCode::Http, format!("cannot build the request: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use roundtrip_shared::payload::Payload;

    fn post(headers: &[(&str, &str)], body: &str) -> HttpRequest {
        HttpRequest {
            faults: None,
            retry: None,
            op: 1,
            method: "POST".into(),
            url: "http://127.0.0.1:9/echo".into(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: Some(Payload(body.as_bytes().to_vec())),
            json: false,
            timeouts: None,
            follow_redirects: 0,
            max_body: None,
            raw: false,
        }
    }

    fn refusal(request: &HttpRequest) -> String {
        match parse_headers(request) {
            Err(Stop::Fail(error)) => {
                assert_eq!(error.code, ErrorCode::Http);
                error.message
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn the_body_is_framed_by_the_relay() {
        // A length that would cut the body short, or leave the server
        // waiting, is refused; a right one is left to the relay to set.
        assert!(
            refusal(&post(&[("Content-Length", "1")], "abc"))
                .starts_with("Content-Length: 1 does not match the body (3 bytes)")
        );
        assert!(refusal(&post(&[("content-length", "50")], "abc")).contains("(3 bytes)"));
        assert!(
            refusal(&post(
                &[("Content-Length", "3"), ("Content-Length", "3")],
                "abc"
            ))
            .contains("more than once")
        );
        assert!(
            refusal(&post(&[("Transfer-Encoding", "chunked")], "abc"))
                .starts_with("Transfer-Encoding")
        );
        let headers =
            parse_headers(&post(&[("Content-Length", "3"), ("X-Lesson", "1")], "abc")).unwrap();
        assert_eq!(
            headers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
            ["x-lesson"]
        );
    }
}
