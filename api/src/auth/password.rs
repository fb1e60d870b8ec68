//! Password hashing with argon2id at OWASP's recommended parameters, and the pool every hash
//! of a request goes through.
//!
//! One hash takes 19 MiB and a core for tens of milliseconds. Without a cap, a hundred
//! concurrent sign-ups took 2 GB and every core; so [`HashingPool`] runs at most one hash per
//! core at once, on the blocking threads (never the async ones, which must keep answering),
//! lets a short queue wait briefly behind them, and refuses the rest with `RATE_LIMITED`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::Semaphore;

use crate::error::{Error, Result};
use crate::limits::{HASHING_MAX_WAIT, HASHING_QUEUE_PER_WORKER, HASHING_WORKERS_PER_CORE};

/// OWASP (2023): argon2id, 19 MiB of memory, 2 iterations, 1 lane.
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

/// A valid hash, at the parameters above, of a random password that was thrown away: checking
/// a password against it costs as much as against a real hash, so an unknown email takes as
/// long to reject as a wrong password. A test checks that its parameters are the current ones.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$AvrYFxq+BTcKcwlp54qRbQ$QNA560uT8VvrLHswLkXcgy03bcTnoNbctAqhbbKBBNk";

fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None)
        .expect("argon2 parameters are constants and valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string (algorithm, parameters, salt and hash) for `password`, with a random salt.
/// This blocks for the whole hash: requests go through [`HashingPool::hash`] instead.
pub fn hash(password: &str) -> anyhow::Result<String> {
    let hashed = hasher()
        .hash_password(password.as_bytes())
        .map_err(|error| anyhow::anyhow!("failed to hash a password: {error}"))?;
    Ok(hashed.to_string())
}

/// Whether `password` matches the stored PHC string. Blocks like [`hash`].
pub fn verify(password: &str, stored: &str) -> bool {
    hasher()
        .verify_password(password.as_bytes(), stored)
        .is_ok()
}

/// Runs password hashes a few at a time on the blocking threads.
///
/// A hash first takes a free worker; when none is free it takes a place in the queue (or is
/// refused at once when the queue is full) and waits for a worker for at most the longest
/// wait (then it is refused). Refusals are `RATE_LIMITED`: the caller may try again shortly.
/// The worker is held by the blocking task itself, so a request that gives up (its client
/// went away, its timeout struck) frees the worker only when its hash has really finished.
pub struct HashingPool {
    workers: Arc<Semaphore>,
    queue: Arc<Semaphore>,
    longest_wait: Duration,
    running: Arc<AtomicUsize>,
    most_running: Arc<AtomicUsize>,
}

impl HashingPool {
    pub fn new(workers: usize, queue: usize, longest_wait: Duration) -> Self {
        Self {
            workers: Arc::new(Semaphore::new(workers.max(1))),
            queue: Arc::new(Semaphore::new(queue)),
            longest_wait,
            running: Arc::default(),
            most_running: Arc::default(),
        }
    }

    /// Sized for this machine: [`HASHING_WORKERS_PER_CORE`] per core, with
    /// [`HASHING_QUEUE_PER_WORKER`] places in the queue per worker.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let workers = cores * HASHING_WORKERS_PER_CORE;
        Self::new(
            workers,
            workers * HASHING_QUEUE_PER_WORKER,
            HASHING_MAX_WAIT,
        )
    }

    /// The most hashes that ran at once since the start: what the cap bounds the memory by.
    pub fn most_running(&self) -> usize {
        self.most_running.load(Ordering::SeqCst)
    }

    /// The PHC string for `password`, with a random salt.
    pub async fn hash(&self, password: String) -> Result<String> {
        self.run(move || hash(&password))
            .await?
            .map_err(Error::Internal)
    }

    /// Whether `password` matches `stored`; with no stored hash (an unknown email) it checks
    /// against a dummy hash, at the same cost and through the same queue, and answers false.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool> {
        self.run(move || match &stored {
            Some(stored) => verify(&password, stored),
            None => {
                verify(&password, DUMMY_HASH);
                false
            }
        })
        .await
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let worker = match self.workers.clone().try_acquire_owned() {
            Ok(worker) => worker,
            Err(_) => {
                let Ok(_place_in_queue) = self.queue.clone().try_acquire_owned() else {
                    tracing::debug!("password hashing queue is full; request refused");
                    return Err(Error::RateLimited);
                };
                match tokio::time::timeout(self.longest_wait, self.workers.clone().acquire_owned())
                    .await
                {
                    Ok(worker) => worker.map_err(|closed| Error::Internal(closed.into()))?,
                    Err(_waited_too_long) => {
                        tracing::debug!("waited too long for password hashing; request refused");
                        return Err(Error::RateLimited);
                    }
                }
            }
        };
        let running = self.running.clone();
        let most_running = self.most_running.clone();
        tokio::task::spawn_blocking(move || {
            let _worker = worker;
            let now_running = running.fetch_add(1, Ordering::SeqCst) + 1;
            most_running.fetch_max(now_running, Ordering::SeqCst);
            let result = work();
            running.fetch_sub(1, Ordering::SeqCst);
            result
        })
        .await
        .map_err(|error| Error::Internal(error.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_own_password_only() {
        let stored = hash("correct horse battery staple").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery staple", &stored));
        assert!(!verify("Correct horse battery staple", &stored));
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_hash_costs() {
        let real = hash("any password at all").unwrap();
        let parameters = |phc: &str| phc.rsplitn(3, '$').nth(2).map(str::to_owned);
        assert_eq!(parameters(DUMMY_HASH), parameters(&real));
        assert!(
            argon2::PasswordHash::new(DUMMY_HASH).is_ok(),
            "the dummy hash is a valid PHC string, so verifying does the full work"
        );
    }

    #[tokio::test]
    async fn an_unknown_email_is_checked_against_the_dummy_and_never_matches() {
        let pool = HashingPool::new(1, 1, Duration::from_secs(5));
        assert!(!pool.verify("".to_owned(), None).await.unwrap());
        let stored = pool.hash("a passphrase".to_owned()).await.unwrap();
        assert!(
            pool.verify("a passphrase".to_owned(), Some(stored))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn hashes_beyond_the_workers_and_the_queue_are_refused_at_once() {
        let pool = Arc::new(HashingPool::new(1, 1, Duration::from_secs(30)));
        // Hold the only worker and the only place in the queue with hashes that wait on us.
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = Arc::new(std::sync::Mutex::new(released));
        let (started, mut running) = tokio::sync::mpsc::unbounded_channel::<()>();
        let blocked = |pool: Arc<HashingPool>| {
            let released = released.clone();
            let started = started.clone();
            tokio::spawn(async move {
                pool.run(move || {
                    let _ = started.send(());
                    let _ = released.lock().unwrap().recv();
                })
                .await
            })
        };
        let first = blocked(pool.clone());
        running.recv().await.expect("the first hash runs");
        let second = blocked(pool.clone());
        while pool.queue.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let third = pool.run(|| ()).await;
        assert!(matches!(third, Err(Error::RateLimited)));
        release.send(()).unwrap();
        release.send(()).unwrap();
        assert!(first.await.unwrap().is_ok());
        assert!(second.await.unwrap().is_ok(), "the queued hash runs next");
    }

    #[tokio::test]
    async fn a_hash_that_waits_too_long_is_refused() {
        let pool = Arc::new(HashingPool::new(1, 4, Duration::from_millis(50)));
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (started, started_signal) = tokio::sync::oneshot::channel::<()>();
        let holder = {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.run(move || {
                    let _ = started.send(());
                    let _ = released.recv();
                })
                .await
            })
        };
        started_signal.await.expect("the first hash runs");
        let waited = pool.run(|| ()).await;
        assert!(matches!(waited, Err(Error::RateLimited)));
        release.send(()).unwrap();
        assert!(holder.await.unwrap().is_ok());
    }
}
