//! Monado, the OpenXR runtime, for the XR tests: its service with the simulated headset and
//! the null compositor, started per test inside the test chroot (scripts/vk-chroot.sh).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One Monado at a time: each test starts its own and points XDG_RUNTIME_DIR at it.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `monado-service`, killed (by its own PID) when dropped.
pub struct Monado {
    child: Child,
    _dir: tempfile::TempDir,
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl Monado {
    pub fn start() -> Monado {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        // A short folder: the service's socket path must fit in sockaddr_un.
        let dir = tempfile::Builder::new().prefix("xr").tempdir_in("/tmp").unwrap();
        let child = Command::new("monado-service")
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", "/root")
            .env("XDG_RUNTIME_DIR", dir.path())
            .env("XRT_COMPOSITOR_NULL", "1")
            .env("SIMULATED_ENABLE", "1")
            .env("XRT_NO_STDIN", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("monado-service is needed for this test (run it in scripts/vk-chroot.sh, which installs Monado)");
        let socket = dir.path().join("monado_comp_ipc");
        let start = Instant::now();
        while !socket.exists() {
            assert!(start.elapsed() < Duration::from_secs(20), "monado-service did not open {}", socket.display());
            std::thread::sleep(Duration::from_millis(50));
        }
        // The client side of the runtime finds the service through this; child processes
        // inherit it.
        std::env::set_var("XDG_RUNTIME_DIR", dir.path());
        Monado { child, _dir: dir, _turn: turn }
    }
}

impl Drop for Monado {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
