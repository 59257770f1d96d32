//! The cashier GUI (egui). Placeholder while the core lands.
use crate::setup::Ready;
/// Runs the window.
pub fn run(_rt: &tokio::runtime::Runtime, _ready: Ready) -> anyhow::Result<()> {
    Ok(())
}
