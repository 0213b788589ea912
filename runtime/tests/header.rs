//! `include/splat4d.h` is what cbindgen makes of `runtime/src/ffi` today, and it compiles as
//! C99 and as C++ with every warning an error. `SPLAT4D_BLESS=1` rewrites it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn generate() -> String {
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(runtime.join("cbindgen.toml")).expect("cbindgen.toml");
    // The module's source, not the crate: this runs where cargo may not be (scripts/vk-chroot.sh).
    // cbindgen follows its `mod` declarations to the other files.
    let builder = cbindgen::Builder::new().with_config(config).with_src(runtime.join("src/ffi/mod.rs"));
    let mut out = Vec::new();
    builder.generate().expect("cbindgen").write(&mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn the_checked_in_header_is_current() {
    let path = root().join("include/splat4d.h");
    let fresh = generate();
    if common::bless() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    let mut declared: Vec<&str> = fresh.lines().filter(|l| l.starts_with("S4dStatus s4d_")).collect();
    let all = declared.len();
    declared.sort();
    declared.dedup();
    assert_eq!(declared.len(), all, "a function is declared twice");
    assert!(all >= 15, "{all} functions");
    assert!(
        checked_in == fresh,
        "include/splat4d.h is stale: regenerate it with SPLAT4D_BLESS=1 cargo test -p splat4d --test header"
    );
}

#[test]
fn the_header_compiles_as_strict_c99_and_cpp() {
    let header = root().join("include/splat4d.h");
    for (compiler, lang, std) in [("cc", "c", "-std=c99"), ("c++", "c++", "-std=c++17")] {
        let out = Command::new(compiler)
            .args([std, "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only", "-x", lang])
            .arg(&header)
            .output()
            .unwrap_or_else(|e| panic!("{compiler}: {e} (install gcc and g++)"));
        assert!(out.status.success(), "{compiler} {std}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
