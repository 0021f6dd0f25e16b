//! Pure functions: money, settings, errors, origin checks.

mod error {
    use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
    use oxcart::error::*;

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
    use oxcart::config::*;
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
    use oxcart::money::*;

    #[test]
    fn formats_minor_units() {
        assert_eq!(format_minor(123450, "usd"), "$1,234.50");
        assert_eq!(format_minor(5, "eur"), "€0.05");
        assert_eq!(format_minor(1500, "jpy"), "¥1,500");
        assert_eq!(format_minor(-250, "gbp"), "-£2.50");
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
        assert_eq!(minor_to_input(1250, "usd"), "12.50");
        assert_eq!(parse_price(&minor_to_input(1250, "usd"), "usd"), Ok(1250));
    }
}

mod security {
    use http::{header, HeaderMap, HeaderValue};
    use oxcart::server::security::*;

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
    use oxcart::db::*;
    use std::time::Duration;

    #[test]
    fn backoff_grows_then_caps() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(4));
        assert_eq!(backoff(9), Duration::from_secs(10));
        assert_eq!(backoff(100), Duration::from_secs(10));
    }
}
