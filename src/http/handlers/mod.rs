pub mod auth;
pub mod health;
pub mod import;
pub mod me;
pub mod me_org;
pub mod meta;
pub mod org;
pub mod users;
