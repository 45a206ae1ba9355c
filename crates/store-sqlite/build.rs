// `sqlx::migrate!` embeds the migrations at compile time; without this, adding a migration file
// would leave a stale build that does not know it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
