//! The `hijacking` Lambda function: Resource and account hijacking with stolen credentials: compute across Regions, GPU capacity, opt-in Regions, SES sending, domains registered or taken (auth codes, contacts), root email changed, accounts leaving, removed or closed.
//! All logic lives in the `trailwatch` crate; this only names the group's
//! detections (so that the binary carries no other group's).

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run(&trailwatch::catalog::functions::HIJACKING).await
}
