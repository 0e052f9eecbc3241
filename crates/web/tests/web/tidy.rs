//! The process's one clock (`hemaflow_ledger::clock`, constructed by the server and the
//! command line): no code of the web or command-line crates reads the system's time itself,
//! so that a command's time is read once, by the ledger, under its lock.

use std::path::{Path, PathBuf};

/// Reading any of these is reading the system's clock.
const SYSTEM_TIME: [&str; 4] = [
    "now_utc()",
    "now_local()",
    "Timestamp::now()",
    "SystemTime::now()",
];

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn no_code_of_the_web_or_cli_crates_reads_the_system_clock() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&web.join("src"), &mut files);
    rust_files(&web.join("../cli/src"), &mut files);
    assert!(files.len() > 20, "{} files", files.len());
    let mut readings = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a source file");
        // Unit tests sit at the end of a file, after `#[cfg(test)]`; they may fix a time.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (number, line) in code.lines().enumerate() {
            if SYSTEM_TIME.iter().any(|call| line.contains(call)) {
                readings.push(format!(
                    "{}:{}: {}",
                    file.display(),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        readings.is_empty(),
        "read the time from the app's clock (App::now, the ledger's clock), not the system:\n{}",
        readings.join("\n")
    );
}

/// Each string literal of `line` that is a rule ID of the domain's index (`Rule`).
fn rule_ids_in(line: &str) -> Vec<String> {
    line.split('"')
        .skip(1)
        .step_by(2)
        .filter(|literal| literal.parse::<hemaflow_domain::Rule>().is_ok())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_web_names_a_rule_by_the_domains_rule_never_by_its_id_string() {
    assert_eq!(
        rule_ids_in(r#"Problem::refused("P11-SIGN", "x") and "not-a-rule""#),
        ["P11-SIGN"],
        "the check finds an ID spelled as a string"
    );
    let web = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&web.join("src"), &mut files);
    let mut spelled = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a source file");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (number, line) in code.lines().enumerate() {
            for id in rule_ids_in(line) {
                spelled.push(format!("{}:{}: {id}", file.display(), number + 1));
            }
        }
    }
    assert!(
        spelled.is_empty(),
        "name the rule as hemaflow_domain::Rule (its as_str() for a problem's rule):\n{}",
        spelled.join("\n")
    );
}
