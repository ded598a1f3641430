//! The reports store of the peer servers, seeded as `reports-api` seeds its own, and the same
//! route without any protection (the baseline with the same work as `GET /reports/{id}`).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde::Serialize;

/// A stored report, serialized as `reports-api` serializes its own.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Its id.
    pub id: String,
    /// Its owner's subject.
    pub owner: String,
    /// Its title.
    pub title: String,
}

/// The reports, seeded as `reports-api` seeds its store.
#[derive(Debug, Clone)]
pub struct Store(Arc<RwLock<HashMap<String, Report>>>);

impl Store {
    /// `r1` owned by `alice`, `r2` owned by `bob`.
    pub fn seeded() -> Self {
        let report = |id: &str, owner: &str, title: &str| {
            (
                id.to_owned(),
                Report {
                    id: id.to_owned(),
                    owner: owner.to_owned(),
                    title: title.to_owned(),
                },
            )
        };
        Store(Arc::new(RwLock::new(HashMap::from([
            report("r1", "alice", "Q3 numbers"),
            report("r2", "bob", "Bob's private notes"),
        ]))))
    }

    /// A copy of report `id`.
    pub fn get(&self, id: &str) -> Option<Report> {
        self.0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(id)
            .cloned()
    }
}

/// `GET /open/reports/{id}` on axum 0.8 with no authentication at all: the store lookup and JSON
/// answer of `reports-api`'s `read_report`, nothing else.
pub fn open_reports() -> axum::Router {
    use axum::extract::{Path, State};
    use axum::http::StatusCode;
    async fn read(
        State(store): State<Store>,
        Path(id): Path<String>,
    ) -> Result<axum::Json<Report>, StatusCode> {
        store.get(&id).map(axum::Json).ok_or(StatusCode::NOT_FOUND)
    }
    axum::Router::new()
        .route("/open/reports/{id}", axum::routing::get(read))
        .with_state(Store::seeded())
}
