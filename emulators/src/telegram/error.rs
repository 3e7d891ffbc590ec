//! How a Bot API method fails: the status, description and `retry_after` Telegram answers with.

/// An error reply: HTTP status == `error_code`, as on Telegram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiErr {
    pub code: u16,
    pub description: String,
    pub retry_after: Option<u32>,
}

pub(crate) fn bad(what: impl AsRef<str>) -> ApiErr {
    ApiErr { code: 400, description: format!("Bad Request: {}", what.as_ref()), retry_after: None }
}
