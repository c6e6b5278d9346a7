//! Tests of the `teamgate` binary as a process: one test executable for the
//! crate, so its dependencies are linked once.

mod crash;
mod logs;
mod replicas;
