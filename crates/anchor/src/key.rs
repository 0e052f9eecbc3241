//! The signing key: 32 random bytes (the Ed25519 seed) written as 64 hex digits in a file of
//! mode 0600, created on first use and refused if anyone but its owner can read it. Its public
//! half is written beside it (`FILE.pub`, 64 hex digits) for whoever verifies.

use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};

/// Why a key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot {action} the key file {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the signing key {path} can be read by others (mode {mode:04o}): a key others can read signs for them too; run chmod 600 {path}"
    )]
    Exposed { path: PathBuf, mode: u32 },
    #[error("the key file {path} is not a key: {reason}")]
    Malformed { path: PathBuf, reason: String },
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> KeyError {
    let path = path.to_owned();
    move |source| KeyError::Io {
        action,
        path,
        source,
    }
}

/// Where the public half of the key at `key` is written: `key` with `.pub` added.
pub fn public_key_path(key: &Path) -> PathBuf {
    let mut name = key.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

/// The key at `path`, created (with its directory) if there is none; its public half written
/// beside it. A key readable by group or others is refused.
pub fn load_or_create(path: &Path) -> Result<SigningKey, KeyError> {
    let key = if path.exists() {
        load(path)?
    } else {
        create(path)?
    };
    write_public(path, &key.verifying_key())?;
    Ok(key)
}

fn load(path: &Path) -> Result<SigningKey, KeyError> {
    refuse_exposed(path)?;
    let text = std::fs::read_to_string(path).map_err(io("read", path))?;
    let seed = parse_hex32(text.trim()).map_err(|reason| KeyError::Malformed {
        path: path.to_owned(),
        reason,
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

#[cfg(unix)]
fn refuse_exposed(path: &Path) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(io("read", path))?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::Exposed {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_exposed(_path: &Path) -> Result<(), KeyError> {
    Ok(())
}

fn create(path: &Path) -> Result<SigningKey, KeyError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io("create the directory of", path))?;
    }
    let key = SigningKey::generate(&mut rand_core::OsRng);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io("create", path))?;
    writeln!(file, "{}", hex(&key.to_bytes())).map_err(io("write", path))?;
    file.sync_all().map_err(io("write", path))?;
    Ok(key)
}

fn write_public(key_path: &Path, public: &VerifyingKey) -> Result<(), KeyError> {
    let path = public_key_path(key_path);
    let text = format!("{}\n", hex(public.as_bytes()));
    if std::fs::read_to_string(&path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    std::fs::write(&path, text).map_err(io("write", &path))
}

/// The public key in `path`: 64 hex digits (a `.pub` file written beside a key).
pub fn read_public_key(path: &Path) -> Result<VerifyingKey, KeyError> {
    let malformed = |reason: String| KeyError::Malformed {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(io("read", path))?;
    let bytes = parse_hex32(text.trim()).map_err(malformed)?;
    VerifyingKey::from_bytes(&bytes)
        .map_err(|e| malformed(format!("not an Ed25519 public key: {e}")))
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Exactly `N` bytes written as 2N hex digits.
pub(crate) fn parse_hex<const N: usize>(text: &str) -> Result<[u8; N], String> {
    if text.len() != 2 * N || !text.is_ascii() {
        return Err(format!(
            "expected {} hex digits, found {} characters",
            2 * N,
            text.chars().count()
        ));
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
            .map_err(|_| format!("{:?} is not hex", &text[2 * i..2 * i + 2]))?;
    }
    Ok(out)
}

fn parse_hex32(text: &str) -> Result<[u8; 32], String> {
    parse_hex::<32>(text)
}
