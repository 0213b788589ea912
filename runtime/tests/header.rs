//! `include/splat4d.h` is what cbindgen makes of `runtime/src/ffi` today, and it compiles as
//! C99 and as C++ with every warning an error. `SPLAT4D_BLESS=1` rewrites it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn generate() -> String {
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(runtime.join("cbindgen.toml")).expect("cbindgen.toml");
    // Source files, not the crate: this runs where cargo may not be (scripts/vk-chroot.sh).
    let mut builder = cbindgen::Builder::new().with_config(config);
    for file in ["mod.rs", "log_bridge.rs", "runtime.rs", "asset.rs", "renderer.rs"] {
        builder = builder.with_src(runtime.join("src/ffi").join(file));
    }
    let mut out = Vec::new();
    builder.generate().expect("cbindgen").write(&mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn the_checked_in_header_is_current() {
    let path = root().join("include/splat4d.h");
    let fresh = generate();
    if std::env::var_os("SPLAT4D_BLESS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
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
