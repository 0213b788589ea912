//! Progress bars on stderr (hidden when stderr is not a terminal).

use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Mutex;

pub fn bar(len: u64, message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} {elapsed}").unwrap().progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

/// The packer's progress, one bar per stage.
pub struct PackBar(Mutex<Option<ProgressBar>>);

impl PackBar {
    pub fn new() -> PackBar {
        PackBar(Mutex::new(None))
    }

    pub fn finish(&self) {
        if let Some(b) = self.0.lock().unwrap().take() {
            b.finish_and_clear();
        }
    }
}

impl splat4d::pack::Progress for PackBar {
    fn stage(&self, name: &'static str, total: u64) {
        let mut slot = self.0.lock().unwrap();
        if let Some(b) = slot.take() {
            b.finish_and_clear();
        }
        *slot = Some(bar(total, name));
    }

    fn advance(&self, n: u64) {
        if let Some(b) = self.0.lock().unwrap().as_ref() {
            b.inc(n);
        }
    }
}
