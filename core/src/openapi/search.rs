//! The docs page's search: every word asked for, anywhere in an operation (method, path,
//! summary, description, tag, parameter names), a named schema (name, property names and
//! descriptions), the authentication guide or one of the operator's guides. Pure and bounded:
//! at most [`MAX_SEARCH_CHARS`] characters in eight words, [`MAX_SEARCH_HITS`] results shown.

use crate::dto::docs::{ApiReference, SearchHit, SearchResults, MAX_SEARCH_CHARS, MAX_SEARCH_HITS};

/// What the authentication guide is found by.
const AUTH_WORDS: &str = "authentication api key keys header bearer authorization live test scopes rate limit ratelimit retry-after quota refused refusal errors \
    not_found invalid_format revoked expired disabled pending_approval insufficient_scopes rate_limited usage_exceeded x-ratelimit-limit x-ratelimit-remaining x-ratelimit-reset";

/// One of the operator's guides, as searched: its anchor, title and Markdown source.
pub struct GuideText<'a> {
    /// `guide-<slug>`.
    pub anchor: &'a str,
    /// Its title.
    pub title: &'a str,
    /// Its Markdown.
    pub body: &'a str,
}

/// The words of a query: lower case, at most eight, from at most [`MAX_SEARCH_CHARS`]
/// characters. `None` when nothing is left to search for.
pub fn query_words(q: &str) -> Option<(String, Vec<String>)> {
    let q: String = q.trim().chars().take(MAX_SEARCH_CHARS).collect();
    let words: Vec<String> = q.split_whitespace().take(8).map(str::to_lowercase).collect();
    (!words.is_empty()).then_some((q.trim().to_owned(), words))
}

/// Searches the reference (if any) and the guides for every word of `q`. `None` for an
/// empty query.
pub fn search(reference: Option<&ApiReference>, guides: &[GuideText<'_>], q: &str) -> Option<SearchResults> {
    let (query, words) = query_words(q)?;
    let all = |hay: &str| words.iter().all(|w| hay.contains(w.as_str()));
    // (rank, hit): 0 when the title is the query, 1 when it holds every word, 2 otherwise.
    let whole = words.join(" ");
    let mut found: Vec<(u8, SearchHit)> = Vec::new();
    let mut consider = |hay: String, hit: SearchHit| {
        let title = hit.title.to_lowercase();
        if title == whole {
            found.push((0, hit));
        } else if all(&title) {
            found.push((1, hit));
        } else if all(&format!("{title} {}", hay.to_lowercase())) {
            found.push((2, hit));
        }
    };
    consider(AUTH_WORDS.to_owned(), SearchHit { kind: "Guide".into(), title: "Authentication".into(), detail: "Keys, the header they go in, scopes, limits and refusals".into(), anchor: "authentication".into() });
    for g in guides {
        let detail = snippet(g.body, &words);
        consider(g.body.to_owned(), SearchHit { kind: "Guide".into(), title: g.title.to_owned(), detail, anchor: g.anchor.to_owned() });
    }
    if let Some(r) = reference {
        for group in &r.groups {
            for o in &group.operations {
                let title = format!("{} {}", o.method, o.path);
                let mut hay = format!("{} {} {} {}", o.summary, group.name, o.anchor, o.description.as_deref().unwrap_or(""));
                for p in &o.parameters {
                    hay.push(' ');
                    hay.push_str(&p.name);
                }
                for s in &o.scopes {
                    hay.push(' ');
                    hay.push_str(s);
                }
                let detail = if o.summary.is_empty() { group.name.clone() } else { format!("{} · {}", o.summary, group.name) };
                consider(hay, SearchHit { kind: "Operation".into(), title, detail, anchor: o.anchor.clone() });
            }
        }
        for s in &r.schemas {
            let mut hay = String::new();
            for row in s.rows.iter().take(300) {
                hay.push(' ');
                hay.push_str(row.name.as_deref().unwrap_or(""));
                hay.push(' ');
                hay.push_str(row.description.as_deref().unwrap_or(""));
            }
            let props = s.rows.iter().filter(|r| r.depth == 1).filter_map(|r| r.name.clone()).take(6).collect::<Vec<_>>();
            let detail = if props.is_empty() { "Schema".to_owned() } else { format!("Schema: {}", props.join(", ")) };
            consider(hay, SearchHit { kind: "Schema".into(), title: s.name.clone(), detail, anchor: s.anchor.clone() });
        }
    }
    found.sort_by_key(|(rank, _)| *rank);
    let more = found.len() > MAX_SEARCH_HITS;
    let hits = found.into_iter().take(MAX_SEARCH_HITS).map(|(_, h)| h).collect();
    Some(SearchResults { query, hits, more })
}

/// About 100 characters of a guide around the first word found, without Markdown marks.
fn snippet(body: &str, words: &[String]) -> String {
    let plain: String = body.chars().map(|c| if matches!(c, '#' | '*' | '_' | '`' | '>' | '\n' | '\r' | '\t') { ' ' } else { c }).collect();
    let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    if plain.chars().count() <= 100 {
        return plain;
    }
    let lower = plain.to_lowercase();
    // Lower-casing can change lengths; fall back to the start when offsets do not line up.
    let at = words.iter().find_map(|w| lower.find(w.as_str())).filter(|_| lower.len() == plain.len()).unwrap_or(0);
    let start = plain[..at].char_indices().rev().nth(40).map_or(0, |(i, _)| i);
    let text: String = plain[start..].chars().take(100).collect();
    let mut out = if start > 0 { format!("…{text}") } else { text };
    if plain[start..].chars().count() > 100 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::{check_document, reference};

    fn demo() -> ApiReference {
        let doc = check_document(crate::services::demo::DEMO_DOCUMENT).unwrap();
        reference(&doc.json, "https://api.example.com")
    }

    #[test]
    fn finds_operations_schemas_and_guides_by_every_word() {
        let r = demo();
        let guides = [GuideText { anchor: "guide-webhooks", title: "Webhooks", body: "We send a **signed** POST when a payment settles.\n\nVerify the signature." }];
        let res = search(Some(&r), &guides, "  Invoice  ").unwrap();
        assert_eq!(res.query, "Invoice");
        assert!(res.hits.iter().any(|h| h.kind == "Schema" && h.title == "Invoice"), "{:?}", res.hits);
        assert!(res.hits.iter().any(|h| h.kind == "Operation" && h.title.contains("/invoices")), "{:?}", res.hits);
        assert_eq!((res.hits[0].kind.as_str(), res.hits[0].title.as_str()), ("Schema", "Invoice"), "the exact title first: {:?}", res.hits);

        let res = search(Some(&r), &guides, "signature settles").unwrap();
        assert_eq!(res.hits.len(), 1);
        assert_eq!(res.hits[0].anchor, "guide-webhooks");
        assert!(res.hits[0].detail.contains("signed POST") && !res.hits[0].detail.contains("**"), "{}", res.hits[0].detail);

        let res = search(Some(&r), &[], "rate_limited").unwrap();
        assert_eq!(res.hits[0].anchor, "authentication");
        assert!(search(Some(&r), &[], "zebra quantum").unwrap().hits.is_empty());
        assert!(search(Some(&r), &[], "   ").is_none());
        assert!(search(None, &guides, "webhooks").unwrap().hits.len() == 1, "guides are searched without a document");
    }

    #[test]
    fn queries_are_bounded() {
        let (q, words) = query_words(&"word ".repeat(500)).unwrap();
        assert!(q.chars().count() <= MAX_SEARCH_CHARS);
        assert_eq!(words.len(), 8);
        let body = "é".repeat(10_000) + " needle " + &"ß".repeat(10_000);
        let s = snippet(&body, &["needle".into()]);
        assert!(s.chars().count() <= 102);
        let many: Vec<GuideText> = (0..200).map(|_| GuideText { anchor: "g", title: "Alpha guide", body: "alpha" }).collect();
        let res = search(None, &many, "alpha").unwrap();
        assert_eq!(res.hits.len(), MAX_SEARCH_HITS);
        assert!(res.more);
    }
}
