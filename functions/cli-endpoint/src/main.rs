//! The `cli-endpoint` Lambda function: AWS CLI calls with an endpoint override (broad aws-cli/ user-agent pattern).
//! All logic lives in the `trailwatch` crate; this only names the group's
//! detections (so that the binary carries no other group's).

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run(&trailwatch::catalog::functions::CLI_ENDPOINT).await
}
