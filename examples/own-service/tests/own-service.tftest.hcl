# The example consumer: another image, port, health path, liveness check, command,
# environment and secret reach the task definition, the target group's checks, the
# execution role and the deploy settings the pipeline reads.

mock_provider "aws" {
  source = "../../infrastructure/terraform/tests/mocks"
}

run "orders_plain_http" {
  command = apply

  assert {
    condition = (jsondecode(module.orders.container_definitions)[0].image == var.container_image &&
      jsondecode(module.orders.container_definitions)[0].portMappings[0].containerPort == 8000 &&
      jsondecode(module.orders.container_definitions)[0].command[0] == "gunicorn" &&
      jsondecode(module.orders.container_definitions)[0].healthCheck.command[0] == "CMD-SHELL" &&
      jsondecode(module.orders.container_definitions)[0].readonlyRootFilesystem == false &&
    jsondecode(module.orders.container_definitions)[0].secrets == [{ name = "DATABASE_URL", valueFrom = var.database_url_parameter_arn }])
    error_message = "The orders container: its image, port 8000, gunicorn, a shell health check, a writable root file system, its secret."
  }
  assert {
    condition = (module.orders.deploy_settings.container_port == 8000 && module.orders.deploy_settings.cluster_name == "orders-staging" &&
    module.orders.deploy_settings.service_name == "orders" && module.orders.deploy_settings.ecr_repository_name == "orders")
    error_message = "The deploy settings name the orders cluster, service, repository and port."
  }
  assert {
    condition     = module.orders.timing.shutdown_timeout_s == 25 && module.orders.timing.stop_timeout_s == 30
    error_message = "The orders budget: gunicorn's graceful timeout inside the stop timeout."
  }
  assert {
    condition     = output.service_url == module.orders.alb_url && startswith(output.service_url, "http://")
    error_message = "Without a domain the service is the plain-HTTP demo on the load balancer's name."
  }
  assert {
    condition     = output.deploy_settings_parameter == "/orders/staging/deploy-settings"
    error_message = "The settings parameter is /orders/<environment>/deploy-settings."
  }
}

run "orders_with_domain" {
  command = plan
  variables {
    domain_name     = "orders.example.com"
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
  }

  assert {
    condition     = output.service_url == "https://orders.example.com"
    error_message = "With a domain and its zone the pipeline verifies https://<domain_name>."
  }
}
