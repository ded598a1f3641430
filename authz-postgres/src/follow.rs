//! The background task: `LISTEN`, load everything, then follow the channel, re-reading each
//! member a message names, and decide until when the copy may be read ([`Trust`]).

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::pin::pin;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use authz_core::Policy;
use authz_core::assignments::{Assigned, Member};
use futures_core::Stream;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client};

use crate::PgError;
use crate::connect;
use crate::error::within;
use crate::schema::CHANNEL;
use crate::store::{Shared, parse_roles, write};
use crate::table::Table;

/// How often the task sends a barrier on the channel.
pub const HEARTBEAT: Duration = Duration::from_millis(250);
/// Members re-read in one query.
const BATCH: usize = 1000;
/// Notifications waiting to be read, past which the task counts as fallen behind (a flood):
/// it ends the subscription, and lookups ask the database until it has caught up.
const QUEUE: usize = 64 * BATCH;
/// The least time between two loads asked for by `reload` messages (a `TRUNCATE`): anyone
/// can send one, and a load reads the whole table. Until it is done, lookups ask the database.
const RELOAD_EVERY: Duration = Duration::from_secs(5);
/// What a barrier's payload starts with (then the nonce in hex).
const BARRIER: &str = "authz-barrier:";
/// The `application_name` of the listening connection, as `pg_stat_activity` shows it.
pub(crate) const LISTENER_NAME: &str = "authz-postgres listener";

/// Milliseconds on a monotonic clock, from the first reading in this process.
fn now_ms() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let elapsed = EPOCH.get_or_init(Instant::now).elapsed();
    elapsed
        .as_secs()
        .saturating_mul(1000)
        .saturating_add(u64::from(elapsed.subsec_millis()))
}

/// Until when (a [`now_ms`] reading, exclusive) the copy may be read; 0: not at all.
#[derive(Default)]
pub(crate) struct Trust(AtomicU64);

impl Trust {
    pub(crate) fn holds(&self) -> bool {
        now_ms() < self.0.load(Ordering::Acquire)
    }

    fn until(&self, deadline: u64) {
        self.0.store(deadline, Ordering::Release);
    }

    pub(crate) fn revoke(&self) {
        self.0.store(0, Ordering::Release);
    }
}

/// Follows the channel for as long as the store exists: a session until it fails, then
/// another after a pause (100 ms, doubling to 2 s while the database stays away).
pub(crate) async fn run<P: Policy>(shared: Arc<Shared<P>>) {
    let mut pause = Duration::from_millis(100);
    loop {
        let started = Instant::now();
        let error = session(&shared).await;
        shared.trust.revoke();
        tracing::warn!(
            target: "authz_postgres",
            error = %error,
            "role assignments: subscription lost; lookups ask the database until it is back"
        );
        if started.elapsed() > Duration::from_secs(5) {
            pause = Duration::from_millis(100);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

/// One subscription: returns why it ended.
async fn session<P: Policy>(shared: &Shared<P>) -> PgError {
    match subscribe(shared).await {
        Ok(never) => match never {},
        Err(error) => error,
    }
}

enum Never {}

/// Stops the task driving a connection when the session ends.
struct Driver(tokio::task::JoinHandle<()>);

impl Drop for Driver {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn subscribe<P: Policy>(shared: &Shared<P>) -> Result<Never, PgError> {
    let timeout = shared.options.timeout;
    let mut config = shared.config.clone();
    config.application_name(LISTENER_NAME);
    let (client, mut connection) =
        within(timeout, connect::connect(&config, &shared.options)).await?;
    let (sender, mut messages) = mpsc::channel::<String>(QUEUE);
    let _driver = Driver(tokio::spawn(async move {
        // Drives the connection; its end (the channel closing) ends the session.
        while let Some(Ok(message)) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            if let AsyncMessage::Notification(notification) = message
                && notification.channel() == CHANNEL
                && sender.try_send(notification.payload().to_owned()).is_err()
            {
                break;
            }
        }
    }));
    within(timeout, client.batch_execute(&format!("LISTEN {CHANNEL}"))).await?;
    load(shared, &client).await?;
    let mut loaded = Instant::now();
    let mut reload = false;

    let nonces = RandomState::new();
    let mut sequence = 0u64;
    // The barrier in flight: its payload and when it was sent.
    let mut barrier: Option<(String, u64)> = None;
    let mut hints: HashSet<(String, String, String)> = HashSet::new();
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = messages.recv() => {
                let Some(payload) = message else {
                    return Err(PgError::Closed);
                };
                if payload.starts_with(BARRIER) {
                    if let Some((expected, sent)) = &barrier
                        && *expected == payload
                    {
                        confirm(shared, &client, &mut hints).await?;
                        if !reload {
                            shared.trust.until(sent + duration_ms(HEARTBEAT + timeout));
                        }
                        barrier = None;
                    }
                } else if payload == "reload" {
                    // Rows went without row triggers: the copy is not read until loaded again.
                    shared.trust.revoke();
                    reload = true;
                } else if let Ok((issuer, subject, tenant)) =
                    serde_json::from_str::<(String, String, String)>(&payload)
                {
                    hints.insert((issuer, subject, tenant));
                    // Re-read at once when nothing else is waiting (a revocation then takes
                    // effect in milliseconds), else batch what has arrived.
                    if hints.len() >= BATCH || messages.is_empty() {
                        confirm(shared, &client, &mut hints).await?;
                    }
                }
            }
            _ = heartbeat.tick() => {
                if reload && loaded.elapsed() >= RELOAD_EVERY {
                    hints.clear();
                    load(shared, &client).await?;
                    (loaded, reload) = (Instant::now(), false);
                }
                if let Some((_, sent)) = &barrier {
                    if now_ms().saturating_sub(*sent) > duration_ms(timeout) {
                        return Err(PgError::Timeout(timeout));
                    }
                    continue;
                }
                sequence += 1;
                let payload = format!(
                    "{BARRIER}{:016x}{:016x}",
                    nonces.hash_one(sequence),
                    nonces.hash_one(!sequence)
                );
                let sent = now_ms();
                within(
                    timeout,
                    client.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload]),
                )
                .await?;
                barrier = Some((payload, sent));
            }
        }
    }
}

fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Loads every assignment into a new table and puts it in place.
async fn load<P: Policy>(shared: &Shared<P>, client: &Client) -> Result<(), PgError> {
    // A large table takes longer than one query's timeout; the connection's liveness is what
    // matters here, and a dead server ends the stream with an error.
    let started = Instant::now();
    let (table, unknown) = within(shared.options.load_timeout, read_all::<P>(client)).await?;
    if unknown > 0 {
        shared.unknown.fetch_add(unknown, Ordering::Relaxed);
        tracing::warn!(
            target: "authz_postgres",
            unknown,
            "role assignments: role names the policy does not declare grant nothing"
        );
    }
    tracing::info!(
        target: "authz_postgres",
        members = table.len(),
        millis = started.elapsed().as_millis() as u64,
        "role assignments loaded"
    );
    *write(&shared.table) = table;
    shared.loads.fetch_add(1, Ordering::Release);
    Ok(())
}

/// Every assignment, and how many role names the policy does not declare.
async fn read_all<P: Policy>(client: &Client) -> Result<(Table<P>, u64), PgError> {
    let rows = client
        .query_raw(
            "SELECT issuer, subject, tenant, role FROM authz_role_assignments",
            std::iter::empty::<&str>(),
        )
        .await?;
    let mut rows = pin!(rows);
    let mut table = Table::<P>::default();
    let mut unknown = 0u64;
    while let Some(row) = std::future::poll_fn(|cx| rows.as_mut().poll_next(cx)).await {
        let row = row?;
        let (issuer, subject, tenant, role): (&str, &str, &str, &str) = (
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        );
        match <P::Role as authz_core::Role>::from_name(role) {
            Some(role) => table.add(&Member::new(issuer, subject, tenant), role),
            None => unknown += 1,
        }
    }
    Ok((table, unknown))
}

/// Re-reads the members `hints` name and updates the copy; empties `hints`.
async fn confirm<P: Policy>(
    shared: &Shared<P>,
    client: &Client,
    hints: &mut HashSet<(String, String, String)>,
) -> Result<(), PgError> {
    if hints.is_empty() {
        return Ok(());
    }
    let members: Vec<(String, String, String)> = hints.drain().collect();
    for chunk in members.chunks(BATCH) {
        let issuers: Vec<&str> = chunk.iter().map(|m| m.0.as_str()).collect();
        let subjects: Vec<&str> = chunk.iter().map(|m| m.1.as_str()).collect();
        let tenants: Vec<&str> = chunk.iter().map(|m| m.2.as_str()).collect();
        let rows = within(
            shared.options.timeout,
            client.query(
                "SELECT a.issuer, a.subject, a.tenant, a.role FROM authz_role_assignments a \
                 JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(issuer, subject, tenant) \
                 USING (issuer, subject, tenant)",
                &[&issuers, &subjects, &tenants],
            ),
        )
        .await?;
        // Every hinted member is set: to its rows, or to none.
        let mut found: std::collections::HashMap<(&str, &str, &str), Vec<&str>> = chunk
            .iter()
            .map(|m| ((m.0.as_str(), m.1.as_str(), m.2.as_str()), Vec::new()))
            .collect();
        for row in &rows {
            let key: (&str, &str, &str) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            if let Some(roles) = found.get_mut(&key) {
                roles.push(row.try_get(3)?);
            }
        }
        let before = shared.unknown.load(Ordering::Relaxed);
        let updates: Vec<(Member<'_>, Assigned<P>)> = found
            .iter()
            .map(|(key, roles)| {
                (
                    Member::new(key.0, key.1, key.2),
                    parse_roles::<P>(roles.iter().copied(), &shared.unknown),
                )
            })
            .collect();
        let mut table = write(&shared.table);
        for (member, assigned) in &updates {
            table.set(member, *assigned);
        }
        drop(table);
        let unknown = shared.unknown.load(Ordering::Relaxed) - before;
        if unknown > 0 {
            tracing::warn!(
                target: "authz_postgres",
                unknown,
                "role assignments: role names the policy does not declare grant nothing"
            );
        }
    }
    Ok(())
}

/// One member's roles, read from the database.
pub(crate) async fn read_member<P: Policy>(
    client: &Client,
    member: &Member<'_>,
    unknown: &AtomicU64,
    timeout: Duration,
) -> Result<Assigned<P>, PgError> {
    let rows = within(
        timeout,
        client.query(
            "SELECT role FROM authz_role_assignments \
             WHERE issuer = $1 AND subject = $2 AND tenant = $3",
            &[&member.issuer, &member.subject, &member.tenant],
        ),
    )
    .await?;
    let names: Vec<&str> = rows
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    Ok(parse_roles::<P>(names, unknown))
}
