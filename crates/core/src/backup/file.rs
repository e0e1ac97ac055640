//! The backup file: one JSON object holding the stored values, encrypted with a key
//! stretched from a passphrase (docs/PROTOCOL.md section 7).
//!
//! Argon2id makes each passphrase guess cost ~19 MiB of memory and two passes, so a stolen
//! file resists guessing far better than with a plain hash. XChaCha20-Poly1305 both hides
//! and authenticates the data; its 24-byte nonce is drawn at random without any risk of
//! reuse. The header (version, KDF parameters, salt, nonce) is the associated data, so no
//! parameter can be changed without the file failing to open.

use super::{Backup, BackupError, Entries, is_backed_up, summarize};
use crate::codec::BASE64;
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};

/// The file format version (`"peerchat-backup"`).
pub const FORMAT_VERSION: u64 = 1;
/// Argon2id memory written into new files, in KiB (19 MiB: OWASP's recommended minimum
/// for Argon2id, and still quick in a phone's browser).
pub const KDF_M_KIB: u32 = 19_456;
/// Argon2id passes written into new files.
pub const KDF_T: u32 = 2;
/// Argon2id lanes: 1, as the page derives on one thread.
pub const KDF_P: u32 = 1;
/// Least Argon2id memory accepted from a file (8 MiB): less would make guessing cheap, so
/// such a file was not made by Peerchat.
pub const MIN_KDF_M_KIB: u32 = 8 * 1024;
/// Most Argon2id memory accepted from a file (64 MiB): a hostile file must not make the
/// page allocate without bound.
pub const MAX_KDF_M_KIB: u32 = 64 * 1024;
/// Most Argon2id passes accepted from a file, for the same reason.
pub const MAX_KDF_T: u32 = 10;
/// Largest file accepted or made, in bytes. localStorage holds a few MiB, so a real
/// backup is far smaller.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;

const KDF_ALG: &str = "argon2id";
const AEAD_ALG: &str = "xchacha20poly1305";
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// The plaintext's own version (`"v"`).
const CONTENT_VERSION: u64 = 1;

/// The KDF parameters as written in the file. Numbers are read as `u64` so that an
/// out-of-range value is reported as unsupported, not as a malformed file.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
struct Kdf {
    alg: String,
    m: u64,
    t: u64,
    p: u64,
    salt: String,
}

/// Everything but the data, in file order: its JSON text is the associated data.
#[derive(Serialize)]
struct Header<'a> {
    #[serde(rename = "peerchat-backup")]
    version: u64,
    kdf: &'a Kdf,
    aead: &'a str,
    nonce: &'a str,
}

/// The whole file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileJson {
    #[serde(rename = "peerchat-backup")]
    version: u64,
    kdf: Kdf,
    aead: String,
    nonce: String,
    data: String,
}

/// Just enough to tell a backup (of some version) from any other file.
#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "peerchat-backup")]
    version: Option<serde_json::Value>,
}

/// The decrypted contents.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Contents {
    v: u64,
    made: u64,
    entries: Entries,
}

/// The associated data: the canonical JSON of the header, rebuilt from the parsed values
/// (so it does not depend on how the file's text was spaced, only on what it says).
fn header_text(kdf: &Kdf, nonce: &str) -> String {
    serde_json::to_string(&Header {
        version: FORMAT_VERSION,
        kdf,
        aead: AEAD_ALG,
        nonce,
    })
    .unwrap_or_default()
}

/// Argon2id(passphrase, salt, m KiB, t passes, p lanes) → 32-byte key.
fn derive(passphrase: &str, m: u32, t: u32, p: u32, salt: &[u8]) -> Result<[u8; 32], BackupError> {
    let params = Params::new(m, t, p, Some(32))
        .map_err(|e| BackupError::Unsupported(format!("key derivation: {e}")))?;
    let mut key = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .map_err(|e| BackupError::Unsupported(format!("key derivation: {e}")))?;
    Ok(key)
}

/// Seals `entries` into a backup file's text. Only keys [`is_backed_up`] accepts are
/// kept; what is kept must pass [`summarize`] (so a file that cannot be restored is never
/// made). `random` is 16 bytes of salt then 24 of nonce, from a CSPRNG: the same random
/// bytes must never seal two different files.
pub fn seal(
    entries: &Entries,
    passphrase: &str,
    random: [u8; 40],
    made_at_ms: u64,
) -> Result<String, BackupError> {
    if passphrase.is_empty() {
        return Err(BackupError::NoPassphrase);
    }
    let kept: Entries = crate::sorting::map(
        entries
            .iter()
            .filter(|(k, _)| is_backed_up(k))
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    summarize(&kept)?;
    let contents = Contents {
        v: CONTENT_VERSION,
        made: made_at_ms,
        entries: kept,
    };
    let plaintext = serde_json::to_vec(&contents)
        .map_err(|e| BackupError::Damaged(format!("it could not be written ({e})")))?;
    // Base64 makes the data 4/3 as long; the header adds a few hundred bytes.
    if (plaintext.len() + TAG_LEN) / 3 * 4 + 1024 > MAX_FILE_BYTES {
        return Err(BackupError::TooLarge);
    }
    let (salt, nonce) = random.split_at(SALT_LEN);
    let kdf = Kdf {
        alg: KDF_ALG.into(),
        m: KDF_M_KIB.into(),
        t: KDF_T.into(),
        p: KDF_P.into(),
        salt: BASE64.encode(salt),
    };
    let nonce_text = BASE64.encode(nonce);
    let aad = header_text(&kdf, &nonce_text);
    let key = derive(passphrase, KDF_M_KIB, KDF_T, KDF_P, salt)?;
    let data = XChaCha20Poly1305::new(&key.into())
        .encrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: &plaintext,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| BackupError::Damaged("it could not be encrypted".into()))?;
    serde_json::to_string(&FileJson {
        version: FORMAT_VERSION,
        kdf,
        aead: AEAD_ALG.into(),
        nonce: nonce_text,
        data: BASE64.encode(&data),
    })
    .map_err(|e| BackupError::Damaged(format!("it could not be written ({e})")))
}

/// A file parsed and checked up to the point where the key is needed.
#[derive(Debug)]
struct Parsed {
    m: u32,
    t: u32,
    p: u32,
    salt: Vec<u8>,
    nonce: Vec<u8>,
    aad: String,
    data: Vec<u8>,
}

/// Parses a file and checks every limit, before any costly work.
fn parse(file: &str) -> Result<Parsed, BackupError> {
    if file.len() > MAX_FILE_BYTES {
        return Err(BackupError::TooLarge);
    }
    let probe: Probe = serde_json::from_str(file).map_err(|_| BackupError::NotABackup)?;
    match probe.version {
        None => return Err(BackupError::NotABackup),
        Some(v) if v.as_u64() == Some(FORMAT_VERSION) => {}
        Some(v) => return Err(BackupError::Unsupported(format!("file version {v}"))),
    }
    let f: FileJson = serde_json::from_str(file)
        .map_err(|e| BackupError::Damaged(format!("its header is invalid ({e})")))?;
    if f.kdf.alg != KDF_ALG {
        return Err(BackupError::Unsupported(format!(
            "key derivation {:?}",
            f.kdf.alg
        )));
    }
    if f.aead != AEAD_ALG {
        return Err(BackupError::Unsupported(format!("encryption {:?}", f.aead)));
    }
    let in_range =
        |x: u64, lo: u32, hi: u32| u32::try_from(x).ok().filter(|x| (lo..=hi).contains(x));
    let (Some(m), Some(t), Some(p)) = (
        in_range(f.kdf.m, MIN_KDF_M_KIB, MAX_KDF_M_KIB),
        in_range(f.kdf.t, 1, MAX_KDF_T),
        in_range(f.kdf.p, KDF_P, KDF_P),
    ) else {
        return Err(BackupError::Unsupported(format!(
            "key derivation settings m={} t={} p={}",
            f.kdf.m, f.kdf.t, f.kdf.p
        )));
    };
    let bytes = |text: &str, len: Option<usize>, what: &str| {
        BASE64
            .decode(text.as_bytes())
            .ok()
            .filter(|b| len.is_none_or(|n| b.len() == n))
            .ok_or_else(|| BackupError::Damaged(format!("its {what} is invalid")))
    };
    let salt = bytes(&f.kdf.salt, Some(SALT_LEN), "salt")?;
    let nonce = bytes(&f.nonce, Some(NONCE_LEN), "nonce")?;
    let data = bytes(&f.data, None, "data")?;
    if data.len() < TAG_LEN {
        return Err(BackupError::Damaged("its data is cut short".into()));
    }
    Ok(Parsed {
        m,
        t,
        p,
        aad: header_text(&f.kdf, &f.nonce),
        salt,
        nonce,
        data,
    })
}

/// Decrypts a parsed file with its key and checks what it holds.
fn decrypt(parsed: &Parsed, key: &[u8; 32]) -> Result<Backup, BackupError> {
    let plaintext = XChaCha20Poly1305::new(key.into())
        .decrypt(
            XNonce::from_slice(&parsed.nonce),
            Payload {
                msg: &parsed.data,
                aad: parsed.aad.as_bytes(),
            },
        )
        .map_err(|_| BackupError::WrongPassphraseOrDamaged)?;
    // Authentic from here on, but still only as trustworthy as whoever knew the
    // passphrase: every limit is checked again.
    let contents: Contents = serde_json::from_slice(&plaintext)
        .map_err(|e| BackupError::Damaged(format!("its contents are invalid ({e})")))?;
    if contents.v != CONTENT_VERSION {
        return Err(BackupError::Unsupported(format!(
            "contents version {}",
            contents.v
        )));
    }
    let entries: Entries = crate::sorting::map(
        contents
            .entries
            .into_iter()
            .filter(|(k, _)| is_backed_up(k) || !k.starts_with(crate::storage::NAMESPACE)),
    );
    let summary = summarize(&entries)?;
    Ok(Backup {
        made_at: contents.made,
        entries,
        summary,
    })
}

/// Opens a backup file with its passphrase. Every limit is checked before the key is
/// derived; nothing is returned unless the whole file is authentic and its contents pass
/// [`summarize`]. A tab lease or damaged value inside is dropped (never restored).
pub fn open(file: &str, passphrase: &str) -> Result<Backup, BackupError> {
    let parsed = parse(file)?;
    let key = derive(passphrase, parsed.m, parsed.t, parsed.p, &parsed.salt)?;
    decrypt(&parsed, &key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::tests::identity_entry;
    use crate::storage::{self, Profile, Record};

    const PASSPHRASE: &str = "correct horse battery staple";

    /// The documented vector's inputs: identity 32 × 0x01 (token from 24 × 0x01), the
    /// profile "Ann", random bytes 0, 1, ..., 39, made at 1,700,000,000,000 ms.
    fn vector_entries() -> Entries {
        let mut entries = Entries::from([identity_entry(1)]);
        entries.insert(
            Profile::KEY.into(),
            storage::encode(&Profile::new(
                crate::name::DisplayName::parse("Ann").unwrap(),
            )),
        );
        entries
    }

    fn vector_random() -> [u8; 40] {
        std::array::from_fn(|i| i as u8)
    }

    /// The file of docs/PROTOCOL.md section 7.4 (checked there against an independent
    /// implementation of Argon2id and XChaCha20-Poly1305).
    const VECTOR: &str = concat!(
        r#"{"peerchat-backup":1,"kdf":{"alg":"argon2id","m":19456,"t":2,"p":1,"#,
        r#""salt":"AAECAwQFBgcICQoLDA0ODw=="},"aead":"xchacha20poly1305","#,
        r#""nonce":"EBESExQVFhcYGRobHB0eHyAhIiMkJSYn","data":""#,
        "jhfLMcNfIjoOmfFKt2f4LyZnqQHaR4ZdUhqvvPR3Gp/RW18r8T/yzyeSMvi10jNlZk0hCZ9VLtsLoqBS",
        "IT6Ac188yH8sT1haC2nAVBOM4SAS/B6iU8KzVtzTgUR5EmdEMnd9+RAYn9fXOjdXNLE4lktmSnl8YSd2",
        "TbTpqI9N1//K+tyWffkKJb/65ApgAUHYPyLSeQ1QlZr2OPvfVXVotM2bg7i2QWnS+bKk/8bNaoCsaD9a",
        "2A6h+/Vnbk2hZOdKvgVvKZX/8jL4kuk42iBwsA4jxdHbH9Bukte5T4ltHrt1vjAMCOs+uSaJmny+tERl",
        "hA==",
        r#""}"#,
    );

    #[test]
    fn documented_vector() {
        let entries = vector_entries();
        let file = seal(&entries, PASSPHRASE, vector_random(), 1_700_000_000_000).unwrap();
        assert_eq!(file, VECTOR);
        let protocol = include_str!("../../../../docs/PROTOCOL.md");
        assert!(
            protocol.contains(VECTOR),
            "docs/PROTOCOL.md shows another file"
        );
        let backup = open(VECTOR, PASSPHRASE).unwrap();
        assert_eq!(backup.entries, entries);
        assert_eq!(backup.made_at, 1_700_000_000_000);
        assert_eq!(backup.summary.name.as_deref(), Some("Ann"));
    }

    #[test]
    fn round_trip_keeps_only_what_belongs_in_a_backup() {
        let mut entries = vector_entries();
        entries.insert(storage::LEASE_KEY.into(), r#"{"tab":"x","until":1}"#.into());
        entries.insert("peerchat/v1/damaged/profile/5".into(), "junk".into());
        entries.insert("another-app".into(), "theirs".into());
        entries.insert("peerchat/v1/future".into(), "ünïcode ✓".into());
        let file = seal(&entries, "pässphrase", [9; 40], 5).unwrap();
        let backup = open(&file, "pässphrase").unwrap();
        let mut want = vector_entries();
        want.insert("peerchat/v1/future".into(), "ünïcode ✓".into());
        assert_eq!(backup.entries, want);
        assert_eq!(backup.made_at, 5);
        assert_eq!(
            open(&file, "passphrase"),
            Err(BackupError::WrongPassphraseOrDamaged)
        );
        assert_eq!(open(&file, ""), Err(BackupError::WrongPassphraseOrDamaged));
        // One changed byte of the data, or a parameter of the header: nothing comes back.
        let data_at = file.find(r#""data":""#).unwrap() + 10;
        let mut changed = file.clone().into_bytes();
        changed[data_at] = if changed[data_at] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(changed).unwrap();
        assert_eq!(
            open(&changed, "pässphrase"),
            Err(BackupError::WrongPassphraseOrDamaged)
        );
        let changed = file.replace(r#""t":2"#, r#""t":3"#);
        assert_eq!(
            open(&changed, "pässphrase"),
            Err(BackupError::WrongPassphraseOrDamaged)
        );
    }

    #[test]
    fn nothing_is_sealed_without_a_passphrase_or_an_identity() {
        assert_eq!(
            seal(&vector_entries(), "", [0; 40], 0),
            Err(BackupError::NoPassphrase)
        );
        let mut entries = vector_entries();
        entries.remove(storage::IDENTITY_KEY);
        assert_eq!(
            seal(&entries, "x", [0; 40], 0),
            Err(BackupError::NoIdentity)
        );
    }

    /// Every single-byte change anywhere in the file is refused; nothing is returned. The
    /// key is derived once for all changes that leave the KDF inputs as they were.
    #[test]
    fn any_changed_byte_is_refused() {
        let file = seal(&vector_entries(), PASSPHRASE, vector_random(), 1).unwrap();
        let good = parse(&file).unwrap();
        let good_key = derive(PASSPHRASE, good.m, good.t, good.p, &good.salt).unwrap();
        let mut derivations = 0;
        for i in 0..file.len() {
            for flip in [0x01u8, 0x20] {
                let mut bytes = file.clone().into_bytes();
                bytes[i] ^= flip;
                let Ok(text) = String::from_utf8(bytes) else {
                    continue;
                };
                let result = parse(&text).and_then(|p| {
                    if (p.m, p.t, p.p, &p.salt) == (good.m, good.t, good.p, &good.salt) {
                        decrypt(&p, &good_key)
                    } else {
                        derivations += 1;
                        let key = derive(PASSPHRASE, p.m, p.t, p.p, &p.salt)?;
                        decrypt(&p, &key)
                    }
                });
                assert!(result.is_err(), "byte {i} ^ {flip:#x}: {text}");
            }
        }
        assert!(derivations < 100, "{derivations}");
    }

    #[test]
    fn hostile_files_never_panic_and_are_refused_before_the_kdf() {
        let file = seal(&vector_entries(), PASSPHRASE, vector_random(), 1).unwrap();
        // Every truncation: refused by the parser (no key derived).
        for n in 0..file.len() {
            assert!(parse(&file[..n]).is_err(), "{n}");
        }
        let header = |kdf: &str, nonce: &str, data: &str| {
            format!(
                r#"{{"peerchat-backup":1,"kdf":{kdf},"aead":"xchacha20poly1305","nonce":"{nonce}","data":"{data}"}}"#
            )
        };
        let salt = BASE64.encode(&[0; 16]);
        let nonce = BASE64.encode(&[0; 24]);
        let data = BASE64.encode(&[0; 40]);
        let kdf = |m: &str, t: &str, p: &str, salt: &str| {
            format!(r#"{{"alg":"argon2id","m":{m},"t":{t},"p":{p},"salt":"{salt}"}}"#)
        };
        let unsupported = [
            header(&kdf("4294967296000", "2", "1", &salt), &nonce, &data),
            header(&kdf("65537", "2", "1", &salt), &nonce, &data),
            header(&kdf("8191", "2", "1", &salt), &nonce, &data),
            header(&kdf("19456", "0", "1", &salt), &nonce, &data),
            header(&kdf("19456", "11", "1", &salt), &nonce, &data),
            header(&kdf("19456", "2", "4", &salt), &nonce, &data),
            header(&kdf("19456", "2", "0", &salt), &nonce, &data),
            header(
                &r#"{"alg":"scrypt","m":19456,"t":2,"p":1,"salt":"AAAA"}"#.replace("AAAA", &salt),
                &nonce,
                &data,
            ),
            header(&kdf("19456", "2", "1", &salt), &nonce, &data)
                .replace("xchacha20poly1305", "aes-gcm"),
            r#"{"peerchat-backup":2}"#.to_string(),
            r#"{"peerchat-backup":"1"}"#.to_string(),
        ];
        for f in &unsupported {
            assert!(
                matches!(parse(f), Err(BackupError::Unsupported(_))),
                "{f}: {:?}",
                parse(f)
            );
        }
        let damaged = [
            header(
                &kdf("19456", "2", "1", &BASE64.encode(&[0; 15])),
                &nonce,
                &data,
            ),
            header(&kdf("19456", "2", "1", "!!"), &nonce, &data),
            header(
                &kdf("19456", "2", "1", &salt),
                &BASE64.encode(&[0; 12]),
                &data,
            ),
            header(
                &kdf("19456", "2", "1", &salt),
                &nonce,
                &BASE64.encode(&[0; 15]),
            ),
            header(&kdf("19456", "2", "1", &salt), &nonce, "not base64"),
            header(&kdf("19456", "-1", "1", &salt), &nonce, &data),
            header(&kdf("19456", "2.5", "1", &salt), &nonce, &data),
            header(&kdf("19456", "2", "1", &salt), &nonce, &data).replace("}", r#","x":1}"#),
            r#"{"peerchat-backup":1}"#.to_string(),
            r#"{"peerchat-backup":1,"kdf":[]}"#.to_string(),
        ];
        for f in &damaged {
            assert!(matches!(parse(f), Err(BackupError::Damaged(_))), "{f}");
        }
        let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        for f in [
            "",
            "null",
            "[]",
            "42",
            "\"x\"",
            "{}",
            "{\"a\":1}",
            "\u{0}",
            &nested,
        ] {
            assert_eq!(parse(f).err(), Some(BackupError::NotABackup), "{f:?}");
        }
        let huge = format!(
            "{}{}",
            header(&kdf("19456", "2", "1", &salt), &nonce, &data),
            " ".repeat(MAX_FILE_BYTES)
        );
        assert_eq!(parse(&huge).err(), Some(BackupError::TooLarge));
        assert_eq!(open(&huge, "x").err(), Some(BackupError::TooLarge));
    }

    /// Contents that are authentic but invalid (a file sealed by something else with the
    /// right passphrase) are still refused.
    #[test]
    fn authentic_but_invalid_contents_are_refused() {
        let seal_raw = |plaintext: &str| {
            let kdf = Kdf {
                alg: KDF_ALG.into(),
                m: KDF_M_KIB.into(),
                t: KDF_T.into(),
                p: KDF_P.into(),
                salt: BASE64.encode(&[1; 16]),
            };
            let nonce = BASE64.encode(&[2; 24]);
            let key = derive("pw", KDF_M_KIB, KDF_T, KDF_P, &[1; 16]).unwrap();
            let data = XChaCha20Poly1305::new(&key.into())
                .encrypt(
                    XNonce::from_slice(&[2; 24]),
                    Payload {
                        msg: plaintext.as_bytes(),
                        aad: header_text(&kdf, &nonce).as_bytes(),
                    },
                )
                .unwrap();
            let file = serde_json::to_string(&FileJson {
                version: 1,
                kdf,
                aead: AEAD_ALG.into(),
                nonce,
                data: BASE64.encode(&data),
            })
            .unwrap();
            let parsed = parse(&file).unwrap();
            decrypt(&parsed, &key)
        };
        let (k, v) = identity_entry(1);
        let id = serde_json::to_string(&v).unwrap();
        assert!(seal_raw(&format!(r#"{{"v":1,"made":3,"entries":{{"{k}":{id}}}}}"#)).is_ok());
        assert!(matches!(
            seal_raw(r#"{"v":2,"made":3,"entries":{}}"#),
            Err(BackupError::Unsupported(_))
        ));
        assert!(matches!(seal_raw("not json"), Err(BackupError::Damaged(_))));
        assert!(matches!(
            seal_raw(r#"{"v":1,"made":3,"entries":{"peerchat/v1/identity":7}}"#),
            Err(BackupError::Damaged(_))
        ));
        assert_eq!(
            seal_raw(r#"{"v":1,"made":3,"entries":{}}"#),
            Err(BackupError::NoIdentity)
        );
        assert!(matches!(
            seal_raw(&format!(
                r#"{{"v":1,"made":3,"entries":{{"{k}":{id},"elsewhere":"x"}}}}"#
            )),
            Err(BackupError::Damaged(_))
        ));
    }

    /// Rough cost of one derivation with the documented parameters (dependencies are
    /// optimised even in test builds). Run with `--nocapture` to see it.
    #[test]
    fn derivation_time() {
        let start = std::time::Instant::now();
        derive(PASSPHRASE, KDF_M_KIB, KDF_T, KDF_P, &[0; 16]).unwrap();
        println!("argon2id m={KDF_M_KIB} t={KDF_T}: {:?}", start.elapsed());
    }
}
