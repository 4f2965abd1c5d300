//! Autocomplete over "vejnavn husnr, postnr postnrnavn".
//!
//! Query handling: the street part is every token before the first token that
//! starts with a digit; a following `\d{1,3}[A-Za-z]?` token is the house
//! number (prefix-matched: "1" → 1, 1A, 10–19, 100–199); later tokens filter
//! by postnr (4 digits, prefix if still being typed) and postal district /
//! supplerende bynavn words (folded prefix). Floor/door tokens (st, kl, tv, th,
//! mf, 1–2 digit numbers) are ignored.
//!
//! Street tiers, best first: exact (diacritics-correct, case-insensitive)
//! prefix → folded prefix (å=aa, æ=ae, ø=oe, ä/ö/ü, accents) → folded prefix
//! of a later word in the name → typo-tolerant prefix (Damerau distance ≤ 1
//! for 4–7 chars, ≤ 2 for ≥ 8; candidates share the first letter). Within a
//! tier streets are alphabetical, addresses by husnr then postnr.

use std::collections::HashSet;

use serde::Serialize;
use uuid::Uuid;

use super::fold::{fold, lower_norm, typo_budget};
use super::index::AddressIndex;
use super::model::AccessAddress;

/// How the street part matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum MatchKind {
    /// Case-insensitive prefix with correct diacritics.
    ExactPrefix,
    /// Prefix after folding (ASCII spellings, accents).
    FoldedPrefix,
    /// Folded prefix of a later word of the street name.
    WordPrefix,
    /// Prefix within the given number of edits.
    Typo(u8),
    /// No street matched; the query names a town or postcode, and this address is there.
    Place,
}

impl MatchKind {
    pub fn score(self) -> f32 {
        match self {
            MatchKind::ExactPrefix => 1.0,
            MatchKind::FoldedPrefix => 0.9,
            MatchKind::WordPrefix => 0.8,
            MatchKind::Typo(d) => 0.7 - 0.1 * f32::from(d),
            MatchKind::Place => 0.4,
        }
    }
}

/// One autocomplete suggestion (an access address).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Suggestion {
    pub id: Uuid,
    /// DAWA-style betegnelse, e.g. "Nørrebrogade 1, 2200 København N".
    pub text: String,
    pub lat: f64,
    pub lon: f64,
    /// Zero-padded, e.g. "6720".
    pub postnr: String,
    /// Zero-padded, e.g. "0563".
    pub kommunekode: String,
    pub kind: MatchKind,
    /// 0..1, higher is better (derived from `kind`, +0.05 for exact husnr).
    pub score: f32,
}

impl Suggestion {
    fn new(a: &AccessAddress, kind: MatchKind, exact_husnr: bool) -> Self {
        Suggestion {
            id: a.id,
            text: a.betegnelse(),
            lat: a.lat,
            lon: a.lon,
            postnr: a.postnr_str(),
            kommunekode: a.kommunekode_str(),
            kind,
            score: kind.score() + if exact_husnr { 0.05 } else { 0.0 },
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct Query {
    pub(super) street_lower: String,
    pub(super) street_folded: String,
    /// Upper-cased house number token.
    pub(super) husnr: Option<String>,
    /// House number may be incomplete (it is the last token, no trailing space).
    pub(super) husnr_partial: bool,
    pub(super) postnr: Option<String>,
    pub(super) postnr_partial: bool,
    pub(super) town_words: Vec<String>,
    pub(super) town_last_partial: bool,
}

pub(super) fn is_husnr_token(t: &str) -> bool {
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &t[digits..];
    (1..=3).contains(&digits) && rest.len() <= 1 && rest.bytes().all(|b| b.is_ascii_alphabetic())
}

pub(super) fn is_floor_door_token(t: &str) -> bool {
    let t = t.trim_end_matches('.').to_ascii_lowercase();
    matches!(
        t.as_str(),
        "st" | "kl" | "kld" | "tv" | "th" | "mf" | "sal" | "stuen" | "stueplan"
    ) || (t.len() == 2 && t.starts_with('k') && t.as_bytes()[1].is_ascii_digit())
        || (!t.is_empty() && t.len() <= 2 && t.bytes().all(|b| b.is_ascii_digit()))
}

pub(super) fn parse_query(q: &str) -> Query {
    let trailing_space = q.ends_with(|c: char| c.is_whitespace() || c == ',');
    let toks: Vec<&str> = q
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .collect();
    let split = toks
        .iter()
        .enumerate()
        .position(|(i, t)| i > 0 && t.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or(toks.len());
    let street = toks[..split].join(" ");
    let mut out = Query {
        street_lower: lower_norm(&street),
        street_folded: fold(&street),
        ..Query::default()
    };
    let mut rest = &toks[split..];
    if let Some(first) = rest.first() {
        let t = first.trim_end_matches('.');
        if is_husnr_token(t) {
            out.husnr = Some(t.to_ascii_uppercase());
            out.husnr_partial = rest.len() == 1 && !trailing_space;
            rest = &rest[1..];
        }
    }
    let n = rest.len();
    for (i, t) in rest.iter().enumerate() {
        let last = i + 1 == n && !trailing_space;
        let t = t.trim_end_matches('.');
        if t.bytes().all(|b| b.is_ascii_digit()) && (t.len() == 4 || (last && t.len() >= 3)) {
            out.postnr = Some(t.to_string());
            out.postnr_partial = last && t.len() < 4;
        } else if is_floor_door_token(t) {
            continue;
        } else {
            let f = fold(t);
            if !f.is_empty() {
                out.town_words.extend(f.split(' ').map(str::to_string));
                out.town_last_partial = last;
            }
        }
    }
    out
}

/// Every query word must prefix-match some word of `hay` (folded).
fn words_match(words: &[String], hay: &str, last_partial: bool) -> bool {
    let n = words.len();
    words.iter().enumerate().all(|(i, w)| {
        hay.split(' ').any(|h| {
            if i + 1 == n && last_partial {
                h.starts_with(w.as_str())
            } else {
                h == w || h.starts_with(w.as_str())
            }
        })
    })
}

impl AddressIndex {
    fn post_ok(&self, a: &AccessAddress, q: &Query) -> bool {
        if let Some(p) = &q.postnr {
            let ps = a.postnr_str();
            if q.postnr_partial {
                if !ps.starts_with(p.as_str()) {
                    return false;
                }
            } else if ps != *p {
                return false;
            }
        }
        if !q.town_words.is_empty() {
            let town = self.town_folded[usize::from(a.postnr.min(9999))]
                .as_deref()
                .unwrap_or("");
            if !words_match(&q.town_words, town, q.town_last_partial) {
                let supp = a.supplerendebynavn.as_deref().map(fold).unwrap_or_default();
                let both = format!("{town} {supp}");
                if !words_match(&q.town_words, &both, q.town_last_partial) {
                    return false;
                }
            }
        }
        true
    }

    /// Index ranges (within a street's range) whose husnr matches `h`.
    fn husnr_ranges(
        &self,
        start: usize,
        end: usize,
        h: &str,
        partial: bool,
    ) -> Vec<(usize, usize)> {
        let recs = &self.records[start..end];
        let digits: String = h.chars().take_while(char::is_ascii_digit).collect();
        let suffix = &h[digits.len()..];
        let Ok(n) = digits.parse::<u32>() else {
            return Vec::new();
        };
        let range_for = |lo: u32, hi: u32| {
            let a = recs.partition_point(|r| u32::from(r.husnr.number()) < lo);
            let b = recs.partition_point(|r| u32::from(r.husnr.number()) <= hi);
            (start + a, start + b)
        };
        let mut out = vec![range_for(n, n)];
        if partial && suffix.is_empty() {
            if n > 0 && n * 10 < 10_000 {
                out.push(range_for(n * 10, n * 10 + 9));
            }
            if n > 0 && n * 100 < 10_000 {
                out.push(range_for(n * 100, n * 100 + 99));
            }
        }
        out.retain(|(a, b)| a < b);
        out
    }

    /// Autocomplete (see module docs). Returns at most `limit` suggestions.
    pub fn autocomplete(&self, q: &str, limit: usize) -> Vec<Suggestion> {
        let query = parse_query(q);
        if query.street_folded.is_empty() || limit == 0 {
            return Vec::new();
        }
        let s = query.street_folded.as_str();
        let mut out: Vec<Suggestion> = Vec::with_capacity(limit);
        let mut seen_streets: HashSet<u32> = HashSet::new();
        let mut matched: Vec<(u32, MatchKind)> = Vec::new();

        // Tier 0/1: full-name prefix range.
        let lo = self.streets.partition_point(|st| &*st.folded < s);
        let hi = lo + self.streets[lo..].partition_point(|st| st.folded.starts_with(s));
        for exact_pass in [true, false] {
            for si in lo..hi {
                let st = &self.streets[si];
                let exact = st.lower.starts_with(query.street_lower.as_str());
                if exact != exact_pass {
                    continue;
                }
                let kind = if exact {
                    MatchKind::ExactPrefix
                } else {
                    MatchKind::FoldedPrefix
                };
                if self.emit_street(si as u32, kind, &query, limit, &mut out, &mut matched) {
                    return out;
                }
                seen_streets.insert(si as u32);
            }
        }
        // Tier 2: later word of the name.
        if s.len() >= 2 {
            let key = |k: &(u32, u16)| &self.streets[k.0 as usize].folded[k.1 as usize..];
            let wlo = self.word_keys.partition_point(|k| key(k) < s);
            let whi = wlo + self.word_keys[wlo..].partition_point(|k| key(k).starts_with(s));
            for k in &self.word_keys[wlo..whi] {
                if seen_streets.insert(k.0)
                    && self.emit_street(
                        k.0,
                        MatchKind::WordPrefix,
                        &query,
                        limit,
                        &mut out,
                        &mut matched,
                    )
                {
                    return out;
                }
            }
        }
        // Tier 3: typos (only when nothing matched exactly / folded).
        let budget = typo_budget(s.len());
        if budget > 0 && out.is_empty() {
            let mut cands = self.fuzzy_prefix_streets(s.as_bytes(), budget);
            cands.sort_unstable();
            for (d, si) in cands {
                if seen_streets.contains(&si) {
                    continue;
                }
                if self.emit_street(
                    si,
                    MatchKind::Typo(d as u8),
                    &query,
                    limit,
                    &mut out,
                    &mut matched,
                ) {
                    return out;
                }
            }
        }
        if out.is_empty() {
            return self.place_suggestions(q, limit);
        }
        // Street-only query with few streets: fill with more houses.
        if query.husnr.is_none() && out.len() < limit {
            let mut have: HashSet<Uuid> = out.iter().map(|s| s.id).collect();
            for (si, kind) in matched {
                let st = &self.streets[si as usize];
                for a in &self.records[st.start as usize..st.end as usize] {
                    if self.post_ok(a, &query) && have.insert(a.id) {
                        out.push(Suggestion::new(a, kind, false));
                        if out.len() >= limit {
                            return out;
                        }
                    }
                }
            }
        }
        out
    }

    /// A query that names no street may name a place: a town (Fanø), a supplementary town name
    /// (Nordby), a postcode with or without its name (6720 Fanø). Its addresses are
    /// suggested, in street order.
    fn place_suggestions(&self, q: &str, limit: usize) -> Vec<Suggestion> {
        let trailing_space = q.ends_with(|c: char| c.is_whitespace() || c == ',');
        let mut place = Query::default();
        for token in q.split(|c: char| c.is_whitespace() || c == ',') {
            let token = token.trim_end_matches('.');
            if token.len() == 4 && token.bytes().all(|b| b.is_ascii_digit()) {
                place.postnr = Some(token.to_string());
            } else {
                let folded = fold(token);
                place.town_words.extend(
                    folded
                        .split(' ')
                        .filter(|w| !w.is_empty())
                        .map(str::to_string),
                );
            }
        }
        place.town_last_partial = !trailing_space;
        if place.postnr.is_none() && place.town_words.is_empty() {
            return Vec::new();
        }
        self.records
            .iter()
            .filter(|a| self.post_ok(a, &place))
            .take(limit)
            .map(|a| Suggestion::new(a, MatchKind::Place, false))
            .collect()
    }

    /// All streets starting with `q[0]` whose folded name has a prefix within
    /// `k` OSA edits of `q` (distance > 0), as (distance, street). The sorted street table is walked
    /// as an implicit trie: DP rows (one per target character) are reused for
    /// the common prefix with the previous name, and whole subtrees are skipped
    /// once every cell of a row exceeds `k`.
    pub(super) fn fuzzy_prefix_streets(&self, q: &[u8], k: usize) -> Vec<(usize, u32)> {
        let n = q.len();
        let big = (k + 1).min(255) as u8;
        let maxdepth = n + k;
        let mut rows: Vec<Vec<u8>> = vec![vec![big; n + 1]; maxdepth + 1];
        for (i, c) in rows[0].iter_mut().enumerate() {
            *c = (i.min(k + 1)) as u8;
        }
        // best[j] = min over depths 1..=j of rows[d][n] (prefix distance so far).
        let mut best: Vec<u8> = vec![big; maxdepth + 1];
        best[0] = rows[0][n];
        let mut out = Vec::new();
        let mut prev: &[u8] = b"";
        let mut valid = 0usize; // rows[0..=valid] belong to `prev`
                                // Typo tolerance starts after the first letter (like Elasticsearch's
                                // prefix_length = 1): only streets sharing q[0] are examined.
        let Some(&first) = q.first() else {
            return Vec::new();
        };
        let mut si = self
            .streets
            .partition_point(|s| s.folded.as_bytes().first().is_some_and(|&b| b < first));
        let end = si
            + self.streets[si..].partition_point(|s| s.folded.as_bytes().first() == Some(&first));
        while si < end {
            let full = self.streets[si].folded.as_bytes();
            let t = &full[..full.len().min(maxdepth)];
            let lcp = t.iter().zip(prev).take_while(|(a, b)| a == b).count();
            let start = lcp.min(valid);
            let mut depth = start;
            let mut pruned = false;
            for j in start + 1..=t.len() {
                let (lo, hi) = rows.split_at_mut(j);
                let cur = &mut hi[0];
                let p1 = &lo[j - 1];
                // Banded: only |i - j| <= k can be <= k; cells outside the band
                // are never written and stay `big`.
                let ilo = j.saturating_sub(k);
                let ihi = (j + k).min(n);
                let mut row_min = big;
                if ilo == 0 {
                    cur[0] = (j.min(k + 1)) as u8;
                    row_min = cur[0];
                }
                for i in ilo.max(1)..=ihi {
                    let cost = u8::from(q[i - 1] != t[j - 1]);
                    let mut v = (p1[i] + 1).min(cur[i - 1] + 1).min(p1[i - 1] + cost);
                    if i > 1 && j > 1 && q[i - 1] == t[j - 2] && q[i - 2] == t[j - 1] {
                        v = v.min(lo[j - 2][i - 2] + 1);
                    }
                    let v = v.min(big);
                    cur[i] = v;
                    row_min = row_min.min(v);
                }
                best[j] = best[j - 1].min(cur[n]);
                depth = j;
                if row_min >= big {
                    pruned = true;
                    break;
                }
            }
            valid = depth;
            prev = t;
            let d = best[depth];
            if pruned && d >= big {
                // No street sharing t[..depth] can match: skip the subtree.
                let pre = &t[..depth];
                let shares = |i: usize| self.streets[i].folded.as_bytes().starts_with(pre);
                // Exponential probe, then binary search inside the last gap.
                let mut ok = si;
                let mut step = 1usize;
                let mut probe = si + 1;
                while probe < end && shares(probe) {
                    ok = probe;
                    probe = ok + step;
                    step *= 2;
                }
                let hi = probe.min(end);
                si = ok
                    + 1
                    + self.streets[ok + 1..hi]
                        .partition_point(|s| s.folded.as_bytes().starts_with(pre));
                continue;
            }
            if d < big && d > 0 {
                out.push((usize::from(d), si as u32));
            }
            si += 1;
        }
        out
    }

    /// Emit suggestions for one street; returns true when `limit` is reached.
    fn emit_street(
        &self,
        si: u32,
        kind: MatchKind,
        q: &Query,
        limit: usize,
        out: &mut Vec<Suggestion>,
        matched: &mut Vec<(u32, MatchKind)>,
    ) -> bool {
        let st = &self.streets[si as usize];
        let (start, end) = (st.start as usize, st.end as usize);
        match &q.husnr {
            None => {
                // One suggestion per street: its first address passing the filters.
                if let Some(a) = self.records[start..end].iter().find(|a| self.post_ok(a, q)) {
                    matched.push((si, kind));
                    out.push(Suggestion::new(a, kind, false));
                }
            }
            Some(h) => {
                for (a, b) in self.husnr_ranges(start, end, h, q.husnr_partial) {
                    for r in &self.records[a..b] {
                        let hs = r.husnr.as_str();
                        // "1" also finds 1A and 1B where there is no plain 1 (the range
                        // holds the house number's variants only).
                        let ok = if q.husnr_partial || h.bytes().all(|b| b.is_ascii_digit()) {
                            hs.starts_with(h.as_str())
                        } else {
                            hs == h
                        };
                        if ok && self.post_ok(r, q) {
                            out.push(Suggestion::new(r, kind, hs == h));
                            if out.len() >= limit {
                                return true;
                            }
                        }
                    }
                }
            }
        }
        out.len() >= limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parsing() {
        let q = parse_query("Nørrebrogade 12A, 2. tv, 2200 Kø");
        assert_eq!(q.street_folded, "noerrebrogade");
        assert_eq!(q.husnr.as_deref(), Some("12A"));
        assert!(!q.husnr_partial);
        assert_eq!(q.postnr.as_deref(), Some("2200"));
        assert_eq!(q.town_words, vec!["koe".to_string()]);
        assert!(q.town_last_partial);
        let q = parse_query("norrebrogade 1");
        assert!(q.husnr_partial);
    }
}
