//! Throttling of failed logins, per account and per client address, so that password
//! guessing is slow whichever of the two an attacker varies.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

use crate::error::{Error, Result};

pub use crate::limits::{
    MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS, THROTTLE_WINDOW as WINDOW,
};

#[derive(Default)]
pub struct LoginThrottle {
    accounts: Mutex<HashMap<String, VecDeque<Instant>>>,
    addresses: Mutex<HashMap<String, VecDeque<Instant>>>,
}

fn recent(failures: &mut VecDeque<Instant>, now: Instant) -> usize {
    while failures
        .front()
        .is_some_and(|failure| now.duration_since(*failure) > WINDOW)
    {
        failures.pop_front();
    }
    failures.len()
}

impl LoginThrottle {
    /// `RATE_LIMITED` when the account or the address has failed too often lately.
    pub fn check(&self, account: &str, address: Option<&str>) -> Result<()> {
        let now = Instant::now();
        let over = |map: &Mutex<HashMap<String, VecDeque<Instant>>>, key: &str, limit: usize| {
            map.lock()
                .map(|mut map| {
                    map.get_mut(key)
                        .is_some_and(|failures| recent(failures, now) >= limit)
                })
                .unwrap_or(false)
        };
        if over(&self.accounts, account, MAX_FAILURES_PER_ACCOUNT)
            || address
                .is_some_and(|address| over(&self.addresses, address, MAX_FAILURES_PER_ADDRESS))
        {
            return Err(Error::RateLimited);
        }
        Ok(())
    }

    pub fn record_failure(&self, account: &str, address: Option<&str>) {
        let now = Instant::now();
        if let Ok(mut accounts) = self.accounts.lock() {
            accounts
                .entry(account.to_owned())
                .or_default()
                .push_back(now);
        }
        if let (Some(address), Ok(mut addresses)) = (address, self.addresses.lock()) {
            addresses
                .entry(address.to_owned())
                .or_default()
                .push_back(now);
        }
    }

    /// A successful login clears the account's failures (not the address's).
    pub fn record_success(&self, account: &str) {
        if let Ok(mut accounts) = self.accounts.lock() {
            accounts.remove(account);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_limited_after_five_failures_and_cleared_by_a_success() {
        let throttle = LoginThrottle::default();
        for _ in 0..MAX_FAILURES_PER_ACCOUNT {
            assert!(throttle.check("a@x.org", Some("10.0.0.1")).is_ok());
            throttle.record_failure("a@x.org", Some("10.0.0.1"));
        }
        assert!(
            throttle.check("a@x.org", Some("10.0.0.2")).is_err(),
            "from any address"
        );
        assert!(
            throttle.check("b@x.org", Some("10.0.0.1")).is_ok(),
            "other accounts are unaffected"
        );
        throttle.record_success("a@x.org");
        assert!(throttle.check("a@x.org", None).is_ok());
    }

    #[test]
    fn an_address_is_limited_across_accounts() {
        let throttle = LoginThrottle::default();
        for number in 0..MAX_FAILURES_PER_ADDRESS {
            throttle.record_failure(&format!("user{number}@x.org"), Some("10.0.0.9"));
        }
        assert!(throttle.check("fresh@x.org", Some("10.0.0.9")).is_err());
        assert!(throttle.check("fresh@x.org", Some("10.0.0.8")).is_ok());
    }
}
