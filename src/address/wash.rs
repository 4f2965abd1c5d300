//! Address washing in the spirit of DAWA `/datavask/adgangsadresser`.
//!
//! The input betegnelse is parsed into street, husnr, etage/dør, supplerende
//! bynavn, postnr and postnrnavn (pre-processing as DAWA: `kld`→`kl`,
//! `stueplan`→`st`, "N. sal" dropped). Candidates are streets whose folded
//! name equals the input or, failing that, is within a small Damerau distance
//! (≤ 1 for 4–7 chars, 2 for 8–12, 3 beyond; same first letter; found by the
//! autocomplete trie walk), with the same house number (or the same number with another /
//! no letter). Each candidate gets a distance = street + husnr + postnr +
//! postnrnavn edits on folded text.
//!
//! Categories (as DAWA):
//! * **A** – exactly one candidate equal to the input apart from case and
//!   punctuation (diacritics must be right) with postnr and postnrnavn given
//!   and no unknown tokens.
//! * **B** – exactly one best candidate with small deviations: street within the
//!   typo budget, husnr equal, postnr or postnrnavn right, and strictly better
//!   than the runner-up.
//! * **C** – anything else that still found candidates (best first, the
//!   alternatives are returned too).

use serde::Serialize;

use super::fold::{distance, fold, lower_norm};
use super::index::AddressIndex;
use super::model::AccessAddress;
use super::search::{is_floor_door_token, is_husnr_token};

/// DAWA datavask category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum WashCategory {
    A,
    B,
    C,
}

/// The parsed input ("parsetadresse").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ParsedAddress {
    pub vejnavn: String,
    pub husnr: Option<String>,
    pub etage: Option<String>,
    pub dor: Option<String>,
    pub supplerendebynavn: Option<String>,
    pub postnr: Option<String>,
    pub postnrnavn: Option<String>,
    pub unknown_tokens: Vec<String>,
}

/// Result of [`AddressIndex::wash`].
#[derive(Clone, Debug)]
pub struct WashResult<'a> {
    pub category: WashCategory,
    /// Best match.
    pub address: &'a AccessAddress,
    /// 1.0 for a perfect match, decreasing with the edit distance.
    pub score: f32,
    /// Total folded edit distance (DAWA "afstand").
    pub distance: u32,
    pub parsed: ParsedAddress,
    /// Other candidates, best first (category C only; at most 5).
    pub alternatives: Vec<&'a AccessAddress>,
}

fn street_budget(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        8..=12 => 2,
        _ => 3,
    }
}

/// Parse a free-text betegnelse.
pub fn parse_betegnelse(text: &str) -> ParsedAddress {
    let mut toks: Vec<String> = Vec::new();
    for t in text.split(|c: char| c.is_whitespace() || c == ',') {
        if t.is_empty() {
            continue;
        }
        let low = t.to_lowercase();
        let norm = match low.trim_end_matches('.') {
            "kld" => "kl".to_string(),
            "stueplan" | "stuen" => "st".to_string(),
            _ => t.to_string(),
        };
        toks.push(norm);
    }
    let split = toks
        .iter()
        .enumerate()
        .position(|(i, t)| i > 0 && t.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or(toks.len());
    let mut p = ParsedAddress {
        vejnavn: toks[..split].join(" "),
        ..ParsedAddress::default()
    };
    let mut rest: Vec<String> = toks[split..].to_vec();
    if let Some(first) = rest.first() {
        let t = first.trim_end_matches('.');
        if is_husnr_token(t) {
            p.husnr = Some(t.to_ascii_uppercase());
            rest.remove(0);
        }
    }
    // "N. sal" -> drop "sal" (the number stays as etage).
    rest.retain(|t| !t.eq_ignore_ascii_case("sal"));
    let postnr_pos = rest
        .iter()
        .position(|t| t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()));
    let (before, after) = match postnr_pos {
        Some(i) => {
            p.postnr = Some(rest[i].clone());
            (rest[..i].to_vec(), rest[i + 1..].to_vec())
        }
        None => (rest.clone(), Vec::new()),
    };
    let mut words: Vec<String> = Vec::new();
    for t in before {
        let bare = t.trim_end_matches('.').to_lowercase();
        if is_floor_door_token(&bare) {
            let is_floor = p.etage.is_none()
                && p.dor.is_none()
                && (matches!(bare.as_str(), "st" | "kl")
                    || t.ends_with('.')
                    || bare.starts_with('k')
                    || bare.bytes().all(|b| b.is_ascii_digit()));
            if is_floor {
                p.etage = Some(bare);
            } else if p.dor.is_none() {
                p.dor = Some(bare);
            } else {
                p.unknown_tokens.push(t);
            }
        } else if p.etage.is_some()
            && p.dor.is_none()
            && bare.len() <= 4
            && bare.bytes().any(|b| b.is_ascii_digit())
        {
            p.dor = Some(bare);
        } else {
            words.push(t);
        }
    }
    if postnr_pos.is_some() {
        if !words.is_empty() {
            p.supplerendebynavn = Some(words.join(" "));
        }
        if !after.is_empty() {
            p.postnrnavn = Some(after.join(" "));
        }
    } else if !words.is_empty() {
        p.postnrnavn = Some(words.join(" "));
    }
    p
}

fn nospace(s: &str) -> Vec<u8> {
    s.bytes().filter(|&b| b != b' ').collect()
}

fn fdist(a: &str, b: &str, cap: usize) -> usize {
    distance(a.as_bytes(), b.as_bytes(), cap).unwrap_or(cap + 1)
}

struct Cand {
    idx: usize,
    total: u32,
    exact: bool,
    street_d: usize,
    husnr_d: usize,
    postnr_d: usize,
    town_d: usize,
}

impl AddressIndex {
    /// Wash a free-text address (see module docs). `None` when nothing
    /// plausible is found.
    pub fn wash(&self, text: &str) -> Option<WashResult<'_>> {
        let parsed = parse_betegnelse(text);
        let s_fold = fold(&parsed.vejnavn);
        if s_fold.is_empty() {
            return None;
        }
        let s_ns = nospace(&s_fold);
        let budget = street_budget(s_ns.len());
        let s_lower = lower_norm(&parsed.vejnavn);

        // Candidate streets: exact folded name, else fuzzy within the first-letter bucket.
        let mut streets: Vec<(usize, usize)> = Vec::new();
        let lo = self.streets.partition_point(|st| *st.folded < *s_fold);
        let mut i = lo;
        while i < self.streets.len() && *self.streets[i].folded == *s_fold {
            streets.push((i, 0));
            i += 1;
        }
        // A text that names its place (postcode or town) may have the street slightly wrong
        // there while the exact name exists elsewhere ("Strandvej 1 Nordby 6720": Strandvej is
        // in Bredebro, Nordby has Strandvejen): near names compete as well.
        let names_place = parsed.postnr.is_some() || parsed.postnrnavn.is_some();
        if names_place && budget > 0 {
            // Longer names that start with the text's (the trie walk below yields only those
            // whose prefix differs).
            let mut k = i;
            while k < self.streets.len() && self.streets[k].folded.starts_with(&*s_fold) {
                let extra = self.streets[k].folded.len() - s_fold.len();
                if extra <= budget {
                    streets.push((k, extra));
                }
                k += 1;
            }
        }
        if (streets.is_empty() || names_place) && budget > 0 {
            // Full distance <= k implies prefix distance <= k, so the trie walk
            // (same first letter) yields a superset; verify with the full
            // distance, spaces ignored or not.
            for (_, si) in self.fuzzy_prefix_streets(s_fold.as_bytes(), budget) {
                let f = &self.streets[si as usize].folded;
                let d1 = distance(s_fold.as_bytes(), f.as_bytes(), budget);
                let d2 = distance(&s_ns, &nospace(f), budget);
                let d = match (d1, d2) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                if let Some(d) = d.filter(|&d| d > 0) {
                    streets.push((si as usize, d));
                }
            }
        }
        if streets.is_empty() {
            return None;
        }

        let town_f = parsed.postnrnavn.as_deref().map(fold);
        let supp_f = parsed.supplerendebynavn.as_deref().map(fold);
        let husnr = parsed.husnr.clone();
        let mut cands: Vec<Cand> = Vec::new();
        for &(si, sd) in &streets {
            let st = &self.streets[si];
            let recs = &self.records[st.start as usize..st.end as usize];
            let range = match &husnr {
                Some(h) => {
                    let n: u16 = h
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect::<String>()
                        .parse()
                        .unwrap_or(0);
                    let a = recs.partition_point(|r| r.husnr.number() < n);
                    let b = recs.partition_point(|r| r.husnr.number() <= n);
                    a..b
                }
                None => 0..recs.len().min(50),
            };
            let base = range.start;
            for (off, r) in recs[range].iter().enumerate() {
                let hd = match &husnr {
                    Some(h) if r.husnr.as_str() == h => 0,
                    Some(_) => 1,
                    None => 2,
                };
                let pd = match &parsed.postnr {
                    Some(p) => fdist(p, &r.postnr_str(), 4),
                    None => 2,
                };
                let town = self.town_folded[usize::from(r.postnr.min(9999))]
                    .as_deref()
                    .unwrap_or("");
                let rsupp = r.supplerendebynavn.as_deref().map(fold);
                let td = match &town_f {
                    Some(t) => {
                        let d = fdist(t, town, 3);
                        let ds = rsupp
                            .as_deref()
                            .map(|s| fdist(t, s, 3))
                            .unwrap_or(usize::MAX);
                        d.min(ds)
                    }
                    None => 1,
                };
                let supp_d = match (&supp_f, &rsupp) {
                    (Some(a), Some(b)) => fdist(a, b, 3),
                    (Some(_), None) => 2,
                    _ => 0,
                };
                let total = (sd + hd + pd + td + supp_d) as u32;
                let exact = sd == 0
                    && hd == 0
                    && pd == 0
                    && td == 0
                    && supp_d == 0
                    && town_f.is_some()
                    && parsed.unknown_tokens.is_empty()
                    && lower_norm(&r.vejnavn) == s_lower
                    && parsed
                        .postnrnavn
                        .as_deref()
                        .map(lower_norm)
                        .is_some_and(|t| {
                            t == lower_norm(&r.postnrnavn)
                                || r.supplerendebynavn
                                    .as_deref()
                                    .is_some_and(|s| lower_norm(s) == t)
                        });
                cands.push(Cand {
                    idx: st.start as usize + base + off,
                    total,
                    exact,
                    street_d: sd,
                    husnr_d: hd,
                    postnr_d: pd,
                    town_d: td,
                });
            }
        }
        // Where some candidate is in the place the text names, one in another place (neither
        // its postcode nor its town) is no match at all.
        let in_place = |c: &Cand| c.postnr_d == 0 || c.town_d == 0;
        if names_place && cands.iter().any(in_place) {
            cands.retain(in_place);
        }
        if cands.is_empty() {
            return None;
        }
        cands.sort_by_key(|a| (a.total, !a.exact, a.idx));
        let best = &cands[0];
        let unique = cands.get(1).is_none_or(|c| c.total > best.total);
        let category = if best.exact && unique {
            WashCategory::A
        } else if unique
            && best.street_d <= budget
            && best.husnr_d == 0
            && (best.postnr_d == 0 || best.town_d == 0)
            && best.total <= 4
        {
            WashCategory::B
        } else {
            WashCategory::C
        };
        let alternatives = if category == WashCategory::C {
            cands
                .iter()
                .skip(1)
                .take(5)
                .map(|c| &self.records[c.idx])
                .collect()
        } else {
            Vec::new()
        };
        Some(WashResult {
            category,
            address: &self.records[best.idx],
            score: if category == WashCategory::A {
                1.0
            } else {
                1.0 / (1.0 + best.total as f32)
            },
            distance: best.total,
            parsed,
            alternatives,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse() {
        let p = parse_betegnelse("Margrethepladsen 4, 4. 8000 Aarhus C");
        assert_eq!(p.vejnavn, "Margrethepladsen");
        assert_eq!(p.husnr.as_deref(), Some("4"));
        assert_eq!(p.etage.as_deref(), Some("4"));
        assert_eq!(p.postnr.as_deref(), Some("8000"));
        assert_eq!(p.postnrnavn.as_deref(), Some("Aarhus C"));
        let p = parse_betegnelse("Rådhuspladsen 77 st. tv, 1550 København V");
        assert_eq!(p.etage.as_deref(), Some("st"));
        assert_eq!(p.dor.as_deref(), Some("tv"));
        let p = parse_betegnelse("A B C Sti 1, 2. sal, Nordby, 6720 Fanø");
        assert_eq!(p.etage.as_deref(), Some("2"));
        assert_eq!(p.supplerendebynavn.as_deref(), Some("Nordby"));
    }
}
