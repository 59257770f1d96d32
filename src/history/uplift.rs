//! What the comparison group says: the difference between the customers
//! shown recommendations and those shown none, absolute and relative, each
//! with its 95 % confidence interval, whether it is significant yet, and
//! about how many more sales would tell (a power estimate).
//!
//! The same functions serve one till's history and a chain's reports (from
//! each side's moments), so a manager and the chain read the same figures.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// Below this many sales in either group, no difference is claimed.
pub const ENOUGH_SALES: u64 = 30;

/// The power a "how many more sales" estimate aims for: the chance that a
/// difference as large as today's would be found significant.
pub const POWER: f64 = 0.8;

/// A sample's size, mean and (n − 1) variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    /// How many values.
    pub n: f64,
    /// Their mean.
    pub mean: f64,
    /// Their sample variance.
    pub variance: f64,
}

impl Moments {
    /// The moments of `values`.
    pub fn of(values: &[f64]) -> Self {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let variance = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        Self { n, mean, variance }
    }

    /// The moments of `n` values from their sum and sum of squares (as the
    /// chain's reports carry them).
    pub fn from_sums(n: u64, sum: f64, squares: f64) -> Self {
        let count = n as f64;
        let mean = sum / count;
        let variance = ((squares - count * mean * mean) / (count - 1.0)).max(0.0);
        Self {
            n: count,
            mean,
            variance,
        }
    }

    /// The variance of the mean (variance / n).
    fn of_mean(self) -> f64 {
        self.variance / self.n
    }
}

/// An estimate with its 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Difference {
    /// The estimate.
    pub mean: f64,
    /// Lower end of the 95 % interval.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

/// What the interval says, in plain words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Fewer than [`ENOUGH_SALES`] in a group: nothing is claimed.
    #[default]
    TooFewSales,
    /// The interval includes zero: no difference can be told yet.
    NotYet,
    /// The interval lies above zero: customers shown recommendations spend
    /// (or buy) more.
    Higher,
    /// The interval lies below zero: they spend (or buy) less.
    Lower,
}

impl Verdict {
    /// True when the interval excludes zero.
    pub fn is_significant(self) -> bool {
        matches!(self, Self::Higher | Self::Lower)
    }
}

/// The shown group against the comparison group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Uplift {
    /// Shown minus comparison, in the measure's unit (money or items), with
    /// its interval by Welch's t; `None` below [`ENOUGH_SALES`] or without
    /// any spread.
    pub absolute: Option<Difference>,
    /// The same relative to the comparison group (0.439 is +43.9 %), its
    /// interval by the delta method; `None` as `absolute`, or when the
    /// comparison group's mean is not above zero.
    pub relative: Option<Difference>,
    /// Whether the difference is significant yet.
    pub verdict: Verdict,
    /// About how many more sales (both groups together, in today's
    /// proportion) a difference as large as today's needs to be found
    /// significant with [`POWER`]; 0 once it is; `None` when it cannot be
    /// told (no difference at all so far, or too few values to guess).
    pub more_sales_needed: Option<u64>,
}

/// The standard error of the difference of two means and its Welch–
/// Satterthwaite degrees of freedom; `None` without two values a side or
/// without spread.
fn welch_parts(a: Moments, b: Moments) -> Option<(f64, f64)> {
    if a.n < 2.0 || b.n < 2.0 {
        return None;
    }
    let (va, vb) = (a.of_mean(), b.of_mean());
    let se = (va + vb).sqrt();
    if se <= 0.0 || !se.is_finite() {
        return None;
    }
    let df = (va + vb).powi(2) / (va.powi(2) / (a.n - 1.0) + vb.powi(2) / (b.n - 1.0));
    Some((se, df))
}

/// The t quantile of a two-sided 95 % interval.
fn t_975(df: f64) -> Option<f64> {
    Some(StudentsT::new(0.0, 1.0, df).ok()?.inverse_cdf(0.975))
}

/// `estimate ± t·se` as a [`Difference`].
fn interval(estimate: f64, t: f64, se: f64) -> Difference {
    Difference {
        mean: estimate,
        low: estimate - t * se,
        high: estimate + t * se,
    }
}

/// The difference of the means of `a` and `b` with its 95 % confidence
/// interval by Welch's t (unequal variances); `None` with fewer than two
/// values on a side or no spread at all.
pub fn welch(a: &[f64], b: &[f64]) -> Option<Difference> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    welch_of(Moments::of(a), Moments::of(b))
}

/// [`welch`] from each side's moments.
pub fn welch_of(a: Moments, b: Moments) -> Option<Difference> {
    let (se, df) = welch_parts(a, b)?;
    Some(interval(a.mean - b.mean, t_975(df)?, se))
}

/// `a`'s mean relative to `b`'s (`a / b − 1`) with a 95 % interval by the
/// delta method, on Welch's degrees of freedom; `None` when `b`'s mean is
/// not above zero or there is no spread.
pub fn relative_of(a: Moments, b: Moments) -> Option<Difference> {
    if b.mean <= 0.0 || !b.mean.is_finite() {
        return None;
    }
    let (_, df) = welch_parts(a, b)?;
    // Var(ā / b̄) ≈ Var(ā) / b̄² + ā² Var(b̄) / b̄⁴.
    let se = (a.of_mean() / b.mean.powi(2) + a.mean.powi(2) * b.of_mean() / b.mean.powi(4)).sqrt();
    if !se.is_finite() || se <= 0.0 {
        return None;
    }
    Some(interval(a.mean / b.mean - 1.0, t_975(df)?, se))
}

/// Total sales (both groups) for a difference of `a.mean − b.mean` to be
/// found at the 5 % level with [`POWER`], the groups growing in today's
/// proportion: `(z₀.₉₇₅ + z_power)² (σa²/pa + σb²/pb) / d²`.
fn sales_for_power(a: Moments, b: Moments) -> Option<f64> {
    let d = a.mean - b.mean;
    let total = a.n + b.n;
    if d == 0.0 || !d.is_finite() || a.n < 2.0 || b.n < 2.0 {
        return None;
    }
    let (pa, pb) = (a.n / total, b.n / total);
    let normal = Normal::standard();
    let z = normal.inverse_cdf(0.975) + normal.inverse_cdf(POWER);
    let needed = z.powi(2) * (a.variance / pa + b.variance / pb) / d.powi(2);
    needed.is_finite().then_some(needed)
}

/// The comparison of `shown` against `holdout`.
pub fn uplift(shown: Moments, holdout: Moments) -> Uplift {
    let enough = shown.n >= ENOUGH_SALES as f64 && holdout.n >= ENOUGH_SALES as f64;
    let absolute = enough.then(|| welch_of(shown, holdout)).flatten();
    let relative = absolute.and_then(|_| relative_of(shown, holdout));
    let verdict = match absolute {
        None => Verdict::TooFewSales,
        Some(d) if d.low > 0.0 => Verdict::Higher,
        Some(d) if d.high < 0.0 => Verdict::Lower,
        Some(_) => Verdict::NotYet,
    };
    let more_sales_needed = if verdict.is_significant() {
        Some(0)
    } else {
        sales_for_power(shown, holdout).map(|needed| {
            let total = shown.n + holdout.n;
            // Never fewer than it takes to have ENOUGH_SALES in each group.
            let floor = ENOUGH_SALES as f64 / (shown.n / total).min(holdout.n / total);
            (needed.max(floor) - total).max(0.0).ceil() as u64
        })
    };
    Uplift {
        absolute,
        relative,
        verdict,
        more_sales_needed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(n: f64, mean: f64, sd: f64) -> Moments {
        Moments {
            n,
            mean,
            variance: sd * sd,
        }
    }

    #[test]
    fn moments_from_sums_are_the_moments_of_the_values() {
        let values = [12.5, 99.0, 40.25, 7.0, 63.5];
        let direct = Moments::of(&values);
        let sum: f64 = values.iter().sum();
        let squares: f64 = values.iter().map(|v| v * v).sum();
        let from_sums = Moments::from_sums(values.len() as u64, sum, squares);
        assert_eq!(direct.n, from_sums.n);
        assert!((direct.mean - from_sums.mean).abs() < 1e-12);
        assert!((direct.variance - from_sums.variance).abs() < 1e-9);
        let other = [30.0, 31.0, 55.5, 80.0];
        assert_eq!(
            welch(&values, &other),
            welch_of(direct, Moments::of(&other))
        );
    }

    /// Relative uplift by the delta method, against figures worked by hand:
    /// shown 241 sales, mean 3564.39, sd 1500; comparison 59, mean 2476.83,
    /// sd 900. Ratio − 1 = 0.43909; Var(ā) = 1500²/241 = 9336.10, Var(b̄) =
    /// 900²/59 = 13728.81; se = sqrt(9336.10/2476.83² + 3564.39² ·
    /// 13728.81/2476.83⁴) = 0.078464; Welch df = 147.25, t = 1.976205
    /// (scipy.stats.t.ppf(0.975, 147.25)).
    #[test]
    fn relative_uplift_and_its_interval() {
        let (a, b) = (
            moments(241.0, 3564.39, 1500.0),
            moments(59.0, 2476.83, 900.0),
        );
        let r = relative_of(a, b).unwrap();
        assert!((r.mean - 0.439_094).abs() < 1e-5, "{r:?}");
        let se = 0.078_464;
        assert!((r.low - (r.mean - 1.976_205 * se)).abs() < 1e-5, "{r:?}");
        assert!((r.high - (r.mean + 1.976_205 * se)).abs() < 1e-5, "{r:?}");
        // A comparison group with nothing spent has no relative figure.
        assert_eq!(relative_of(a, moments(59.0, 0.0, 10.0)), None);
    }

    #[test]
    fn the_verdict_follows_the_interval() {
        let holdout = moments(100.0, 100.0, 20.0);
        let clear = uplift(moments(100.0, 120.0, 20.0), holdout);
        assert_eq!(clear.verdict, Verdict::Higher);
        assert_eq!(clear.more_sales_needed, Some(0));
        assert!(clear.relative.unwrap().low > 0.0);
        let lower = uplift(moments(100.0, 80.0, 20.0), holdout);
        assert_eq!(lower.verdict, Verdict::Lower);
        let unclear = uplift(moments(100.0, 102.0, 20.0), holdout);
        assert_eq!(unclear.verdict, Verdict::NotYet);
        assert!(unclear.absolute.unwrap().low < 0.0);
        let few = uplift(moments(29.0, 150.0, 20.0), holdout);
        assert_eq!(
            (few.verdict, few.absolute, few.relative),
            (Verdict::TooFewSales, None, None)
        );
    }

    /// Equal groups, a difference of 2 and a spread of 20 a side: the
    /// textbook n = 2 (1.95996 + 0.84162)² 20² / 2² = 1569.8 per group,
    /// 3140 in all; 200 are in, so 2940 more.
    #[test]
    fn more_sales_needed_is_the_textbook_power_estimate() {
        let u = uplift(moments(100.0, 102.0, 20.0), moments(100.0, 100.0, 20.0));
        let needed = u.more_sales_needed.unwrap();
        assert!((2938..=2941).contains(&needed), "{needed}");
        // A comparison group a fifth the size needs more in all than equal groups.
        let lopsided = uplift(moments(160.0, 102.0, 20.0), moments(40.0, 100.0, 20.0));
        assert!(lopsided.more_sales_needed.unwrap() > needed);
        // No difference at all: nothing to estimate.
        let none = uplift(moments(100.0, 100.0, 20.0), moments(100.0, 100.0, 20.0));
        assert_eq!(none.more_sales_needed, None);
        // Too few sales, and a clear difference: at least enough for 30 a group.
        let early = uplift(moments(10.0, 300.0, 20.0), moments(10.0, 100.0, 20.0));
        assert_eq!(early.verdict, Verdict::TooFewSales);
        assert_eq!(early.more_sales_needed, Some(40));
    }
}
