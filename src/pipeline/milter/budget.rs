//! The global memory budget (`--memory`): bytes of messages held in flight, over every
//! connection. A message that cannot reserve its next chunk stops being held and is passed on
//! unverified (or tempfailed), so many large messages at once cannot exhaust the machine.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes held in flight, and the most allowed.
#[derive(Debug)]
pub struct Budget {
    limit: u64,
    used: AtomicU64,
}

impl Budget {
    /// A budget of `limit` bytes.
    pub fn new(limit: u64) -> Arc<Budget> {
        Arc::new(Budget {
            limit,
            used: AtomicU64::new(0),
        })
    }

    /// Bytes held now.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// The limit.
    pub fn limit(&self) -> u64 {
        self.limit
    }
}

/// Bytes one message holds of the budget; given back when dropped (also when the check that
/// holds it outlives its deadline and ends later).
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<Budget>,
    held: u64,
}

impl Reservation {
    /// An empty reservation against `budget`.
    pub fn new(budget: &Arc<Budget>) -> Reservation {
        Reservation {
            budget: budget.clone(),
            held: 0,
        }
    }

    /// Reserve `n` more bytes; false (nothing reserved) when the budget has no room.
    pub fn grow(&mut self, n: u64) -> bool {
        let b = &self.budget;
        let ok = b
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n).filter(|&total| total <= b.limit)
            })
            .is_ok();
        if ok {
            self.held += n;
        }
        ok
    }

    /// Give everything back now.
    pub fn release(&mut self) {
        self.budget.used.fetch_sub(self.held, Ordering::AcqRel);
        self.held = 0;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_stay_within_the_limit_and_give_back() {
        let budget = Budget::new(100);
        let mut a = Reservation::new(&budget);
        let mut b = Reservation::new(&budget);
        assert!(a.grow(60));
        assert!(!b.grow(50), "60 + 50 is over 100");
        assert!(b.grow(40));
        assert_eq!(budget.used(), 100);
        drop(a);
        assert_eq!(budget.used(), 40);
        b.release();
        assert_eq!(budget.used(), 0);
    }
}
