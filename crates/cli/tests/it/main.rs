//! The `idgate` binary's integration tests, one test binary: admin commands, served nodes on
//! SQLite and PostgreSQL (two at once), and crash recovery. [`support`] runs the binary.

mod cli;
mod multi_node;
mod outbound;
mod support;
mod webhook_restart;
