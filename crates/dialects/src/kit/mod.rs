//! What every dialect shares: reading request bodies, per-field errors, the problem-document
//! basics (RFC 9457), and the two traits a dialect implements to mount shared routes (its
//! authenticated partner, its error shape).
//!
//! A dialect's error type extends this kit by converting [`RequestError`] (request-level
//! failures found by shared code) and the hub's `ServiceError` into its own codes.

mod body;
mod docs;
mod fields;
mod problem;

pub use body::{BodyError, json_object};
pub use docs::{docs, docs_at};
pub use fields::{FieldErrors, add_field_error, decode};
pub use problem::{
    DialectError, PROBLEM_SCHEMA_REF, PartnerScope, RequestError, add_rate_limit_headers,
    problem_response, problem_type,
};
