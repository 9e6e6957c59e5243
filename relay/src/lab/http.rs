//! The HTTP lab, in the spirit of httpbin: endpoints that echo what they
//! got, answer with a chosen status, wait, drip, redirect, ask for
//! credentials, or fail a set number of times for retry lessons.
//!
//! One axum [`Router`] served on loopback in plain HTTP (`http-lab`) and
//! over TLS (`https-lab`) with a certificate made at start by a lab CA
//! (rcgen). The relay's HTTP client trusts that CA (see [`LabTls`]). Three
//! more HTTPS services present a certificate a careful client refuses, one
//! reason each ([`BadCert`]): for another name, from an unknown CA, expired.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, post, put};
use base64::Engine as _;
use roundtrip_shared::retry::FlakyPlan;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::faults::{FaultTable, FaultyListener, FaultyStream};

/// Longest `/delay` and `/drip` duration, in seconds.
const MAX_DELAY_S: f64 = 10.0;
/// Most bytes `/drip` sends.
const MAX_DRIP_BYTES: usize = 10 * 1024;
/// Most hops `/redirect/{n}` asks for.
const MAX_REDIRECTS: u32 = 20;
/// Largest request body the echo endpoints read.
const MAX_ECHO_BODY: usize = 1024 * 1024;
/// `/flaky` keeps this many client keys; the oldest is forgotten first.
const MAX_FLAKY_KEYS: usize = 1024;
/// A certificate chain and its key, as one HTTPS lab service presents it.
#[derive(Debug, Clone)]
struct Leaf {
    /// Leaf first, then the CA that signed it.
    chain: Vec<CertificateDer<'static>>,
    key: Arc<Vec<u8>>,
}

/// The names the good leaf (and the expired one) are made out to: what the
/// relay checks when it dials a lab service by name (`localhost`), what a
/// program on the relay's machine checks (`127.0.0.1`), and the lab's
/// domain (`https://www.lab.test/`).
const LAB_NAMES: [&str; 4] = ["localhost", "127.0.0.1", "lab.test", "*.lab.test"];

/// The one name the wrong-name service's certificate is made out to: a lab
/// name nobody dials, so the certificate is good for nothing anyone asks.
pub const WRONG_NAME: &str = "someone-else.lab.test";

/// The lab CA and the certificates made at start for the HTTPS lab and its
/// three broken siblings (see [`BadCert`]).
#[derive(Debug, Clone)]
pub struct LabTls {
    /// The lab CA's certificate: the relay's HTTP client trusts it, for
    /// every name (no other CA signs anything in the lab).
    pub ca: CertificateDer<'static>,
    /// The lab CA's certificate in PEM, as the relay serves it at
    /// `/lab-ca.pem` for programs on the learner's machine.
    pub ca_pem: String,
    good: Leaf,
    wrong_name: Leaf,
    expired: Leaf,
    unknown_ca: Leaf,
}

/// The HTTPS lab services whose certificate a careful client refuses, each
/// for its own reason (lesson 21).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadCert {
    /// Signed by the lab CA, for [`WRONG_NAME`] only.
    WrongName,
    /// For the lab's names, signed by a CA of its own that nobody trusts.
    UnknownCa,
    /// Signed by the lab CA for the lab's names; it expired a month ago.
    Expired,
}

impl BadCert {
    pub const ALL: [BadCert; 3] = [BadCert::WrongName, BadCert::UnknownCa, BadCert::Expired];

    /// The service's name, as sessions dial it.
    pub fn name(self) -> &'static str {
        match self {
            BadCert::WrongName => "https-wrong-name",
            BadCert::UnknownCa => "https-unknown-ca",
            BadCert::Expired => "https-expired",
        }
    }

    /// What the panels list it as.
    pub fn label(self) -> &'static str {
        match self {
            BadCert::WrongName => "HTTPS lab, certificate for another name (built-in)",
            BadCert::UnknownCa => "HTTPS lab, certificate from an unknown CA (built-in)",
            BadCert::Expired => "HTTPS lab, expired certificate (built-in)",
        }
    }
}

impl LabTls {
    /// A fresh CA (`CN=Roundtrip Lab CA`), a leaf for the lab's names
    /// (`localhost`, `127.0.0.1`, `lab.test`, `*.lab.test`), and the three
    /// broken leaves of [`BadCert`].
    pub fn generate() -> Result<LabTls, rcgen::Error> {
        use rcgen::{CertificateParams, DnType, KeyPair};
        // Real-looking validity (from half a year ago, for a year and a
        // half), so that a lesson about certificate dates has dates worth
        // reading, and the expired leaf expired while its CA was valid.
        let now = time::OffsetDateTime::now_utc();
        let (ca, ca_pem, issuer) = make_ca("Roundtrip Lab CA", now)?;
        // An unknown CA: made the same way, trusted by nobody.
        let (stranger, _, stranger_issuer) = make_ca("Roundtrip Stranger CA", now)?;

        let leaf = |names: &[&str],
                    from: time::OffsetDateTime,
                    until: time::OffsetDateTime,
                    issuer: &rcgen::Issuer<'_, KeyPair>,
                    ca: &CertificateDer<'static>|
         -> Result<Leaf, rcgen::Error> {
            let mut params =
                CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())?;
            params.distinguished_name.push(DnType::CommonName, names[0]);
            params.not_before = from;
            params.not_after = until;
            let key = KeyPair::generate()?;
            let cert = params.signed_by(&key, issuer)?;
            Ok(Leaf {
                chain: vec![cert.der().clone(), ca.clone()],
                key: Arc::new(key.serialize_der()),
            })
        };
        let days = time::Duration::days;
        let good = leaf(&LAB_NAMES, now - days(1), now + days(90), &issuer, &ca)?;
        let wrong_name = leaf(&[WRONG_NAME], now - days(1), now + days(90), &issuer, &ca)?;
        // A 90-day certificate nobody renewed: it ended a month ago.
        let expired = leaf(&LAB_NAMES, now - days(120), now - days(30), &issuer, &ca)?;
        let unknown_ca = leaf(
            &LAB_NAMES,
            now - days(1),
            now + days(90),
            &stranger_issuer,
            &stranger,
        )?;
        Ok(LabTls {
            ca,
            ca_pem,
            good,
            wrong_name,
            expired,
            unknown_ca,
        })
    }

    fn server_config(leaf: &Leaf) -> Result<rustls::ServerConfig, rustls::Error> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.key.as_ref().clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(leaf.chain.clone(), key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }

    fn bad(&self, which: BadCert) -> &Leaf {
        match which {
            BadCert::WrongName => &self.wrong_name,
            BadCert::UnknownCa => &self.unknown_ca,
            BadCert::Expired => &self.expired,
        }
    }
}

/// A self-signed CA called `name`: its certificate (DER and PEM) and what
/// signs with it.
fn make_ca(
    name: &str,
    now: time::OffsetDateTime,
) -> Result<
    (
        CertificateDer<'static>,
        String,
        rcgen::Issuer<'static, rcgen::KeyPair>,
    ),
    rcgen::Error,
> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name.push(DnType::CommonName, name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Roundtrip");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.not_before = now - time::Duration::days(180);
    params.not_after = now + time::Duration::days(365);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    Ok((
        cert.der().clone(),
        pem(cert.der()),
        Issuer::new(params, key),
    ))
}

/// A certificate in PEM, the text form programs and tools read (RFC 7468):
/// base64 in lines of 64 characters between the two markers.
fn pem(der: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in encoded.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// The running HTTP and HTTPS labs.
#[derive(Debug)]
pub(super) struct HttpLab {
    pub http: SocketAddr,
    pub https: SocketAddr,
    /// The HTTPS services with a broken certificate, and where they listen.
    pub bad: Vec<(BadCert, SocketAddr)>,
    pub tls: LabTls,
}

/// Starts the labs on `127.0.0.1` with ephemeral ports: plain HTTP, HTTPS,
/// and HTTPS with each [`BadCert`] (the same routes behind each).
pub(super) async fn start(faults: Arc<FaultTable>) -> std::io::Result<HttpLab> {
    let tls = LabTls::generate().map_err(std::io::Error::other)?;
    let config = LabTls::server_config(&tls.good).map_err(std::io::Error::other)?;
    let router = router();

    let plain = TcpListener::bind("127.0.0.1:0").await?;
    let http = plain.local_addr()?;
    let plain_router = router.clone();
    let plain = FaultyListener {
        listener: plain,
        table: faults.clone(),
    };
    tokio::spawn(async move {
        if let Err(error) = axum::serve(plain, plain_router).await {
            tracing::warn!(%error, "http lab stopped");
        }
    });

    let secure = TcpListener::bind("127.0.0.1:0").await?;
    let https = secure.local_addr()?;
    tokio::spawn(serve_tls(
        secure,
        TlsAcceptor::from(Arc::new(config)),
        router.clone(),
        faults.clone(),
    ));

    let mut bad = Vec::new();
    for which in BadCert::ALL {
        let config = LabTls::server_config(tls.bad(which)).map_err(std::io::Error::other)?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        bad.push((which, listener.local_addr()?));
        // A client that checks the certificate hangs up in the handshake;
        // one told not to check (`curl -k`) gets the lab's routes.
        tokio::spawn(serve_tls(
            listener,
            TlsAcceptor::from(Arc::new(config)),
            router.clone(),
            faults.clone(),
        ));
    }
    Ok(HttpLab {
        http,
        https,
        bad,
        tls,
    })
}

/// Accepts TLS connections and serves `router` on each.
async fn serve_tls(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    router: Router,
    faults: Arc<FaultTable>,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "https lab: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Without this, Nagle holds the response back behind the TLS 1.3
        // session tickets until the client's delayed ACK (about 40 ms).
        let _ = stream.set_nodelay(true);
        // Faults act on the TCP bytes, under TLS, as a network's would.
        let stream = FaultyStream::new(stream, peer, &faults);
        let acceptor = acceptor.clone();
        let router = router.clone();
        tokio::spawn(async move {
            let tls = match acceptor.accept(stream).await {
                Ok(tls) => tls,
                Err(error) => {
                    tracing::debug!(%peer, %error, "https lab: handshake failed");
                    return;
                }
            };
            let service = hyper_util::service::TowerToHyperService::new(router);
            let served = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                .await;
            if let Err(error) = served {
                tracing::debug!(%peer, %error, "https lab connection ended with an error");
            }
        });
    }
}

/// The lab's routes (shared state: the `/flaky` counters).
pub fn router() -> Router {
    Router::new()
        .route("/get", get(echo))
        .route("/post", post(echo))
        .route("/put", put(echo))
        .route("/delete", delete(echo))
        .route("/anything", any(echo))
        .route("/anything/{*rest}", any(echo))
        .route("/headers", get(headers))
        .route("/json", get(json_sample))
        .route("/json/weather", get(weather))
        .route("/json/missing-key", get(missing_key))
        .route("/json/wrong-type", get(wrong_type))
        .route("/json/other-shape", get(other_shape))
        .route("/json/not-json", get(not_json))
        .route("/json/oversized", get(oversized))
        .route("/status/{code}", any(status))
        .route("/delay/{seconds}", any(delay))
        .route("/drip", get(drip))
        .route("/redirect/{n}", get(redirect))
        .route("/bearer", get(bearer))
        .route("/basic-auth/{user}/{pass}", get(basic_auth))
        .route("/flaky", any(flaky))
        .with_state(Flaky::default())
}

fn header_map(headers: &HeaderMap) -> Value {
    let mut map = serde_json::Map::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        map.entry(name.as_str())
            .and_modify(|v| {
                if let Value::String(s) = v {
                    s.push_str(", ");
                    s.push_str(&value);
                }
            })
            .or_insert(Value::String(value));
    }
    Value::Object(map)
}

/// Echoes method, URL, query arguments, headers and body (and the body as
/// JSON when it parses).
async fn echo(request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_ECHO_BODY).await {
        Ok(body) => body,
        Err(_) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                "the lab echoes bodies of up to 1 MiB\n",
            )
                .into_response();
        }
    };
    let args: HashMap<String, String> = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    axum::Json(json!({
        "method": parts.method.as_str(),
        "url": parts.uri.to_string(),
        "args": args,
        "headers": header_map(&parts.headers),
        "data": String::from_utf8_lossy(&body),
        "json": parsed,
    }))
    .into_response()
}

async fn headers(headers: HeaderMap) -> Response {
    axum::Json(json!({ "headers": header_map(&headers) })).into_response()
}

async fn json_sample() -> Response {
    axum::Json(json!({
        "slideshow": {
            "title": "Roundtrip sample",
            "author": "Roundtrip lab",
            "slides": [
                { "title": "Hello, HTTP", "type": "all" },
                { "title": "Status, headers, body", "type": "all",
                  "items": ["a status line", "headers", "a body"] }
            ]
        }
    }))
    .into_response()
}

/// The JSON lesson's weather report, as a program expects it: an object
/// with `city` a string and `temp` a number. The endpoints after it break
/// that expectation one way each.
fn report() -> serde_json::Map<String, Value> {
    let Value::Object(map) = json!({
        "city": "Lisbon",
        "temp": 18.5,
        "unit": "C",
        "wind_kmh": 12
    }) else {
        unreachable!("an object literal")
    };
    map
}

async fn weather() -> Response {
    axum::Json(report()).into_response()
}

/// The report without `temp`.
async fn missing_key() -> Response {
    let mut map = report();
    map.remove("temp");
    axum::Json(map).into_response()
}

/// `temp` as the string `"18.5"`, as a server that formats its numbers does.
async fn wrong_type() -> Response {
    let mut map = report();
    map.insert("temp".into(), Value::String("18.5".into()));
    axum::Json(map).into_response()
}

/// A list of reports where one report (an object) is expected.
async fn other_shape() -> Response {
    axum::Json(Value::Array(vec![Value::Object(report())])).into_response()
}

/// A 200 whose `Content-Type` says JSON and whose body is an HTML page, as
/// a misconfigured proxy or framework sends.
async fn not_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        "<html><body><h1>Service busy</h1><p>Please try again later.</p></body></html>\n",
    )
        .into_response()
}

/// The size of `/json/oversized`'s body: valid JSON of [`OVERSIZED_BYTES`].
const OVERSIZED_BYTES: usize = 1024 * 1024;

/// A valid JSON report with a megabyte of readings (exactly
/// [`OVERSIZED_BYTES`], its length declared), for a client that limits
/// what it reads.
async fn oversized() -> Response {
    const HEAD: &str = "{\"city\": \"Lisbon\", \"readings\": [";
    const TAIL: &str = "]}";
    let mut body = String::with_capacity(OVERSIZED_BYTES);
    body.push_str(HEAD);
    while body.len() + ", 18.5".len() + TAIL.len() <= OVERSIZED_BYTES {
        if !body.ends_with('[') {
            body.push_str(", ");
        }
        body.push_str("18.5");
    }
    // Spaces to the exact size, where JSON allows them.
    body.extend(std::iter::repeat_n(
        ' ',
        OVERSIZED_BYTES - body.len() - TAIL.len(),
    ));
    body.push_str(TAIL);
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn status(Path(code): Path<String>) -> Response {
    match code
        .parse::<u16>()
        .ok()
        .and_then(|c| StatusCode::from_u16(c).ok())
    {
        Some(code) if code.as_u16() >= 200 => code.into_response(),
        _ => (
            StatusCode::BAD_REQUEST,
            format!("\"{code}\" is not a status code the lab can send (200-999)\n"),
        )
            .into_response(),
    }
}

fn seconds(text: &str) -> Option<Duration> {
    let s: f64 = text.parse().ok()?;
    s.is_finite()
        .then(|| Duration::from_secs_f64(s.clamp(0.0, MAX_DELAY_S)))
}

/// Waits (at most 10 s), then echoes.
async fn delay(Path(text): Path<String>, request: Request) -> Response {
    let Some(wait) = seconds(&text) else {
        return (
            StatusCode::BAD_REQUEST,
            format!("\"{text}\" is not a number of seconds\n"),
        )
            .into_response();
    };
    tokio::time::sleep(wait).await;
    echo(request).await
}

/// `numbytes` asterisks spread evenly over `duration` seconds, after an
/// optional `delay`.
async fn drip(Query(query): Query<HashMap<String, String>>) -> Response {
    let get = |name: &str, default: f64| {
        query
            .get(name)
            .and_then(|v| seconds(v).map(|d| d.as_secs_f64()).or(v.parse().ok()))
            .unwrap_or(default)
    };
    let numbytes = query
        .get("numbytes")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(10)
        .min(MAX_DRIP_BYTES);
    let duration = get("duration", 2.0).clamp(0.0, MAX_DELAY_S);
    let delay = get("delay", 0.0).clamp(0.0, MAX_DELAY_S);
    let pause = if numbytes > 1 {
        Duration::from_secs_f64(duration / numbytes as f64)
    } else {
        Duration::from_secs_f64(duration)
    };
    let stream = futures_util::stream::unfold(0usize, move |sent| async move {
        if sent == numbytes {
            return None;
        }
        let wait = if sent == 0 {
            Duration::from_secs_f64(delay)
        } else {
            pause
        };
        tokio::time::sleep(wait).await;
        Some((Ok::<_, std::io::Error>(Bytes::from_static(b"*")), sent + 1))
    });
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(numbytes));
    response
}

/// `302` to `/redirect/{n-1}`, and from `/redirect/1` to `/get`.
async fn redirect(Path(n): Path<String>) -> Response {
    let Some(n) = n
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_REDIRECTS).contains(n))
    else {
        return (
            StatusCode::BAD_REQUEST,
            format!("redirect counts go from 1 to {MAX_REDIRECTS}\n"),
        )
            .into_response();
    };
    let location = if n == 1 {
        "/get".to_owned()
    } else {
        format!("/redirect/{}", n - 1)
    };
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

fn unauthorized(challenge: &'static str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, challenge)],
        axum::Json(json!({ "authenticated": false })),
    )
        .into_response()
}

/// 200 with any `Authorization: Bearer <token>`, 401 otherwise.
async fn bearer(headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .filter(|t| !t.trim().is_empty());
    match token {
        Some(token) => axum::Json(json!({ "authenticated": true, "token": token })).into_response(),
        None => unauthorized("Bearer"),
    }
}

/// 200 when `Authorization: Basic` carries `user:pass`, 401 otherwise.
async fn basic_auth(Path((user, pass)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
        });
    if given.as_deref() == Some(format!("{user}:{pass}").as_bytes()) {
        axum::Json(json!({ "authenticated": true, "user": user })).into_response()
    } else {
        unauthorized("Basic realm=\"Roundtrip lab\"")
    }
}

/// `/flaky` attempt counters per client key, bounded in number.
#[derive(Clone, Debug, Default)]
struct Flaky {
    inner: Arc<Mutex<FlakyCounts>>,
}

#[derive(Debug, Default)]
struct FlakyCounts {
    attempts: HashMap<String, u32>,
    /// Keys in the order they were first seen, to forget the oldest.
    order: VecDeque<String>,
}

impl FlakyCounts {
    /// Counts one more attempt for `key` and returns its number (1-based).
    fn attempt(&mut self, key: &str) -> u32 {
        if let Some(n) = self.attempts.get_mut(key) {
            *n = n.saturating_add(1);
            return *n;
        }
        if self.order.len() >= MAX_FLAKY_KEYS
            && let Some(oldest) = self.order.pop_front()
        {
            self.attempts.remove(&oldest);
        }
        self.order.push_back(key.to_owned());
        self.attempts.insert(key.to_owned(), 1);
        1
    }
}

/// Fails as the query's [`FlakyPlan`] says (`shared::retry::flaky`): the
/// first `fail` attempts of each `key` with `status`, slow attempts only
/// after `delay_ms`, so a client's timeout ends them first.
async fn flaky(State(flaky): State<Flaky>, method: Method, RawQuery(query): RawQuery) -> Response {
    let plan = FlakyPlan::from_query(query.as_deref().unwrap_or_default());
    let key = plan.key.clone();
    let attempt = flaky
        .inner
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .attempt(&key);
    // Counted on arrival: an attempt the client gave up on still counts.
    if plan.is_slow(attempt) {
        tokio::time::sleep(Duration::from_millis(plan.delay_ms)).await;
    }
    let body = json!({
        "key": key,
        "attempt": attempt,
        "fail": plan.fail,
        "method": method.as_str(),
        "slow": plan.is_slow(attempt),
    });
    if attempt <= plan.fail {
        let status = StatusCode::from_u16(plan.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(plan.retry_after));
        }
        response
    } else {
        axum::Json(body).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flaky_counters_are_bounded() {
        let mut counts = FlakyCounts::default();
        assert_eq!(counts.attempt("a"), 1);
        assert_eq!(counts.attempt("a"), 2);
        for i in 0..MAX_FLAKY_KEYS {
            counts.attempt(&format!("k{i}"));
        }
        assert_eq!(counts.attempts.len(), MAX_FLAKY_KEYS);
        // "a" was the oldest and has been forgotten: it starts over.
        assert_eq!(counts.attempt("a"), 1);
    }

    #[test]
    fn lab_certificates_generate() {
        let tls = LabTls::generate().unwrap();
        assert!(LabTls::server_config(&tls.good).is_ok());
        for which in BadCert::ALL {
            assert!(LabTls::server_config(tls.bad(which)).is_ok(), "{which:?}");
        }
        assert!(tls.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    }
}
