//! The `idgate` binary's integration tests, one test binary: admin commands, served nodes on
//! SQLite and PostgreSQL (two at once), crash recovery, and the demo's BankID. [`support`]
//! runs the binary.

mod cli;
mod demo_bankid;
mod multi_node;
mod outbound;
mod support;
mod webhook_restart;
