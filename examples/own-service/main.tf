# Another team's service on the delivery system: a Python app under gunicorn, listening
# on 8000, ready at /healthz, with its own environment, a secret and a writable root
# file system, deployed by this repository's composition module. Another repository
# would use a git source with a ref instead of the relative path:
#   source = "git::https://github.com/<owner>/<repo>.git//infrastructure/terraform/modules/service?ref=<tag>"

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = { Project = "orders", Environment = var.environment, ManagedBy = "terraform" }
  }
}

module "orders" {
  source = "../../infrastructure/terraform/modules/service"

  service_name        = "orders"
  environment         = var.environment
  ecr_repository_name = "orders"
  container_image     = var.container_image

  container_port    = 8000
  health_check_path = "/healthz"
  liveness_command  = ["CMD-SHELL", "python3 -c \"import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)\""]
  container_command = ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "--graceful-timeout", "20", "app:app"]

  readonly_root_filesystem = false
  container_environment    = { GUNICORN_CMD_ARGS = "--access-logfile -" }
  container_secrets        = { DATABASE_URL = var.database_url_parameter_arn }

  # gunicorn drains for --graceful-timeout after SIGTERM: the budget's shutdown and stop
  # timeouts around it (the timing module checks the rules between them).
  timing = { shutdown_timeout_s = 25, stop_timeout_s = 30 }

  domain_name     = var.domain_name
  route53_zone_id = var.route53_zone_id

  network_profile           = "single_nat"
  capacity_provider_weights = { fargate = 1, fargate_spot = 1, base = 1 }
}
