//! The approval rules, free of I/O: who may see and do what, how an approval moves, and its
//! dates.

pub mod access;
pub mod access_request;
pub mod accounts;
pub mod dates;
pub mod file_names;
pub mod lifecycle;
pub mod names;
pub mod route_rules;
pub mod schedule;
pub mod signing;
