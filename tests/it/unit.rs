//! Pure functions: money, settings, errors, origin checks.

mod error {
    use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
    use oxcart::shared::error::*;

    #[test]
    fn argument_errors_become_bad_requests_not_server_errors() {
        let e = AppError::from_server_fn_error(ServerFnErrorErr::Args("x".into()));
        assert_eq!(e.status_code(), 400);
        let e = AppError::from_server_fn_error(ServerFnErrorErr::MissingArg("x".into()));
        assert_eq!(e.status_code(), 400);
    }

    #[test]
    fn form_errors_keep_first_message_per_field() {
        let mut e = FormErrors::new();
        e.add("email", "first");
        e.add("email", "second");
        assert_eq!(e.get("email"), Some("first"));
        assert!(e.into_result().is_err());
    }

    #[test]
    fn human_wait_reads_naturally() {
        assert_eq!(human_wait(1), "1 second");
        assert_eq!(human_wait(30), "30 seconds");
        assert_eq!(human_wait(60), "1 minute");
        assert_eq!(human_wait(899), "15 minutes");
    }
}

mod config {
    use oxcart::kernel::config::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_valid() {
        let s = Settings::from_sources(None, &env(&[])).unwrap();
        assert_eq!(s.database, "oxcart");
        assert_eq!(s.public_url.as_str(), "http://127.0.0.1:3000/");
        assert!(!s.secure_cookies);
    }

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        let dir = std::env::temp_dir().join(format!("oxcart-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("oxcart.toml");
        std::fs::write(
            &path,
            "database = \"fromfile\"\nshop_name = \"File Shop\"\n",
        )
        .unwrap();
        let s =
            Settings::from_sources(Some(&path), &env(&[("OXCART_DATABASE", "fromenv")])).unwrap();
        assert_eq!(s.database, "fromenv");
        assert_eq!(s.shop_name, "File Shop");
    }

    #[test]
    fn bad_setting_is_named_with_its_origin() {
        let e =
            Settings::from_sources(None, &env(&[("OXCART_SITE_ADDR", "nonsense")])).unwrap_err();
        assert_eq!(e.setting, "site_addr");
        assert_eq!(e.origin, Origin::Env("OXCART_SITE_ADDR".into()));
        assert!(e.to_string().contains("OXCART_SITE_ADDR"));
    }

    #[test]
    fn https_public_url_turns_on_secure_cookies() {
        let s = Settings::from_sources(
            None,
            &env(&[("OXCART_PUBLIC_URL", "https://shop.example.com")]),
        )
        .unwrap();
        assert!(s.secure_cookies);
        assert_eq!(s.public_origin(), "https://shop.example.com");
    }

    #[test]
    fn uri_password_is_redacted() {
        assert_eq!(
            redact_uri("mongodb://ann:s3cret@db.example.com:27017/shop?tls=true"),
            "mongodb://ann:****@db.example.com:27017/shop?tls=true"
        );
        assert_eq!(redact_uri("mongodb://localhost"), "mongodb://localhost");
        let e = Settings::from_sources(None, &env(&[("MONGODB_URI", "mysql://ann:s3cret@x")]))
            .unwrap_err();
        assert!(!e.to_string().contains("s3cret"));
        let s = Settings::from_sources(
            None,
            &env(&[("MONGODB_URI", "mongodb://ann:s3cret@localhost:27017")]),
        )
        .unwrap();
        assert!(!s.summary().contains("s3cret"));
        assert!(!format!("{s:?}").contains("s3cret"));
    }
}

mod money {
    use oxcart::shared::{Currency, Money};

    fn show(minor: i64, code: &str) -> String {
        Money::new(minor, Currency::parse(code).unwrap()).to_string()
    }

    fn parse_price(input: &str, code: &str) -> Result<i64, String> {
        Money::parse(input, Currency::parse(code).unwrap()).map(Money::minor)
    }

    #[test]
    fn formats_minor_units() {
        assert_eq!(show(123450, "usd"), "$1,234.50");
        assert_eq!(show(5, "eur"), "€0.05");
        assert_eq!(show(1500, "jpy"), "¥1,500");
        assert_eq!(show(-250, "gbp"), "-£2.50");
    }

    #[test]
    fn parses_prices_people_type() {
        assert_eq!(parse_price("12", "usd"), Ok(1200));
        assert_eq!(parse_price("12.5", "usd"), Ok(1250));
        assert_eq!(parse_price(" 1,234.99 ", "usd"), Ok(123499));
        assert_eq!(parse_price(".99", "usd"), Ok(99));
        assert_eq!(parse_price("1500", "jpy"), Ok(1500));
    }

    #[test]
    fn refuses_bad_prices() {
        assert!(parse_price("-1", "usd").is_err());
        assert!(parse_price("abc", "usd").is_err());
        assert!(parse_price("1.999", "usd").is_err());
        assert!(parse_price("1e9", "usd").is_err());
        assert!(parse_price("99999999999999999999", "usd").is_err());
        assert!(parse_price("1000001", "usd").is_err());
        assert!(parse_price("", "usd").is_err());
        assert!(parse_price("NaN", "usd").is_err());
        assert!(parse_price("12.5", "jpy").is_err());
    }

    #[test]
    fn input_round_trips() {
        let m = Money::new(1250, Currency::Usd);
        assert_eq!(m.to_input(), "12.50");
        assert_eq!(parse_price(&m.to_input(), "usd"), Ok(1250));
    }

    #[test]
    fn arithmetic_is_checked_and_never_mixes_currencies() {
        let usd = |m| Money::new(m, Currency::Usd);
        assert_eq!(usd(250).checked_add(usd(100)), Some(usd(350)));
        assert_eq!(usd(250).checked_sub(usd(300)), Some(usd(-50)));
        assert_eq!(usd(250).checked_mul(3), Some(usd(750)));
        assert_eq!(usd(1).checked_add(Money::new(1, Currency::Eur)), None);
        assert_eq!(usd(i64::MAX).checked_add(usd(1)), None);
        assert_eq!(usd(i64::MAX / 2).checked_mul(3), None);
        assert_eq!(
            Money::sum(Currency::Usd, [usd(1), usd(2), usd(3)]),
            Some(usd(6))
        );
        assert_eq!(
            Money::sum(Currency::Usd, [usd(1), Money::new(2, Currency::Gbp)]),
            None
        );
    }

    #[test]
    fn currencies_parse_in_any_case_and_store_lower_case() {
        assert_eq!(Currency::parse("USD"), Some(Currency::Usd));
        assert_eq!(Currency::parse("xyz"), None);
        assert_eq!(serde_json::to_string(&Currency::Jpy).unwrap(), "\"jpy\"");
    }
}

mod domain {
    use oxcart::shared::{Actor, OrderNumber, Quantity, Slug};

    #[test]
    fn quantities_parse_with_clear_messages() {
        let q = |s| Quantity::parse_input(s, 1, 99);
        assert_eq!(q("3").map(Quantity::get), Ok(3));
        assert!(q("0").unwrap_err().contains("at least 1"));
        assert!(q("-2").unwrap_err().contains("at least 1"));
        assert!(q("100").unwrap_err().contains("at most 99"));
        assert!(q("99999999999999999999999")
            .unwrap_err()
            .contains("at most 99"));
        assert!(q("two").unwrap_err().contains("whole number"));
        assert!(q("").unwrap_err().contains("Enter"));
        assert_eq!(Quantity::parse_input("0", 0, 99).map(Quantity::get), Ok(0));
    }

    #[test]
    fn serde_goes_through_the_parsers() {
        assert!(serde_json::from_str::<Quantity>("-1").is_err());
        assert!(serde_json::from_str::<Quantity>("5").is_ok());
        assert!(serde_json::from_str::<Slug>("\"Bad Slug\"").is_err());
        assert!(serde_json::from_str::<Slug>("\"oak-desk-lamp\"").is_ok());
        assert!(serde_json::from_str::<OrderNumber>("\"OX-000000\"").is_err());
        let n: OrderNumber = serde_json::from_str("\"OX-000042\"").unwrap();
        assert_eq!(n.to_string(), "OX-000042");
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"OX-000042\"");
    }

    #[test]
    fn order_numbers_read_the_ways_people_type_them() {
        for typed in ["OX-000123", "ox-123", "OX123", "123"] {
            assert_eq!(
                OrderNumber::parse(typed).map(OrderNumber::get),
                Some(123),
                "{typed}"
            );
        }
        assert_eq!(OrderNumber::parse("OX-"), None);
        assert_eq!(OrderNumber::parse("0"), None);
    }

    #[test]
    fn actors_keep_their_stored_shape() {
        let id = "0123456789abcdef01234567";
        for stored in [
            format!("customer:{id}"),
            format!("admin:{id}"),
            "stripe".into(),
            "system".into(),
        ] {
            let a: Actor =
                serde_json::from_value(serde_json::Value::String(stored.clone())).unwrap();
            assert_eq!(
                serde_json::to_value(&a).unwrap(),
                serde_json::Value::String(stored)
            );
        }
        assert_eq!(Actor::Customer(id.into()).label(false), "you");
        assert_eq!(Actor::Customer(id.into()).label(true), "the customer");
        // A value another version wrote is kept as it was.
        let odd: Actor = serde_json::from_value(serde_json::json!("robot:7")).unwrap();
        assert_eq!(
            serde_json::to_value(&odd).unwrap(),
            serde_json::json!("robot:7")
        );
    }
}

mod redirects {
    use oxcart::accounts::types::safe_next;

    #[test]
    fn only_paths_of_this_shop_are_kept() {
        assert_eq!(
            safe_next(Some("/products?q=a"), "/account"),
            "/products?q=a"
        );
        assert_eq!(safe_next(None, "/account"), "/account");
        assert_eq!(safe_next(Some(""), "/account"), "/account");
        for bad in [
            "//evil.example",
            "/\\evil",
            "/\t/evil",
            "https://x",
            "/%2F%2Fx",
            "/\u{1}",
            "/api/x",
        ] {
            assert_eq!(safe_next(Some(bad), "/account"), "/", "{bad:?}");
        }
    }
}

mod security {
    use http::{header, HeaderMap, HeaderValue};
    use oxcart::server::middleware::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                header::HeaderName::from_static(k),
                HeaderValue::from_static(v),
            );
        }
        h
    }

    const PUBLIC: &str = "https://shop.example.com";

    #[test]
    fn same_origin_post_is_allowed() {
        assert!(is_same_origin(
            &headers(&[
                ("origin", "https://shop.example.com"),
                ("host", "shop.example.com")
            ]),
            PUBLIC
        ));
        assert!(is_same_origin(
            &headers(&[
                ("origin", "http://localhost:3000"),
                ("host", "localhost:3000")
            ]),
            PUBLIC
        ));
    }

    #[test]
    fn foreign_origin_is_refused() {
        assert!(!is_same_origin(
            &headers(&[
                ("origin", "https://evil.example"),
                ("host", "shop.example.com")
            ]),
            PUBLIC
        ));
        assert!(!is_same_origin(
            &headers(&[("origin", "null"), ("host", "shop.example.com")]),
            PUBLIC
        ));
        assert!(!is_same_origin(
            &headers(&[
                ("referer", "https://evil.example/page"),
                ("host", "shop.example.com")
            ]),
            PUBLIC
        ));
        assert!(!is_same_origin(
            &headers(&[
                ("sec-fetch-site", "cross-site"),
                ("host", "shop.example.com")
            ]),
            PUBLIC
        ));
    }

    #[test]
    fn clients_without_browser_headers_are_allowed() {
        assert!(is_same_origin(
            &headers(&[("host", "shop.example.com")]),
            PUBLIC
        ));
    }
}

mod db {
    use oxcart::kernel::db::*;
    use std::time::Duration;

    #[test]
    fn backoff_grows_then_caps() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(4));
        assert_eq!(backoff(9), Duration::from_secs(10));
        assert_eq!(backoff(100), Duration::from_secs(10));
    }
}
