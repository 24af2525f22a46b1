//! The `identity-abuse` Lambda function: Identity and credential abuse: root user activity, policy versions, access keys, RDS passwords, CloudShell, GetSigninToken, Cognito guest access.
//! All logic lives in the `trailwatch` crate; this only names the group's
//! detections (so that the binary carries no other group's).

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run(&trailwatch::catalog::functions::IDENTITY_ABUSE).await
}
