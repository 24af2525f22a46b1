//! The `network-exposure` Lambda function: Network bridges and network defences: VPC peering and transit gateway links with other accounts, VPNs, endpoint services opened to everyone, Network Firewall, Firewall Manager and load balancer access logs switched off.
//! All logic lives in the `trailwatch` crate; this only names the group's
//! detections (so that the binary carries no other group's).

#[tokio::main]
async fn main() -> Result<(), trailwatch::lambda::Error> {
    trailwatch::lambda::run(&trailwatch::catalog::functions::NETWORK_EXPOSURE).await
}
