//! TLS settings read from a server URL, shared by the PostgreSQL and MySQL drivers.
//!
//! Both drivers speak TLS through rustls (with the `ring` provider and Mozilla's roots compiled in),
//! so the binary needs no OpenSSL and no system certificate store. The URL spells the settings the
//! way libpq (`sslmode`, `sslrootcert`) or MySQL clients (`ssl_mode`, `ssl_ca`, `ssl`) do; either
//! spelling works on either server.

use std::path::PathBuf;

use crate::url::DatabaseUrl;

/// How strictly a connection is encrypted and the server checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// A plain connection.
    Disable,
    /// TLS when the server offers it, plain otherwise; the certificate is not checked.
    Prefer,
    /// TLS or no connection; the certificate is not checked.
    Require,
    /// TLS, with a certificate chain that leads to a trusted root; any host name.
    VerifyCa,
    /// TLS, with a trusted chain and a certificate issued for the host connected to.
    VerifyFull,
}

impl TlsMode {
    fn parse(key: &str, value: &str) -> Result<TlsMode, String> {
        let mode = match (key, value.to_ascii_lowercase().as_str()) {
            ("sslmode", "disable") => TlsMode::Disable,
            ("sslmode", "allow" | "prefer") => TlsMode::Prefer,
            ("sslmode", "require") => TlsMode::Require,
            ("sslmode", "verify-ca") => TlsMode::VerifyCa,
            ("sslmode", "verify-full") => TlsMode::VerifyFull,
            ("ssl_mode", "disabled") => TlsMode::Disable,
            ("ssl_mode", "preferred") => TlsMode::Prefer,
            ("ssl_mode", "required") => TlsMode::Require,
            ("ssl_mode", "verify_ca") => TlsMode::VerifyCa,
            ("ssl_mode", "verify_identity") => TlsMode::VerifyFull,
            ("ssl", "true" | "1" | "yes" | "on") => TlsMode::Require,
            ("ssl", "false" | "0" | "no" | "off") => TlsMode::Disable,
            _ => {
                let expected = match key {
                    "sslmode" => "disable, allow, prefer, require, verify-ca or verify-full",
                    "ssl_mode" => "DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY",
                    _ => "true or false",
                };
                return Err(format!(
                    "{key}={value} is not a TLS mode: expected {expected}"
                ));
            }
        };
        Ok(mode)
    }
}

/// The TLS settings of one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    /// How strict the connection is.
    pub mode: TlsMode,
    /// PEM file of the roots to trust instead of the built-in ones.
    pub root_cert: Option<PathBuf>,
}

impl Tls {
    /// Reads the TLS options of `url`, or `default` when it sets none; the error names the option.
    pub fn from_url(url: &DatabaseUrl, default: TlsMode) -> Result<Tls, String> {
        let mut mode: Option<(&str, TlsMode)> = None;
        let mut root_cert = None;
        for (key, value) in &url.query {
            match key.as_str() {
                "sslmode" | "ssl_mode" | "ssl" => {
                    let this = TlsMode::parse(key, value)?;
                    if let Some((other, before)) = mode
                        && before != this
                    {
                        return Err(format!("{key}={value} contradicts {other} given before it"));
                    }
                    mode = Some((key, this));
                }
                "sslrootcert" | "ssl_ca" => root_cert = Some(PathBuf::from(value)),
                _ => {}
            }
        }
        // As libpq and the MySQL clients do: a root certificate given means it is checked.
        let mode = match (mode.map(|(_, m)| m), &root_cert) {
            (Some(TlsMode::Disable), _) => TlsMode::Disable,
            (Some(m @ (TlsMode::VerifyCa | TlsMode::VerifyFull)), _) => m,
            (_, Some(_)) => TlsMode::VerifyCa,
            (Some(m), None) => m,
            (None, None) => default,
        };
        Ok(Tls { mode, root_cert })
    }
}

/// A driver's connection failure with what to do about a certificate that was refused.
pub fn explain(message: String) -> String {
    let hint = if message.contains("UnknownIssuer") {
        "the server's certificate is not signed by a trusted root: name its CA with sslrootcert= \
         (or ssl_ca=), or encrypt without checking with sslmode=require (or ssl_mode=REQUIRED)"
    } else if message.contains("NotValidForName") {
        "the server's certificate is not issued for this host name: connect by a name it lists, \
         or check only the chain with sslmode=verify-ca (or ssl_mode=VERIFY_CA)"
    } else {
        return message;
    };
    format!("{message} ({hint})")
}

/// rustls client configurations for each mode (used by the PostgreSQL driver; the MySQL crate
/// builds its own from the same settings).
#[cfg(feature = "postgres")]
pub mod config {
    use std::sync::Arc;

    use rustls::client::WebPkiServerVerifier;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::WebPkiSupportedAlgorithms;
    use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore};
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

    use super::{Tls, TlsMode};

    /// The rustls configuration that enforces `tls`; the error names the root certificate file.
    pub fn client_config(tls: &Tls) -> Result<ClientConfig, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        match &tls.root_cert {
            Some(path) => {
                let certs = CertificateDer::pem_file_iter(path)
                    .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| format!("cannot read root certificate {}: {e}", path.display()))?;
                let (added, _) = roots.add_parsable_certificates(certs);
                if added == 0 {
                    return Err(format!("no usable certificate in {}", path.display()));
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        let algorithms = provider.signature_verification_algorithms;
        let webpki = || {
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots.clone()), provider.clone())
                .build()
                .map_err(|e| e.to_string())
        };
        let verifier: Arc<dyn ServerCertVerifier> = match tls.mode {
            TlsMode::Disable | TlsMode::Prefer | TlsMode::Require => {
                Arc::new(Unchecked { algorithms })
            }
            TlsMode::VerifyCa => Arc::new(AnyName { inner: webpki()? }),
            TlsMode::VerifyFull => webpki()?,
        };
        Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth())
    }

    /// Encrypts without checking the certificate (`sslmode=require`, as libpq does); the
    /// handshake signatures are still checked.
    #[derive(Debug)]
    struct Unchecked {
        algorithms: WebPkiSupportedAlgorithms,
    }

    impl ServerCertVerifier for Unchecked {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.algorithms.supported_schemes()
        }
    }

    /// Checks the chain but not the host name (`sslmode=verify-ca`).
    #[derive(Debug)]
    struct AnyName {
        inner: Arc<WebPkiServerVerifier>,
    }

    impl ServerCertVerifier for AnyName {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            match self
                .inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            {
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )) => Ok(ServerCertVerified::assertion()),
                other => other,
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.inner.verify_tls12_signature(message, cert, dss)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.inner.verify_tls13_signature(message, cert, dss)
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.inner.supported_verify_schemes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls(url: &str, default: TlsMode) -> Result<Tls, String> {
        Tls::from_url(&DatabaseUrl::parse(url).unwrap(), default)
    }

    #[test]
    fn default_applies_when_no_option_is_given() {
        let t = tls("postgresql://u@h/db", TlsMode::Prefer).unwrap();
        assert_eq!(t.mode, TlsMode::Prefer);
        assert_eq!(t.root_cert, None);
    }

    #[test]
    fn libpq_and_mysql_spellings_map_to_the_same_modes() {
        for (query, mode) in [
            ("sslmode=disable", TlsMode::Disable),
            ("sslmode=allow", TlsMode::Prefer),
            ("sslmode=require", TlsMode::Require),
            ("sslmode=verify-ca", TlsMode::VerifyCa),
            ("sslmode=verify-full", TlsMode::VerifyFull),
            ("ssl_mode=DISABLED", TlsMode::Disable),
            ("ssl_mode=preferred", TlsMode::Prefer),
            ("ssl_mode=REQUIRED", TlsMode::Require),
            ("ssl_mode=VERIFY_CA", TlsMode::VerifyCa),
            ("ssl_mode=VERIFY_IDENTITY", TlsMode::VerifyFull),
            ("ssl=true", TlsMode::Require),
            ("ssl=0", TlsMode::Disable),
        ] {
            let t = tls(&format!("mysql://u@h/db?{query}"), TlsMode::Disable).unwrap();
            assert_eq!(t.mode, mode, "{query}");
        }
    }

    #[test]
    fn a_root_certificate_turns_checking_on_unless_tls_is_off() {
        let t = tls("mysql://u@h/db?ssl_ca=/ca.pem", TlsMode::Disable).unwrap();
        assert_eq!(t.mode, TlsMode::VerifyCa);
        assert_eq!(
            t.root_cert.as_deref(),
            Some(std::path::Path::new("/ca.pem"))
        );
        let t = tls(
            "postgresql://u@h/db?sslmode=require&sslrootcert=/ca.pem",
            TlsMode::Prefer,
        );
        assert_eq!(t.unwrap().mode, TlsMode::VerifyCa);
        let t = tls(
            "postgresql://u@h/db?sslmode=verify-full&sslrootcert=/ca.pem",
            TlsMode::Prefer,
        );
        assert_eq!(t.unwrap().mode, TlsMode::VerifyFull);
        let t = tls(
            "postgresql://u@h/db?sslmode=disable&sslrootcert=/ca.pem",
            TlsMode::Prefer,
        );
        assert_eq!(t.unwrap().mode, TlsMode::Disable);
    }

    #[test]
    fn bad_values_and_contradictions_name_the_option() {
        let e = tls("postgresql://u@h/db?sslmode=strict", TlsMode::Prefer).unwrap_err();
        assert!(
            e.contains("sslmode=strict") && e.contains("verify-full"),
            "{e}"
        );
        let e = tls("mysql://u@h/db?ssl_mode=ON", TlsMode::Disable).unwrap_err();
        assert!(
            e.contains("ssl_mode=ON") && e.contains("VERIFY_IDENTITY"),
            "{e}"
        );
        let e = tls("mysql://u@h/db?ssl=true&sslmode=disable", TlsMode::Disable).unwrap_err();
        assert!(e.contains("sslmode=disable contradicts ssl"), "{e}");
    }

    #[test]
    fn refused_certificates_get_a_way_out() {
        let e = explain("invalid peer certificate: UnknownIssuer".into());
        assert!(
            e.contains("sslrootcert=") && e.contains("ssl_mode=REQUIRED"),
            "{e}"
        );
        let e = explain("invalid peer certificate: NotValidForName".into());
        assert!(e.contains("sslmode=verify-ca"), "{e}");
        assert_eq!(explain("connection refused".into()), "connection refused");
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn an_unreadable_root_certificate_is_named() {
        let t = tls(
            "postgresql://u@h/db?sslrootcert=/nonexistent/ca.pem",
            TlsMode::Prefer,
        )
        .unwrap();
        let e = config::client_config(&t).unwrap_err();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
    }
}
