//! korsel: mileage reporting for Danish municipalities.
//!
//! Layers: `domain` (pure rules), `services` (use cases, one transaction each), `db` (schema and
//! repositories), `http` (handlers, route table, error mapping), with `app`, `cli` and `config`
//! wiring them together.

pub mod address;
pub mod app;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod payroll;
pub mod routing;
pub mod services;
pub mod telemetry;
pub mod web;
