//! The harness lives in the library (`handover_mesh::testing`, feature
//! `test-support`) so that other crates' end-to-end tests can reuse it.

pub use handover_mesh::testing::*;
