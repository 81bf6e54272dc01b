//! Whose turn it is to be written, for a `batch` worker whose chunk goes out in parts.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// The chunk the writer is on. A worker whose chunk goes out in parts sends the parts after
/// the first only when its chunk is the one being written, so the writer holds no more than
/// one part of a chunk that has to wait for its turn, however long the mbox.
#[derive(Default)]
pub(super) struct Turn {
    next: Mutex<usize>,
    moved: Condvar,
}

impl Turn {
    pub(super) fn advance(&self, next: usize) {
        if let Ok(mut n) = self.next.lock() {
            *n = next;
        }
        self.moved.notify_all();
    }

    /// Wait until chunk `seq` is the one being written, or the run stops.
    pub(super) fn wait_for(&self, seq: usize, halted: &dyn Fn() -> bool) {
        let Ok(mut n) = self.next.lock() else { return };
        while *n != seq && !halted() {
            match self.moved.wait_timeout(n, Duration::from_millis(50)) {
                Ok((guard, _)) => n = guard,
                Err(_) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// A worker waiting for chunk 2's turn goes on only once the writer has reached chunk 2,
    /// and a run that stops releases it at once.
    #[test]
    fn a_worker_waits_for_its_chunk_to_be_written() {
        let turn = Turn::default();
        let released = AtomicUsize::new(usize::MAX);
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                turn.wait_for(2, &|| false);
                released.store(*turn.next.lock().expect("lock"), Ordering::SeqCst);
            });
            turn.advance(1);
            std::thread::sleep(Duration::from_millis(120));
            assert_eq!(
                released.load(Ordering::SeqCst),
                usize::MAX,
                "released early"
            );
            turn.advance(2);
        });
        assert_eq!(released.load(Ordering::SeqCst), 2);
        std::thread::scope(|s| {
            s.spawn(|| turn.wait_for(9, &|| stop.load(Ordering::SeqCst)));
            stop.store(true, Ordering::SeqCst);
        });
    }
}
