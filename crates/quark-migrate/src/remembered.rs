//! What a database remembers of each applied revision (its place in the graph, and the
//! downgrade the applying binary would run), and how a release vouches for it.
//!
//! A database writer can write these records too. So the build signs each revision's record,
//! per dialect, with the release's Ed25519 key (`QUARK_MIGRATE_SIGNING_KEY`), the binary writes
//! the signature beside the record, and a binary that reverts a revision it does not embed
//! runs the remembered SQL only when the signature verifies under a key it was built to trust.

use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use std::collections::HashMap;

use crate::revision::{Dialect, Direction, Revision, RevisionMap};

/// What the database remembers of an applied revision, written with its step: enough for a
/// binary that does not embed it to show it and to take it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionRecord {
    /// The revision id.
    pub revision: String,
    /// Its parents (`Revises:`).
    pub parents: Vec<String>,
    /// What it depends on (`Depends On:`).
    pub depends_on: Vec<String>,
    /// Its branch labels.
    pub branch_labels: Vec<String>,
    /// Its message.
    pub message: String,
    /// Why releases before it cannot run on its schema (`Breaking:`).
    pub breaking: Option<String>,
    /// The oldest revision a release must embed to keep running after it (`Compatible From:`).
    pub compatible_from: Option<String>,
    /// Whether its statements run in a transaction.
    pub transactional: bool,
    /// The statements that revert it on this database's dialect, as the applying binary would
    /// have run them; `None` when it cannot be reverted.
    pub downgrade: Option<String>,
    /// SHA-256 of `downgrade`.
    pub downgrade_checksum: Option<String>,
    /// Why there is no downgrade (irreversible, or written in Rust).
    pub no_downgrade: Option<String>,
    /// The release's signature of the record (`ed25519:<key id>:<signature>`), when it was
    /// built with a signing key.
    pub signature: Option<String>,
}

/// What the database remembers of `rev`, as applied on `dialect` (unsigned).
pub fn record_of(rev: &Revision, dialect: Dialect) -> RevisionRecord {
    let (downgrade, no_downgrade) = if rev.code.is_some() {
        let none = if rev.can_run(Direction::Downgrade, dialect) {
            "its downgrade is written in Rust, which only its own binary can run"
        } else {
            "it is irreversible"
        };
        (None, Some(none.to_string()))
    } else {
        match rev.statements(Direction::Downgrade, dialect) {
            Some(Ok(statements)) => {
                let script: Vec<&str> = statements.iter().map(|s| s.sql.as_str()).collect();
                (Some(script.join("\n;\n") + "\n;\n"), None)
            }
            _ if rev.is_merge() => (Some(String::new()), None),
            _ => (None, Some("it has no downgrade".to_string())),
        }
    };
    RevisionRecord {
        revision: rev.id.clone(),
        parents: rev.down_revisions.clone(),
        depends_on: rev.depends_on.clone(),
        branch_labels: rev.branch_labels.clone(),
        message: rev.message.clone(),
        breaking: rev.breaking.as_ref().map(|(reason, _)| reason.clone()),
        compatible_from: rev.compatible_from.as_ref().map(|(id, _)| id.clone()),
        transactional: rev.transactional,
        downgrade_checksum: downgrade.as_deref().map(crate::checksum::checksum),
        downgrade,
        no_downgrade,
        signature: None,
    }
}

/// The bytes a signature covers: every field of the record but its checksum and signature, and
/// the dialect, each length-prefixed so no two records read the same.
fn signed_bytes(record: &RevisionRecord, dialect: Dialect) -> Vec<u8> {
    let mut out = b"quark-migrate remembered revision v1\n".to_vec();
    let mut field = |name: &str, value: Option<&str>| {
        out.extend_from_slice(name.as_bytes());
        match value {
            Some(v) => {
                out.extend_from_slice(format!(" {}:", v.len()).as_bytes());
                out.extend_from_slice(v.as_bytes());
            }
            None => out.extend_from_slice(b" -"),
        }
        out.push(b'\n');
    };
    field("dialect", Some(dialect.name()));
    field("revision", Some(&record.revision));
    field("parents", Some(&record.parents.join(" ")));
    field("depends_on", Some(&record.depends_on.join(" ")));
    field("branch_labels", Some(&record.branch_labels.join(" ")));
    field("message", Some(&record.message));
    field("breaking", record.breaking.as_deref());
    // Only when set: a record without it signs as it did before the field existed.
    if let Some(from) = &record.compatible_from {
        field("compatible_from", Some(from));
    }
    field(
        "transactional",
        Some(if record.transactional { "1" } else { "0" }),
    );
    field("downgrade", record.downgrade.as_deref());
    field("no_downgrade", record.no_downgrade.as_deref());
    out
}

/// A key a release signs records with, read at build time.
#[derive(Clone)]
pub struct ReleaseKey(SigningKey);

impl std::fmt::Debug for ReleaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReleaseKey({})", key_id(&self.0.verifying_key()))
    }
}

/// Why a key file could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {why}")]
pub struct KeyFileError {
    /// The file.
    pub path: String,
    /// What is wrong with it.
    pub why: String,
}

/// The largest key file read (a PEM key is a few hundred bytes).
const KEY_FILE_LIMIT: u64 = 64 * 1024;

fn read_key_file(path: &std::path::Path) -> Result<String, KeyFileError> {
    use std::io::Read;
    let fail = |why: String| KeyFileError {
        path: path.display().to_string(),
        why,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if !meta.is_file() {
        return Err(fail("not a regular file".into()));
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .map_err(|e| fail(e.to_string()))?
        .take(KEY_FILE_LIMIT + 1)
        .read_to_string(&mut text)
        .map_err(|e| fail(e.to_string()))?;
    if text.len() as u64 > KEY_FILE_LIMIT {
        return Err(fail(format!("larger than {KEY_FILE_LIMIT} bytes")));
    }
    Ok(text)
}

impl ReleaseKey {
    /// The Ed25519 private key in the PKCS#8 PEM file at `path` (`openssl genpkey -algorithm
    /// ed25519 -out key.pem` writes one).
    pub fn from_pem_file(path: &std::path::Path) -> Result<ReleaseKey, KeyFileError> {
        let text = read_key_file(path)?;
        SigningKey::from_pkcs8_pem(&text)
            .map(ReleaseKey)
            .map_err(|e| KeyFileError {
                path: path.display().to_string(),
                why: format!("not an Ed25519 private key in PKCS#8 PEM ({e})"),
            })
    }

    /// The key of a 32-byte seed (tests, and keys kept elsewhere than in a file).
    pub fn from_seed(seed: [u8; 32]) -> ReleaseKey {
        ReleaseKey(SigningKey::from_bytes(&seed))
    }

    /// The public half, to be trusted.
    pub fn public(&self) -> TrustedKey {
        TrustedKey(self.0.verifying_key())
    }

    /// The signature of `record` as applied on `dialect`: `ed25519:<key id>:<hex>`.
    pub fn sign(&self, record: &RevisionRecord, dialect: Dialect) -> String {
        let signature = self.0.sign(&signed_bytes(record, dialect));
        format!(
            "ed25519:{}:{}",
            key_id(&self.0.verifying_key()),
            hex(&signature.to_bytes())
        )
    }
}

/// A public key a release trusts to vouch for remembered records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedKey(VerifyingKey);

impl TrustedKey {
    /// The Ed25519 public key in the SPKI PEM file at `path` (`openssl pkey -in key.pem
    /// -pubout` writes one).
    pub fn from_pem_file(path: &std::path::Path) -> Result<TrustedKey, KeyFileError> {
        let text = read_key_file(path)?;
        VerifyingKey::from_public_key_pem(&text)
            .map(TrustedKey)
            .map_err(|e| KeyFileError {
                path: path.display().to_string(),
                why: format!("not an Ed25519 public key in PEM ({e})"),
            })
    }

    /// The key as 64 hexadecimal digits, as a build embeds it.
    pub fn to_hex(&self) -> String {
        hex(self.0.as_bytes())
    }

    /// The key of 64 hexadecimal digits; `None` when they are not a key.
    pub fn from_hex(text: &str) -> Option<TrustedKey> {
        let bytes: [u8; 32] = unhex(text)?.try_into().ok()?;
        VerifyingKey::from_bytes(&bytes).ok().map(TrustedKey)
    }

    /// A short name for the key: the first 8 bytes of its SHA-256, in hex.
    pub fn id(&self) -> String {
        key_id(&self.0)
    }
}

fn key_id(key: &VerifyingKey) -> String {
    hex(&Sha256::digest(key.as_bytes())[..8])
}

/// Whether a record is vouched for, and by whom or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Vouched {
    /// Signed by this trusted key (its id).
    By(String),
    /// Not vouched for: why.
    Not(String),
}

impl Vouched {
    /// Whether a trusted key signed the record.
    pub fn is_vouched(&self) -> bool {
        matches!(self, Vouched::By(_))
    }
}

/// Whether `record`, as remembered on `dialect`, carries a valid signature of one of `trusted`.
pub fn vouch(record: &RevisionRecord, dialect: Dialect, trusted: &[TrustedKey]) -> Vouched {
    let Some(signature) = record.signature.as_deref() else {
        return Vouched::Not("it is not signed".into());
    };
    let mut parts = signature.splitn(3, ':');
    let (Some("ed25519"), Some(id), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Vouched::Not("its signature is not an ed25519 signature".into());
    };
    let Some(key) = trusted.iter().find(|k| k.id() == id) else {
        return Vouched::Not(format!(
            "it is signed by key {}, which this binary does not trust",
            printable(id)
        ));
    };
    let Some(bytes) = unhex(sig).and_then(|b| <[u8; 64]>::try_from(b).ok()) else {
        return Vouched::Not("its signature is malformed".into());
    };
    match key.0.verify(
        &signed_bytes(record, dialect),
        &Signature::from_bytes(&bytes),
    ) {
        Ok(()) => Vouched::By(key.id()),
        Err(_) => Vouched::Not(format!(
            "its signature by key {id} does not match it: it was changed after it was signed"
        )),
    }
}

/// What a release vouches with: the keys it trusts, its signatures of its own revisions'
/// records (from the build), and whether remembered SQL no trusted key signed may run anyway.
#[derive(Debug, Clone, Default)]
pub struct Vouching {
    trusted: Vec<TrustedKey>,
    signatures: HashMap<(String, Dialect), String>,
    trust_unvouched: bool,
}

impl Vouching {
    /// Trusting `keys`, with no signatures of its own yet.
    pub fn trusting(keys: Vec<TrustedKey>) -> Vouching {
        Vouching {
            trusted: keys,
            ..Vouching::default()
        }
    }

    /// Every revision of `map`, on each of `dialects`, signed with `key`, which is trusted:
    /// what the build computes for a release built with a signing key.
    pub fn signed(map: &RevisionMap, key: &ReleaseKey, dialects: &[Dialect]) -> Vouching {
        let mut vouching = Vouching::trusting(vec![key.public()]);
        for rev in map.iter() {
            for &dialect in dialects {
                let signature = key.sign(&record_of(rev, dialect), dialect);
                vouching
                    .signatures
                    .insert((rev.id.clone(), dialect), signature);
            }
        }
        vouching
    }

    /// Adds this release's `signature` of `revision`'s record on `dialect`.
    pub fn with_signature(mut self, revision: &str, dialect: Dialect, signature: &str) -> Vouching {
        self.signatures
            .insert((revision.to_string(), dialect), signature.to_string());
        self
    }

    /// Trusts `key` too.
    pub fn with_trusted(mut self, key: TrustedKey) -> Vouching {
        if !self.trusted.contains(&key) {
            self.trusted.push(key);
        }
        self
    }

    /// Lets remembered SQL that no trusted key signed run (the operator read it, with
    /// `downgrade --dry-run`, and vouches for it).
    pub fn trust_unvouched(mut self, trust: bool) -> Vouching {
        self.trust_unvouched = trust;
        self
    }

    /// Whether unvouched remembered SQL may run.
    pub fn trusts_unvouched(&self) -> bool {
        self.trust_unvouched
    }

    /// The keys trusted.
    pub fn trusted(&self) -> &[TrustedKey] {
        &self.trusted
    }

    /// The record of `rev` on `dialect`, signed where this release has its signature.
    pub fn record(&self, rev: &Revision, dialect: Dialect) -> RevisionRecord {
        let mut record = record_of(rev, dialect);
        record.signature = self.signatures.get(&(rev.id.clone(), dialect)).cloned();
        record
    }

    /// Whether `record` (remembered on `dialect`) is signed by a key this release trusts.
    pub fn vouch(&self, record: &RevisionRecord, dialect: Dialect) -> Vouched {
        vouch(record, dialect, &self.trusted)
    }
}

/// `text` cut to a short printable form for a message (it comes from the database).
fn printable(text: &str) -> String {
    text.chars()
        .take(32)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> RevisionRecord {
        RevisionRecord {
            revision: "b2".into(),
            parents: vec!["a1".into()],
            depends_on: vec![],
            branch_labels: vec![],
            message: "add b".into(),
            breaking: None,
            compatible_from: None,
            transactional: true,
            downgrade: Some("DROP TABLE b\n;\n".into()),
            downgrade_checksum: None,
            no_downgrade: None,
            signature: None,
        }
    }

    #[test]
    fn a_signed_record_is_vouched_for_and_any_change_undoes_it() {
        let key = ReleaseKey::from_seed([7; 32]);
        let other = ReleaseKey::from_seed([8; 32]);
        let trusted = [key.public()];
        let mut r = record();
        assert_eq!(
            vouch(&r, Dialect::Sqlite, &trusted),
            Vouched::Not("it is not signed".into())
        );
        r.signature = Some(key.sign(&r, Dialect::Sqlite));
        assert!(vouch(&r, Dialect::Sqlite, &trusted).is_vouched());
        assert!(
            !vouch(&r, Dialect::Postgresql, &trusted).is_vouched(),
            "signed per dialect"
        );
        assert!(!vouch(&r, Dialect::Sqlite, &[other.public()]).is_vouched());
        let changes: [&dyn Fn(&mut RevisionRecord); 6] = [
            &|r| r.downgrade = Some("COPY t TO PROGRAM 'id'\n;\n".into()),
            &|r| r.parents = vec!["x".into()],
            &|r| r.breaking = Some("gone".into()),
            &|r| r.transactional = false,
            &|r| r.message.push('!'),
            &|r| r.no_downgrade = Some("x".into()),
        ];
        for change in changes {
            let mut forged = r.clone();
            change(&mut forged);
            assert!(
                !vouch(&forged, Dialect::Sqlite, &trusted).is_vouched(),
                "{forged:?}"
            );
        }
        let mut forged = r.clone();
        forged.signature = Some(other.sign(&forged, Dialect::Sqlite));
        assert!(!vouch(&forged, Dialect::Sqlite, &trusted).is_vouched());
        for junk in [
            "",
            "ed25519",
            "ed25519:x:y",
            "rsa:a:b",
            "ed25519:\u{1b}[2J:00",
        ] {
            forged.signature = Some(junk.into());
            assert!(
                !vouch(&forged, Dialect::Sqlite, &trusted).is_vouched(),
                "{junk}"
            );
        }
    }

    #[test]
    fn keys_travel_as_hex() {
        let key = ReleaseKey::from_seed([9; 32]).public();
        assert_eq!(TrustedKey::from_hex(&key.to_hex()), Some(key));
        assert_eq!(TrustedKey::from_hex("zz"), None);
        assert_eq!(key.id().len(), 16);
    }
}
