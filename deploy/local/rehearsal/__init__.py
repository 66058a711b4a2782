"""The local rehearsal of zero-downtime deployments: replicas of the service's image
behind HAProxy, both configured from the timing budget the Terraform uses."""
