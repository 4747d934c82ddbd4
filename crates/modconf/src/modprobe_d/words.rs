//! Splitting the dependency lists of `softdep` and `weakdep` lines.
//!
//! kmod splits these at C `isspace` characters (not only blanks and tabs,
//! as elsewhere) with a scanner that has one quirk kept here on purpose:
//! when the list starts with exactly one whitespace character (the line
//! had two blanks after the module name), that character is glued to the
//! first word, so `softdep m  pre: a` has a first word " pre:" that is
//! not the keyword, and the whole line yields no dependency.

use super::When;

/// C's `isspace` in the C locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The words of a dependency list as kmod's scanner finds them.
pub(crate) fn dep_words(list: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut words = Vec::new();
    // `start` is where the current word began; `after_space` whether the
    // previous character was whitespace.
    let mut start = 0;
    let mut after_space = false;
    for (i, &b) in list.iter().enumerate() {
        if !is_space(b) {
            after_space = false;
            continue;
        }
        if after_space {
            start = i + 1;
            continue;
        }
        after_space = true;
        // Only possible at the very first character: the quirk above.
        if start >= i {
            continue;
        }
        words.push(list.get(start..i).unwrap_or_default());
        start = i + 1;
    }
    if !after_space {
        if let Some(last) = list.get(start..) {
            if !last.is_empty() {
                words.push(last);
            }
        }
    }
    words.into_iter()
}

/// The entries of a `softdep` line: words after `pre:` or `post:`, each
/// on the list last named; words before either keyword are dropped.
pub(crate) fn softdep_entries(list: &[u8]) -> impl Iterator<Item = (When, &[u8])> {
    let mut when = None;
    dep_words(list).filter_map(move |word| match word {
        b"pre:" => {
            when = Some(When::Pre);
            None
        }
        b"post:" => {
            when = Some(When::Post);
            None
        }
        _ => when.map(|w| (w, word)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &[u8]) -> Vec<&[u8]> {
        dep_words(s).collect()
    }

    #[test]
    fn splits_at_c_whitespace() {
        assert_eq!(
            words(b"a\tb\x0bc\rd  e "),
            vec![&b"a"[..], b"b", b"c", b"d", b"e"]
        );
        assert_eq!(words(b"  a"), vec![&b"a"[..]]);
        assert!(words(b" ").is_empty());
        assert!(words(b"").is_empty());
    }

    #[test]
    fn one_leading_blank_sticks_to_the_first_word() {
        assert_eq!(words(b" pre: a"), vec![&b" pre:"[..], b"a"]);
        assert_eq!(softdep_entries(b" pre: a").count(), 0);
        assert_eq!(softdep_entries(b"  pre: a").count(), 1);
    }

    #[test]
    fn keywords_switch_lists() {
        let got: Vec<_> = softdep_entries(b"x pre: a post: b pre: c").collect();
        assert_eq!(
            got,
            vec![
                (When::Pre, &b"a"[..]),
                (When::Post, b"b"),
                (When::Pre, b"c")
            ]
        );
    }
}
