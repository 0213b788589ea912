//! Helpers shared by the CLI's tests.

use std::path::PathBuf;

/// `$SPLAT4D_ASSETS`, else `../shared/assets` beside the checkout; a missing folder fails the test.
pub fn assets() -> PathBuf {
    let dir = std::env::var_os("SPLAT4D_ASSETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/assets"));
    assert!(dir.join("README.md").is_file(), "shared assets not found at {} (set SPLAT4D_ASSETS)", dir.display());
    dir
}

#[allow(dead_code)]
#[path = "../../../runtime/tests/common/image.rs"]
pub mod image;

#[allow(dead_code)]
#[path = "../../../runtime/tests/common/http_server.rs"]
pub mod http_server;
