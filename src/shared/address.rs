//! Postal addresses the way each country writes them, from the address data in
//! [`address_data`](super::address_data) (Google's address metadata, CC BY 4.0): the
//! countries the shop ships to (listed by name), region lists, postal code checks and
//! the printed form of an address on pages and in mails.

use super::address_data::{self, Country, Region, DEFAULT};

/// Countries the shop ships to, as ISO codes. The list the checkout offers (by name).
pub const SHIPPING_COUNTRIES: &[&str] = &[
    "AT", "AU", "BE", "BG", "BR", "CA", "CH", "CN", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR",
    "GB", "GR", "HR", "HU", "IE", "IN", "IS", "IT", "JP", "LT", "LU", "LV", "MT", "MX", "NL", "NO",
    "NZ", "PL", "PT", "RO", "SE", "SG", "SI", "SK", "US", "ZA",
];

/// The shipping countries, sorted by their English name (the data's order).
pub fn shipping_countries() -> impl Iterator<Item = &'static Country> {
    address_data::COUNTRIES
        .iter()
        .filter(|c| SHIPPING_COUNTRIES.contains(&c.code))
}

/// Whether the shop ships to `code` (upper case ISO code).
pub fn ships_to(code: &str) -> bool {
    SHIPPING_COUNTRIES.contains(&code)
}

/// How addresses of `code` are written (Google's defaults for an unknown code).
pub fn country(code: &str) -> &'static Country {
    address_data::country(code).unwrap_or(&DEFAULT)
}

/// The English name of a country, or its code when the data does not know it.
pub fn country_name(code: &str) -> &str {
    match address_data::country(code) {
        Some(c) => c.name,
        None => code,
    }
}

/// Whether the country's addresses have a region (state, province, …) line.
pub fn has_region(c: &Country) -> bool {
    !c.region_label.is_empty()
}

/// The region of `c` that `input` names: its code ("CA"), its name ("California"),
/// or its ISO code, in any case.
pub fn find_region(c: &Country, input: &str) -> Option<&'static Region> {
    let t = input.trim();
    if t.is_empty() {
        return None;
    }
    c.regions.iter().find(|r| {
        r.code.eq_ignore_ascii_case(t)
            || r.name.eq_ignore_ascii_case(t)
            || (!r.iso.is_empty() && r.iso.eq_ignore_ascii_case(t))
    })
}

/// The postal code as it is stored: trimmed, upper case, inner runs of spaces made one.
pub fn normalize_postal(input: &str) -> String {
    input
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

/// Whether `postal` (normalised) is a valid postal code of `c`. Codes of a country
/// whose format the data does not know only need to look like a code.
pub fn postal_valid(c: &Country, postal: &str) -> bool {
    if !c.postal_pattern.is_empty() {
        return address_data::postal_matches(c.postal_pattern, postal);
    }
    (2..=10).contains(&postal.chars().count())
        && postal
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == ' ' || ch == '-')
}

/// The parts of an address, by the format letters of the data.
#[derive(Debug, Clone, Copy, Default)]
pub struct Parts<'a> {
    pub name: &'a str,
    pub line1: &'a str,
    pub line2: &'a str,
    pub city: &'a str,
    /// The region as stored (a code of the country's list, or free text).
    pub region: &'a str,
    pub postal_code: &'a str,
    pub country: &'a str,
}

/// The address as printed in its country, line by line, ending with the country's
/// name. Addresses typed in Latin letters use the country's Latin format where it has
/// one (Japan, China, Korea write those the other way round); fields the country
/// writes in capitals (the city in Britain, state and city in the US) are upper case.
/// Separators are kept only in front of a field that is there.
pub fn format_lines(p: &Parts) -> Vec<String> {
    let c = country(p.country);
    // The region is left out: a listed region is stored by the data's key, which is
    // in the local script for some countries (東京都).
    let latin = [p.name, p.line1, p.line2, p.city]
        .iter()
        .all(|s| s.is_ascii());
    let format = if latin && !c.latin_format.is_empty() {
        c.latin_format
    } else {
        c.format
    };
    let region = region_display(c, p.region, latin);
    let street = [p.line1, p.line2]
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let value = |letter: char| -> String {
        let v = match letter {
            'N' => p.name.to_string(),
            'A' => street.clone(),
            'C' => p.city.to_string(),
            'S' => region.clone(),
            'Z' => p.postal_code.to_string(),
            _ => String::new(),
        };
        let v = v.trim().to_string();
        if c.upper.contains(letter) {
            v.to_uppercase()
        } else {
            v
        }
    };
    let mut lines: Vec<String> = Vec::new();
    for spec in format.split("%n") {
        let mut line = String::new();
        let mut pending = String::new();
        let mut chars = spec.chars().peekable();
        while let Some(ch) = chars.next() {
            if ch == '%' {
                let Some(letter) = chars.next() else { break };
                let v = value(letter);
                if v.is_empty() {
                    // A separator before a missing field goes with it.
                    pending.clear();
                    continue;
                }
                line.push_str(&pending);
                pending.clear();
                line.push_str(&v);
            } else {
                pending.push(ch);
            }
        }
        // Text after the last field (none of today's formats has any) is dropped.
        for l in line.split('\n') {
            let l = l.trim().trim_start_matches(',').trim();
            if !l.is_empty() {
                lines.push(l.to_string());
            }
        }
    }
    let name = country_name(p.country);
    if !name.is_empty() {
        lines.push(name.to_string());
    }
    lines
}

/// A region as printed: the data's key where it is in Latin letters ("CA"), else
/// its Latin name ("Tokyo") for a Latin address; free text as typed.
fn region_display(c: &Country, region: &str, latin: bool) -> String {
    match c.regions.iter().find(|r| r.code == region) {
        Some(r) if r.code.is_ascii() || !latin => r.code.to_string(),
        Some(r) => r.name.to_string(),
        None => region.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(country: &str, region: &str, postal: &str, city: &str) -> Vec<String> {
        format_lines(&Parts {
            name: "Robin Reed",
            line1: "12 Orchard Lane",
            line2: "",
            city,
            region,
            postal_code: postal,
            country,
        })
    }

    #[test]
    fn us_addresses_put_city_state_and_zip_on_one_line() {
        assert_eq!(
            lines("US", "CA", "94105", "San Francisco"),
            [
                "Robin Reed",
                "12 Orchard Lane",
                "SAN FRANCISCO, CA 94105",
                "United States"
            ]
        );
    }

    #[test]
    fn german_addresses_put_the_postal_code_before_the_city() {
        // The city in capitals, as the data asks for every country that does not say otherwise.
        assert_eq!(
            lines("DE", "", "10115", "Berlin"),
            ["Robin Reed", "12 Orchard Lane", "10115 BERLIN", "Germany"]
        );
    }

    #[test]
    fn british_addresses_put_the_post_town_and_postcode_on_lines_of_their_own() {
        assert_eq!(
            lines("GB", "", "EC1Y 8SY", "London"),
            [
                "Robin Reed",
                "12 Orchard Lane",
                "LONDON",
                "EC1Y 8SY",
                "United Kingdom"
            ]
        );
    }

    #[test]
    fn japanese_addresses_in_latin_letters_use_the_latin_order_and_the_prefecture_name() {
        let tokyo = find_region(country("JP"), "Tokyo").expect("Tokyo is a prefecture");
        let got = lines("JP", tokyo.code, "154-0023", "");
        assert_eq!(
            got,
            ["Robin Reed", "12 Orchard Lane, TOKYO", "154-0023", "Japan"]
        );
    }

    #[test]
    fn a_missing_field_takes_its_separator_with_it() {
        assert_eq!(
            lines("US", "", "94105", "San Francisco"),
            [
                "Robin Reed",
                "12 Orchard Lane",
                "SAN FRANCISCO 94105",
                "United States"
            ]
        );
        assert_eq!(
            lines("US", "CA", "94105", ""),
            ["Robin Reed", "12 Orchard Lane", "CA 94105", "United States"]
        );
    }

    #[test]
    fn shipping_countries_are_known_and_sorted_by_name() {
        let names: Vec<&str> = shipping_countries().map(|c| c.name).collect();
        assert_eq!(names.len(), SHIPPING_COUNTRIES.len());
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(names.first(), Some(&"Australia"));
    }

    #[test]
    fn regions_are_found_by_code_name_or_iso_code_in_any_case() {
        let us = country("US");
        assert_eq!(find_region(us, "ca").map(|r| r.code), Some("CA"));
        assert_eq!(find_region(us, "California").map(|r| r.code), Some("CA"));
        assert!(find_region(us, "Atlantis").is_none());
        for code in ["US", "CA", "AU", "IN", "BR", "MX", "JP", "IT", "ES", "CN"] {
            assert!(
                !country(code).regions.is_empty(),
                "{code} has a region list"
            );
        }
    }

    #[test]
    fn every_postal_example_of_the_data_passes_its_own_country_check() {
        for (code, example) in address_data::POSTAL_EXAMPLES {
            let c = country(code);
            assert!(
                postal_valid(c, &normalize_postal(example)),
                "{code} {example}"
            );
        }
    }

    #[test]
    fn postal_codes_of_the_wrong_shape_are_refused() {
        assert!(postal_valid(country("US"), "94105-1234"));
        assert!(!postal_valid(country("US"), "9410"));
        assert!(!postal_valid(country("CA"), "12345"));
        assert!(postal_valid(country("CA"), &normalize_postal(" k1a  0b1 ")));
        assert!(!postal_valid(country("GB"), "NOPE"));
    }
}
