//! The clock a validator reads: the system's, or (for tests) one that moves only when told.
//!
//! ```
//! use std::time::Duration;
//! use authz_core::token::Clock;
//!
//! let clock = Clock::manual(1_700_000_000);
//! assert_eq!(clock.unix_now(), 1_700_000_000);
//! clock.advance(Duration::from_millis(2500));
//! assert_eq!(clock.unix_now(), 1_700_000_002);
//! // Every clone is the same clock: give one to the validator, keep one to move it.
//! let given = clock.clone();
//! clock.advance(Duration::from_secs(60));
//! assert_eq!(given.unix_now(), 1_700_000_062);
//! ```

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Where the time comes from: expiry, not-before, maximum age, the verified-token cache, the
/// JWKS refresh cool-down, step-up freshness and API keys' lifetimes all read it. The default
/// is the system clock; [`Clock::manual`] gives tests one they move, so that a test of an
/// expiry or a cool-down advances the clock instead of sleeping.
///
/// Cheap to clone: clones of a manual clock share its time.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<AtomicU64>>);

impl Clock {
    /// The system clock (wall time for claims, monotonic time for intervals).
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock standing at `unix_secs` (seconds since the Unix epoch) until
    /// [`advance`](Self::advance)d or [`set`](Self::set). Its intervals are measured on the
    /// same reading, so advancing it moves both.
    pub fn manual(unix_secs: u64) -> Self {
        Self(Some(Arc::new(AtomicU64::new(
            unix_secs.saturating_mul(1000),
        ))))
    }

    /// Moves a manual clock forward by `by`; the system clock cannot be moved (a no-op).
    pub fn advance(&self, by: Duration) {
        if let Some(millis) = &self.0 {
            let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
            millis.fetch_add(by, Ordering::SeqCst);
        }
    }

    /// Sets a manual clock to `unix_secs`; a no-op on the system clock.
    pub fn set(&self, unix_secs: u64) {
        if let Some(millis) = &self.0 {
            millis.store(unix_secs.saturating_mul(1000), Ordering::SeqCst);
        }
    }

    /// Whether this is a manual clock.
    pub fn is_manual(&self) -> bool {
        self.0.is_some()
    }

    /// Seconds since the Unix epoch.
    pub fn unix_now(&self) -> u64 {
        match &self.0 {
            None => crate::util::unix_now(),
            Some(millis) => millis.load(Ordering::SeqCst) / 1000,
        }
    }

    /// A monotonic reading for measuring intervals: time since an arbitrary origin (the
    /// first reading of the process for the system clock, the epoch for a manual one).
    // Intervals are measured by the remote key sets (feature `remote`) and the tests.
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    pub(crate) fn monotonic(&self) -> Duration {
        match &self.0 {
            None => {
                static ORIGIN: OnceLock<Instant> = OnceLock::new();
                ORIGIN.get_or_init(Instant::now).elapsed()
            }
            Some(millis) => Duration::from_millis(millis.load(Ordering::SeqCst)),
        }
    }
}

impl core::fmt::Debug for Clock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match &self.0 {
            None => f.write_str("Clock::system()"),
            Some(_) => write!(f, "Clock::manual({})", self.unix_now()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_measures_intervals_on_its_own_reading() {
        let clock = Clock::manual(100);
        let start = clock.monotonic();
        clock.advance(Duration::from_millis(1500));
        assert_eq!(clock.monotonic() - start, Duration::from_millis(1500));
        clock.set(50);
        assert_eq!(clock.unix_now(), 50);
        let system = Clock::system();
        system.advance(Duration::from_secs(3600));
        assert!(system.unix_now() < crate::util::unix_now() + 10);
    }
}
