//! A module file's bytes to the text that is parsed, decoded as the source loader decodes it
//! (`importlib._bootstrap_external.decode_source`: `tokenize.detect_encoding`, then the codec).

use crate::core::source::{self, Declared};

/// The outcome of decoding without the interpreter.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// The text (a leading BOM dropped).
    Text(String),
    /// The file declares a codec only the interpreter's codec registry can decode; `body` is
    /// the bytes after any BOM.
    NeedsCodec { codec: String, body: Vec<u8> },
    /// The file cannot be decoded: the message `SyntaxError` would carry.
    Undecodable(String),
}

/// Decode `data` with the encoding it declares, when that is UTF-8, Latin-1 or ASCII.
pub fn decode(data: &[u8]) -> Decoded {
    let declared = match source::detect_encoding(data) {
        Ok(declared) => declared,
        Err(err) => return Decoded::Undecodable(err.message()),
    };
    let body = if declared.bom() { &data[3..] } else { data };
    let codec = match declared.codec() {
        Ok(codec) => codec.to_ascii_lowercase().replace('_', "-"),
        Err(err) => return Decoded::Undecodable(err.message()),
    };
    match codec.as_str() {
        "utf-8" | "utf8" => match std::str::from_utf8(body) {
            Ok(text) => Decoded::Text(text.to_owned()),
            Err(err) => Decoded::Undecodable(format!(
                "(unicode error) 'utf-8' codec can't decode byte 0x{:02x} in position {}: \
                 invalid {} byte",
                body[err.valid_up_to()],
                err.valid_up_to(),
                if err.error_len().is_some() {
                    "start"
                } else {
                    "continuation"
                },
            )),
        },
        "iso-8859-1" | "latin-1" | "latin1" => {
            Decoded::Text(body.iter().map(|b| char::from(*b)).collect())
        }
        "ascii" | "us-ascii" if body.is_ascii() => {
            Decoded::Text(String::from_utf8_lossy(body).into_owned())
        }
        _ => match declared {
            Declared::Cookie { name, .. } => Decoded::NeedsCodec {
                codec: name,
                body: body.to_vec(),
            },
            // Without a cookie the codec is UTF-8, decoded above.
            Declared::Default { .. } => {
                Decoded::Undecodable("invalid or missing encoding declaration".to_owned())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_bom_latin1_and_codecs() {
        assert_eq!(decode(b"import a\n"), Decoded::Text("import a\n".into()));
        assert_eq!(
            decode(b"\xef\xbb\xbfimport a\n"),
            Decoded::Text("import a\n".into())
        );
        assert_eq!(
            decode(b"# -*- coding: latin-1 -*-\nx = '\xe9'\n"),
            Decoded::Text("# -*- coding: latin-1 -*-\nx = '\u{e9}'\n".into())
        );
        assert!(matches!(
            decode(b"# coding: cp1252\nx = 1\n"),
            Decoded::NeedsCodec { codec, .. } if codec == "cp1252"
        ));
        assert!(matches!(decode(b"x = '\xff'\n"), Decoded::Undecodable(_)));
        assert!(matches!(
            decode(b"\xef\xbb\xbf# coding: latin-1\n"),
            Decoded::Undecodable(m) if m == "encoding problem: utf-8"
        ));
    }
}
