//! Text folding and edit distances for Danish address matching.
//!
//! `fold` lowercases, maps Danish/German letters to their two-letter ASCII
//! spellings (å→aa, æ→ae, ø→oe, ä→ae, ö→oe, ü→ue, ß→ss), strips other accents,
//! turns punctuation into spaces and collapses whitespace. Thus "Nørrebrogade"
//! and "norrebrogade"/"noerrebrogade", "Åbenrå"/"Aabenraa" compare on folded
//! keys ("noerrebrogade", "aabenraa"); a missing "e" (ø typed as o) is one edit
//! and is caught by the typo tier.

/// Append the folded form of one char to `out`. Returns false for separators.
#[inline]
fn push_folded(c: char, out: &mut String) -> bool {
    match c {
        'a'..='z' | '0'..='9' => out.push(c),
        'A'..='Z' => out.push(c.to_ascii_lowercase()),
        'å' | 'Å' => out.push_str("aa"),
        'æ' | 'Æ' | 'ä' | 'Ä' => out.push_str("ae"),
        'ø' | 'Ø' | 'ö' | 'Ö' => out.push_str("oe"),
        'ü' | 'Ü' => out.push_str("ue"),
        'ß' => out.push_str("ss"),
        'á' | 'à' | 'â' | 'ã' | 'Á' | 'À' | 'Â' | 'Ã' => out.push('a'),
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => out.push('e'),
        'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ì' | 'Î' | 'Ï' => out.push('i'),
        'ó' | 'ò' | 'ô' | 'õ' | 'Ó' | 'Ò' | 'Ô' | 'Õ' => out.push('o'),
        'ú' | 'ù' | 'û' | 'Ú' | 'Ù' | 'Û' => out.push('u'),
        'ý' | 'ÿ' | 'Ý' => out.push('y'),
        'ç' | 'Ç' => out.push('c'),
        'ñ' | 'Ñ' => out.push('n'),
        '\'' | '´' | '`' | '’' => {} // apostrophes vanish: "Kong's" -> "kongs"
        c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
        _ => return false,
    }
    true
}

/// Fold for matching (see module docs). Output is lowercase, single-spaced, trimmed.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut pending_space = false;
    for c in s.chars() {
        let before = out.len();
        if push_folded(c, &mut out) {
            if out.len() > before && pending_space && before > 0 {
                out.insert(before, ' ');
            }
            if out.len() > before {
                pending_space = false;
            }
        } else {
            pending_space = true;
        }
    }
    out
}

/// Lowercase with punctuation normalised to single spaces, diacritics kept.
/// Used to tell an "exact" (diacritics-correct) prefix from a folded one.
pub fn lower_norm(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else if matches!(c, '\'' | '´' | '`' | '’') {
        } else {
            pending_space = true;
        }
    }
    out
}

/// Optimal-string-alignment (Damerau) distance between `a` and the best prefix
/// of `b`, or None if it exceeds `max`. Byte-based (inputs are folded ASCII).
pub fn prefix_distance(a: &[u8], b: &[u8], max: usize) -> Option<usize> {
    osa(a, b, max, true)
}

/// Full optimal-string-alignment distance, or None if it exceeds `max`.
pub fn distance(a: &[u8], b: &[u8], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    osa(a, b, max, false)
}

fn osa(a: &[u8], b: &[u8], max: usize, prefix: bool) -> Option<usize> {
    let n = a.len();
    // For a prefix match only prefixes of b up to n + max can be within `max`.
    let b = if prefix {
        &b[..b.len().min(n + max)]
    } else {
        b
    };
    let m = b.len();
    if n == 0 {
        let d = if prefix { 0 } else { m };
        return (d <= max).then_some(d);
    }
    const CAP: usize = 64;
    if m + 2 > CAP || max >= 200 {
        return osa_heap(a, b, max, prefix);
    }
    // Banded DP (|i - j| <= max) in u8 with three rotating rows; cells outside
    // the band hold `big` (= max + 1, "too far").
    let big = (max + 1) as u8;
    let mut rows = [[big; CAP]; 3];
    for (j, c) in rows[0].iter_mut().enumerate().take(m.min(max) + 1) {
        *c = j as u8;
    }
    let (mut p2, mut p1, mut c) = (2usize, 0usize, 1usize);
    for i in 1..=n {
        let jlo = i.saturating_sub(max).max(1);
        let jhi = (i + max).min(m);
        let mut row_min = big;
        {
            let [r0, r1, r2] = &mut rows;
            let (prev2, prev, cur): (&[u8; CAP], &[u8; CAP], &mut [u8; CAP]) = match (p2, p1, c) {
                (0, 1, 2) => (r0, r1, r2),
                (0, 2, 1) => (r0, r2, r1),
                (1, 0, 2) => (r1, r0, r2),
                (1, 2, 0) => (r1, r2, r0),
                (2, 0, 1) => (r2, r0, r1),
                _ => (r2, r1, r0),
            };
            cur[jlo - 1] = if jlo == 1 {
                (i.min(max + 1)) as u8
            } else {
                big
            };
            if jlo == 1 {
                row_min = cur[0];
            }
            for j in jlo..=jhi {
                let cost = u8::from(a[i - 1] != b[j - 1]);
                let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    v = v.min(prev2[j - 2] + 1);
                }
                let v = v.min(big);
                cur[j] = v;
                row_min = row_min.min(v);
            }
            if jhi < m {
                cur[jhi + 1] = big;
            }
            if i == n {
                let d = if prefix {
                    cur[jlo - 1..=jhi].iter().copied().min().unwrap_or(big)
                } else if jhi == m {
                    cur[m]
                } else {
                    big
                };
                return (d <= max as u8).then_some(usize::from(d));
            }
        }
        if row_min > max as u8 {
            return None;
        }
        (p2, p1, c) = (p1, c, p2);
    }
    None
}

fn osa_heap(a: &[u8], b: &[u8], max: usize, prefix: bool) -> Option<usize> {
    let m = b.len();
    let mut prev2 = vec![0usize; m + 1];
    let mut prev: Vec<usize> = (0..=m).collect();
    let mut cur = vec![0usize; m + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = if prefix {
        *prev.iter().min().unwrap_or(&usize::MAX)
    } else {
        prev[m]
    };
    (d <= max).then_some(d)
}

/// Typo budget by folded query length.
pub fn typo_budget(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding() {
        assert_eq!(fold("Nørrebrogade"), "noerrebrogade");
        assert_eq!(
            fold("  Åbenrå,  H.C. Andersens Blvd "),
            "aabenraa h c andersens blvd"
        );
        assert_eq!(fold("Aabenraa"), fold("Åbenrå"));
        assert_eq!(fold("Kærvej"), fold("kaervej"));
        assert_eq!(fold("Müllerstraße"), "muellerstrasse");
        assert_eq!(lower_norm("A.B.C Sti"), "a b c sti");
    }

    /// Reference (unbanded, unbounded) OSA distance.
    fn reference(a: &[u8], b: &[u8], prefix: bool) -> usize {
        let (n, m) = (a.len(), b.len());
        let mut d = vec![vec![0usize; m + 1]; n + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, c) in d[0].iter_mut().enumerate() {
            *c = j;
        }
        for i in 1..=n {
            for j in 1..=m {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut v = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    v = v.min(d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        if prefix {
            *d[n].iter().min().unwrap()
        } else {
            d[n][m]
        }
    }

    #[test]
    fn banded_matches_reference() {
        let words: Vec<&[u8]> = vec![
            b"",
            b"a",
            b"ab",
            b"ba",
            b"abc",
            b"acb",
            b"kirkevej",
            b"kirkvej",
            b"kierkevej",
            b"hovedgaden",
            b"hovedgadn",
            b"noerrebrogade",
            b"norrebrogade",
            b"xyz",
            b"strandvejen",
            b"sandvej",
        ];
        for a in &words {
            for b in &words {
                for max in 0..4 {
                    for prefix in [false, true] {
                        let r = reference(a, b, prefix);
                        let want = (r <= max).then_some(r);
                        assert_eq!(
                            osa(a, b, max, prefix),
                            want,
                            "{:?} {:?} max={max} prefix={prefix}",
                            String::from_utf8_lossy(a),
                            String::from_utf8_lossy(b)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn distances() {
        assert_eq!(
            distance(b"margreteplassen", b"margrethepladsen", 3),
            Some(2)
        );
        assert_eq!(distance(b"abc", b"acb", 1), Some(1));
        assert_eq!(prefix_distance(b"noerrebr", b"noerrebrogade", 0), Some(0));
        assert_eq!(prefix_distance(b"norrebro", b"noerrebrogade", 1), Some(1));
        assert_eq!(prefix_distance(b"xyz", b"noerrebrogade", 1), None);
        assert_eq!(distance(b"", b"ab", 2), Some(2));
        assert_eq!(prefix_distance(b"", b"ab", 0), Some(0));
        assert_eq!(distance(b"kitten", b"sitting", 3), Some(3));
        assert_eq!(distance(b"kitten", b"sitting", 2), None);
        assert_eq!(prefix_distance(b"hovedgadn", b"hovedgaden", 2), Some(1));
        assert_eq!(
            prefix_distance(b"kallesbjergvje", b"kallesbjergvej", 2),
            Some(1)
        );
        assert_eq!(distance(b"ab", b"ba", 1), Some(1));
        assert_eq!(distance(b"abc", b"abc", 0), Some(0));
        assert_eq!(prefix_distance(b"abd", b"abcdef", 1), Some(1));
    }
}
