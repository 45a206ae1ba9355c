//! The sandbox's test population: the people a tester can authenticate as, and the registry
//! the match simulator compares against. Fictional, and shown on the sandbox pages.

use serde_json::{Map, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TestIdentity {
    /// The push-app identifier (Smart-ID style `PNO` + country + `-` + personal code).
    pub registration_id: &'static str,
    /// The registry's lookup key (match flows' `userData.personalCode`).
    pub personal_code: &'static str,
    pub given_name: &'static str,
    pub family_name: &'static str,
    pub birthdate: &'static str,
    /// ISO 3166-1 alpha-2.
    pub nationality: &'static str,
    pub gender: &'static str,
    pub locale: &'static str,
}

pub const TEST_IDENTITIES: &[TestIdentity] = &[
    TestIdentity {
        registration_id: "PNOEE-39001010000",
        personal_code: "39001010000",
        given_name: "Sandbox",
        family_name: "Person",
        birthdate: "1990-01-01",
        nationality: "EE",
        gender: "female",
        locale: "et-EE",
    },
    TestIdentity {
        registration_id: "PNONO-14038512345",
        personal_code: "14038512345",
        given_name: "Kari",
        family_name: "Nordmann",
        birthdate: "1985-03-14",
        nationality: "NO",
        gender: "female",
        locale: "nb-NO",
    },
    TestIdentity {
        registration_id: "PNOEE-37911020000",
        personal_code: "37911020000",
        given_name: "Jaan",
        family_name: "Tamm",
        birthdate: "1979-11-02",
        nationality: "EE",
        gender: "male",
        locale: "et-EE",
    },
];

impl TestIdentity {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }

    /// Every claim this person has, under OIDC claim names.
    pub fn claims(&self) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("name".into(), self.full_name().into());
        claims.insert("given_name".into(), self.given_name.into());
        claims.insert("family_name".into(), self.family_name.into());
        claims.insert("birthdate".into(), self.birthdate.into());
        claims.insert("nationality".into(), self.nationality.into());
        claims.insert("gender".into(), self.gender.into());
        claims.insert("locale".into(), self.locale.into());
        claims
    }

    pub fn by_registration_id(id: &str) -> Option<&'static TestIdentity> {
        TEST_IDENTITIES.iter().find(|i| i.registration_id == id)
    }

    pub fn by_personal_code(code: &str) -> Option<&'static TestIdentity> {
        TEST_IDENTITIES.iter().find(|i| i.personal_code == code)
    }

    /// The default identity (the first), or the one a tester chose by registration id.
    pub fn chosen(choice: Option<&str>) -> Option<&'static TestIdentity> {
        match choice {
            None | Some("") => TEST_IDENTITIES.first(),
            Some(id) => Self::by_registration_id(id),
        }
    }
}

/// A registration id as the push simulator accepts it: `PNO`, a two-letter country, `-`, and
/// eleven digits. Spaces are dropped and letters upper-cased first.
pub fn canonical_registration_id(input: &str) -> Option<String> {
    let text: String = input
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let bytes = text.as_bytes();
    let well_formed = bytes.len() == 17
        && text.starts_with("PNO")
        && bytes[3].is_ascii_uppercase()
        && bytes[4].is_ascii_uppercase()
        && bytes[5] == b'-'
        && bytes[6..].iter().all(u8::is_ascii_digit);
    well_formed.then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_ids_are_checked_and_canonical() {
        assert_eq!(
            canonical_registration_id(" pnoee-39001010000 ").as_deref(),
            Some("PNOEE-39001010000")
        );
        for bad in [
            "",
            "PNOEE-3900101000",
            "PNOE1-39001010000",
            "PNOEE 39001010000x",
            "XNOEE-39001010000",
            "PNOEE-3900101000é",
        ] {
            assert_eq!(canonical_registration_id(bad), None, "{bad:?}");
        }
        for identity in TEST_IDENTITIES {
            assert_eq!(
                canonical_registration_id(identity.registration_id).as_deref(),
                Some(identity.registration_id)
            );
            assert!(identity.registration_id.ends_with(identity.personal_code));
        }
    }
}
