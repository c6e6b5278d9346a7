//! teamgate's HTTP behaviour, end to end: each test starts a real server on
//! port 0 over a fresh database, and runs once on SQLite and once on
//! PostgreSQL when `TEAMGATE_TEST_DATABASE_URL` names a server.

mod audit;
mod check;
mod client;
mod conformance;
mod console;
mod feature_console;
mod feature_input;
mod features;
mod helpers;
mod isolation;
mod keys;
mod live;
mod matrix;
mod me;
mod orgs;
mod permissions;
mod problems;
mod session;
mod team;
mod team_console;
