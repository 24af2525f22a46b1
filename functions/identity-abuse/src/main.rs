//! The `identity-abuse` Lambda function: Identity and credential abuse: policy versions, access keys, RDS passwords, CloudShell, GetSigninToken.
//! All logic lives in the `trailwatch` crate; this only names the group.

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run("identity-abuse").await
}
