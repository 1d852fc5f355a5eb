//! Per-namespace module locks.
//!
//! Mirrors `importlib._bootstrap._ModuleLock`, `_get_module_lock` and `_lock_unlock_module`:
//! re-entrant per thread (circular imports in one thread go through), deadlock-detecting across
//! threads (`_ModuleLock.has_deadlock`), and waited on with the thread detached from the
//! interpreter. One mutex guards the whole table, so that deadlock detection reads a consistent
//! picture and no two Rust mutexes are ever taken in different orders. It is never held while
//! calling into Python.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::ThreadId;

use pyo3::prelude::*;

#[derive(Debug)]
struct LockEntry {
    /// Which thread holds it; meaningful while `count > 0`.
    owner: ThreadId,
    count: usize,
    waiters: usize,
    /// A stable number for the lock's repr, as `id(lock)` is in CPython.
    serial: u64,
}

#[derive(Debug, Default)]
struct TableState {
    entries: HashMap<String, LockEntry>,
    /// `_blocking_on`: which module lock each waiting thread waits for.
    blocking_on: HashMap<ThreadId, String>,
    next_serial: u64,
}

/// The locks of one namespace, by module name.
#[derive(Debug, Default)]
pub struct LockTable {
    state: Mutex<TableState>,
    released: Condvar,
}

/// A deadlock was detected: raise `_DeadlockError(f'deadlock detected by {lock!r}')`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadlock {
    pub repr: String,
}

impl Deadlock {
    pub fn message(&self) -> String {
        format!("deadlock detected by {}", self.repr)
    }
}

/// The lock on one module, released on drop.
pub struct ModuleLockGuard<'a> {
    table: &'a LockTable,
    name: String,
}

impl Drop for ModuleLockGuard<'_> {
    fn drop(&mut self) {
        self.table.release(&self.name);
    }
}

fn lock_repr(name: &str, serial: u64) -> String {
    format!(
        "_ModuleLock({}) at {}",
        crate::errors::repr_str(name),
        serial
    )
}

impl LockTable {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock_state(&self) -> MutexGuard<'_, TableState> {
        // A panic while the mutex was held cannot leave the table inconsistent in a way that
        // matters more than refusing every later import, so poisoning is ignored.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Take the lock on `name` for this thread, waiting (detached from the interpreter) while
    /// another thread holds it. Mirrors `_ModuleLock.acquire`.
    pub fn acquire<'a>(
        &'a self,
        py: Python<'_>,
        name: &str,
    ) -> Result<ModuleLockGuard<'a>, Deadlock> {
        let me = std::thread::current().id();
        {
            let mut state = self.lock_state();
            if !state.entries.contains_key(name) {
                let serial = state.next_serial;
                state.next_serial += 1;
                let entry = LockEntry {
                    owner: me,
                    count: 0,
                    waiters: 0,
                    serial,
                };
                state.entries.insert(name.to_owned(), entry);
            }
            let entry = state.entries.get_mut(name).expect("just inserted");
            if entry.count == 0 || entry.owner == me {
                entry.owner = me;
                entry.count += 1;
                return Ok(self.guard(name));
            }
            if has_deadlock(&state, name, me) {
                let serial = state.entries[name].serial;
                return Err(Deadlock {
                    repr: lock_repr(name, serial),
                });
            }
            state.entries.get_mut(name).expect("present").waiters += 1;
            state.blocking_on.insert(me, name.to_owned());
        }
        py.detach(|| {
            let mut state = self.lock_state();
            loop {
                let entry = state
                    .entries
                    .get_mut(name)
                    .expect("kept while it has waiters");
                if entry.count == 0 {
                    entry.owner = me;
                    entry.count = 1;
                    entry.waiters -= 1;
                    state.blocking_on.remove(&me);
                    return;
                }
                state = self.released.wait(state).unwrap_or_else(|p| p.into_inner());
            }
        });
        Ok(self.guard(name))
    }

    fn guard(&self, name: &str) -> ModuleLockGuard<'_> {
        ModuleLockGuard {
            table: self,
            name: name.to_owned(),
        }
    }

    /// Mirrors `_ModuleLock.release`, and drops the entry once nobody holds or waits for it
    /// (CPython's table holds weak references that die then).
    fn release(&self, name: &str) {
        let mut state = self.lock_state();
        let Some(entry) = state.entries.get_mut(name) else {
            return;
        };
        entry.count = entry.count.saturating_sub(1);
        if entry.count == 0 {
            // A thread waiting for this lock counts itself in `waiters`, under the same mutex,
            // before it waits; with none, nobody is to be woken, and the wake-up (a `futex`
            // system call even when nothing waits) is saved.
            if entry.waiters == 0 {
                state.entries.remove(name);
                return;
            }
            drop(state);
            self.released.notify_all();
        }
    }

    /// Mirrors `_lock_unlock_module`: wait until no other thread is importing `name`. A deadlock
    /// is ignored here, as CPython ignores it.
    pub fn wait_until_free(&self, py: Python<'_>, name: &str) {
        let _ = self.acquire(py, name);
    }

    /// How many locks are held or waited for (for tests and leak checks).
    pub fn live_locks(&self) -> usize {
        self.lock_state().entries.len()
    }
}

/// Mirrors `_ModuleLock.has_deadlock`: follow the chain owner → the lock it waits for → that
/// lock's owner …; a deadlock is a chain that comes back to `me`.
fn has_deadlock(state: &TableState, wanted: &str, me: ThreadId) -> bool {
    let mut owner = state.entries[wanted].owner;
    let mut seen = Vec::new();
    loop {
        let Some(waiting_for) = state.blocking_on.get(&owner) else {
            return false;
        };
        // A released lock has no owner (CPython sets `owner = None`), even before the thread it
        // woke has taken it: following the last holder would see a cycle that is not there.
        let Some(entry) = state.entries.get(waiting_for).filter(|e| e.count > 0) else {
            return false;
        };
        owner = entry.owner;
        if owner == me {
            return true;
        }
        if seen.contains(&owner) {
            return false;
        }
        seen.push(owner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(owner: ThreadId, count: usize, waiters: usize) -> LockEntry {
        LockEntry {
            owner,
            count,
            waiters,
            serial: 0,
        }
    }

    fn two_thread_ids() -> (ThreadId, ThreadId) {
        let other = std::thread::spawn(|| std::thread::current().id())
            .join()
            .expect("the thread runs");
        (std::thread::current().id(), other)
    }

    #[test]
    fn a_cycle_through_held_locks_is_a_deadlock() {
        let (me, other) = two_thread_ids();
        let mut state = TableState::default();
        // `other` holds b and waits for a, which `me` holds; `me` now wants b.
        state.entries.insert("a".into(), entry(me, 1, 1));
        state.entries.insert("b".into(), entry(other, 1, 0));
        state.blocking_on.insert(other, "a".into());
        assert!(has_deadlock(&state, "b", me));
    }

    #[test]
    fn a_released_lock_has_no_owner() {
        let (me, other) = two_thread_ids();
        let mut state = TableState::default();
        // `me` released a (count 0; `other`, waiting for it, has not woken yet). `other` holds
        // b. `me` wanting b must wait, not see a deadlock through a's last holder.
        state.entries.insert("a".into(), entry(me, 0, 1));
        state.entries.insert("b".into(), entry(other, 1, 0));
        state.blocking_on.insert(other, "a".into());
        assert!(!has_deadlock(&state, "b", me));
    }
}
