//! Source decoding for `get_source`: PEP 263 coding cookies, the UTF-8 BOM, universal newlines.

/// The encoding a Python source file declares.
///
/// Mirrors `tokenize.detect_encoding` for the common cases: a UTF-8 BOM, or a `coding[:=]`
/// cookie in a comment on one of the first two lines (the second only if the first is blank or a
/// comment). Returns the encoding name as written, or `utf-8`; and whether a BOM must be skipped.
pub fn detect_encoding(source: &[u8]) -> (String, bool) {
    let (body, bom) = match source.strip_prefix(b"\xef\xbb\xbf") {
        Some(rest) => (rest, true),
        None => (source, false),
    };
    let mut lines = body.split_inclusive(|b| *b == b'\n');
    for index in 0..2 {
        let Some(line) = lines.next() else { break };
        if let Some(name) = cookie(line) {
            let name = if bom { "utf-8".to_owned() } else { name };
            return (name, bom);
        }
        let trimmed: Vec<u8> = line
            .iter()
            .copied()
            .skip_while(|b| matches!(b, b' ' | b'\t' | b'\x0c'))
            .collect();
        let blank_or_comment =
            trimmed.is_empty() || trimmed[0] == b'#' || trimmed[0] == b'\n' || trimmed[0] == b'\r';
        if index == 0 && !blank_or_comment {
            break;
        }
    }
    ("utf-8".to_owned(), bom)
}

/// The encoding named by a `# -*- coding: NAME -*-` comment on `line`, if any
/// (`^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)`).
fn cookie(line: &[u8]) -> Option<String> {
    let start = line
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\x0c'))?;
    if line[start] != b'#' {
        return None;
    }
    let text = &line[start..];
    let mut search = 0;
    while let Some(found) = find(&text[search..], b"coding") {
        let after = search + found + b"coding".len();
        if after < text.len() && (text[after] == b':' || text[after] == b'=') {
            let mut i = after + 1;
            while i < text.len() && (text[i] == b' ' || text[i] == b'\t') {
                i += 1;
            }
            let name_start = i;
            while i < text.len()
                && (text[i].is_ascii_alphanumeric() || matches!(text[i], b'-' | b'_' | b'.'))
            {
                i += 1;
            }
            if i > name_start {
                return Some(String::from_utf8_lossy(&text[name_start..i]).into_owned());
            }
        }
        search = search + found + 1;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Universal newlines: `\r\n` and `\r` become `\n` (`io.IncrementalNewlineDecoder`).
pub fn universal_newlines(text: &str) -> String {
    if !text.contains('\r') {
        return text.to_owned();
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies() {
        assert_eq!(detect_encoding(b"x = 1\n"), ("utf-8".to_owned(), false));
        assert_eq!(
            detect_encoding(b"# -*- coding: latin-1 -*-\nx = 1\n"),
            ("latin-1".to_owned(), false)
        );
        assert_eq!(
            detect_encoding(b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\n"),
            ("cp1252".to_owned(), false)
        );
        assert_eq!(
            detect_encoding(b"x = 1\n# coding: latin-1\n"),
            ("utf-8".to_owned(), false)
        );
        assert_eq!(
            detect_encoding(b"\xef\xbb\xbfx = 1\n"),
            ("utf-8".to_owned(), true)
        );
    }

    #[test]
    fn newlines() {
        assert_eq!(universal_newlines("a\r\nb\rc\n"), "a\nb\nc\n");
    }
}
