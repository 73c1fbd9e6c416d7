//! Integration tests: the real router over HTTP against a fresh PostgreSQL database each.

mod access_requests;
mod admin;
mod attacks;
mod auth;
mod case_file;
mod helpers;
mod lifecycle;
mod list;
mod matrix;
mod notices;
mod object_storage;
mod races;
mod repeat;
mod rights;
mod signatures;
