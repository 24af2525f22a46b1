//! The `compute-network` Lambda function: Compute and network changes: EC2, VPC, security groups, Lambda, containers, Systems Manager.
//! All logic lives in the `trailwatch` crate; this only names the group's
//! detections (so that the binary carries no other group's).

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run(&trailwatch::catalog::functions::COMPUTE_NETWORK).await
}
