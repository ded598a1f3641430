//! [`PgAssignments`]: the store, its connection for lookups and writes, and its management API.

use core::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use authz_core::assignments::{
    Action, Assigned, Assignments, ChangeError, MAX_NAME_LEN, Member, Membership, Unavailable,
    manage,
};
use authz_core::{Authenticated, Claims, Policy, Requirement, Role as _};
use tokio::task::JoinHandle;
use tokio_postgres::Client;

use crate::PgError;
use crate::connect;
use crate::error::within;
use crate::follow::{self, Trust};
use crate::table::Table;

/// How a [`PgAssignments`] talks to PostgreSQL.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// How long a query, a connection attempt or a barrier may take before the database
    /// counts as unavailable (default 500 ms). A revocation reaches every instance within
    /// [`HEARTBEAT`](crate::HEARTBEAT) plus this.
    pub timeout: Duration,
    /// How long [`PgAssignments::connect`] waits for the first load (default 60 s).
    pub load_timeout: Duration,
    /// TLS for every connection, when set with [`tls`](Self::tls).
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<connect::Tls>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            timeout: Duration::from_millis(500),
            load_timeout: Duration::from_secs(60),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl Options {
    /// The timeout of queries, connection attempts and barriers.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long [`PgAssignments::connect`] waits for the first load.
    #[must_use]
    pub fn load_timeout(mut self, timeout: Duration) -> Self {
        self.load_timeout = timeout;
        self
    }

    /// TLS on every connection the store makes (lookups and writes, and the listener's; give
    /// the same options to [`migrate_with`](crate::migrate_with)), with `config`: the roots to
    /// trust and, if the server asks for one, a client certificate. The server's certificate
    /// is verified against those roots and the host name (or IP address) of the connection
    /// settings, whatever `sslmode` says; `sslmode=prefer`, tokio-postgres's default, is taken
    /// as `require` (a server without TLS is refused, never used in the clear), and
    /// `sslmode=disable` is refused as contradicting this.
    ///
    /// `config` brings its crypto provider: [`rustls::ClientConfig::builder`] takes the
    /// process's default, or else the one rustls was built with when there is only one
    /// (authz-postgres builds rustls with aws-lc-rs, as authz-core does);
    /// [`rustls::ClientConfig::builder_with_provider`] names it.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use authz_postgres::{Options, rustls};
    ///
    /// # fn ca_certificates() -> Vec<rustls::pki_types::CertificateDer<'static>> { Vec::new() }
    /// let mut roots = rustls::RootCertStore::empty();
    /// // The CA that signed the database's certificate (a managed database documents its own).
    /// roots.add_parsable_certificates(ca_certificates());
    /// let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    /// let tls = rustls::ClientConfig::builder_with_provider(provider)
    ///     .with_safe_default_protocol_versions()
    ///     .expect("TLS 1.2 and 1.3")
    ///     .with_root_certificates(roots)
    ///     .with_no_client_auth();
    /// let options = Options::default().tls(tls);
    /// # let _ = options;
    /// ```
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    #[must_use]
    pub fn tls(mut self, config: rustls::ClientConfig) -> Self {
        self.tls = Some(connect::Tls(tokio_postgres_rustls::MakeRustlsConnect::new(
            config,
        )));
        self
    }

    /// Whether connections use TLS ([`tls`](Self::tls) was given).
    #[cfg(feature = "tls")]
    pub fn has_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Whether connections use TLS: never without the feature `tls`.
    #[cfg(not(feature = "tls"))]
    pub fn has_tls(&self) -> bool {
        false
    }
}

/// What the store and its background task share.
pub(crate) struct Shared<P> {
    pub(crate) config: tokio_postgres::Config,
    pub(crate) options: Options,
    pub(crate) table: RwLock<Table<P>>,
    pub(crate) trust: Trust,
    /// The connection for lookups while the copy is not trusted, and for writes.
    client: tokio::sync::Mutex<Option<Arc<Client>>>,
    /// Role names read from the table that the policy does not declare.
    pub(crate) unknown: AtomicU64,
    /// Loads of the whole table (the first, and one after each lost subscription).
    pub(crate) loads: AtomicU64,
}

/// Role assignments on PostgreSQL under policy `P`, kept in memory on this instance and
/// current through `LISTEN/NOTIFY` (see the [crate docs](crate)). Cheap to clone: clones
/// share one copy and one background task, which stops when the last clone is dropped.
pub struct PgAssignments<P> {
    shared: Arc<Shared<P>>,
    _task: Arc<AbortOnDrop>,
}

impl<P> Clone for PgAssignments<P> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
            _task: self._task.clone(),
        }
    }
}

struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<P: Policy> fmt::Debug for PgAssignments<P> {
    /// The counts; never the connection settings (they may hold a password).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgAssignments")
            .field("members", &self.members())
            .field("trusted", &self.shared.trust.holds())
            .field("unknown_roles", &self.unknown_roles())
            .finish()
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<P: Policy> PgAssignments<P> {
    /// Connects to the database `config` names (a libpq-style string such as
    /// `host=127.0.0.1 port=5432 user=app dbname=app`, or a `postgresql://` URL), loads every
    /// assignment and starts following changes, with the default [`Options`]. Must run on a
    /// tokio runtime. Returns once the copy is loaded and known to be current; fails when that
    /// takes longer than the load timeout.
    pub async fn connect(config: &str) -> Result<Self, PgError> {
        Self::connect_with(config, Options::default()).await
    }

    /// [`connect`](Self::connect) with `options`.
    ///
    /// Fails at once, without sending anything, when the settings say `sslmode=require` and
    /// the options configure no TLS ([`PgError::TlsSettings`]); with TLS, fails at once when
    /// the handshake is refused (an untrusted or mismatched certificate: a
    /// [`PgError::Database`] whose sources hold the `rustls::Error`), rather than after the
    /// load timeout.
    pub async fn connect_with(config: &str, options: Options) -> Result<Self, PgError> {
        let mut config: tokio_postgres::Config = config.parse().map_err(PgError::Config)?;
        connect::prepare(&mut config, &options)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.timeout);
        }
        let load_timeout = options.load_timeout;
        let shared = Arc::new(Shared {
            config,
            options,
            table: RwLock::default(),
            trust: Trust::default(),
            client: tokio::sync::Mutex::new(None),
            unknown: AtomicU64::new(0),
            loads: AtomicU64::new(0),
        });
        let task = tokio::spawn(follow::run(shared.clone()));
        let store = Self {
            shared,
            _task: Arc::new(AbortOnDrop(task)),
        };
        let deadline = tokio::time::Instant::now() + load_timeout;
        // A certificate that is not trusted will not be by the load timeout: say so now. (The
        // store's own connection, opened here rather than at its first use.)
        #[cfg(feature = "tls")]
        if store.shared.options.has_tls()
            && let Err(error) = store.client().await
            && connect::is_tls_refusal(&error)
        {
            return Err(error);
        }
        // Loaded, and the first barrier back: the first requests are answered from memory.
        while !store.shared.trust.holds() {
            if tokio::time::Instant::now() >= deadline {
                return Err(PgError::NotLoaded(load_timeout));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(store)
    }

    /// The options in force.
    pub fn options(&self) -> &Options {
        &self.shared.options
    }

    /// How many members the copy holds.
    pub fn members(&self) -> usize {
        read(&self.shared.table).len()
    }

    /// How many role names read from the table the policy does not declare (written by a
    /// newer or older deployment, or by hand): each granted nothing and was logged.
    pub fn unknown_roles(&self) -> u64 {
        self.shared.unknown.load(Ordering::Relaxed)
    }

    /// Whether lookups are answered from the copy in memory now (rather than by asking the
    /// database, as while the subscription is being set up again).
    pub fn is_current(&self) -> bool {
        self.shared.trust.holds()
    }

    /// How many times the whole table has been loaded: once at start, then once after each
    /// lost subscription.
    pub fn loads(&self) -> u64 {
        self.shared.loads.load(Ordering::Relaxed)
    }

    /// The connection for lookups and writes, opened again when it was lost.
    pub(crate) async fn client(&self) -> Result<Arc<Client>, PgError> {
        let mut slot = self.shared.client.lock().await;
        if let Some(client) = slot.as_ref()
            && !client.is_closed()
        {
            return Ok(client.clone());
        }
        *slot = None;
        let (client, connection) = within(
            self.shared.options.timeout,
            connect::connect(&self.shared.config, &self.shared.options),
        )
        .await?;
        tokio::spawn(connection);
        let client = Arc::new(client);
        *slot = Some(client.clone());
        Ok(client)
    }

    /// Asks the database for one member's roles (the copy is not trusted).
    async fn ask(&self, member: Member<'_>) -> Result<Option<Membership<P>>, PgError> {
        if !member.is_valid() {
            // No such row can exist, and a NUL would make the query fail: not a member.
            return Ok(None);
        }
        let client = self.client().await?;
        let assigned = follow::read_member(
            &client,
            &member,
            &self.shared.unknown,
            self.shared.options.timeout,
        )
        .await?;
        Ok((!assigned.is_empty()).then(|| Membership::new(Arc::from(member.tenant), assigned)))
    }

    /// The members of `tenant` and their roles there, as the database holds them now (asked,
    /// not read from the copy: a listing is an administrative call, and its answer should be
    /// the rows themselves), ordered by subject then issuer. Names the policy does not know
    /// grant nothing and are counted in [`unknown_roles`](Self::unknown_roles).
    ///
    /// Pass the tenant of the caller a route was scoped to (`caller.tenant()` on a route
    /// declared with `tenant = "{org}"`), so that a caller lists only its own tenant.
    pub async fn members_in(&self, tenant: &str) -> Result<Vec<Listed<P>>, PgError> {
        if tenant.is_empty() || tenant.len() > MAX_NAME_LEN || tenant.contains('\0') {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        let rows = within(
            self.shared.options.timeout,
            client.query(
                "SELECT issuer, subject, array_agg(role) FROM authz_role_assignments \
                 WHERE tenant = $1 GROUP BY issuer, subject ORDER BY subject, issuer",
                &[&tenant],
            ),
        )
        .await?;
        rows.iter()
            .map(|row| {
                let roles: Vec<&str> = row.try_get(2)?;
                Ok(Listed {
                    issuer: row.try_get(0)?,
                    subject: row.try_get(1)?,
                    assigned: parse_roles::<P>(roles, &self.shared.unknown),
                })
            })
            .collect()
    }

    /// Reads a member again after this instance changed it, so that its own next request
    /// sees the change (other instances hear of it through the channel).
    async fn refresh(&self, client: &Client, member: &Member<'_>) {
        match follow::read_member(
            client,
            member,
            &self.shared.unknown,
            self.shared.options.timeout,
        )
        .await
        {
            Ok(assigned) => write(&self.shared.table).set(member, assigned),
            // The channel will bring it, or the copy stops being trusted.
            Err(_) => self.shared.trust.revoke(),
        }
    }

    /// Assigns `role` to `member`, checking no caller: for setup code and tools, never for a
    /// request (a handler calls [`grant_by`](Self::grant_by)). Whether it was not assigned
    /// already.
    pub async fn grant(&self, member: Member<'_>, role: P::Role) -> Result<bool, PgError> {
        self.write(Action::Grant, member, role, "").await
    }

    /// Takes `role` back from `member`, checking no caller. Whether it was assigned.
    pub async fn revoke(&self, member: Member<'_>, role: P::Role) -> Result<bool, PgError> {
        self.write(Action::Revoke, member, role, "").await
    }

    /// Assigns `role` to `member` on behalf of `caller`, the request's caller scoped to its
    /// tenant (see [`Authenticated::in_tenant`]), under the rules of
    /// [`authz_core::assignments::manage`]: only roles whose permissions `caller` holds, in its
    /// own tenant unless it meets `cross_tenant`; audited with the caller as actor.
    pub async fn grant_by<O: Requirement<Policy = P>, C: Claims>(
        &self,
        caller: &Authenticated<P, C>,
        cross_tenant: O,
        member: Member<'_>,
        role: P::Role,
    ) -> Result<bool, ChangeError> {
        let actor = actor(caller);
        let write = async {
            self.write(Action::Grant, member, role, &actor)
                .await
                .map_err(Unavailable::new)
        };
        manage(caller, cross_tenant, Action::Grant, member, role, write).await
    }

    /// Takes `role` back from `member` on behalf of `caller`, under the same rules as
    /// [`grant_by`](Self::grant_by).
    pub async fn revoke_by<O: Requirement<Policy = P>, C: Claims>(
        &self,
        caller: &Authenticated<P, C>,
        cross_tenant: O,
        member: Member<'_>,
        role: P::Role,
    ) -> Result<bool, ChangeError> {
        let write = async {
            self.write(Action::Revoke, member, role, "")
                .await
                .map_err(Unavailable::new)
        };
        manage(caller, cross_tenant, Action::Revoke, member, role, write).await
    }

    async fn write(
        &self,
        action: Action,
        member: Member<'_>,
        role: P::Role,
        actor: &str,
    ) -> Result<bool, PgError> {
        let client = self.client().await?;
        let timeout = self.shared.options.timeout;
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] = [
            &member.issuer,
            &member.subject,
            &member.tenant,
            &role.name(),
        ];
        let changed = match action {
            Action::Revoke => {
                within(
                    timeout,
                    client.execute(
                        "DELETE FROM authz_role_assignments \
                         WHERE issuer = $1 AND subject = $2 AND tenant = $3 AND role = $4",
                        &params,
                    ),
                )
                .await?
            }
            _ => {
                within(
                    timeout,
                    client.execute(
                        "INSERT INTO authz_role_assignments \
                         (issuer, subject, tenant, role, granted_by) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT DO NOTHING",
                        &[params[0], params[1], params[2], params[3], &actor],
                    ),
                )
                .await?
            }
        };
        self.refresh(&client, &member).await;
        Ok(changed > 0)
    }
}

/// The acting caller as the table's `granted_by` records it: `issuer subject`, or the subject
/// alone (API keys and verified claims have no issuer).
fn actor<P: Policy, C: Claims>(caller: &Authenticated<P, C>) -> String {
    let subject = caller.subject().unwrap_or("");
    match caller.issuer() {
        Some(issuer) => format!("{issuer} {subject}"),
        None => subject.to_owned(),
    }
}

impl<P: Policy> Assignments<P> for PgAssignments<P> {
    /// From the copy in memory while it is trusted (no query, no allocation); else from the
    /// database; [`Unavailable`] when neither can answer.
    async fn membership(&self, member: Member<'_>) -> Result<Option<Membership<P>>, Unavailable> {
        if self.shared.trust.holds() {
            return Ok(read(&self.shared.table).get(&member));
        }
        self.ask(member).await.map_err(Unavailable::new)
    }

    /// From the copy while it is trusted; `None` (ask the database) otherwise.
    fn membership_now(
        &self,
        member: Member<'_>,
    ) -> Option<Result<Option<Membership<P>>, Unavailable>> {
        self.shared
            .trust
            .holds()
            .then(|| Ok(read(&self.shared.table).get(&member)))
    }
}

/// A member of a tenant and its roles there, as [`PgAssignments::members_in`] lists it.
pub struct Listed<P> {
    /// The issuer of the member's tokens (`""` for API keys).
    pub issuer: String,
    /// The member's subject.
    pub subject: String,
    /// Its roles in the tenant.
    pub assigned: Assigned<P>,
}

impl<P: Policy> fmt::Debug for Listed<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listed")
            .field("issuer", &self.issuer)
            .field("subject", &self.subject)
            .field("assigned", &self.assigned)
            .finish()
    }
}

/// What [`follow`] needs of a role to count names.
pub(crate) fn parse_roles<'a, P: Policy>(
    names: impl IntoIterator<Item = &'a str>,
    unknown: &AtomicU64,
) -> Assigned<P> {
    let (assigned, missing) = Assigned::<P>::from_names(names);
    if missing > 0 {
        unknown.fetch_add(u64::from(missing), Ordering::Relaxed);
    }
    assigned
}
