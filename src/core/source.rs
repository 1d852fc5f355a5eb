//! Source decoding for `get_source`: PEP 263 coding cookies, the UTF-8 BOM, universal newlines.
//!
//! Mirrors `importlib._bootstrap_external.decode_source`, which runs `tokenize.detect_encoding`
//! over the bytes, decodes them all with the encoding found, then feeds the text once through
//! `io.IncrementalNewlineDecoder(None, translate=True)`.

/// What the first two lines of a source file declare (`tokenize.detect_encoding`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Declared {
    /// No cookie: UTF-8, or `utf-8-sig` after a BOM.
    Default { bom: bool },
    /// A `coding[:=]` cookie, its name already normalised (`tokenize._get_normal_name`). The
    /// caller still looks the codec up (`SyntaxError('unknown encoding: …')`), then checks it
    /// against the BOM with [`Declared::codec`].
    Cookie { name: String, bom: bool },
}

/// Why `tokenize.detect_encoding` refuses a source; each is a `SyntaxError` with this message
/// (tokenize's `filename` is `None` for the `BytesIO` that `decode_source` reads from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodingError {
    /// A line searched for a cookie is not UTF-8.
    InvalidDeclaration,
    /// The codec of a cookie does not exist.
    UnknownEncoding(String),
    /// A BOM with a cookie that names anything but UTF-8.
    BomMismatch,
}

impl EncodingError {
    pub fn message(&self) -> String {
        match self {
            EncodingError::InvalidDeclaration => {
                "invalid or missing encoding declaration".to_owned()
            }
            EncodingError::UnknownEncoding(name) => format!("unknown encoding: {name}"),
            EncodingError::BomMismatch => "encoding problem: utf-8".to_owned(),
        }
    }
}

impl Declared {
    /// The codec `decode_source` decodes the file with, after dropping the BOM if there is one
    /// (CPython decodes with `utf-8-sig`, which drops it; `utf-8` on the rest is the same and
    /// takes the interpreter's built-in decoder, with no codec lookup). Call once the cookie's
    /// codec is known to exist.
    pub fn codec(&self) -> Result<&str, EncodingError> {
        match self {
            Declared::Default { .. } => Ok("utf-8"),
            Declared::Cookie { name, bom: false } => Ok(name),
            Declared::Cookie { name, bom: true } if name == "utf-8" => Ok("utf-8"),
            Declared::Cookie { bom: true, .. } => Err(EncodingError::BomMismatch),
        }
    }

    /// Whether the file starts with a UTF-8 BOM, which is not part of the text.
    pub fn bom(&self) -> bool {
        match self {
            Declared::Default { bom } | Declared::Cookie { bom, .. } => *bom,
        }
    }

    /// The cookie's codec, when it might not exist and so must be looked up. Names the
    /// interpreter decodes without the codec registry (UTF-8, Latin-1, ASCII) need no lookup:
    /// it would succeed, and only import an `encodings` submodule into the host.
    pub fn codec_to_look_up(&self) -> Option<&str> {
        match self {
            Declared::Cookie { name, .. } => {
                let lower = name.to_ascii_lowercase();
                let builtin = matches!(
                    lower.as_str(),
                    "utf-8" | "utf8" | "iso-8859-1" | "latin-1" | "latin1" | "ascii" | "us-ascii"
                );
                (!builtin).then_some(name.as_str())
            }
            Declared::Default { .. } => None,
        }
    }
}

const BOM: &[u8] = b"\xef\xbb\xbf";

/// Mirrors `tokenize.detect_encoding`: a UTF-8 BOM, then a cookie on the first line, or on the
/// second when the first is blank or a comment (`blank_re`). Lines end at `\n` only, as
/// `BytesIO.readline` splits them.
pub fn detect_encoding(source: &[u8]) -> Result<Declared, EncodingError> {
    let (body, bom) = match source.strip_prefix(BOM) {
        Some(rest) => (rest, true),
        None => (source, false),
    };
    let mut lines = body.split_inclusive(|b| *b == b'\n');
    let Some(first) = lines.next().filter(|l| !l.is_empty()) else {
        return Ok(Declared::Default { bom });
    };
    if let Some(name) = find_cookie(first)? {
        return Ok(Declared::Cookie { name, bom });
    }
    if !is_blank_or_comment(first) {
        return Ok(Declared::Default { bom });
    }
    let Some(second) = lines.next().filter(|l| !l.is_empty()) else {
        return Ok(Declared::Default { bom });
    };
    Ok(match find_cookie(second)? {
        Some(name) => Declared::Cookie { name, bom },
        None => Declared::Default { bom },
    })
}

/// `blank_re = rb'^[ \t\f]*(?:[#\r\n]|$)'`.
fn is_blank_or_comment(line: &[u8]) -> bool {
    match line.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\x0c')) {
        None => true,
        Some(b) => matches!(b, b'#' | b'\r' | b'\n'),
    }
}

/// Mirrors `detect_encoding.find_cookie` up to the codec lookup: the line must be UTF-8, and
/// `cookie_re` (`^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)`, ASCII) names the encoding.
fn find_cookie(line: &[u8]) -> Result<Option<String>, EncodingError> {
    let text = std::str::from_utf8(line).map_err(|_| EncodingError::InvalidDeclaration)?;
    Ok(cookie(text).map(normal_name))
}

/// The name matched by `cookie_re` on one line, if any.
fn cookie(line: &str) -> Option<&str> {
    let start = line.find(|c| !matches!(c, ' ' | '\t' | '\x0c'))?;
    let text = line[start..].strip_prefix('#')?;
    // `.` does not match a newline: the search stops at the first one.
    let text = &text[..text.find('\n').unwrap_or(text.len())];
    let mut search = 0;
    while let Some(found) = text[search..].find("coding") {
        let after = search + found + "coding".len();
        if let Some(rest) = text[after..].strip_prefix([':', '=']) {
            let rest = rest.trim_start_matches([' ', '\t']);
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                .unwrap_or(rest.len());
            if len > 0 {
                return Some(&rest[..len]);
            }
        }
        search = search + found + 1;
    }
    None
}

/// Mirrors `tokenize._get_normal_name`: spellings of UTF-8 and Latin-1 become `utf-8` and
/// `iso-8859-1`, judged on the first 12 characters; other names are kept as written.
pub fn normal_name(orig: &str) -> String {
    let enc: String = orig
        .chars()
        .take(12)
        .map(|c| {
            if c == '_' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    if enc == "utf-8" || enc.starts_with("utf-8-") {
        return "utf-8".to_owned();
    }
    if matches!(enc.as_str(), "latin-1" | "iso-8859-1" | "iso-latin-1")
        || ["latin-1-", "iso-8859-1-", "iso-latin-1-"]
            .iter()
            .any(|p| enc.starts_with(p))
    {
        return "iso-8859-1".to_owned();
    }
    orig.to_owned()
}

/// `io.IncrementalNewlineDecoder(None, translate=True).decode(text)`, called once without
/// `final=True` as `decode_source` does: a trailing `\r` is held back as possibly the start of
/// `\r\n` (so it is dropped), then `\r\n` and `\r` become `\n`.
pub fn universal_newlines(text: &str) -> String {
    let text = text.strip_suffix('\r').unwrap_or(text);
    if !text.contains('\r') {
        return text.to_owned();
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie_of(source: &[u8]) -> Result<Declared, EncodingError> {
        detect_encoding(source)
    }

    fn named(name: &str, bom: bool) -> Result<Declared, EncodingError> {
        Ok(Declared::Cookie {
            name: name.to_owned(),
            bom,
        })
    }

    #[test]
    fn cookies() {
        assert_eq!(cookie_of(b"x = 1\n"), Ok(Declared::Default { bom: false }));
        assert_eq!(cookie_of(b""), Ok(Declared::Default { bom: false }));
        assert_eq!(
            cookie_of(b"# -*- coding: latin-1 -*-\nx = 1\n"),
            named("iso-8859-1", false)
        );
        assert_eq!(
            cookie_of(b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\n"),
            named("cp1252", false)
        );
        assert_eq!(
            cookie_of(b"x = 1\n# coding: latin-1\n"),
            Ok(Declared::Default { bom: false })
        );
        assert_eq!(cookie_of(b"\n# coding: ascii\n"), named("ascii", false));
        assert_eq!(cookie_of(b"\x0c # coding=koi8-r\n"), named("koi8-r", false));
        assert_eq!(
            cookie_of(b"# coding:\n# coding: ascii\n"),
            named("ascii", false)
        );
        assert_eq!(
            cookie_of(b"# coding: bad coding=cp1252\n"),
            named("bad", false)
        );
        assert_eq!(
            cookie_of(b"# codingx coding: cp437\n"),
            named("cp437", false)
        );
        assert_eq!(
            cookie_of(b"x = 'coding: latin-1'\n"),
            Ok(Declared::Default { bom: false })
        );
        assert_eq!(
            cookie_of(b"\xef\xbb\xbfx = 1\n"),
            Ok(Declared::Default { bom: true })
        );
        assert_eq!(
            cookie_of(b"\xef\xbb\xbf"),
            Ok(Declared::Default { bom: true })
        );
        assert_eq!(
            cookie_of(b"\xef\xbb\xbf# coding: UTF_8\n"),
            named("utf-8", true)
        );
    }

    #[test]
    fn refusals() {
        assert_eq!(
            cookie_of(b"x = '\xff'\n"),
            Err(EncodingError::InvalidDeclaration)
        );
        assert_eq!(
            cookie_of(b"# coding: latin-1 \xff\n"),
            Err(EncodingError::InvalidDeclaration)
        );
        assert_eq!(
            cookie_of(b"\n\xff\n"),
            Err(EncodingError::InvalidDeclaration)
        );
        // Past the lines searched, bytes are the decoder's business.
        assert_eq!(
            cookie_of(b"x = 1\n\xff\n"),
            Ok(Declared::Default { bom: false })
        );
        assert_eq!(
            cookie_of(b"\n\n\xff\n"),
            Ok(Declared::Default { bom: false })
        );
        let bom_latin1 = cookie_of(b"\xef\xbb\xbf# coding: latin-1\n").unwrap();
        assert_eq!(bom_latin1.codec(), Err(EncodingError::BomMismatch));
        assert_eq!(
            EncodingError::BomMismatch.message(),
            "encoding problem: utf-8"
        );
        assert_eq!(
            EncodingError::UnknownEncoding("nope".to_owned()).message(),
            "unknown encoding: nope"
        );
    }

    #[test]
    fn codecs() {
        let bom = Declared::Default { bom: true };
        assert_eq!((bom.codec().unwrap(), bom.bom()), ("utf-8", true));
        let cookie = named("utf-8", true).unwrap();
        assert_eq!((cookie.codec().unwrap(), cookie.bom()), ("utf-8", true));
        assert_eq!(cookie.codec_to_look_up(), None);
        let cookie = named("cp1252", false).unwrap();
        assert_eq!(cookie.codec().unwrap(), "cp1252");
        assert_eq!(cookie.codec_to_look_up(), Some("cp1252"));
        assert_eq!(named("ASCII", false).unwrap().codec_to_look_up(), None);
        assert_eq!(Declared::Default { bom: false }.codec_to_look_up(), None);
    }

    #[test]
    fn normal_names() {
        assert_eq!(normal_name("UTF_8"), "utf-8");
        assert_eq!(normal_name("utf-8-unix"), "utf-8");
        assert_eq!(normal_name("utf8"), "utf8");
        assert_eq!(normal_name("Latin_1"), "iso-8859-1");
        assert_eq!(normal_name("ISO-8859-1-Windows-3.0-Latin-1"), "iso-8859-1");
        assert_eq!(normal_name("iso-latin-1-x"), "iso-8859-1");
        assert_eq!(normal_name("latin-10"), "latin-10");
        assert_eq!(normal_name("Cp1252"), "Cp1252");
    }

    #[test]
    fn newlines() {
        assert_eq!(universal_newlines("a\r\nb\rc\n"), "a\nb\nc\n");
        assert_eq!(universal_newlines("a\r\nb\r"), "a\nb");
        assert_eq!(universal_newlines("a\r\r"), "a\n");
        assert_eq!(universal_newlines("a\r\n"), "a\n");
        assert_eq!(universal_newlines("\r"), "");
    }
}
