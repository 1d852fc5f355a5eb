//! The pyc header (PEP 3147, PEP 488, PEP 552): classify, validate and build.

/// The length of a pyc header: magic, flags and two 32-bit words.
pub const HEADER_LEN: usize = 16;

const FLAG_HASH_BASED: u32 = 0b01;
const FLAG_CHECK_SOURCE: u32 = 0b10;

/// How a pyc is validated against its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PycKind {
    /// Validated by the source's mtime and size.
    Timestamp { mtime: u32, size: u32 },
    /// Validated by a hash of the source (`_imp.source_hash`).
    Hash { check_source: bool, hash: [u8; 8] },
}

/// Why a pyc header was refused; each one makes the loader recompile from source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PycError {
    /// `ImportError(f'bad magic number in {name!r}: {magic!r}')`.
    BadMagic(Vec<u8>),
    /// `EOFError(f'reached EOF while reading pyc header of {name!r}')`.
    Truncated,
    /// `ImportError(f'invalid flags {flags!r} in {name!r}')`.
    InvalidFlags(u32),
    /// `ImportError(f'bytecode is stale for {name!r}')`.
    Stale,
    /// `ImportError(f'hash in bytecode doesn't match hash of source {name!r}')`.
    HashMismatch,
}

impl PycError {
    /// The message CPython's `_classify_pyc` / `_validate_*_pyc` give for a module whose
    /// `repr()` is `quoted`.
    pub fn message(&self, quoted: &str) -> String {
        match self {
            PycError::BadMagic(magic) => {
                format!("bad magic number in {quoted}: {}", python_repr_bytes(magic))
            }
            PycError::Truncated => format!("reached EOF while reading pyc header of {quoted}"),
            PycError::InvalidFlags(flags) => format!("invalid flags {flags} in {quoted}"),
            PycError::Stale => format!("bytecode is stale for {quoted}"),
            PycError::HashMismatch => {
                format!("hash in bytecode doesn't match hash of source {quoted}")
            }
        }
    }

    /// True for the errors CPython raises as `EOFError` rather than `ImportError`.
    pub fn is_eof(&self) -> bool {
        matches!(self, PycError::Truncated)
    }
}

fn word(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

/// Mirrors `_bootstrap_external._classify_pyc`: check the magic and flags, and say how the pyc
/// is validated.
pub fn classify(data: &[u8], magic: &[u8]) -> Result<PycKind, PycError> {
    // CPython compares `data[:4]` first, so a file shorter than the magic is a bad magic.
    let got = &data[..data.len().min(4)];
    if got != magic {
        return Err(PycError::BadMagic(got.to_vec()));
    }
    if data.len() < HEADER_LEN {
        return Err(PycError::Truncated);
    }
    let flags = word(data, 4);
    if flags & !(FLAG_HASH_BASED | FLAG_CHECK_SOURCE) != 0 {
        return Err(PycError::InvalidFlags(flags));
    }
    if flags & FLAG_HASH_BASED != 0 {
        let mut hash = [0u8; 8];
        hash.copy_from_slice(&data[8..16]);
        Ok(PycKind::Hash {
            check_source: flags & FLAG_CHECK_SOURCE != 0,
            hash,
        })
    } else {
        Ok(PycKind::Timestamp {
            mtime: word(data, 8),
            size: word(data, 12),
        })
    }
}

/// Mirrors `_bootstrap_external._validate_timestamp_pyc`.
pub fn validate_timestamp(
    kind: PycKind,
    source_mtime: i64,
    source_size: u64,
) -> Result<(), PycError> {
    match kind {
        PycKind::Timestamp { mtime, size } => {
            if mtime != (source_mtime as u64 & 0xFFFF_FFFF) as u32 {
                return Err(PycError::Stale);
            }
            if size != (source_size & 0xFFFF_FFFF) as u32 {
                return Err(PycError::Stale);
            }
            Ok(())
        }
        PycKind::Hash { .. } => Ok(()),
    }
}

/// Mirrors `_bootstrap_external._validate_hash_pyc`.
pub fn validate_hash(kind: PycKind, source_hash: &[u8]) -> Result<(), PycError> {
    match kind {
        PycKind::Hash { hash, .. } if hash[..] != *source_hash => Err(PycError::HashMismatch),
        _ => Ok(()),
    }
}

/// Mirrors `_code_to_timestamp_pyc`'s header.
pub fn timestamp_header(magic: &[u8], mtime: i64, size: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.extend_from_slice(magic);
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&((mtime as u64 & 0xFFFF_FFFF) as u32).to_le_bytes());
    out.extend_from_slice(&((size & 0xFFFF_FFFF) as u32).to_le_bytes());
    out
}

/// Mirrors `_code_to_hash_pyc`'s header.
pub fn hash_header(magic: &[u8], source_hash: &[u8], check_source: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.extend_from_slice(magic);
    let flags = FLAG_HASH_BASED | if check_source { FLAG_CHECK_SOURCE } else { 0 };
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(source_hash);
    out
}

/// `repr()` of a str as Python prints it, exact for ASCII text. Other characters are kept as
/// they are, where Python escapes those it does not count as printable; the pyo3 edge
/// (`errors::repr_str`) sends such text to Python's own `repr`.
pub fn python_repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// `repr()` of a bytes object as Python prints it.
pub fn python_repr_bytes(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from("b");
    out.push(quote);
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            c if c as char == quote => {
                out.push('\\');
                out.push(c as char);
            }
            0x20..=0x7e => out.push(c as char),
            c => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: [u8; 4] = [0xa7, 0x0d, 0x0d, 0x0a];

    #[test]
    fn round_trip_timestamp() {
        let header = timestamp_header(&MAGIC, 1_700_000_000, 1234);
        let kind = classify(&header, &MAGIC).unwrap();
        assert_eq!(
            kind,
            PycKind::Timestamp {
                mtime: 1_700_000_000,
                size: 1234
            }
        );
        assert!(validate_timestamp(kind, 1_700_000_000, 1234).is_ok());
        assert_eq!(
            validate_timestamp(kind, 1_700_000_001, 1234),
            Err(PycError::Stale)
        );
        assert_eq!(
            validate_timestamp(kind, 1_700_000_000, 1),
            Err(PycError::Stale)
        );
    }

    #[test]
    fn large_values_wrap_to_32_bits() {
        let header = timestamp_header(&MAGIC, (1i64 << 32) + 5, (1u64 << 32) + 7);
        let kind = classify(&header, &MAGIC).unwrap();
        assert!(validate_timestamp(kind, (1i64 << 32) + 5, (1u64 << 32) + 7).is_ok());
    }

    #[test]
    fn round_trip_hash() {
        let header = hash_header(&MAGIC, &[1, 2, 3, 4, 5, 6, 7, 8], true);
        let kind = classify(&header, &MAGIC).unwrap();
        assert_eq!(
            kind,
            PycKind::Hash {
                check_source: true,
                hash: [1, 2, 3, 4, 5, 6, 7, 8]
            }
        );
        assert!(validate_hash(kind, &[1, 2, 3, 4, 5, 6, 7, 8]).is_ok());
        assert_eq!(validate_hash(kind, &[0; 8]), Err(PycError::HashMismatch));
    }

    #[test]
    fn refusals() {
        assert_eq!(
            classify(b"abcd\0\0\0\0", &MAGIC),
            Err(PycError::BadMagic(b"abcd".to_vec()))
        );
        assert_eq!(classify(&MAGIC, &MAGIC), Err(PycError::Truncated));
        let mut header = timestamp_header(&MAGIC, 0, 0);
        header[4] = 0b100;
        assert_eq!(classify(&header, &MAGIC), Err(PycError::InvalidFlags(4)));
    }

    #[test]
    fn messages_match_cpython() {
        assert_eq!(
            PycError::BadMagic(b"abcd".to_vec()).message("'m'"),
            "bad magic number in 'm': b'abcd'"
        );
        assert_eq!(PycError::Stale.message("'m'"), "bytecode is stale for 'm'");
        assert_eq!(
            PycError::InvalidFlags(4).message("'m'"),
            "invalid flags 4 in 'm'"
        );
        assert_eq!(
            python_repr_bytes(&[0xa7, 0x0d, 0x0d, 0x0a]),
            "b'\\xa7\\r\\r\\n'"
        );
    }
}
