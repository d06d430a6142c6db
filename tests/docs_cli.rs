//! The docs name what the code does: every honoured profile key is in
//! `docs/profiles.md`, every price-book key in `docs/price-book.md`, and the README's
//! install section names both binaries.

use pricing_core::profile::fdm::FdmProfile;

fn doc(name: &str) -> String {
    std::fs::read_to_string(format!("{}/{name}", env!("CARGO_MANIFEST_DIR"))).expect("doc")
}

#[test]
fn profiles_doc_lists_every_honoured_key() {
    // The keys the estimate reads are the profile's fields, as serde names them.
    let fields = serde_json::to_value(FdmProfile::default()).expect("serializes");
    let keys: Vec<&String> = fields.as_object().expect("a struct").keys().collect();
    assert!(keys.len() > 50, "{keys:?}");
    let page = doc("docs/profiles.md");
    let missing: Vec<&&String> = keys
        .iter()
        .filter(|k| !page.contains(&format!("| `{k}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/profiles.md has no row for {missing:?}"
    );
    assert!(page.contains(&format!("### Honoured keys ({})", keys.len())));
}

#[test]
fn price_book_doc_lists_every_key_of_the_embedded_book() {
    let page = doc("docs/price-book.md");
    // Every `key =` of the embedded book, and every table name.
    for line in pricing_core::price::EMBEDDED_TOML.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let key = match line.split_once('=') {
            Some((k, _)) if !line.starts_with('[') => k.trim().to_string(),
            _ => {
                let table = line.trim_matches(|c| c == '[' || c == ']');
                match table.split('.').next() {
                    Some(t) => t.to_string(),
                    None => continue,
                }
            }
        };
        assert!(
            ["`", "`[", "`[["]
                .iter()
                .any(|p| page.contains(&format!("{p}{key}"))),
            "docs/price-book.md does not name `{key}`"
        );
    }
    for key in ["price_per_litre", "profile"] {
        assert!(page.contains(&format!("`{key}`")), "{key}");
    }
}

#[test]
fn readme_says_how_to_install_both_binaries() {
    let readme = doc("README.md");
    assert!(
        readme.contains("cargo install --locked --path .\n")
            || readme.contains("cargo install --locked --path .  ")
    );
    assert!(readme.contains("cargo install --locked --path pricing-worker"));
    let license = doc("LICENSE");
    assert!(license.starts_with("MIT License"));
}
