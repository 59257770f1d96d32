//! A lookup with no screen behind it (the CLI's `lookup`), decided the way
//! a till decides it: the same rules, the same experiment, the same engine.

use crate::basket::Basket;
use crate::config::{Config, ConfigError};
use crate::experiment::{Experiment, Group};
use crate::identify::{Identifier, IdentifierKind, IdentifyError, Rules};
use crate::lookup::LookupEngine;

/// Which sources a lookup of `customer` asks: every one, or none for a
/// customer in the comparison group. The one place where the window, the
/// POS link, a second launch and the CLI's `lookup` decide it.
pub fn sources_to_ask(
    engine: &LookupEngine,
    experiment: &Experiment,
    customer: &Identifier,
) -> (Group, Vec<usize>) {
    match experiment.group_of(customer) {
        Group::Holdout => (Group::Holdout, Vec::new()),
        Group::Shown => (Group::Shown, engine.all()),
    }
}

/// A lookup with no screen behind it (the CLI's `lookup`).
#[derive(Debug)]
pub struct OneLookup {
    /// The customer, as the till's rules read them.
    pub customer: Identifier,
    /// Their group.
    pub group: Group,
    /// The answers of the sources asked, in configured order.
    pub results: Vec<crate::lookup::SourceResult>,
}

/// Looks a customer up once, as a till would: the same rules read `raw`,
/// the same experiment (its key kept in `key_file`) decides the group, the
/// same engine asks the sources.
pub async fn look_up_once(
    config: &Config,
    key_file: Option<&std::path::Path>,
    raw: &str,
    forced: Option<IdentifierKind>,
    basket: &Basket,
) -> Result<OneLookup, LookUpOnceError> {
    let customer = Rules::from_config(config).identify(raw, forced)?;
    let engine = LookupEngine::new(config)?;
    let experiment = Experiment::from_config(&config.experiment, key_file)?;
    let (group, asked) = sources_to_ask(&engine, &experiment, &customer);
    let results = engine.run_sources(&customer, basket, &asked).await;
    Ok(OneLookup {
        customer,
        group,
        results,
    })
}

/// Why [`look_up_once`] could not look up.
#[derive(Debug, thiserror::Error)]
pub enum LookUpOnceError {
    /// The input is not a customer.
    #[error(transparent)]
    Identify(#[from] IdentifyError),
    /// The configuration cannot be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The experiment's key cannot be used.
    #[error("[experiment]: {0}")]
    Experiment(#[from] crate::experiment::ExperimentError),
}
