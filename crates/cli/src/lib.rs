//! The composition root: which store engines this build offers ([`engines`]). The `idgate`
//! binary (`src/main.rs`) and the test kit assemble the hub with it.

pub mod engines;

pub use engines::Engines;
