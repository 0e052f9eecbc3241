//! The rooms keep their doors: an area of the domain reaches another only through what that
//! area's `mod.rs` lists under "The doors", never through one of its files; the kernel imports
//! no area. Read from the source, as a reviewer would.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

const AREAS: [&str; 7] = [
    "access",
    "donor_centre",
    "lab",
    "manufacturing",
    "release",
    "distribution",
    "transfusion",
];

fn source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The `.rs` files of a folder of `src`, with their text.
fn files_of(folder: &str) -> Vec<(PathBuf, String)> {
    let mut files: Vec<_> = fs::read_dir(source().join(folder))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .map(|path| {
            let text = fs::read_to_string(&path).unwrap();
            (path, text)
        })
        .collect();
    files.sort();
    files
}

/// The files of an area other than its `mod.rs`: what another area may not name.
fn inner_modules(area: &str) -> Vec<String> {
    files_of(area)
        .into_iter()
        .filter_map(|(path, _)| {
            let stem = path.file_stem()?.to_str()?.to_owned();
            (stem != "mod").then_some(stem)
        })
        .collect()
}

/// Each `crate::<other>::<file>` path in `text`, with its line number.
fn reaches_inside(text: &str, area: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for other in AREAS.iter().filter(|other| **other != area) {
        for inner in inner_modules(other) {
            let path = format!("crate::{other}::{inner}");
            for (number, line) in text.lines().enumerate() {
                let at_boundary = line.match_indices(&path).any(|(start, _)| {
                    let rest = &line[start + path.len()..];
                    !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_')
                });
                if at_boundary {
                    found.push((number + 1, path.clone()));
                }
            }
        }
    }
    found
}

#[test]
fn an_area_reaches_another_only_through_its_doors() {
    let mut breaches = Vec::new();
    for area in AREAS {
        for (path, text) in files_of(area) {
            for (line, reached) in reaches_inside(&text, area) {
                breaches.push(format!("{}:{line}: {reached}", path.display()));
            }
        }
    }
    assert!(
        breaches.is_empty(),
        "an area names another area's file; add what it needs to that area's doors \
         (its mod.rs) and use it from there:\n{}",
        breaches.join("\n")
    );
}

#[test]
fn the_check_finds_a_door_broken() {
    let text = "use crate::lab::testing::find_donation;\nuse crate::lab::MarkerStatus;";
    assert_eq!(
        reaches_inside(text, "release"),
        [(1, "crate::lab::testing".to_owned())]
    );
    assert!(
        reaches_inside(text, "lab").is_empty(),
        "an area's own files are its own"
    );
}

#[test]
fn the_kernel_imports_no_area() {
    for (path, text) in files_of("kernel") {
        for area in AREAS {
            assert!(
                !text.contains(&format!("crate::{area}")),
                "{} imports the area {area}",
                path.display()
            );
        }
    }
}
