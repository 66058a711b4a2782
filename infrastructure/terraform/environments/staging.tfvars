# Staging: cheaper network and Spot capacity; everything else as production.
environment         = "staging"
aws_region          = "us-east-1"
network_profile     = "single_nat"
deployment_strategy = "rolling"

# Most tasks on Spot, one always on regular Fargate. Changing the weights updates the
# service in place (a rolling redeploy). Spot runs X86_64 tasks only.
capacity_provider_weights = { fargate = 1, fargate_spot = 3, base = 1 }

log_level          = "debug"
log_retention_days = 14

deploy_role_name = "hello-service-staging-deploy"
