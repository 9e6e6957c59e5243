//! "What does this mean?": a short explanation for every HTTP status class
//! and the common status codes, every protocol [`ErrorCode`], every
//! [`Refusal`] of the relay's policy, every [`TlsFailure`] of a handshake
//! and every [`SessionClose`]. Each says what
//! it means, the usual causes, and what to do.
//!
//! [`error`], [`refusal`] and [`session_close`] match without a wildcard, so
//! a new code does not compile until it has an explanation here. The
//! refusal and the close code come as values from the relay (`RelayError`'s
//! `refusal`, the close frame's code): nothing here reads a message.

use crate::protocol::{ErrorCode, Refusal, RelayError, SessionClose, TlsFailure};

/// One explanation, in three parts that read as one paragraph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// A heading: `404 Not Found`, `connection refused`.
    pub title: &'static str,
    pub meaning: &'static str,
    pub causes: &'static str,
    pub what_to_do: &'static str,
}

impl Explanation {
    /// The three parts as one paragraph.
    pub fn paragraph(&self) -> String {
        format!(
            "{} Common causes: {} What to do: {}",
            self.meaning, self.causes, self.what_to_do
        )
    }
}

const fn ex(
    title: &'static str,
    meaning: &'static str,
    causes: &'static str,
    what_to_do: &'static str,
) -> Explanation {
    Explanation {
        title,
        meaning,
        causes,
        what_to_do,
    }
}

/// The explanation of a protocol error code.
pub fn error(code: ErrorCode) -> Explanation {
    match code {
        ErrorCode::Refused => ex(
            "connection refused",
            "The target's machine answered the connection attempt (the SYN) with a reset (RST): it is reachable, but nothing listens on that port.",
            "a wrong port number, a server that is not running (yet), a service bound to another address (127.0.0.1 versus ::1), or a firewall that rejects rather than drops.",
            "check the port and that the server runs and listens on the address you dial (ss -ltn shows listeners).",
        ),
        ErrorCode::TimedOut => ex(
            "timed out",
            "No answer came within the time limit: the packets went out, but nothing came back in time. On a close, the peer did not take the last bytes in time.",
            "a firewall that silently drops packets, a host that is down, an address that routes nowhere, or a server too busy to answer; on a close, a peer that stopped reading (its receive window stayed shut).",
            "check the address, try a lab service to rule out the relay, or raise the timeout if the server is just slow; a peer must read what it is sent, or the sender's buffers fill and writes stall.",
        ),
        ErrorCode::Unreachable => ex(
            "unreachable",
            "The network said there is no way to the host: a router (or the relay's own machine) answered that it has no route.",
            "a private or non-existent network, no IPv6 connectivity for an IPv6 address, or a VPN that is down.",
            "try the IPv4 address, check the address for typos, or try a host that is known to be up.",
        ),
        ErrorCode::ResolveFailed => ex(
            "name not resolved",
            "The host name could not be turned into an address: DNS had no A or AAAA record for it, or the lookup failed.",
            "a typo in the name, a name that does not exist (NXDOMAIN), or a resolver that cannot be reached.",
            "check the spelling, look the name up with the DNS panel, or use an IP address.",
        ),
        ErrorCode::InvalidTarget => ex(
            "invalid target",
            "The target is not in a form the relay understands.",
            "a missing port, brackets missing around an IPv6 address, or a misspelt lab service name.",
            "write host:port (example.com:80), [v6]:port ([::1]:7), or pick a lab service from the list.",
        ),
        ErrorCode::Reset => ex(
            "connection reset",
            "The peer aborted the connection with a reset (RST) while it was in use; unread data is thrown away.",
            "a server that crashed or closed with data unread, a middlebox that cut the connection, or a protocol the server did not like.",
            "look at what was sent just before; reconnect, and send what the server expects.",
        ),
        ErrorCode::Io => ex(
            "socket error",
            "The operating system reported an error on the socket that has no code of its own.",
            "resource limits (too many open files), a network interface going away, or an unusual socket state.",
            "read the message for the system's words; trying again often works.",
        ),
        ErrorCode::Malformed => ex(
            "malformed message",
            "The relay could not decode a message from the page, or a field in it is out of range.",
            "a client that sent text that is not JSON, a binary frame with an unknown tag, a field of the wrong type, or a timeout of 0 or past 60 s.",
            "compare the message with PROTOCOL.md; the session itself goes on.",
        ),
        ErrorCode::UnknownType => ex(
            "unknown message type",
            "The message is JSON, but its type is not one this relay knows.",
            "a typo in the type, or a client newer than the relay.",
            "check the type against PROTOCOL.md.",
        ),
        ErrorCode::UnsupportedVersion => ex(
            "unsupported protocol version",
            "The hello asked for a protocol version this relay does not speak.",
            "a page and a relay from different releases.",
            "reload the page from this relay so that both are the same version.",
        ),
        ErrorCode::ExpectedHello => ex(
            "hello expected first",
            "Every session starts with a hello, and another message came first.",
            "a hand-written client that skipped the hello.",
            "send {\"type\":\"hello\",\"version\":1} first.",
        ),
        ErrorCode::UnknownOp => ex(
            "unknown operation",
            "The message names an operation that does not exist or has already ended.",
            "sending on a connection after it closed, or a wrong operation id.",
            "open a new connection and use its id.",
        ),
        ErrorCode::OpInUse => ex(
            "operation id in use",
            "The id is already used by an operation that is still running.",
            "a client that reuses ids before their operations end.",
            "use a new id for every operation.",
        ),
        ErrorCode::NotConnected => ex(
            "not connected",
            "Bytes were sent on an operation that has no connection (yet).",
            "sending before the connected event, or after the connection failed.",
            "wait for connected, then send.",
        ),
        ErrorCode::ShutDown => ex(
            "sending side shut down",
            "The connection was half-closed with a FIN: this side promised to send nothing more.",
            "a send after Shutdown.",
            "you can still read; open a new connection to send more.",
        ),
        ErrorCode::NotSupported => ex(
            "not supported here",
            "This kind of operation does not take that request.",
            "shutdown on a UDP socket, send on an HTTP request or a DNS query, an empty send on TCP, or a second hello.",
            "use the request that fits the operation (see PROTOCOL.md).",
        ),
        ErrorCode::TooLarge => ex(
            "too large",
            "A datagram was larger than UDP can carry in one packet (65 507 bytes over IPv4).",
            "trying to send a file or a large message as one datagram.",
            "split the data into smaller datagrams, or use TCP for bulk data.",
        ),
        ErrorCode::AddrInUse => ex(
            "address in use",
            "The local port asked for is already taken by another socket.",
            "another program (or another tab) listening on the same port, or a port still held by a recent socket.",
            "pick another port, or leave the port empty to get a free one.",
        ),
        ErrorCode::Blocked => ex(
            "blocked by the relay's policy",
            "The relay refused to dial this destination; no packet was sent to it.",
            "on a public relay: a private, loopback or other special address, a host not on the allow-list, a name that resolves to a private address, or port 25.",
            "use a lab service or a host on the allow-list, or run the relay locally (cargo xtask run) to reach anything.",
        ),
        ErrorCode::LimitReached => ex(
            "limit reached",
            "A limit of this relay session was reached: too many operations open at once, too many started per second, a connection that idled or lived too long, or a send to a peer that stopped reading while the relay already held all it will for it.",
            "connections left open, a script opening operations in a tight loop, or a server that does not read what it is sent (its receive window stays shut).",
            "close what you no longer need, or wait a moment and try again; send more only as `sent` events confirm what was written.",
        ),
        ErrorCode::Tls => ex(
            "TLS error",
            "The TLS handshake failed, so no encrypted channel was set up.",
            "a certificate from a CA the relay does not trust, a certificate made out to other names, an expired certificate, or a server that does not speak TLS on that port.",
            "check the host name and port; use https:// only for TLS ports.",
        ),
        ErrorCode::BodyTooLarge => ex(
            "body too large",
            "The response body was larger than the request's limit, so the relay stopped reading it.",
            "a large download, or a stream that never ends.",
            "raise max_body, or request a smaller resource (a Range header, a page of results).",
        ),
        ErrorCode::InvalidUrl => ex(
            "invalid URL",
            "The URL is not an absolute http:// or https:// URL with a host.",
            "a missing scheme, a typo, or a relative path.",
            "write the whole URL, e.g. http://127.0.0.1:8080/json.",
        ),
        ErrorCode::InvalidRetry => ex(
            "invalid retry policy",
            "The retry policy asks for something the relay does not do: a field it does not know, or more attempts, longer waits or a longer per-attempt timeout than its caps allow.",
            "a typo in a field name, or a policy copied from a tool with looser limits.",
            "stay within the caps in PROTOCOL.md (at most 10 attempts, 30 s per wait, 60 s of waits, 60 s per attempt).",
        ),
        ErrorCode::Http => ex(
            "HTTP error",
            "The exchange broke the rules of HTTP/1.1.",
            "a bad method or header, a server that is not an HTTP server, or too many redirects.",
            "check the method and headers; make sure the port serves HTTP; raise the redirect limit if needed.",
        ),
        ErrorCode::DnsTimeout => ex(
            "DNS timeout",
            "A DNS server did not answer within the time limit; DNS over UDP has no connection to say it failed.",
            "a server address where no DNS server runs, a lost datagram, or a firewall.",
            "check the server address, try again, or raise the timeout.",
        ),
        ErrorCode::InvalidName => ex(
            "invalid name",
            "The name is not a valid domain name (for PTR: not an IP address).",
            "spaces or characters not allowed in names, a label longer than 63 characters, or a PTR query for a name.",
            "check the name; for PTR give an IP address such as 127.0.0.1.",
        ),
        ErrorCode::DnsFailed => ex(
            "DNS failed",
            "No server asked could give an answer.",
            "SERVFAIL from every server, a broken reply, or a trace that hit a dead end (a referral without addresses).",
            "try another server, or a stub query to the lab's resolver.",
        ),
    }
}

/// The explanation of an error the relay sent: its policy rule's when it
/// names one (`blocked`), the handshake's problem when it names one
/// (`tls`), otherwise its code's.
pub fn relay_error(error: &RelayError) -> Explanation {
    match (error.refusal, error.tls_failure) {
        (Some(r), _) => refusal(r),
        (None, Some(failure)) => tls_failure(failure),
        (None, None) => self::error(error.code),
    }
}

/// The explanation of a failed TLS handshake whose cause the relay named.
pub fn tls_failure(failure: TlsFailure) -> Explanation {
    match failure {
        TlsFailure::UnknownIssuer => ex(
            "certificate from an unknown CA",
            "The server's certificate chain does not lead to a certificate authority (CA) the client trusts, so nothing vouches that the key belongs to that name; the client stopped before sending the request.",
            "a self-signed certificate, a company's or a lab's private CA, or a server that does not send the intermediate certificates of its chain.",
            "fix the server's certificate; to trust a private CA, give your program that one CA's file (requests' verify=, curl --cacert), never turn verification off.",
        ),
        TlsFailure::WrongName => ex(
            "certificate for another name",
            "The certificate is signed by a trusted CA but made out to other names than the one the client asked for, so it proves nothing about this server; the client stopped before sending the request.",
            "a typo in the host name, an address used instead of the name, a server that hosts several sites and sent the wrong certificate, or someone in the middle.",
            "connect with a name the certificate lists (the message says which ones), or have the server's certificate include the name you use.",
        ),
        TlsFailure::Expired => ex(
            "certificate expired",
            "The certificate's validity period has ended, so the client no longer accepts it, even though a trusted CA signed it for this name.",
            "a certificate nobody renewed, or a client whose clock is wrong.",
            "renew the certificate (automate it: Let's Encrypt certificates last 90 days), and check the client's clock.",
        ),
        TlsFailure::NotTls => ex(
            "no TLS on that port",
            "The server answered the client's TLS hello with something that is not TLS, or hung up.",
            "https:// on a port that serves plain HTTP, or a port of another protocol.",
            "use http:// for that port, or the port where the server speaks TLS (443 by convention).",
        ),
    }
}

/// The explanation of a refusal by the relay's policy.
pub fn refusal(refusal: Refusal) -> Explanation {
    match refusal {
        Refusal::SpecialAddress => ex(
            "special-purpose address",
            "A public relay does not dial private, loopback, link-local or other special-purpose addresses (the IANA registries), so that it cannot be used to reach its own network.",
            "an address such as 10.0.0.1, 192.168.1.1, 127.0.0.1 or 169.254.169.254, in any spelling.",
            "use a public address, a lab service, or run the relay locally.",
        ),
        Refusal::ResolvedToSpecial => ex(
            "name resolved to a special-purpose address",
            "The name is allowed, but DNS gave an address a public relay does not dial; the relay checks the address it dials, not only the name.",
            "a name that points at a private network, or a DNS rebinding attempt.",
            "use a name that resolves to a public address.",
        ),
        Refusal::NotAllowListed => ex(
            "not on the allow-list",
            "This public relay only reaches the hosts, ports and networks its operator listed.",
            "a host or port the operator did not list.",
            "use a lab service or a listed host, or run the relay locally.",
        ),
        Refusal::SmtpPort => ex(
            "port 25 closed",
            "Port 25 (SMTP) is closed on a public relay so that it cannot send spam.",
            "connecting to a mail server's SMTP port.",
            "use a local relay for mail lessons.",
        ),
        Refusal::ListenPortChosen => ex(
            "listener port chosen by the relay",
            "A public relay listens for you, but it picks the port itself: strangers may not take ports of the machine that other programs may need.",
            "asking a public relay for a particular port, such as 8080.",
            "ask for port 0 (any free port) and use the port the relay reports; or run the relay locally to choose the port.",
        ),
        Refusal::UdpPortChosen => ex(
            "local port chosen by the relay",
            "A public relay picks the local port of a UDP socket itself: a port chosen by a stranger could be one a program on the relay's machine sends to, and the stranger would read what it sends.",
            "udp_open with bind_port on a public relay.",
            "leave bind_port out (any port); run the relay locally to bind a port of your choice.",
        ),
        Refusal::NotOnThisMachine => ex(
            "not on this machine",
            "This relay was started to reach only this machine (loopback), and the address is elsewhere.",
            "an address or name that leads off this machine.",
            "use 127.0.0.1, localhost or a lab service, or start the relay without the loopback-only setting.",
        ),
    }
}

/// The explanation of a WebSocket close code the relay ends sessions with;
/// `None` for any other code.
pub fn close_code(code: u16) -> Option<Explanation> {
    SessionClose::from_code(code).map(session_close)
}

/// The explanation of the relay ending a session.
pub fn session_close(close: SessionClose) -> Explanation {
    match close {
        SessionClose::GoingAway => ex(
            "relay shutting down (1001)",
            "The relay is stopping and closed every session.",
            "the relay was stopped or restarted.",
            "reconnect once it is back.",
        ),
        SessionClose::MessageTooBig => ex(
            "message too big (1009)",
            "The page sent a message larger than the relay accepts, and the relay closed the session.",
            "a very large send in one message.",
            "send large data in pieces; reconnect.",
        ),
        SessionClose::TryAgainLater => ex(
            "relay full (1013)",
            "The relay has no room for another session, or this address has too many open.",
            "many tabs open on the same relay, or a busy public relay.",
            "close other tabs and try again later.",
        ),
        SessionClose::Idle => ex(
            "session idle (4000)",
            "The session sent nothing for too long and the relay closed it.",
            "a tab left open in the background.",
            "reconnect; the page keeps its trace.",
        ),
        SessionClose::Lifetime => ex(
            "session lifetime reached (4001)",
            "Sessions on this relay last a limited time, and this one reached it.",
            "a long lesson on a public relay.",
            "reconnect to start a new session.",
        ),
    }
}

/// The explanation of an HTTP status: the code's own when it is a common
/// one, otherwise its class's. `None` outside 100–599.
pub fn status(code: u16) -> Option<Explanation> {
    common_status(code).or_else(|| status_class(code))
}

/// The explanation of a status class (1xx ... 5xx).
pub fn status_class(code: u16) -> Option<Explanation> {
    Some(match code / 100 {
        1 => ex(
            "1xx informational",
            "An interim answer: the server got the request and the final answer follows.",
            "100 Continue before a large body, 101 for protocol upgrades (WebSocket).",
            "nothing; wait for the final status.",
        ),
        2 => ex(
            "2xx success",
            "The server understood the request and did it.",
            "the request was right.",
            "read the body.",
        ),
        3 => ex(
            "3xx redirection",
            "The answer is elsewhere: the Location header says where, or (304) your cached copy is still good.",
            "a moved page, http to https, a missing trailing slash.",
            "follow the Location header (set the redirect limit above 0).",
        ),
        4 => ex(
            "4xx client error",
            "The server thinks the request is wrong and did not do it.",
            "a wrong path, method, header or body, or missing credentials.",
            "fix the request; the body often says what is wrong.",
        ),
        5 => ex(
            "5xx server error",
            "The request may have been fine, but the server (or a gateway in front of it) failed to answer it.",
            "a bug or crash on the server, an overloaded server, or a backend that is down.",
            "try again later; if it persists, the server's operator must look.",
        ),
        _ => return None,
    })
}

fn common_status(code: u16) -> Option<Explanation> {
    Some(match code {
        100 => ex(
            "100 Continue",
            "The server is ready for the request body.",
            "a request with Expect: 100-continue.",
            "send the body.",
        ),
        101 => ex(
            "101 Switching Protocols",
            "The connection now speaks another protocol.",
            "a WebSocket or HTTP/2 upgrade.",
            "speak the new protocol.",
        ),
        200 => ex(
            "200 OK",
            "The request worked; the body is the answer.",
            "a request the server understood.",
            "read the body.",
        ),
        201 => ex(
            "201 Created",
            "The request made something new; Location often names it.",
            "a POST or PUT that created a resource.",
            "find the new resource at Location.",
        ),
        204 => ex(
            "204 No Content",
            "The request worked and there is deliberately no body.",
            "a DELETE, or an update that returns nothing.",
            "nothing to read.",
        ),
        206 => ex(
            "206 Partial Content",
            "Only part of the resource came, as a Range header asked.",
            "a Range request (resuming a download, seeking in media).",
            "request the other ranges if you need them.",
        ),
        301 => ex(
            "301 Moved Permanently",
            "The resource has moved for good to the Location.",
            "a renamed page, http to https.",
            "follow Location and update your links.",
        ),
        302 => ex(
            "302 Found",
            "The resource is elsewhere for now (see Location).",
            "a login redirect, a temporary move.",
            "follow Location; keep the old URL.",
        ),
        303 => ex(
            "303 See Other",
            "Look at another URL with GET to see the result.",
            "the answer to a form POST.",
            "GET the Location.",
        ),
        304 => ex(
            "304 Not Modified",
            "Your cached copy is still current; no body is sent.",
            "a conditional request (If-None-Match, If-Modified-Since).",
            "use the cached copy.",
        ),
        307 => ex(
            "307 Temporary Redirect",
            "Like 302, but the method and body must stay the same.",
            "a temporary move of an API endpoint.",
            "repeat the same request at Location.",
        ),
        308 => ex(
            "308 Permanent Redirect",
            "Like 301, but the method and body must stay the same.",
            "a moved API endpoint.",
            "repeat the same request at Location and update your links.",
        ),
        400 => ex(
            "400 Bad Request",
            "The server could not understand the request.",
            "malformed JSON, a missing field, a bad header or query.",
            "check the body and headers against what the server expects.",
        ),
        401 => ex(
            "401 Unauthorized",
            "The request needs credentials, or the ones given are wrong.",
            "a missing or expired token, a wrong password.",
            "send valid credentials (the WWW-Authenticate header says how).",
        ),
        403 => ex(
            "403 Forbidden",
            "The server knows who you are (or does not care) and refuses anyway.",
            "missing permissions, a blocked address or origin.",
            "ask for access; a different login will not always help.",
        ),
        404 => ex(
            "404 Not Found",
            "There is nothing at this path.",
            "a typo in the path, a removed resource, a wrong host or port.",
            "check the URL; try the server's index.",
        ),
        405 => ex(
            "405 Method Not Allowed",
            "The path exists but not for this method; the Allow header lists the ones it takes.",
            "POST to a read-only resource, GET to an endpoint that wants POST.",
            "use a method from Allow.",
        ),
        408 => ex(
            "408 Request Timeout",
            "The server waited too long for the request and gave up.",
            "a slow client, a body that never finished.",
            "send the request again, promptly.",
        ),
        409 => ex(
            "409 Conflict",
            "The request conflicts with the resource's current state.",
            "editing something someone else changed, creating a duplicate.",
            "fetch the current state and try again.",
        ),
        410 => ex(
            "410 Gone",
            "The resource was here and has been removed for good.",
            "a deleted resource.",
            "stop asking for it.",
        ),
        413 => ex(
            "413 Content Too Large",
            "The request body is larger than the server accepts.",
            "an upload over the server's limit.",
            "send less, or in pieces.",
        ),
        415 => ex(
            "415 Unsupported Media Type",
            "The server does not take bodies of this Content-Type.",
            "JSON sent without content-type: application/json, or the wrong type.",
            "set the Content-Type the server expects (tick JSON body).",
        ),
        418 => ex(
            "418 I'm a teapot",
            "A joke status from RFC 2324 that some servers use on purpose.",
            "a test endpoint or an easter egg.",
            "smile, then ask something else.",
        ),
        422 => ex(
            "422 Unprocessable Content",
            "The body is well-formed but its content is not acceptable.",
            "a validation error: a missing or wrong field.",
            "fix the fields the body names.",
        ),
        429 => ex(
            "429 Too Many Requests",
            "You are sending too fast; the server is limiting you.",
            "a loop without pauses, a shared address over its quota.",
            "wait (Retry-After says how long) and slow down.",
        ),
        500 => ex(
            "500 Internal Server Error",
            "The server failed while handling the request.",
            "a bug or an unexpected input on the server.",
            "try again; if it persists, report it to the server's operator.",
        ),
        501 => ex(
            "501 Not Implemented",
            "The server does not support the method at all.",
            "an unusual method.",
            "use a standard method.",
        ),
        502 => ex(
            "502 Bad Gateway",
            "A proxy or gateway got a bad answer from the server behind it.",
            "a backend that crashed or is restarting.",
            "try again shortly.",
        ),
        503 => ex(
            "503 Service Unavailable",
            "The server cannot answer right now.",
            "overload or maintenance (Retry-After may say when to return); the lab's /flaky route.",
            "wait and retry, with backoff.",
        ),
        504 => ex(
            "504 Gateway Timeout",
            "A proxy or gateway gave up waiting for the server behind it.",
            "a slow or hung backend.",
            "try again later, or ask for less work.",
        ),
        _ => return None,
    })
}

/// The status codes with an explanation of their own.
pub const COMMON_STATUSES: [u16; 30] = [
    100, 101, 200, 201, 204, 206, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405, 408, 409,
    410, 413, 415, 418, 422, 429, 500, 501, 502, 503, 504,
];

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(e: &Explanation) -> bool {
        [e.title, e.meaning, e.causes, e.what_to_do]
            .iter()
            .all(|part| !part.trim().is_empty())
    }

    #[test]
    fn every_error_code_has_its_own_explanation() {
        let mut titles = std::collections::HashSet::new();
        for code in <ErrorCode as strum::IntoEnumIterator>::iter() {
            let explanation = error(code);
            assert!(complete(&explanation), "{code:?} has an empty part");
            assert_eq!(explanation.title, code.summary(), "{code:?}");
            assert!(titles.insert(explanation.title), "{code:?} repeats a title");
        }
    }

    #[test]
    fn every_refusal_and_close_has_its_own_explanation() {
        use strum::IntoEnumIterator as _;
        let mut titles = std::collections::HashSet::new();
        for r in Refusal::iter() {
            let explanation = refusal(r);
            assert!(complete(&explanation), "{r:?}");
            assert!(titles.insert(explanation.title), "{r:?} repeats a title");
        }
        for close in SessionClose::iter() {
            let explanation = session_close(close);
            assert!(complete(&explanation), "{close:?}");
            assert!(explanation.title.contains(&close.code().to_string()));
            assert_eq!(close_code(close.code()), Some(explanation));
        }
        assert_eq!(close_code(1000), None);
        assert_eq!(close_code(1006), None);
    }

    #[test]
    fn every_tls_failure_has_its_own_explanation_and_explains_its_error() {
        use strum::IntoEnumIterator as _;
        let mut titles = std::collections::HashSet::new();
        for failure in TlsFailure::iter() {
            let explanation = tls_failure(failure);
            assert!(complete(&explanation), "{failure:?}");
            assert!(
                titles.insert(explanation.title),
                "{failure:?} repeats a title"
            );
            let error = RelayError::tls(failure, "TLS handshake with localhost failed");
            assert_eq!(relay_error(&error), explanation);
        }
        // A TLS error whose cause the relay could not name: the code's.
        let bare = RelayError::new(ErrorCode::Tls, "TLS handshake failed: who knows");
        assert_eq!(relay_error(&bare), error(ErrorCode::Tls));
    }

    #[test]
    fn an_error_with_a_refusal_is_explained_by_the_refusal() {
        let plain = RelayError::new(ErrorCode::Refused, "connection refused");
        assert_eq!(relay_error(&plain), error(ErrorCode::Refused));
        let blocked = RelayError::refused(Refusal::SmtpPort, "anything at all");
        assert_eq!(relay_error(&blocked), refusal(Refusal::SmtpPort));
        let bare = RelayError::new(ErrorCode::Blocked, "blocked: who knows");
        assert_eq!(relay_error(&bare), error(ErrorCode::Blocked));
    }

    #[test]
    fn every_status_class_and_common_code_is_explained() {
        for class in 1..=5 {
            let explanation = status_class(class * 100).unwrap();
            assert!(complete(&explanation));
            assert!(explanation.title.starts_with(&class.to_string()));
        }
        for code in COMMON_STATUSES {
            let explanation = status(code).unwrap();
            assert!(complete(&explanation));
            assert!(explanation.title.starts_with(&code.to_string()), "{code}");
        }
        // An uncommon code falls back to its class.
        assert_eq!(status(299).unwrap().title, "2xx success");
        assert_eq!(status(99), None);
        assert_eq!(status(600), None);
    }

    #[test]
    fn paragraphs_read_in_one_piece() {
        insta::assert_snapshot!(error(ErrorCode::Refused).paragraph());
    }
}
