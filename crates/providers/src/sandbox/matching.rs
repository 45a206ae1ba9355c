//! The match simulator's comparison of a partner's `matchData` with a registry record.

use super::identities::TestIdentity;
use idgate_core::{FieldMatch, MatchResult};
use std::collections::BTreeMap;

/// Names at or above this similarity (0-100) count as matched.
pub const NAME_THRESHOLD: u8 = 85;

/// Case, accents aside, and spacing do not make names different.
fn fold(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn similarity(a: &str, b: &str) -> u8 {
    let score = strsim::normalized_levenshtein(&fold(a), &fold(b)) * 100.0;
    // Bounded to 0-100 by construction; the cast cannot truncate meaningfully.
    score.round().clamp(0.0, 100.0) as u8
}

/// Compares each submitted field; `fullName` by similarity, `dateOfBirth` exactly.
pub fn compare(submitted: &BTreeMap<String, String>, record: &TestIdentity) -> MatchResult {
    let mut fields = BTreeMap::new();
    for (name, value) in submitted {
        let result = match name.as_str() {
            "fullName" => {
                let score = similarity(value, &record.full_name());
                FieldMatch {
                    matched: score >= NAME_THRESHOLD,
                    similarity: Some(score),
                }
            }
            "dateOfBirth" => FieldMatch {
                matched: value.trim() == record.birthdate,
                similarity: None,
            },
            // Undeclared fields are refused at creation; if one gets here, it does not match.
            _ => FieldMatch::default(),
        };
        fields.insert(name.clone(), result);
    }
    MatchResult {
        matched: !fields.is_empty() && fields.values().all(|f| f.matched),
        granularity: "per_field".to_owned(),
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::identities::TEST_IDENTITIES;

    fn submitted(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn names_match_by_similarity_and_dates_exactly() {
        let kari = &TEST_IDENTITIES[1];
        let exact = compare(
            &submitted(&[
                ("fullName", "kari  NORDMANN"),
                ("dateOfBirth", "1985-03-14"),
            ]),
            kari,
        );
        assert!(exact.matched);
        assert_eq!(exact.fields["fullName"].similarity, Some(100));

        let typo = compare(&submitted(&[("fullName", "Kari Nordman")]), kari);
        assert!(typo.matched, "one letter off still matches");
        let score = typo.fields["fullName"].similarity.unwrap_or(0);
        assert!((85..100).contains(&score), "{score}");

        let other = compare(
            &submitted(&[("fullName", "Ola Hansen"), ("dateOfBirth", "1985-03-14")]),
            kari,
        );
        assert!(!other.matched);
        assert!(!other.fields["fullName"].matched);
        assert!(other.fields["dateOfBirth"].matched);

        let wrong_date = compare(&submitted(&[("dateOfBirth", "1985-03-15")]), kari);
        assert!(!wrong_date.matched);
        assert_eq!(wrong_date.fields["dateOfBirth"].similarity, None);
    }
}
