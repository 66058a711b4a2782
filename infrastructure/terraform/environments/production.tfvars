# Production: a NAT gateway per zone, regular Fargate only, canary deployments.
environment         = "production"
aws_region          = "us-east-1"
network_profile     = "ha_nat"
deployment_strategy = "canary"

capacity_provider_weights = { fargate = 1, fargate_spot = 0, base = 1 }

log_level               = "info"
log_retention_days      = 30
alb_deletion_protection = true

# Set these for a real production (docs/SETUP.md, step 5): your name and its ACM
# certificate, together (the pipeline then verifies https://<domain_name>), and who gets
# paged.
# domain_name     = "app.example.com"
# certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/..."
# alarm_email     = "oncall@example.com"

deploy_role_name = "hello-service-production-deploy"
