//! The PKCS#7 signature blob as kmod reads it: with OpenSSL's
//! `d2i_PKCS7_bio`, then the first signer's issuer, serial number, digest
//! algorithm and signature. What OpenSSL refuses, kmod shows nothing of, so
//! this reader accepts and refuses what OpenSSL 3's decoder does for the
//! parts a module signature has:
//!
//! * BER, not only DER: indefinite lengths on constructed items,
//!   non-minimal length octets, constructed (segmented) strings;
//! * OpenSSL's templates for `ContentInfo`, `SignedData` (and
//!   `SignedAndEnvelopedData`, which also has signer infos), `SignerInfo`,
//!   `IssuerAndSerialNumber`, `AlgorithmIdentifier`, attributes; fields in
//!   order, optional ones recognised by their tag, nothing left over;
//! * its content checks: INTEGERs minimally encoded and not empty, OIDs
//!   well formed, NULL empty, BOOLEAN one byte, BMPString and
//!   UniversalString lengths, time strings long enough;
//! * for names, the `DirectoryString` choice OpenSSL allows (a bit mask of
//!   universal types, SEQUENCE kept as its whole encoding) and the
//!   canonical form it computes on decoding, which fails on UTF8String that
//!   is not UTF-8 and on BMP/Universal strings that are not Unicode.
//!
//! Certificates and CRLs embedded in the blob (module signatures carry
//! none) are checked for framing only, not decoded as X.509.

/// What kmod takes from the first signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FirstSigner<'a> {
    /// The value of the issuer's common name, or of its last attribute when
    /// there is no common name; `None` for an empty issuer. As OpenSSL
    /// stores it: kmod then reads it as a C string.
    pub signer: Option<Vec<u8>>,
    /// The serial number's INTEGER contents (two's complement).
    pub serial: &'a [u8],
    /// The digest algorithm's OID contents.
    pub digest_oid: &'a [u8],
    /// The signature octets.
    pub signature: Vec<u8>,
}

/// Decode `blob` (bytes after the first object are ignored, as by
/// `d2i_PKCS7_bio`); `None` where OpenSSL fails or the structure has no
/// signer (not signed data, no signer info).
pub(crate) fn first_signer(blob: &[u8]) -> Option<FirstSigner<'_>> {
    let (top, _) = item(blob).ok()?;
    let mut d = Decoder { depth: 0 };
    d.content_info(top).ok().flatten()
}

/// A decoding failure (OpenSSL's reason does not matter to kmod).
#[derive(Debug)]
struct Bad;

type R<T> = Result<T, Bad>;

const UNIVERSAL: u8 = 0;
const CONTEXT: u8 = 2;

const INTEGER: u32 = 2;
const BIT_STRING: u32 = 3;
const OCTET_STRING: u32 = 4;
const NULL: u32 = 5;
const OBJECT: u32 = 6;
const BOOLEAN: u32 = 1;
const ENUMERATED: u32 = 10;
const UTF8STRING: u32 = 12;
const SEQUENCE: u32 = 16;
const SET: u32 = 17;
const UTCTIME: u32 = 23;
const GENERALIZEDTIME: u32 = 24;
const UNIVERSALSTRING: u32 = 28;
const BMPSTRING: u32 = 30;

/// OpenSSL refuses to nest items deeper than this (`ASN1_MAX_CONSTRUCTED_NEST`).
const MAX_DEPTH: u32 = 30;
/// `X509_NAME_MAX`: a name is decoded from at most this many bytes.
const NAME_MAX: usize = 1024 * 1024;
/// Segments of a constructed string nest at most this deep (`ASN1_MAX_STRING_NEST`).
const MAX_STRING_NEST: u32 = 5;

/// One BER item.
#[derive(Debug, Clone, Copy)]
struct Item<'a> {
    class: u8,
    constructed: bool,
    tag: u32,
    /// The contents: for an indefinite length, up to the end-of-contents.
    content: &'a [u8],
    /// Header, contents and end-of-contents.
    whole: &'a [u8],
}

impl Item<'_> {
    fn is(&self, class: u8, tag: u32) -> bool {
        self.class == class && self.tag == tag
    }
}

/// An item header: class, constructed, tag, header length, content length
/// (`None`: indefinite). As `ASN1_get_object` reads it.
fn header(data: &[u8]) -> R<(u8, bool, u32, usize, Option<usize>)> {
    let first = *data.first().ok_or(Bad)?;
    let class = first >> 6;
    let constructed = first & 0x20 != 0;
    let mut at = 1;
    let mut tag = u32::from(first & 0x1f);
    if tag == 0x1f {
        tag = 0;
        loop {
            let b = *data.get(at).ok_or(Bad)?;
            at += 1;
            tag = (tag << 7) | u32::from(b & 0x7f);
            if b & 0x80 == 0 {
                break;
            }
            if tag > (i32::MAX as u32 >> 7) {
                return Err(Bad);
            }
        }
    }
    // at least the first length octet must follow
    let l0 = *data.get(at).ok_or(Bad)?;
    at += 1;
    let len = if l0 == 0x80 {
        if !constructed {
            return Err(Bad);
        }
        None
    } else if l0 & 0x80 != 0 {
        let mut n = usize::from(l0 & 0x7f);
        // OpenSSL wants one octet more than the length octets themselves
        if data.len() - at < n + 1 {
            return Err(Bad);
        }
        while n > 0 && data[at] == 0 {
            at += 1;
            n -= 1;
        }
        if n > 8 {
            return Err(Bad);
        }
        let mut v: u64 = 0;
        for _ in 0..n {
            v = (v << 8) | u64::from(data[at]);
            at += 1;
        }
        if v > i64::MAX as u64 {
            return Err(Bad);
        }
        Some(usize::try_from(v).map_err(|_| Bad)?)
    } else {
        Some(usize::from(l0))
    };
    if let Some(len) = len {
        if len > data.len() - at {
            return Err(Bad);
        }
    }
    Ok((class, constructed, tag, at, len))
}

fn is_eoc(data: &[u8]) -> bool {
    data.starts_with(&[0, 0])
}

/// The item at the start of `data` and the bytes it takes; an indefinite
/// length is followed to its end-of-contents (`asn1_find_end`).
fn item(data: &[u8]) -> R<(Item<'_>, usize)> {
    let (class, constructed, tag, hlen, len) = header(data)?;
    let (content_end, end) = match len {
        Some(len) => (hlen + len, hlen + len),
        None => {
            let eoc = find_eoc(&data[hlen..])?;
            (hlen + eoc, hlen + eoc + 2)
        }
    };
    let it = Item {
        class,
        constructed,
        tag,
        content: &data[hlen..content_end],
        whole: &data[..end],
    };
    Ok((it, end))
}

/// Where the end-of-contents closing an indefinite length is, counting the
/// ones nested items open; iterative, so no input overflows the stack.
fn find_eoc(data: &[u8]) -> R<usize> {
    let mut expected: u32 = 1;
    let mut at = 0;
    while at < data.len() {
        if is_eoc(&data[at..]) {
            expected -= 1;
            if expected == 0 {
                return Ok(at);
            }
            at += 2;
            continue;
        }
        let (_, _, _, hlen, len) = header(&data[at..])?;
        match len {
            Some(len) => at += hlen + len,
            None => {
                expected = expected.checked_add(1).ok_or(Bad)?;
                at += hlen;
            }
        }
    }
    Err(Bad)
}

/// The items filling `content` exactly; an end-of-contents among them is
/// an error (it may only close an indefinite length).
fn items(content: &[u8]) -> R<Vec<Item<'_>>> {
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        if is_eoc(rest) {
            return Err(Bad);
        }
        let (it, used) = item(rest)?;
        out.push(it);
        rest = &rest[used..];
    }
    Ok(out)
}

/// Fields of a SEQUENCE, read in order.
struct Fields<'a> {
    items: std::vec::IntoIter<Item<'a>>,
    next: Option<Item<'a>>,
}

impl<'a> Fields<'a> {
    fn of(seq: Item<'a>) -> R<Fields<'a>> {
        if !seq.is(UNIVERSAL, SEQUENCE) || !seq.constructed {
            return Err(Bad);
        }
        let mut items = items(seq.content)?.into_iter();
        let next = items.next();
        Ok(Fields { items, next })
    }

    /// The next field, which must be there.
    fn take(&mut self) -> R<Item<'a>> {
        let it = self.next.ok_or(Bad)?;
        self.next = self.items.next();
        Ok(it)
    }

    /// The next field if it carries this tag (an OPTIONAL one).
    fn take_if(&mut self, class: u8, tag: u32) -> Option<Item<'a>> {
        let it = self.next.filter(|it| it.is(class, tag))?;
        self.next = self.items.next();
        Some(it)
    }

    /// The next field, if any is left (an OPTIONAL ANY).
    fn take_any(&mut self) -> Option<Item<'a>> {
        let it = self.next?;
        self.next = self.items.next();
        Some(it)
    }

    /// Nothing may be left over.
    fn end(self) -> R<()> {
        match self.next {
            None => Ok(()),
            Some(_) => Err(Bad),
        }
    }
}

struct Decoder {
    depth: u32,
}

impl Decoder {
    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Bad);
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// `ContentInfo`; the first signer when it is signed data with one.
    fn content_info<'a>(&mut self, it: Item<'a>) -> R<Option<FirstSigner<'a>>> {
        self.enter()?;
        let mut f = Fields::of(it)?;
        let kind = oid(f.take()?)?;
        let explicit = f.take_if(CONTEXT, 0);
        f.end()?;
        let mut found = None;
        if let Some(wrapper) = explicit {
            if !wrapper.constructed {
                return Err(Bad);
            }
            let inner = items(wrapper.content)?;
            let [inner] = inner.as_slice() else {
                return Err(Bad);
            };
            found = match kind {
                PKCS7_SIGNED => self.signed_data(*inner)?,
                PKCS7_SIGNED_AND_ENVELOPED => self.signed_and_enveloped(*inner)?,
                PKCS7_DATA => {
                    self.octet_string(*inner)?;
                    None
                }
                // Other types have no signer infos; their contents stay
                // unchecked beyond their framing.
                _ => None,
            };
        }
        self.leave();
        Ok(found)
    }

    fn signed_data<'a>(&mut self, it: Item<'a>) -> R<Option<FirstSigner<'a>>> {
        self.enter()?;
        let mut f = Fields::of(it)?;
        integer(f.take()?)?;
        self.set_of(f.take()?, SET, |d, it| d.algorithm(it).map(drop))?;
        self.content_info(f.take()?)?;
        self.certificates(&mut f)?;
        let signers = f.take()?;
        f.end()?;
        let first = self.signer_infos(signers)?;
        self.leave();
        Ok(first)
    }

    fn signed_and_enveloped<'a>(&mut self, it: Item<'a>) -> R<Option<FirstSigner<'a>>> {
        self.enter()?;
        let mut f = Fields::of(it)?;
        integer(f.take()?)?;
        self.set_of(f.take()?, SET, |d, it| d.recipient_info(it))?;
        self.set_of(f.take()?, SET, |d, it| d.algorithm(it).map(drop))?;
        self.encrypted_content(f.take()?)?;
        self.certificates(&mut f)?;
        let signers = f.take()?;
        f.end()?;
        let first = self.signer_infos(signers)?;
        self.leave();
        Ok(first)
    }

    /// `[0] IMPLICIT SEQUENCE OF Certificate` and `[1] IMPLICIT SET OF
    /// CertificateList`, both optional; framing only.
    fn certificates(&mut self, f: &mut Fields<'_>) -> R<()> {
        if let Some(certs) = f.take_if(CONTEXT, 0) {
            self.implicit_list(certs, |_, it| sequence_framing(it))?;
        }
        if let Some(crls) = f.take_if(CONTEXT, 1) {
            self.implicit_list(crls, |_, it| sequence_framing(it))?;
        }
        Ok(())
    }

    fn signer_infos<'a>(&mut self, set: Item<'a>) -> R<Option<FirstSigner<'a>>> {
        let mut first = None;
        self.set_of(set, SET, |d, it| {
            let signer = d.signer_info(it)?;
            first.get_or_insert(signer);
            Ok(())
        })?;
        Ok(first)
    }

    fn signer_info<'a>(&mut self, it: Item<'a>) -> R<FirstSigner<'a>> {
        self.enter()?;
        let mut f = Fields::of(it)?;
        integer(f.take()?)?;
        let (signer, serial) = self.issuer_and_serial(f.take()?)?;
        let digest_oid = self.algorithm(f.take()?)?;
        if let Some(attrs) = f.take_if(CONTEXT, 0) {
            self.implicit_list(attrs, |d, it| d.attribute(it))?;
        }
        self.algorithm(f.take()?)?;
        let signature = self.octet_string(f.take()?)?;
        if let Some(attrs) = f.take_if(CONTEXT, 1) {
            self.implicit_list(attrs, |d, it| d.attribute(it))?;
        }
        f.end()?;
        self.leave();
        Ok(FirstSigner {
            signer,
            serial,
            digest_oid,
            signature,
        })
    }

    fn recipient_info(&mut self, it: Item<'_>) -> R<()> {
        self.enter()?;
        let mut f = Fields::of(it)?;
        integer(f.take()?)?;
        self.issuer_and_serial(f.take()?)?;
        self.algorithm(f.take()?)?;
        self.octet_string(f.take()?)?;
        f.end()?;
        self.leave();
        Ok(())
    }

    fn encrypted_content(&mut self, it: Item<'_>) -> R<()> {
        self.enter()?;
        let mut f = Fields::of(it)?;
        oid(f.take()?)?;
        self.algorithm(f.take()?)?;
        if let Some(data) = f.take_if(CONTEXT, 0) {
            self.string_contents(data, 0)?;
        }
        f.end()?;
        self.leave();
        Ok(())
    }

    /// `IssuerAndSerialNumber`: the name kmod shows, and the serial.
    fn issuer_and_serial<'a>(&mut self, it: Item<'a>) -> R<(Option<Vec<u8>>, &'a [u8])> {
        self.enter()?;
        let mut f = Fields::of(it)?;
        let signer = self.name(f.take()?)?;
        let serial = integer(f.take()?)?;
        f.end()?;
        self.leave();
        Ok((signer, serial))
    }

    /// An X.509 `Name` (SEQUENCE OF SET OF AttributeTypeAndValue); the
    /// value kmod's `x509_name_to_str` picks.
    fn name(&mut self, it: Item<'_>) -> R<Option<Vec<u8>>> {
        if it.whole.len() > NAME_MAX {
            return Err(Bad);
        }
        const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
        let mut picked: Option<Vec<u8>> = None;
        let mut have_cn = false;
        self.set_of(it, SEQUENCE, |d, rdn| {
            d.set_of(rdn, SET, |d, atv| {
                let (kind, value) = d.name_entry(atv)?;
                if !have_cn {
                    have_cn = kind == COMMON_NAME;
                    picked = Some(value);
                }
                Ok(())
            })
        })?;
        Ok(picked)
    }

    /// `AttributeTypeAndValue` with OpenSSL's `ASN1_PRINTABLE` value and
    /// the canonical form it computes: (type OID, value data).
    fn name_entry<'a>(&mut self, it: Item<'a>) -> R<(&'a [u8], Vec<u8>)> {
        self.enter()?;
        let mut f = Fields::of(it)?;
        let kind = oid(f.take()?)?;
        let value = printable(f.take()?)?;
        f.end()?;
        self.leave();
        Ok((kind, value))
    }

    /// `AlgorithmIdentifier`: its OID; parameters, when present, are ANY.
    fn algorithm<'a>(&mut self, it: Item<'a>) -> R<&'a [u8]> {
        self.enter()?;
        let mut f = Fields::of(it)?;
        let id = oid(f.take()?)?;
        if let Some(param) = f.take_any() {
            any(param)?;
        }
        f.end()?;
        self.leave();
        Ok(id)
    }

    /// `Attribute`: type OID and a SET OF ANY.
    fn attribute(&mut self, it: Item<'_>) -> R<()> {
        self.enter()?;
        let mut f = Fields::of(it)?;
        oid(f.take()?)?;
        self.set_of(f.take()?, SET, |_, v| any(v).map(drop))?;
        f.end()?;
        self.leave();
        Ok(())
    }

    /// A universal SET OF or SEQUENCE OF, each element decoded by `each`.
    fn set_of<'a>(
        &mut self,
        it: Item<'a>,
        tag: u32,
        mut each: impl FnMut(&mut Decoder, Item<'a>) -> R<()>,
    ) -> R<()> {
        if !it.is(UNIVERSAL, tag) || !it.constructed {
            return Err(Bad);
        }
        self.elements(it, &mut each)
    }

    /// A context-tagged IMPLICIT SET OF / SEQUENCE OF.
    fn implicit_list<'a>(
        &mut self,
        it: Item<'a>,
        mut each: impl FnMut(&mut Decoder, Item<'a>) -> R<()>,
    ) -> R<()> {
        if !it.constructed {
            return Err(Bad);
        }
        self.elements(it, &mut each)
    }

    fn elements<'a>(
        &mut self,
        it: Item<'a>,
        each: &mut impl FnMut(&mut Decoder, Item<'a>) -> R<()>,
    ) -> R<()> {
        self.enter()?;
        for element in items(it.content)? {
            each(self, element)?;
        }
        self.leave();
        Ok(())
    }

    /// An OCTET STRING, primitive or constructed.
    fn octet_string(&mut self, it: Item<'_>) -> R<Vec<u8>> {
        if !it.is(UNIVERSAL, OCTET_STRING) {
            return Err(Bad);
        }
        self.string_contents(it, 0)
    }

    /// A string's octets: the contents, or a constructed string's segments
    /// joined (OpenSSL checks neither their tags nor their classes).
    fn string_contents(&mut self, it: Item<'_>, nest: u32) -> R<Vec<u8>> {
        collect(it, nest)
    }
}

fn collect(it: Item<'_>, nest: u32) -> R<Vec<u8>> {
    if !it.constructed {
        return Ok(it.content.to_vec());
    }
    if nest >= MAX_STRING_NEST {
        return Err(Bad);
    }
    let mut out = Vec::new();
    for seg in items(it.content)? {
        out.extend_from_slice(&collect(seg, nest + 1)?);
    }
    Ok(out)
}

/// Framing of an element decoded as a SEQUENCE elsewhere (X.509).
fn sequence_framing(it: Item<'_>) -> R<()> {
    if it.is(UNIVERSAL, SEQUENCE) && it.constructed {
        Ok(())
    } else {
        Err(Bad)
    }
}

const PKCS7_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
const PKCS7_SIGNED: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
const PKCS7_SIGNED_AND_ENVELOPED: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x04];

/// An OBJECT IDENTIFIER's contents, checked as `c2i_ASN1_OBJECT` does.
fn oid(it: Item<'_>) -> R<&[u8]> {
    if !it.is(UNIVERSAL, OBJECT) || it.constructed {
        return Err(Bad);
    }
    oid_contents(it.content)?;
    Ok(it.content)
}

fn oid_contents(c: &[u8]) -> R<()> {
    let last_ok = c.last().is_some_and(|b| b & 0x80 == 0);
    // no sub-identifier may start with 0x80 (a leading zero)
    let padded = c
        .iter()
        .enumerate()
        .any(|(i, &b)| b == 0x80 && (i == 0 || c[i - 1] & 0x80 == 0));
    if last_ok && !padded {
        Ok(())
    } else {
        Err(Bad)
    }
}

/// An INTEGER's contents, checked as `c2i_ASN1_INTEGER` does: not empty,
/// no redundant leading octet.
fn integer(it: Item<'_>) -> R<&[u8]> {
    if !it.is(UNIVERSAL, INTEGER) || it.constructed {
        return Err(Bad);
    }
    integer_contents(it.content)?;
    Ok(it.content)
}

fn integer_contents(c: &[u8]) -> R<()> {
    match c {
        [] => Err(Bad),
        [_] => Ok(()),
        [first, second, rest @ ..] => {
            let negative = first & 0x80 != 0;
            let pad = match first {
                0 => true,
                0xff => *second != 0 || rest.iter().any(|&b| b != 0),
                _ => false,
            };
            if pad && negative == (second & 0x80 != 0) {
                Err(Bad)
            } else {
                Ok(())
            }
        }
    }
}

/// The content checks `asn1_ex_c2i` makes for a universal type; returns
/// the value's data as OpenSSL stores it.
fn universal_value(it: Item<'_>) -> R<Vec<u8>> {
    match it.tag {
        // left in their encoded form, and must be constructed
        SEQUENCE | SET => {
            if !it.constructed {
                return Err(Bad);
            }
            return Ok(it.whole.to_vec());
        }
        NULL | BOOLEAN | OBJECT | INTEGER | ENUMERATED if it.constructed => return Err(Bad),
        _ => {}
    }
    let data = collect(it, 0)?;
    match it.tag {
        OBJECT => oid_contents(&data)?,
        NULL if !data.is_empty() => return Err(Bad),
        BOOLEAN if data.len() != 1 => return Err(Bad),
        INTEGER | ENUMERATED => integer_contents(&data)?,
        BIT_STRING => {
            let unused = *data.first().ok_or(Bad)?;
            if unused > 7 {
                return Err(Bad);
            }
            return Ok(data[1..].to_vec());
        }
        BMPSTRING if data.len() % 2 != 0 => return Err(Bad),
        UNIVERSALSTRING if data.len() % 4 != 0 => return Err(Bad),
        GENERALIZEDTIME if data.len() < 15 => return Err(Bad),
        UTCTIME if data.len() < 13 => return Err(Bad),
        _ => {}
    }
    Ok(data)
}

/// An ANY: any item; universal ones get their type's content checks.
fn any(it: Item<'_>) -> R<Vec<u8>> {
    if it.class != UNIVERSAL {
        return Ok(it.whole.to_vec());
    }
    universal_value(it)
}

/// Universal types OpenSSL's `ASN1_PRINTABLE` (the X.509 name value)
/// accepts: its `B_ASN1_PRINTABLE` mask over the `tag2bit` table of
/// OpenSSL 3 (numeric, printable, T61, IA5, bit, universal, BMP and UTF8
/// strings, SEQUENCE, and the tags it maps to "unknown").
fn printable_type(tag: u32) -> bool {
    matches!(
        tag,
        3 | 7 | 8 | 9 | 11 | 12 | 13 | 14 | 15 | 16 | 18 | 19 | 20 | 22 | 28 | 29 | 30
    )
}

/// A name value: one of the allowed types, whose conversion to UTF-8
/// (done for the canonical encoding when a name is decoded) must succeed.
fn printable(it: Item<'_>) -> R<Vec<u8>> {
    if it.class != UNIVERSAL || !printable_type(it.tag) {
        return Err(Bad);
    }
    let data = universal_value(it)?;
    let convertible = match it.tag {
        UTF8STRING => std::str::from_utf8(&data).is_ok(),
        BMPSTRING => data
            .chunks_exact(2)
            .all(|c| char::from_u32(u32::from(u16::from_be_bytes([c[0], c[1]]))).is_some()),
        UNIVERSALSTRING => data
            .chunks_exact(4)
            .all(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])).is_some()),
        _ => true,
    };
    if convertible {
        Ok(data)
    } else {
        Err(Bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_as_openssl_checks_them() {
        assert!(integer_contents(&[]).is_err());
        assert!(integer_contents(&[0]).is_ok());
        assert!(integer_contents(&[0, 0x7f]).is_err());
        assert!(integer_contents(&[0, 0x80]).is_ok());
        assert!(integer_contents(&[0xff, 0x80]).is_err());
        assert!(integer_contents(&[0xff, 0x00]).is_ok()); // -256
        assert!(integer_contents(&[0xff, 0x01]).is_ok());
    }

    #[test]
    fn object_identifiers_as_openssl_checks_them() {
        assert!(oid_contents(&[0x55, 0x04, 0x03]).is_ok());
        assert!(oid_contents(&[]).is_err());
        assert!(oid_contents(&[0x55, 0x84]).is_err());
        assert!(oid_contents(&[0x80, 0x01]).is_err());
        assert!(oid_contents(&[0x55, 0x80, 0x01]).is_err());
        assert!(oid_contents(&[0x55, 0x81, 0x80, 0x01]).is_ok());
    }

    #[test]
    fn lengths_ber_style() {
        // non-minimal long form
        let (it, used) = item(&[0x04, 0x82, 0x00, 0x02, b'a', b'b', b'x']).unwrap();
        assert_eq!((it.content, used), (&b"ab"[..], 6));
        // indefinite, with a nested indefinite item
        let data = [0x30, 0x80, 0x30, 0x80, 0x05, 0x00, 0, 0, 0, 0, 0xff];
        let (it, used) = item(&data).unwrap();
        assert_eq!(used, 10);
        assert_eq!(it.content, &data[2..8]);
        // indefinite primitive, missing end, too long
        assert!(item(&[0x04, 0x80, 0, 0]).is_err());
        assert!(item(&[0x30, 0x80, 0x05, 0x00]).is_err());
        assert!(item(&[0x04, 0x05, 1, 2]).is_err());
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let mut data = Vec::new();
        for _ in 0..100_000 {
            data.extend_from_slice(&[0x30, 0x80]);
        }
        data.extend(std::iter::repeat_n(0, 200_000));
        assert!(first_signer(&data).is_none());
    }
}
