# The composition module as another repository calls it: its own image, port, health
# path, liveness check, environment, secrets, command and timing, wired through to the
# task definition, the target group, the execution role and the deploy settings.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  service_name = "orders"
  environment  = "staging"
}

run "defaults_are_ours" {
  command = plan
  module {
    source = "./modules/service"
  }

  assert {
    condition     = jsondecode(output.container_definitions)[0].image == "123456789012.dkr.ecr.us-east-1.amazonaws.com/hello-service:0.1.0"
    error_message = "Without container_image the image is the shared repository at image_tag."
  }
  assert {
    condition     = output.timing == jsondecode(file("./timing.json"))
    error_message = "Without timing the budget is timing.json."
  }
}

run "own_service" {
  command = apply
  module {
    source = "./modules/service"
  }
  variables {
    container_image       = "registry.example.com/orders/api:2.4.1"
    container_port        = 8080
    health_check_path     = "/healthz"
    liveness_command      = ["CMD-SHELL", "curl -fsS http://127.0.0.1:8080/healthz || exit 1"]
    container_environment = { FEATURE_X = "on" }
    container_secrets     = { DB_PASSWORD = "arn:aws:ssm:us-east-1:123456789012:parameter/orders/db-password" }
    container_command     = ["gunicorn", "-b", "0.0.0.0:8080", "app:app"]

    readonly_root_filesystem = false
    timing                   = { drain_delay_s = 14 }
  }

  assert {
    condition = (jsondecode(output.container_definitions)[0].image == "registry.example.com/orders/api:2.4.1" &&
      jsondecode(output.container_definitions)[0].portMappings[0].containerPort == 8080 &&
    jsondecode(output.container_definitions)[0].readonlyRootFilesystem == false)
    error_message = "The caller's image, port and root file system setting reach the task definition."
  }
  assert {
    condition     = output.deploy_settings.container_port == 8080 && output.deploy_settings.container_template_values.container_port == 8080
    error_message = "The deploy settings carry the caller's port, for the pipeline's renderer."
  }
  assert {
    condition     = alltrue([for v in values(output.deploy_settings.container_template_values) : can(tostring(v))])
    error_message = "Every template value is a string, number or boolean (what scripts/lib/settings.sh accepts)."
  }
  assert {
    condition     = output.timing.drain_delay_s == 14 && output.timing.stop_timeout_s == jsondecode(file("./timing.json")).stop_timeout_s && output.container_template_values.drain_delay_s == 14
    error_message = "The caller's timing replaces timing.json's values and reaches the container."
  }
}

run "invalid_container_image_latest" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    container_image = "registry.example.com/orders/api:latest"
  }
  expect_failures = [var.container_image]
}

run "invalid_container_image_without_version" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    container_image = "registry.example.com/orders/api"
  }
  expect_failures = [var.container_image]
}

run "invalid_container_port" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    container_port = 80
  }
  expect_failures = [var.container_port]
}

run "invalid_health_check_path" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    health_check_path = "healthz?x=1"
  }
  expect_failures = [var.health_check_path]
}

run "invalid_timing_key" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    timing = { drain_s = 5 }
  }
  expect_failures = [var.timing]
}

# HTTPS as one input: domain_name and the zone give a DNS-validated certificate, the HTTPS
# listener with the HTTP redirect, the alias record, and https://<domain_name> to verify.
run "domain_with_zone" {
  command = apply
  module {
    source = "./modules/service"
  }
  variables {
    domain_name     = "orders.example.com"
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
  }
  override_resource {
    target = aws_acm_certificate.this
    values = {
      arn = "arn:aws:acm:us-east-1:123456789012:certificate/orders"
      domain_validation_options = [{
        domain_name           = "orders.example.com"
        resource_record_name  = "_x1.orders.example.com."
        resource_record_type  = "CNAME"
        resource_record_value = "_x2.acm-validations.aws."
      }]
    }
  }
  override_resource {
    target = aws_acm_certificate_validation.this
    values = { certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/orders" }
  }

  assert {
    condition     = aws_acm_certificate.this[0].domain_name == "orders.example.com" && aws_acm_certificate.this[0].validation_method == "DNS"
    error_message = "A DNS-validated certificate for domain_name."
  }
  assert {
    condition = (aws_route53_record.certificate_validation[0].zone_id == "Z0123456789ABCDEFGHIJ" &&
      aws_route53_record.certificate_validation[0].name == "_x1.orders.example.com." &&
      aws_route53_record.certificate_validation[0].type == "CNAME" &&
      aws_route53_record.certificate_validation[0].records == toset(["_x2.acm-validations.aws."]) &&
    aws_acm_certificate_validation.this[0].validation_record_fqdns == toset([aws_route53_record.certificate_validation[0].fqdn]))
    error_message = "The validation record ACM asks for, in the zone, and the module waits for the certificate."
  }
  assert {
    condition = (aws_route53_record.alias[0].name == "orders.example.com" && aws_route53_record.alias[0].type == "A" &&
      aws_route53_record.alias[0].alias[0].name == "hello-service-test-123.us-east-1.elb.amazonaws.com" &&
    aws_route53_record.alias[0].alias[0].evaluate_target_health)
    error_message = "An alias record points domain_name at the load balancer."
  }
  assert {
    condition = (output.certificate_arn == "arn:aws:acm:us-east-1:123456789012:certificate/orders" &&
    startswith(output.alb_url, "https://") && output.service_url == "https://orders.example.com" && output.deploy_settings.service_url == "https://orders.example.com")
    error_message = "The listener serves the validated certificate, and the pipeline verifies https://<domain_name>."
  }
}

run "domain_with_own_certificate_no_dns" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    domain_name     = "orders.example.com"
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/mine"
  }

  assert {
    condition     = length(aws_acm_certificate.this) == 0 && length(aws_route53_record.alias) == 0 && output.certificate_arn == "arn:aws:acm:us-east-1:123456789012:certificate/mine"
    error_message = "With a certificate of the caller's and no zone, the module makes no certificate and no record."
  }
}

run "no_domain_no_dns" {
  command = plan
  module {
    source = "./modules/service"
  }

  assert {
    condition     = length(aws_acm_certificate.this) == 0 && length(aws_route53_record.alias) == 0 && output.certificate_arn == null
    error_message = "Without domain_name: no certificate, no record, plain HTTP."
  }
}

run "zone_without_domain_refused" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
  }
  expect_failures = [var.domain_name]
}

run "domain_without_zone_or_certificate_refused" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    domain_name = "orders.example.com"
  }
  expect_failures = [var.domain_name]
}
