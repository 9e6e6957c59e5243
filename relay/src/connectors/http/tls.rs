//! TLS for the HTTP connector: the client configuration the relay trusts,
//! the `tls_handshake` event (version, cipher, ALPN, the certificates the
//! server showed) and the wording of a failed handshake. The handshake
//! itself runs in the exchange, where its time is measured.

use std::io;
use std::sync::{Arc, OnceLock};

use roundtrip_shared::protocol::{CertInfo, ErrorCode, EventKind, RelayError, TlsFailure};
use tokio_rustls::TlsConnector;

use super::Stop;
use crate::lab::Lab;
use crate::target::Target;

/// The relay's TLS client configuration, built once per relay (on first
/// use; it copies every web root) and held in [`crate::AppState`].
#[derive(Debug, Default)]
pub(crate) struct ClientTls(OnceLock<Arc<rustls::ClientConfig>>);

impl ClientTls {
    /// The connector for one exchange: the relay's configuration, with a
    /// TLS session cache of the exchange's own. Its hops may resume each
    /// other's sessions, as they always could; other exchanges (other
    /// attempts, other sessions, other people on a public relay) never
    /// see its tickets, and each begins with a full handshake to show.
    pub(super) fn connector(&self, lab: &Lab) -> Result<TlsConnector, Stop> {
        let shared = match self.0.get() {
            Some(config) => config,
            None => {
                let built = Arc::new(client_config(lab)?);
                self.0.get_or_init(|| built)
            }
        };
        let mut config = rustls::ClientConfig::clone(shared);
        config.resumption = rustls::client::Resumption::default();
        Ok(TlsConnector::from(Arc::new(config)))
    }
}

/// The relay trusts the usual web roots (webpki-roots) plus its own lab CA.
fn client_config(lab: &Lab) -> Result<rustls::ClientConfig, Stop> {
    let internal = |e: rustls::Error| {
        Stop::Fail(RelayError::new(
            ErrorCode::Tls,
            format!("cannot set up TLS: {e}"),
        ))
    };
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    roots.add(lab.lab_ca().clone()).map_err(internal)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(internal)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The name the server's certificate must carry. A lab service reached by
/// its name has a certificate made out to `localhost`; a `lab.test` name
/// (the HTTP labs' certificate covers `*.lab.test`), a host name or an IP
/// literal stand for themselves.
pub(super) fn server_name(target: &Target) -> String {
    match target {
        Target::Lab { .. } => "localhost".to_owned(),
        Target::LabHost { host, .. } => host.trim_end_matches('.').to_owned(),
        Target::Host { host, .. } => host.clone(),
        Target::Literal(addr) => addr.ip().to_string(),
    }
}

fn version_name(version: rustls::ProtocolVersion) -> String {
    match version {
        rustls::ProtocolVersion::TLSv1_3 => "TLS 1.3".to_owned(),
        rustls::ProtocolVersion::TLSv1_2 => "TLS 1.2".to_owned(),
        other => format!("{other:?}"),
    }
}

/// The DNS names and IP addresses a certificate is valid for.
fn subject_alt_names(cert: &x509_parser::certificate::X509Certificate<'_>) -> Vec<String> {
    use x509_parser::extensions::GeneralName;
    let Ok(Some(extension)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    extension
        .value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some((*dns).to_owned()),
            GeneralName::IPAddress(bytes) => match bytes.len() {
                4 => Some(std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*bytes).ok()?).to_string()),
                16 => {
                    Some(std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*bytes).ok()?).to_string())
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

pub(super) fn handshake_event(connection: &rustls::ClientConnection) -> EventKind {
    let certs = connection
        .peer_certificates()
        .unwrap_or_default()
        .iter()
        .map(|der| match x509_parser::parse_x509_certificate(der) {
            Ok((_, cert)) => CertInfo {
                subject: cert.subject().to_string(),
                issuer: cert.issuer().to_string(),
                not_before: cert.validity().not_before.to_string(),
                not_after: cert.validity().not_after.to_string(),
                sans: subject_alt_names(&cert),
            },
            Err(error) => CertInfo {
                subject: format!("(unparsable certificate: {error})"),
                issuer: String::new(),
                not_before: String::new(),
                not_after: String::new(),
                sans: Vec::new(),
            },
        })
        .collect();
    EventKind::TlsHandshake {
        version: connection
            .protocol_version()
            .map(version_name)
            .unwrap_or_default(),
        cipher: connection
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))
            .unwrap_or_default(),
        alpn: connection
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        certs,
    }
}

pub(super) fn tls_error(error: &io::Error, name: &str) -> RelayError {
    if let Some(tls) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    {
        let failure = tls_failure(tls);
        let hint = match failure {
            Some(TlsFailure::UnknownIssuer) => {
                ": the certificate is not signed by a CA the relay trusts"
            }
            Some(TlsFailure::WrongName) => ": the certificate is made out to other names",
            Some(TlsFailure::Expired) => ": the certificate has expired",
            // A plain-text answer ("HTTP/1.1 400 ...") read as a TLS record.
            Some(TlsFailure::NotTls) => {
                ": the server answered in plain text, not TLS; is it http:// on that port?"
            }
            None => "",
        };
        let message = format!("TLS handshake with {name} failed: {tls}{hint}");
        return match failure {
            Some(failure) => RelayError::tls(failure, message),
            None => RelayError::new(ErrorCode::Tls, message),
        };
    }
    if error.kind() == io::ErrorKind::UnexpectedEof {
        return RelayError::tls(
            TlsFailure::NotTls,
            format!(
                "{name} closed the connection during the TLS handshake: is it speaking TLS on that port?"
            ),
        );
    }
    RelayError::new(
        ErrorCode::Io,
        format!("TLS handshake with {name} failed: {error}"),
    )
}

/// What a rustls error says about the handshake, as the protocol's value;
/// `None` for the errors a learner's lesson does not name.
fn tls_failure(error: &rustls::Error) -> Option<TlsFailure> {
    use rustls::CertificateError as Cert;
    match error {
        rustls::Error::InvalidCertificate(Cert::UnknownIssuer) => Some(TlsFailure::UnknownIssuer),
        rustls::Error::InvalidCertificate(
            Cert::NotValidForName | Cert::NotValidForNameContext { .. },
        ) => Some(TlsFailure::WrongName),
        rustls::Error::InvalidCertificate(Cert::Expired | Cert::ExpiredContext { .. }) => {
            Some(TlsFailure::Expired)
        }
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
            Some(TlsFailure::NotTls)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_client_config_is_built_once_per_relay() {
        let lab = Lab::start().await.unwrap();
        let tls = ClientTls::default();
        let first = tls.connector(&lab).unwrap();
        let second = tls.connector(&lab).unwrap();
        // Built once: both come from the same configuration (a fresh build
        // makes a fresh crypto provider)...
        assert!(Arc::ptr_eq(
            first.config().crypto_provider(),
            second.config().crypto_provider()
        ));
        // ...and another relay builds its own.
        let other = ClientTls::default().connector(&lab).unwrap();
        assert!(!Arc::ptr_eq(
            first.config().crypto_provider(),
            other.config().crypto_provider()
        ));
        // Each exchange gets a configuration of its own to hold its
        // sessions, with the relay's ALPN.
        assert!(!Arc::ptr_eq(first.config(), second.config()));
        assert_eq!(second.config().alpn_protocols, [b"http/1.1".to_vec()]);
    }
}
