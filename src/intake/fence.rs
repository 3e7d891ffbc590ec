//! The intake's side of [`crate::turn::Fence`]: one per run of an update, naming the update and,
//! in lease mode, the chat lease (holder and token) the run started under.

use futures::future::BoxFuture;
use sea_orm::DatabaseConnection;

use crate::store::StoreError;
use crate::store::fencing::{self, Lease};

pub struct UpdateFence {
    db: DatabaseConnection,
    update_id: i64,
    /// None without leases (long polling, or an update with no chat): only the update's status
    /// is checked then.
    lease: Option<Lease>,
}

impl UpdateFence {
    pub fn new(db: DatabaseConnection, update_id: i64, lease: Option<Lease>) -> Self {
        UpdateFence { db, update_id, lease }
    }

    pub fn lease(&self) -> Option<&Lease> {
        self.lease.as_ref()
    }
}

impl crate::turn::Fence for UpdateFence {
    fn holds(&self) -> BoxFuture<'_, Result<bool, StoreError>> {
        Box::pin(fencing::holds(
            &self.db,
            self.update_id,
            self.lease.as_ref(),
            super::leases::now_ms(),
        ))
    }
}
