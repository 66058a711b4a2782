# The alb module: hardening, /ready health checks, /metrics never public, HTTPS, and the
# two target groups of CodeDeploy strategies.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name              = "hello-service-test"
  vpc_id            = "vpc-0123456789abcdef0"
  vpc_cidr          = "10.0.0.0/16"
  public_subnet_ids = ["subnet-a", "subnet-b"]
  health_check = {
    interval_s          = 5
    timeout_s           = 3
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
  deregistration_delay_s = 20
  idle_timeout_s         = 60
}

run "defaults_plain_http" {
  command = apply
  module {
    source = "./modules/alb"
  }

  assert {
    condition     = !aws_lb.this.internal && aws_lb.this.load_balancer_type == "application" && aws_lb.this.subnets == toset(["subnet-a", "subnet-b"])
    error_message = "An internet-facing application load balancer in the public subnets."
  }
  assert {
    condition     = aws_lb.this.drop_invalid_header_fields && aws_lb.this.desync_mitigation_mode == "strictest"
    error_message = "Invalid header fields are dropped and desync mitigation is strictest."
  }
  assert {
    condition     = aws_lb.this.idle_timeout == 60
    error_message = "The idle timeout comes from the timing budget (60 s)."
  }
  assert {
    condition     = keys(aws_lb_target_group.this) == ["blue"] && aws_lb_target_group.this["blue"].target_type == "ip" && aws_lb_target_group.this["blue"].port == 5000
    error_message = "Rolling: one target group of IP targets on port 5000."
  }
  assert {
    condition = (aws_lb_target_group.this["blue"].health_check[0].path == "/ready" &&
      aws_lb_target_group.this["blue"].health_check[0].matcher == "200" &&
      aws_lb_target_group.this["blue"].health_check[0].interval == 5 &&
      aws_lb_target_group.this["blue"].health_check[0].timeout == 3 &&
    aws_lb_target_group.this["blue"].health_check[0].unhealthy_threshold == 2)
    error_message = "The health check asks /ready for a 200 with the budget's timings."
  }
  assert {
    condition     = aws_lb_target_group.this["blue"].deregistration_delay == "20"
    error_message = "The deregistration delay comes from the timing budget."
  }
  assert {
    condition     = aws_lb_listener.production.port == 80 && aws_lb_listener.production.protocol == "HTTP" && length(aws_lb_listener.http_redirect) == 0
    error_message = "Without a certificate: plain HTTP on 80, no redirect."
  }
  assert {
    condition = (aws_lb_listener_rule.blocked_paths["production"].priority == 1 &&
      aws_lb_listener_rule.blocked_paths["production"].action[0].type == "fixed-response" &&
      aws_lb_listener_rule.blocked_paths["production"].action[0].fixed_response[0].status_code == "404" &&
    [for c in aws_lb_listener_rule.blocked_paths["production"].condition : c.path_pattern[0].values] == [toset(["/metrics", "/metrics/*"])])
    error_message = "The listener answers /metrics with 404 itself, before any other rule."
  }
  assert {
    condition     = [for r in aws_vpc_security_group_ingress_rule.listener : "${r.from_port}/${r.cidr_ipv4}"] == ["80/0.0.0.0/0"]
    error_message = "Without a certificate the ALB opens port 80 only."
  }
  assert {
    condition = (aws_vpc_security_group_egress_rule.to_targets.from_port == 5000 && aws_vpc_security_group_egress_rule.to_targets.to_port == 5000 &&
    aws_vpc_security_group_egress_rule.to_targets.cidr_ipv4 == "10.0.0.0/16")
    error_message = "The ALB may connect only to the container port inside the VPC."
  }
  assert {
    condition     = output.url == "http://hello-service-test-123.us-east-1.elb.amazonaws.com" && output.test_url == null
    error_message = "The URL is http:// without a certificate; no test listener with rolling."
  }
  assert {
    condition     = aws_security_group.this.name_prefix == "hello-service-test-alb-" && alltrue([for k, tg in aws_lb_target_group.this : tg.name_prefix == "${k}-"])
    error_message = "The security group and the target groups are named from a prefix, so that a replacement can exist beside the old one (create_before_destroy)."
  }
  assert {
    condition     = terraform_data.deployment_controller.triggers_replace == "ECS"
    error_message = "The listener's replacement trigger follows the deployment controller."
  }
}

run "https_with_certificate" {
  command = apply
  module {
    source = "./modules/alb"
  }
  variables {
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
  }

  assert {
    condition = (aws_lb_listener.production.port == 443 && aws_lb_listener.production.protocol == "HTTPS" &&
    aws_lb_listener.production.ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06")
    error_message = "With a certificate: HTTPS on 443 with the TLS 1.3/1.2 policy."
  }
  assert {
    condition = (aws_lb_listener.http_redirect[0].port == 80 &&
      aws_lb_listener.http_redirect[0].default_action[0].redirect[0].protocol == "HTTPS" &&
    aws_lb_listener.http_redirect[0].default_action[0].redirect[0].status_code == "HTTP_301")
    error_message = "HTTP on 80 redirects permanently to HTTPS."
  }
  assert {
    condition     = toset([for r in aws_vpc_security_group_ingress_rule.listener : r.from_port]) == toset([80, 443])
    error_message = "With a certificate the ALB opens 80 (redirect) and 443."
  }
  assert {
    condition     = startswith(output.url, "https://")
    error_message = "The URL is https:// with a certificate."
  }
}

run "codedeploy_two_target_groups_and_test_listener" {
  command = apply
  module {
    source = "./modules/alb"
  }
  variables {
    codedeploy          = true
    test_listener_cidrs = ["203.0.113.0/24"]
  }

  assert {
    condition     = keys(aws_lb_target_group.this) == ["blue", "green"] && aws_lb_target_group.this["green"].health_check[0].path == "/ready"
    error_message = "CodeDeploy: blue and green target groups, both checking /ready."
  }
  assert {
    condition     = aws_lb_listener.production.port == 80 && aws_lb_listener.test[0].port == 8443 && terraform_data.deployment_controller.triggers_replace == "CODE_DEPLOY"
    error_message = "CodeDeploy: the same production listener as rolling (CodeDeploy shifts it), and a test listener on 8443."
  }
  assert {
    condition     = toset(keys(aws_lb_listener_rule.blocked_paths)) == toset(["production", "test"])
    error_message = "/metrics is blocked on the test listener too."
  }
  assert {
    condition     = [for r in aws_vpc_security_group_ingress_rule.test_listener : r.cidr_ipv4] == ["203.0.113.0/24"] && aws_vpc_security_group_ingress_rule.test_listener["203.0.113.0/24"].from_port == 8443
    error_message = "The test listener is open only to test_listener_cidrs."
  }
  assert {
    condition     = output.test_listener_arn != null && keys(output.target_group_names) == ["blue", "green"] && output.test_url == "http://hello-service-test-123.us-east-1.elb.amazonaws.com:8443"
    error_message = "Outputs carry the test listener, its URL and both target group names."
  }
}

run "codedeploy_test_listener_closed_by_default" {
  command = plan
  module {
    source = "./modules/alb"
  }
  variables {
    codedeploy = true
  }

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.test_listener) == 0
    error_message = "Without test_listener_cidrs nothing outside reaches the test listener."
  }
}

run "invalid_ingress_cidrs" {
  command = plan
  module {
    source = "./modules/alb"
  }
  variables {
    ingress_cidrs = ["everyone"]
  }
  expect_failures = [var.ingress_cidrs]
}

run "invalid_ssl_policy_ext_ciphers" {
  command = plan
  module {
    source = "./modules/alb"
  }
  variables {
    ssl_policy = "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06"
  }
  expect_failures = [var.ssl_policy]
}

run "invalid_ssl_policy_allows_tls_1_0" {
  command = plan
  module {
    source = "./modules/alb"
  }
  variables {
    ssl_policy = "ELBSecurityPolicy-2016-08"
  }
  expect_failures = [var.ssl_policy]
}

run "invalid_test_listener_port" {
  command = plan
  module {
    source = "./modules/alb"
  }
  variables {
    test_listener_port = 443
  }
  expect_failures = [var.test_listener_port]
}
