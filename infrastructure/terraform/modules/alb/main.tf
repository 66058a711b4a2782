locals {
  # Known at plan time even when the certificate is made in the same apply (https).
  https         = var.https != null ? var.https : var.certificate_arn != null
  listener_port = local.https ? 443 : 80
  protocol      = local.https ? "HTTPS" : "HTTP"

  # Blue is the target group the service starts in; CodeDeploy alternates between the two.
  target_groups = var.codedeploy ? ["blue", "green"] : ["blue"]

  # Keys known at plan time, values possibly not: what for_each needs.
  guarded_listeners = merge(
    { production = aws_lb_listener.production.arn },
    var.codedeploy ? { test = aws_lb_listener.test[0].arn } : {},
  )
}

# Replaced whenever the deployment controller changes (rolling <-> CodeDeploy), so that the
# production listener is replaced with it: see aws_lb_listener.production.
resource "terraform_data" "deployment_controller" {
  triggers_replace = var.codedeploy ? "CODE_DEPLOY" : "ECS"
}

# A name prefix and create-before-destroy: a replacement (a new VPC) creates the new group
# before the old one, which the load balancer still holds, is deleted.
resource "aws_security_group" "this" {
  name_prefix = "${var.name}-alb-"
  description = "Internet-facing load balancer of ${var.name}"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-alb" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "listener" {
  for_each = { for pair in setproduct(local.https ? [80, 443] : [80], var.ingress_cidrs) : "${pair[0]}-${pair[1]}" => pair }

  security_group_id = aws_security_group.this.id
  description       = "Clients to the listener on ${each.value[0]}"
  ip_protocol       = "tcp"
  from_port         = each.value[0]
  to_port           = each.value[0]
  cidr_ipv4         = each.value[1]
}

resource "aws_vpc_security_group_ingress_rule" "test_listener" {
  for_each = var.codedeploy ? toset(var.test_listener_cidrs) : toset([])

  security_group_id = aws_security_group.this.id
  description       = "Deployment test listener"
  ip_protocol       = "tcp"
  from_port         = var.test_listener_port
  to_port           = var.test_listener_port
  cidr_ipv4         = each.value
}

# The ALB talks only to tasks, on the container port, inside the VPC. (The tasks' own
# group admits only this group; see the ecs module.)
resource "aws_vpc_security_group_egress_rule" "to_targets" {
  security_group_id = aws_security_group.this.id
  description       = "Health checks and requests to the tasks"
  ip_protocol       = "tcp"
  from_port         = var.container_port
  to_port           = var.container_port
  cidr_ipv4         = var.vpc_cidr
}

resource "aws_lb" "this" {
  name               = var.name
  internal           = false
  load_balancer_type = "application"
  subnets            = var.public_subnet_ids
  security_groups    = [aws_security_group.this.id]

  idle_timeout               = var.idle_timeout_s
  drop_invalid_header_fields = true
  desync_mitigation_mode     = "strictest"
  enable_http2               = true
  enable_deletion_protection = var.deletion_protection

  dynamic "access_logs" {
    for_each = var.access_logs_bucket == null ? [] : [var.access_logs_bucket]
    content {
      bucket  = access_logs.value
      prefix  = var.name
      enabled = true
    }
  }

  tags = var.tags
}

# Names from a prefix (at most 6 characters: "blue-", "green-") and create-before-destroy:
# a change that replaces a target group (port, protocol, VPC) creates the new one first,
# and the listener moves to it before the old one, which is in use, is deleted.
resource "aws_lb_target_group" "this" {
  for_each = toset(local.target_groups)

  name_prefix = "${each.key}-"
  vpc_id      = var.vpc_id
  target_type = "ip"
  protocol    = "HTTP"
  port        = var.container_port

  deregistration_delay = var.deregistration_delay_s

  health_check {
    enabled             = true
    path                = var.health_check_path
    protocol            = "HTTP"
    port                = "traffic-port"
    matcher             = "200"
    interval            = var.health_check.interval_s
    timeout             = var.health_check.timeout_s
    healthy_threshold   = var.health_check.healthy_threshold
    unhealthy_threshold = var.health_check.unhealthy_threshold
  }

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })

  lifecycle {
    create_before_destroy = true
  }
}

# The one production listener of every strategy. Its port, protocol and certificate are
# Terraform's, in place (turning HTTPS on moves it from 80 to 443). Where it forwards is
# CodeDeploy's under a CodeDeploy strategy (blue, then green, then blue...), so Terraform
# ignores the default action in every strategy: it is set when the listener is created,
# and the listener is created again (forwarding to blue) when the deployment controller
# changes or the blue target group is replaced. Both are rare, and a controller change
# replaces the ECS service anyway (see docs/SETUP.md, "Switching the deployment strategy").
# One resource for both strategies: two would be created and deleted in parallel on a
# switch, and AWS refuses a second listener on the same port (DuplicateListener).
resource "aws_lb_listener" "production" {
  load_balancer_arn = aws_lb.this.arn
  port              = local.listener_port
  protocol          = local.protocol
  certificate_arn   = var.certificate_arn
  ssl_policy        = local.https ? var.ssl_policy : null

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this["blue"].arn
  }

  tags = var.tags

  lifecycle {
    ignore_changes       = [default_action]
    replace_triggered_by = [terraform_data.deployment_controller, aws_lb_target_group.this["blue"].id]
  }
}

resource "aws_lb_listener" "test" {
  count = var.codedeploy ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = var.test_listener_port
  protocol          = local.protocol
  certificate_arn   = var.certificate_arn
  ssl_policy        = local.https ? var.ssl_policy : null

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this["green"].arn
  }

  tags = var.tags

  lifecycle {
    ignore_changes = [default_action]
  }
}

# Port 80 belongs to the production listener without a certificate and to this one with
# it. Turning HTTPS on moves the production listener to 443 before this one takes 80;
# turning it off deletes this one before the production listener moves back to 80.
resource "aws_lb_listener" "http_redirect" {
  count = local.https ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }

  tags = var.tags

  depends_on = [aws_lb_listener.production]
}

# /metrics is for the inside only: the listener answers it before any task sees it.
resource "aws_lb_listener_rule" "blocked_paths" {
  for_each = length(var.blocked_paths) > 0 ? local.guarded_listeners : {}

  listener_arn = each.value
  priority     = 1

  condition {
    path_pattern {
      values = var.blocked_paths
    }
  }

  action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      status_code  = "404"
      message_body = "Not Found"
    }
  }

  tags = var.tags
}
