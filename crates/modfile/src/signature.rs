//! The appended module signature (`~Module signature appended~`): the
//! trailer kmod reads, and for PKCS#7 the fields kmod built with OpenSSL
//! reports (issuer CN, serial, digest algorithm, signature bytes) — or
//! nothing, where OpenSSL refuses the blob (see [`crate::pkcs7`]).

const MAGIC: &[u8] = b"~Module signature appended~\n";
/// `struct module_signature`: algo, hash, id_type, signer_len, key_id_len,
/// 3 bytes of padding, then a big-endian u32 signature length.
const TRAILER_LEN: usize = 12;

const HASH_NAMES: [&str; 9] = [
    "md4", "md5", "sha1", "rmd160", "sha256", "sha384", "sha512", "sha224", "sm3",
];
const ID_TYPES: [&str; 3] = ["PGP", "X509", "PKCS#7"];
const ID_PKCS7: u8 = 2;
const ALGO_COUNT: u8 = 2;

/// A byte string that is either borrowed from the module or computed.
pub type Bytes<'a> = std::borrow::Cow<'a, [u8]>;

/// What kmod reports of a module signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature<'a> {
    /// "PGP", "X509" or "PKCS#7".
    pub id_type: &'static str,
    /// The signer's name (for PKCS#7: the issuer's common name).
    pub signer: Bytes<'a>,
    /// The key identifier (for PKCS#7: the issuer serial number's magnitude).
    pub key_id: Bytes<'a>,
    /// Digest algorithm name as kmod prints it ("sha256", …).
    pub hash_algo: &'static str,
    /// The signature bytes.
    pub signature: Bytes<'a>,
}

impl Signature<'_> {
    /// The bytes at the end of a file that say how much of it a
    /// signature takes: the trailer and the magic string.
    pub const TRAILER_END: usize = TRAILER_LEN + MAGIC.len();

    /// From the last [`TRAILER_END`](Self::TRAILER_END) bytes of a file:
    /// how many bytes at its end [`parse`](Self::parse) reads, or `None`
    /// when there is no signature trailer.
    pub fn needed(end: &[u8]) -> Option<u64> {
        let t = end.strip_suffix(MAGIC)?;
        let t = t.get(t.len().checked_sub(TRAILER_LEN)?..)?;
        let sig_len = u32::from_be_bytes([t[8], t[9], t[10], t[11]]);
        Some(Self::TRAILER_END as u64 + u64::from(t[3]) + u64::from(t[4]) + u64::from(sig_len))
    }
}

impl<'a> Signature<'a> {
    /// Parse the trailer at the end of a module's decompressed contents.
    /// `None` where kmod finds no signature it can report.
    pub fn parse(data: &'a [u8]) -> Option<Signature<'a>> {
        let body = data.strip_suffix(MAGIC)?;
        let trailer_at = body.len().checked_sub(TRAILER_LEN)?;
        let t = &body[trailer_at..];
        let (algo, hash, id_type, signer_len, key_id_len) = (t[0], t[1], t[2], t[3], t[4]);
        let sig_len = u32::from_be_bytes([t[8], t[9], t[10], t[11]]) as usize;
        if algo >= ALGO_COUNT
            || usize::from(hash) >= HASH_NAMES.len()
            || usize::from(id_type) >= ID_TYPES.len()
            || sig_len == 0
            || trailer_at < usize::from(signer_len) + usize::from(key_id_len) + sig_len
        {
            return None;
        }
        let sig_at = trailer_at - sig_len;
        let blob = &body[sig_at..trailer_at];
        if id_type == ID_PKCS7 {
            return pkcs7(blob);
        }
        let key_at = sig_at - usize::from(key_id_len);
        let signer_at = key_at - usize::from(signer_len);
        Some(Signature {
            id_type: ID_TYPES[usize::from(id_type)],
            // kmod prints the signer as a C string
            signer: Bytes::Borrowed(cstr(&body[signer_at..key_at])),
            key_id: Bytes::Borrowed(&body[key_at..sig_at]),
            hash_algo: HASH_NAMES[usize::from(hash)],
            signature: Bytes::Borrowed(blob),
        })
    }
}

fn pkcs7(blob: &[u8]) -> Option<Signature<'static>> {
    let first = crate::pkcs7::first_signer(blob)?;
    Some(Signature {
        id_type: ID_TYPES[usize::from(ID_PKCS7)],
        // kmod reads OpenSSL's string as a C string
        signer: Bytes::Owned(cstr(&first.signer.unwrap_or_default()).to_vec()),
        key_id: Bytes::Owned(magnitude(first.serial)),
        // kmod (Debian's 30) shows no signature at all for a digest it
        // cannot name
        hash_algo: hash_name(first.digest_oid)?,
        signature: Bytes::Owned(first.signature),
    })
}

fn cstr(bytes: &[u8]) -> &[u8] {
    bytes.split(|&b| b == 0).next().unwrap_or_default()
}

/// The magnitude of a DER INTEGER's two's-complement content, big endian,
/// without leading zeros (what OpenSSL's BN_bn2bin gives for the serial).
fn magnitude(twos: &[u8]) -> Vec<u8> {
    let mut bytes = twos.to_vec();
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        // negative: magnitude = !x + 1
        for b in bytes.iter_mut() {
            *b = !*b;
        }
        for b in bytes.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
    }
    let lead = bytes.iter().take_while(|&&b| b == 0).count();
    bytes.split_off(lead)
}

/// kmod's names for the digests OpenSSL knows, by OID (DER contents).
fn hash_name(oid: &[u8]) -> Option<&'static str> {
    const PKCS_DIGEST: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02];
    const NIST_HASH: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02];
    if let Some(last) = oid.strip_prefix(PKCS_DIGEST) {
        return match last {
            [4] => Some("md4"),
            [5] => Some("md5"),
            _ => None,
        };
    }
    if let Some(last) = oid.strip_prefix(NIST_HASH) {
        return match last {
            [1] => Some("sha256"),
            [2] => Some("sha384"),
            [3] => Some("sha512"),
            [4] => Some("sha224"),
            _ => None,
        };
    }
    match oid {
        [0x2b, 0x0e, 0x03, 0x02, 0x1a] => Some("sha1"),
        [0x2b, 0x24, 0x03, 0x02, 0x01] => Some("rmd160"),
        [0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x11] => Some("sm3"),
        _ => None,
    }
}

/// Format bytes as kmod does for `sig_key` and `signature`: `AB:CD:…`, with
/// a line break and two tabs after every 20 bytes.
pub fn hex_colon(bytes: &[u8]) -> String {
    let mut out = Vec::new();
    hex_colon_into(bytes, &mut out);
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// [`hex_colon`], appended to `out`.
pub fn hex_colon_into(bytes: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    // Not format!, nor a char at a time: this was a quarter, then a
    // twentieth of `modinfo` of a whole signed tree.
    out.reserve(bytes.len() * 3 + bytes.len() / 20 * 3);
    for (i, &b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(b':');
            if i % 20 == 0 {
                out.extend_from_slice(b"\n\t\t");
            }
        }
        out.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magnitude_strips_and_negates() {
        assert_eq!(magnitude(&[0x00, 0x80, 0x01]), vec![0x80, 0x01]);
        assert_eq!(magnitude(&[0x00]), Vec::<u8>::new());
        assert_eq!(magnitude(&[0xff]), vec![0x01]);
        assert_eq!(magnitude(&[0xff, 0x00]), vec![0x01, 0x00]);
    }

    #[test]
    fn hex_wraps_every_twenty_bytes() {
        assert_eq!(hex_colon(&[0xab, 0x01]), "AB:01");
        let s = hex_colon(&[0u8; 21]);
        assert!(s.starts_with("00:00"));
        assert_eq!(s.matches("\n\t\t").count(), 1);
        assert!(s.ends_with(":\n\t\t00"));
        assert_eq!(hex_colon(&[0u8; 20]).matches('\n').count(), 0);
        let all: Vec<u8> = (0..=255).collect();
        let want: Vec<String> = all.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(hex_colon(&all).replace("\n\t\t", ""), want.join(":"));
    }

    /// The end of a file that `needed` asks for parses as the whole does.
    #[test]
    fn the_needed_tail_parses_as_the_whole() {
        let mut data = vec![9u8; 100];
        data.extend_from_slice(b"ab");
        data.extend_from_slice(&[0, 4, 0, 1, 1, 0, 0, 0, 0, 0, 0, 2]);
        data.extend_from_slice(MAGIC);
        let end = &data[data.len() - Signature::TRAILER_END..];
        let needed = Signature::needed(end).unwrap() as usize;
        assert_eq!(needed, Signature::TRAILER_END + 1 + 1 + 2);
        let tail = &data[data.len() - needed..];
        assert_eq!(Signature::parse(tail), Signature::parse(&data));
        assert!(Signature::parse(tail).is_some());
        assert_eq!(Signature::needed(&[0u8; 40]), None);
    }

    #[test]
    fn rejects_bad_trailers() {
        assert!(Signature::parse(b"").is_none());
        assert!(Signature::parse(MAGIC).is_none());
        let mut data = vec![0u8; 4];
        data.extend_from_slice(&[0, 4, 0, 1, 1, 0, 0, 0, 0, 0, 0, 2]);
        data.extend_from_slice(MAGIC);
        // needs 1 + 1 + 2 bytes before the trailer: has 4
        let sig = Signature::parse(&data).expect("valid default-format trailer");
        assert_eq!(sig.id_type, "PGP");
        assert_eq!(sig.hash_algo, "sha256");
        assert_eq!(sig.signature.len(), 2);
        data[4] = 9; // hash out of range
        assert!(Signature::parse(&data).is_none());
    }
}
