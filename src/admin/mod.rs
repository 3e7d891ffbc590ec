//! Running the bot — pure rules, no I/O: daily allowances in money terms ([`quota`]), the
//! arguments of the admin commands ([`args`]), and who may talk to Honzík ([`access`]).
//! The commands themselves are `bot::handlers::admin`, broadcasts `bot::handlers::broadcast`,
//! the stored state `store::admin`.

pub mod access;
pub mod args;
pub mod quota;
