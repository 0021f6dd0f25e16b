//! CSV import jobs as the admin sees them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Reading and checking every row.
    Checking,
    /// Writing products.
    Importing,
    Done,
    /// Some rows are invalid: nothing was written.
    Invalid,
    Failed,
    /// The server stopped while it ran (shown, never stored).
    Interrupted,
}

impl ImportStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            ImportStatus::Checking => "checking",
            ImportStatus::Importing => "importing",
            ImportStatus::Done => "done",
            ImportStatus::Invalid => "invalid",
            ImportStatus::Failed => "failed",
            ImportStatus::Interrupted => "interrupted",
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self, ImportStatus::Checking | ImportStatus::Importing)
    }
}

/// A problem on one line of an imported file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportLine {
    pub line: i64,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportJobView {
    pub id: String,
    pub status: ImportStatus,
    pub file_name: String,
    pub by: String,
    pub rows: i64,
    pub products_total: i64,
    pub products_done: i64,
    pub created: i64,
    pub updated: i64,
    pub errors: Vec<ImportLine>,
    /// All errors (only the first ones are listed).
    pub error_count: i64,
    pub started_at: String,
    pub finished_at: Option<String>,
}
