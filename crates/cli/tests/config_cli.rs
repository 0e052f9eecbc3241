//! The configuration file: read from `--config` or the user's configuration directory,
//! checked key by key (a misspelt key is refused, naming the file and line), overridden by
//! flags and the environment, and shown by `hemaflow config check`.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

fn hemaflow(args: &[&str], config_home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hemaflow"))
        .args(args)
        .env("XDG_CONFIG_HOME", config_home)
        .env("XDG_DATA_HOME", config_home.join("data"))
        .env_remove("HEMAFLOW_DATABASE_URL")
        .env_remove("HEMAFLOW_CONFIG")
        .env_remove("HEMAFLOW_LOG_FORMAT")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn config_check_shows_each_setting_and_where_it_comes_from() {
    let home = tempfile::tempdir().unwrap();
    let out = hemaflow(&["config", "check"], home.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("configuration file  none"), "{shown}");
    assert!(
        shown.contains("server.bind         127.0.0.1:8080 (default)"),
        "{shown}"
    );

    // The default file, in the user's configuration directory.
    let db = home.path().join("site.db");
    let url = format!("sqlite://{}", db.display());
    std::fs::create_dir_all(home.path().join("hemaflow")).unwrap();
    let file = home.path().join("hemaflow").join("hemaflow.toml");
    std::fs::write(
        &file,
        format!(
            "database = \"{url}\"\n\n[server]\nbind = \"127.0.0.1:9191\"\nlog_format = \"json\"\n"
        ),
    )
    .unwrap();
    let out = hemaflow(&["config", "check"], home.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains(&format!("configuration file  {}", file.display())),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("{url} (configuration file)")),
        "{shown}"
    );
    assert!(
        shown.contains("127.0.0.1:9191 (configuration file)"),
        "{shown}"
    );
    assert!(shown.contains("json (configuration file)"), "{shown}");

    // The file's database is the one commands use (the demo goes only where it is told);
    // a flag wins over it.
    let seeded = hemaflow(
        &[
            "demo",
            "--seed-only",
            "--donors",
            "5",
            "--days",
            "2",
            "--database",
            &url,
        ],
        home.path(),
    );
    assert_eq!(seeded.status.code(), Some(0), "{}", text(&seeded.stderr));
    let verified = hemaflow(&["audit", "verify", "--json"], home.path());
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}",
        text(&verified.stderr)
    );
    assert!(
        text(&verified.stdout).contains("site.db"),
        "{}",
        text(&verified.stdout)
    );
    // Without --database the demo does not touch the file's database.
    let demo = hemaflow(
        &["demo", "--seed-only", "--donors", "5", "--days", "2"],
        home.path(),
    );
    assert_eq!(demo.status.code(), Some(0), "{}", text(&demo.stderr));
    assert!(
        !text(&demo.stdout).contains("site.db"),
        "{}",
        text(&demo.stdout)
    );
    let other = format!("sqlite://{}", home.path().join("other.db").display());
    let out = hemaflow(&["config", "check", "--database", &other], home.path());
    assert!(
        text(&out.stdout).contains(&format!("{other} (command line")),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_misspelt_key_a_missing_file_or_a_bad_value_is_refused_with_where() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("bad.toml");
    let file_text = file.to_str().unwrap();
    for (content, expected) in [
        (
            "[server]\nbnd = \"127.0.0.1:8080\"\n",
            "unknown field `bnd`",
        ),
        ("[server]\nbind = \"localhost\"\n", "bind"),
        ("[server]\nlog_format = \"xml\"\n", "xml"),
        ("database = \"mysql://x\"\n", "database"),
    ] {
        std::fs::write(&file, content).unwrap();
        let out = hemaflow(&["config", "check", "--config", file_text], home.path());
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{content}: {stderr}");
        assert!(stderr.contains(expected), "{content}: {stderr}");
        assert!(stderr.contains("bad.toml"), "{stderr}");
    }
    let missing = home.path().join("missing.toml");
    let out = hemaflow(
        &["audit", "verify", "--config", missing.to_str().unwrap()],
        home.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read the configuration file"));
}

#[test]
fn config_check_shows_the_hl7_senders_and_refuses_a_facility_listed_twice() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("hl7.toml");
    let file_text = file.to_str().unwrap();
    let url = format!("sqlite://{}", home.path().join("site.db").display());
    let sender = "[[hl7.senders]]\nfacility = \"GENHOSP\"\nhospital = \"mercy\"\n";
    std::fs::write(
        &file,
        format!(
            "database = \"{url}\"\n[hl7]\nmllp = \"127.0.0.1:2575\"\n{sender}bps_endpoint = \"10.1.2.3:2576\"\n"
        ),
    )
    .unwrap();
    let out = hemaflow(&["config", "check", "--config", file_text], home.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("hl7.mllp            127.0.0.1:2575"),
        "{shown}"
    );
    assert!(
        shown.contains("GENHOSP -> hospital mercy, BPS^O29 to 10.1.2.3:2576"),
        "{shown}"
    );
    for (content, expected) in [
        (format!("[hl7]\n{sender}{sender}"), "listed twice"),
        ("[hl7]\nmlp = \"x\"\n".to_owned(), "unknown field `mlp`"),
        (
            "[[hl7.senders]]\nfacility = \"GEN HOSP\"\nhospital = \"mercy\"\n".to_owned(),
            "letters, digits",
        ),
    ] {
        std::fs::write(&file, &content).unwrap();
        let out = hemaflow(&["config", "check", "--config", file_text], home.path());
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{content}: {stderr}");
        assert!(stderr.contains(expected), "{content}: {stderr}");
    }
}
