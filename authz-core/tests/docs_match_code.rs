//! Facts the documentation states about the code, checked against the code: the guide's table
//! of contents and links, its feature table against each crate's `[features]`, the README's
//! crate table against the workspace, and the size of the conformance kit.

use std::collections::{BTreeSet, HashSet};
use std::fs;

use authz_core::testkit::conformance::Kit;

/// A file of the workspace, by its path from the workspace root.
fn read(path: &str) -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    fs::read_to_string(format!("{root}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The lines of a markdown file outside its code blocks.
fn prose(markdown: &str) -> Vec<&str> {
    let mut fenced = false;
    markdown
        .lines()
        .filter(|line| {
            if line.starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .collect()
}

/// The `##` and `###` headings of a markdown file: (level, text).
fn headings(markdown: &str) -> Vec<(usize, String)> {
    prose(markdown)
        .into_iter()
        .filter_map(|line| {
            let level = line.chars().take_while(|c| *c == '#').count();
            let text = line.get(level..)?.strip_prefix(' ')?;
            (level == 2 || level == 3).then(|| (level, text.to_owned()))
        })
        .collect()
}

/// The anchor GitHub gives a heading: lowercase, punctuation dropped, spaces as `-`.
fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The targets of the markdown links in `markdown` that contain `#`.
fn anchored_links(markdown: &str) -> Vec<String> {
    let mut links = Vec::new();
    for line in prose(markdown) {
        let mut rest = line;
        while let Some(start) = rest.find("](") {
            rest = &rest[start + 2..];
            let Some(end) = rest.find(')') else { break };
            if rest[..end].contains('#') {
                links.push(rest[..end].to_owned());
            }
            rest = &rest[end..];
        }
    }
    links
}

#[test]
fn the_guide_lists_every_heading_in_its_table_of_contents() {
    let guide = read("docs/guide.md");
    let expected: Vec<String> = headings(&guide)
        .iter()
        .map(|(level, text)| {
            let indent = if *level == 2 { "" } else { "  " };
            format!("{indent}- [{text}](#{})", anchor(text))
        })
        .collect();
    let toc: Vec<&str> = guide
        .lines()
        .skip_while(|line| !line.starts_with("- ["))
        .take_while(|line| !line.is_empty())
        .collect();
    assert_eq!(
        toc, expected,
        "docs/guide.md: the table of contents and the headings differ"
    );
    assert!(
        headings(&guide)
            .iter()
            .any(|(_, text)| text == "Browsers, step-up and logout")
    );
    // No level-2 section runs long without level-3 headings to find one's way in it.
    let lines: Vec<&str> = prose(&guide);
    let mut since = 0;
    for line in &lines {
        if line.starts_with("## ") || line.starts_with("### ") {
            since = 0;
        } else {
            since += 1;
            assert!(
                since < 80,
                "docs/guide.md: 80 lines without a heading before {line:?}"
            );
        }
    }
}

#[test]
fn every_anchor_a_document_links_to_exists() {
    let documents = [
        "docs/guide.md",
        "examples/README.md",
        "README.md",
        "docs/adapters.md",
    ];
    for document in documents {
        let text = read(document);
        let directory = document.rsplit_once('/').map_or("", |(dir, _)| dir);
        for link in anchored_links(&text) {
            let (file, fragment) = link.split_once('#').unwrap_or((&link, ""));
            if file.starts_with("http") {
                continue;
            }
            let target = if file.is_empty() {
                document.to_owned()
            } else {
                normalize(&format!("{directory}/{file}"))
            };
            let anchors: HashSet<String> = headings(&read(&target))
                .iter()
                .map(|(_, text)| anchor(text))
                .chain(
                    // Level-1 and deeper headings are anchors too.
                    prose(&read(&target)).iter().filter_map(|line| {
                        let text = line.trim_start_matches('#');
                        (text.len() < line.len()).then(|| anchor(text.trim()))
                    }),
                )
                .collect();
            assert!(
                anchors.contains(fragment),
                "{document} links to {link}, which names no heading of {target}"
            );
        }
    }
}

/// `a/../b` as `b`, `./a` as `a`.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

/// The features a crate's `Cargo.toml` declares.
fn features(manifest: &str) -> BTreeSet<String> {
    manifest
        .lines()
        .skip_while(|line| line.trim() != "[features]")
        .skip(1)
        .take_while(|line| !line.starts_with('['))
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| line.split_once('=').map(|(name, _)| name.trim().to_owned()))
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn the_feature_table_lists_every_feature_with_its_crate() {
    let guide = read("docs/guide.md");
    let section: Vec<&str> = guide
        .lines()
        .skip_while(|line| *line != "## Crate features")
        .skip(1)
        .take_while(|line| !line.starts_with("## "))
        .filter(|line| line.starts_with("| `"))
        .collect();
    let mut documented = BTreeSet::new();
    for row in section {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let krate = cells[1].trim_matches('`');
        for feature in cells[2].split(',') {
            let feature = feature.split_whitespace().next().unwrap_or("");
            documented.insert((krate.to_owned(), feature.trim_matches('`').to_owned()));
        }
    }
    let mut declared = BTreeSet::new();
    for krate in [
        "authz-core",
        "authz-macros",
        "authz-axum",
        "authz-actix",
        "authz-tonic",
        "authz-postgres",
    ] {
        for feature in features(&read(&format!("{krate}/Cargo.toml"))) {
            if feature != "default" {
                declared.insert((krate.to_owned(), feature));
            }
        }
    }
    assert_eq!(
        documented, declared,
        "docs/guide.md \"Crate features\" and the crates' [features] differ"
    );
}

#[test]
fn the_readme_names_every_crate_and_example_binary() {
    let readme = read("README.md");
    let table: Vec<&str> = readme
        .lines()
        .skip_while(|line| !line.starts_with("| crate |"))
        .take_while(|line| line.starts_with('|'))
        .collect();
    let root = read("Cargo.toml");
    let members = root
        .lines()
        .find_map(|line| line.strip_prefix("members = "))
        .expect("workspace members");
    for member in members
        .trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .map(|m| m.trim().trim_matches('"'))
        .filter(|m| !m.is_empty() && !m.starts_with("tests/"))
    {
        let manifest = read(&format!("{member}/Cargo.toml"));
        let name = manifest
            .lines()
            .find_map(|line| line.strip_prefix("name = "))
            .map(|name| name.trim_matches('"'))
            .expect("package name");
        assert!(
            table
                .iter()
                .any(|row| row.contains(&format!("`{name}`"))
                    || row.contains(&format!("`{member}/`"))),
            "the README's crate table does not name {name} ({member})"
        );
    }
    let examples_row = table
        .iter()
        .find(|row| row.contains("authz-examples"))
        .expect("a row for the examples");
    let walkthroughs = read("examples/README.md");
    let bins = fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/src/bin"))
        .expect("examples/src/bin");
    for bin in bins {
        let file = bin.expect("entry").file_name();
        let name = file.to_string_lossy();
        let name = name.trim_end_matches(".rs");
        assert!(
            walkthroughs.contains(&format!("`{name}`"))
                || walkthroughs.contains(&format!("{name}]")),
            "examples/README.md does not name the binary {name}"
        );
        if name.ends_with("-api") {
            assert!(
                examples_row.contains(&format!("`{name}`")),
                "the README's crate table does not name the example application {name}"
            );
        }
    }
}

#[test]
fn the_guide_counts_the_conformance_cases_right() {
    let guide = read("docs/guide.md");
    let cases = Kit::new().cases().len();
    assert!(
        guide.contains(&format!("a kit of {cases} request cases")),
        "docs/guide.md does not say the conformance kit has {cases} cases"
    );
}
