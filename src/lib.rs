//! Согласования ЕССК: a one-window approvals service for utility connection works.

pub mod background;
pub mod case_file;
pub mod clock;
pub mod config;
pub mod dates_refresh;
pub mod db;
pub mod domain;
pub mod error;
pub mod mail;
pub mod seed;
pub mod signature;
pub mod storage;
pub mod verification;
pub mod web;
pub mod workflow;

pub use web::{AppState, router};
