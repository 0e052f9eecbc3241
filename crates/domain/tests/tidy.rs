//! Tidiness checks over the domain's own source.

use std::fs;
use std::path::{Path, PathBuf};

/// Literals shaped like rule IDs that name something else (container catalogue and lot numbers,
/// as the test kit and the demo use): let through should one appear in the domain.
const NOT_RULES: &[&str] = &["BAG-450", "BAG-450-AS1", "L2026-03"];

/// The one file that spells rule IDs: the index of rules.
const RULE_INDEX: &str = "kernel/rule.rs";

/// A refusal names its rule by a `Rule` variant (`kernel/rule.rs`), never by a string: a string
/// literal shaped like a rule ID (`"ELIG-AGE"`, `"DIST-PICK"`) anywhere else in the non-test
/// source would be a rule nobody indexed (or a misspelt one). Test modules (`#[cfg(test)]`)
/// may compare refusals with ID strings.
#[test]
fn rule_ids_are_spelled_only_in_the_rule_enum() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() > 10,
        "found only {} files in {}",
        files.len(),
        src.display()
    );
    let mut found = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap_or(&file);
        let name = relative.to_string_lossy().replace('\\', "/");
        if name == RULE_INDEX {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (line, literal) in rule_like_literals(&text) {
            if !NOT_RULES.contains(&literal.as_str()) {
                found.push(format!("src/{name}:{line}: \"{literal}\""));
            }
        }
    }
    assert!(
        found.is_empty(),
        "rule IDs spelled as strings; name a Rule variant (add one in src/{RULE_INDEX}, with \
         its source, for a new rule):\n{}",
        found.join("\n")
    );
}

/// The scan itself: it finds a rule-shaped literal in code, and not in comments, in other
/// literals, or in a `#[cfg(test)]` module.
#[test]
fn the_tidy_scan_finds_rule_literals_outside_tests_only() {
    let source = r##"
//! Rules: "ELIG-AGE" in a doc comment.
fn decide() -> Result<(), Refusal> {
    let c = '"'; let l: &'static str = "x"; /* "REL-GATE" */
    let raw = r#"COMPAT-RBC "quoted""#;
    let sentence = "see ELIG-BP";
    refuse("ELIG-AGE", format!("{c}{l}{raw}{sentence}"))
}
#[cfg(test)]
mod tests {
    fn t() { assert_eq!(rule, "ELIG-AGE"); let s = "{"; }
}
fn after() { refuse("DIST-PICK", "escaped \" quote"); }
"##;
    assert_eq!(
        rule_like_literals(source),
        vec![(7, "ELIG-AGE".to_owned()), (13, "DIST-PICK".to_owned())]
    );
    assert!(
        rule_like_literals(r#"let a = "BAG-450"; let b = "AB"; let c = "ok-1";"#)
            .iter()
            .all(|(_, l)| NOT_RULES.contains(&l.as_str()))
    );
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether a literal's whole text has the shape of a rule ID: upper-case words of letters and
/// digits joined by hyphens, the first a letter and at least two long (`ELIG-HB-F`, `P11-SIGN`).
fn looks_like_rule_id(text: &str) -> bool {
    let mut parts = text.split('-');
    let first = parts.next().unwrap_or_default();
    let word = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    let rest: Vec<&str> = parts.collect();
    first.len() >= 2
        && first.starts_with(|c: char| c.is_ascii_uppercase())
        && word(first)
        && !rest.is_empty()
        && rest.iter().all(|p| word(p))
}

/// The string literals of `source` shaped like rule IDs, with their line numbers, outside
/// comments and outside items under `#[cfg(test)]`.
fn rule_like_literals(source: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = source.chars().collect();
    let mut found = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let mut depth = 0usize;
    // `#[cfg(test)]` seen, its item not yet opened.
    let mut test_attribute = false;
    // The brace depth at which the current test item closes.
    let mut test_item: Option<usize> = None;
    let at = |i: usize, s: &str| {
        s.chars()
            .enumerate()
            .all(|(k, c)| chars.get(i + k) == Some(&c))
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if at(i, "//") {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if at(i, "/*") {
            let mut nesting = 0;
            while i < chars.len() {
                if at(i, "/*") {
                    nesting += 1;
                    i += 2;
                } else if at(i, "*/") {
                    nesting -= 1;
                    i += 2;
                    if nesting == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if c == '"' || ((c == 'r' || c == 'b') && starts_literal(&chars, i)) {
            let start_line = line;
            let (text, end) = string_literal(&chars, i);
            line += text.matches('\n').count();
            if test_item.is_none() && !test_attribute && looks_like_rule_id(&text) {
                found.push((start_line, text));
            }
            i = end;
        } else if c == '\'' {
            // A char literal ('x', '\'', '"') or a lifetime ('static).
            if chars.get(i + 1) == Some(&'\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
        } else if at(i, "#[cfg(test)]") {
            test_attribute = true;
            i += "#[cfg(test)]".len();
        } else if c == '{' {
            if test_attribute && test_item.is_none() {
                test_item = Some(depth);
            }
            test_attribute = false;
            depth += 1;
            i += 1;
        } else if c == '}' {
            depth = depth.saturating_sub(1);
            if test_item == Some(depth) {
                test_item = None;
            }
            i += 1;
        } else if c == ';' {
            // `#[cfg(test)] use ...;` or `mod tests;`: the item ends without a body.
            if test_item.is_none() {
                test_attribute = false;
            }
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            // A whole identifier, so that the `r` or `b` inside one starts no literal.
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    found
}

/// Whether `r`, `b` or `br` at `i` opens a (raw or byte) string literal.
fn starts_literal(chars: &[char], i: usize) -> bool {
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) == Some(&'r') {
        j += 1;
        while chars.get(j) == Some(&'#') {
            j += 1;
        }
    }
    j > i && chars.get(j) == Some(&'"')
}

/// The text of the string literal starting at `i` (its prefix, if any, included in the scan)
/// and the index after it. Escapes are kept as written: a rule ID has none.
fn string_literal(chars: &[char], mut i: usize) -> (String, usize) {
    if chars.get(i) == Some(&'b') {
        i += 1;
    }
    let mut hashes = None;
    if chars.get(i) == Some(&'r') {
        i += 1;
        let mut n = 0;
        while chars.get(i) == Some(&'#') {
            n += 1;
            i += 1;
        }
        hashes = Some(n);
    }
    i += 1; // the opening quote
    let mut text = String::new();
    while i < chars.len() {
        let c = chars[i];
        match hashes {
            Some(n) if c == '"' && (1..=n).all(|k| chars.get(i + k) == Some(&'#')) => {
                return (text, i + 1 + n);
            }
            None if c == '\\' => {
                text.push(c);
                if let Some(&next) = chars.get(i + 1) {
                    text.push(next);
                }
                i += 2;
                continue;
            }
            None if c == '"' => return (text, i + 1),
            _ => text.push(c),
        }
        i += 1;
    }
    (text, i)
}
