fn main() {
    // Embedded migrations must be rebuilt when a migration file is added.
    println!("cargo:rerun-if-changed=migrations");
}
