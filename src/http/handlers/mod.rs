pub mod addresses;
pub mod auth;
pub mod health;
pub mod me;
pub mod meta;
pub mod users;
