//! Mesa's software rasteriser (llvmpipe), which draws the window on tills
//! without a GPU: thin clients, virtual machines, remote desktops.
//!
//! llvmpipe splits each frame into tiles and shades them on one thread per
//! core. On a 2-core till those threads share the cores with the window's
//! own thread and the X server, and a frame waits for its slowest tile
//! thread: one that loses its core for a moment holds the frame up. With
//! twice as many threads as cores the tiles are dealt out finer and the
//! frame ends sooner (1920×1080, 72 cards scrolling, `scripts/bench.sh`'s
//! `software_rendering`, interleaved runs: median wall time per frame 17.3
//! ms with 2 threads, 15.7 ms with 4). A GPU driver never reads the setting.

use std::ffi::OsStr;

/// The variable llvmpipe reads when the window's GL context is made.
pub const THREADS_VAR: &str = "LP_NUM_THREADS";

/// llvmpipe's own upper bound on rasteriser threads (Mesa's `LP_MAX_THREADS`).
const MOST_THREADS: usize = 16;

/// How many rasteriser threads to ask for on a machine with `cores` cores,
/// or `None` when the user already chose (`set` is the variable's value).
fn threads_to_ask(set: Option<&OsStr>, cores: usize) -> Option<usize> {
    match set {
        Some(_) => None,
        None => Some((2 * cores.max(1)).min(MOST_THREADS)),
    }
}

/// Asks llvmpipe for twice as many threads as cores, unless the user set
/// `LP_NUM_THREADS` already. Call it before the window opens and before
/// any other thread starts: it changes the process's environment (so the
/// CLI and `serve`, which draw nothing, leave it alone).
pub fn tune_software_rasteriser() {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    let Some(threads) = threads_to_ask(std::env::var_os(THREADS_VAR).as_deref(), cores) else {
        return;
    };
    // SAFETY: called at the start of `main` (before the async runtime and
    // the window), while the process has one thread, so no other thread
    // reads the environment meanwhile.
    unsafe {
        std::env::set_var(THREADS_VAR, threads.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twice_the_cores_unless_the_user_chose() {
        assert_eq!(threads_to_ask(None, 2), Some(4));
        assert_eq!(threads_to_ask(None, 1), Some(2));
        assert_eq!(
            threads_to_ask(None, 0),
            Some(2),
            "an unknown count is one core"
        );
        assert_eq!(
            threads_to_ask(None, 64),
            Some(16),
            "never past llvmpipe's own bound"
        );
        assert_eq!(threads_to_ask(Some(OsStr::new("1")), 2), None);
        assert_eq!(threads_to_ask(Some(OsStr::new("")), 8), None);
    }
}
