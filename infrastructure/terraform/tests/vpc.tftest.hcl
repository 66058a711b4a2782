# The vpc module: subnet layout and the three network cost profiles.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name = "hello-service-test"
}

run "defaults_two_zones_nat_per_zone" {
  command = apply
  module {
    source = "./modules/vpc"
  }

  assert {
    condition     = aws_vpc.this.cidr_block == "10.0.0.0/16" && aws_vpc.this.enable_dns_hostnames
    error_message = "The VPC is 10.0.0.0/16 with DNS host names (interface endpoints need them)."
  }
  assert {
    condition     = aws_subnet.public[*].cidr_block == ["10.0.0.0/24", "10.0.1.0/24"] && aws_subnet.private[*].cidr_block == ["10.0.10.0/24", "10.0.11.0/24"]
    error_message = "Two public and two private /24 subnets."
  }
  assert {
    condition     = aws_subnet.private[*].availability_zone == ["us-east-1a", "us-east-1b"] && aws_subnet.public[*].availability_zone == ["us-east-1a", "us-east-1b"]
    error_message = "One public and one private subnet in each of two zones."
  }
  assert {
    condition     = alltrue([for s in concat(aws_subnet.public, aws_subnet.private) : !s.map_public_ip_on_launch])
    error_message = "No subnet hands out public IPs by default."
  }
  assert {
    condition     = length(aws_nat_gateway.this) == 2 && toset(aws_nat_gateway.this[*].subnet_id) == toset(aws_subnet.public[*].id)
    error_message = "ha_nat: one NAT gateway in each public subnet."
  }
  assert {
    condition     = [for r in aws_route.private_nat : r.nat_gateway_id] == aws_nat_gateway.this[*].id
    error_message = "ha_nat: each zone's private route table uses its own zone's NAT gateway."
  }
  assert {
    condition     = length(aws_vpc_endpoint.interface) == 0 && length(aws_vpc_endpoint.s3) == 0 && length(aws_flow_log.this) == 0
    error_message = "No endpoints or flow logs unless asked for."
  }
  assert {
    condition = (data.aws_availability_zones.available.state == "available" &&
    [for f in data.aws_availability_zones.available.filter : f.values if f.name == "opt-in-status"] == [toset(["opt-in-not-required"])])
    error_message = "Only available zones that need no opt-in (no Local or Wavelength Zones, no opt-in zones)."
  }
}

run "too_few_zones_without_opt_in" {
  command = plan
  module {
    source = "./modules/vpc"
  }
  override_data {
    target = data.aws_availability_zones.available
    values = {
      names = ["us-east-1a", "us-east-1b"]
    }
  }
  variables {
    az_count = 3
  }
  expect_failures = [data.aws_availability_zones.available]
}

run "single_nat" {
  command = apply
  module {
    source = "./modules/vpc"
  }
  variables {
    network_profile = "single_nat"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_eip.nat) == 1
    error_message = "single_nat: exactly one NAT gateway."
  }
  assert {
    condition     = length(aws_route.private_nat) == 2 && alltrue([for r in aws_route.private_nat : r.nat_gateway_id == aws_nat_gateway.this[0].id])
    error_message = "single_nat: both private route tables go through the one NAT gateway."
  }
}

run "endpoints_only" {
  command = apply
  module {
    source = "./modules/vpc"
  }
  variables {
    network_profile = "endpoints_only"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 0 && length(aws_route.private_nat) == 0 && length(aws_eip.nat) == 0
    error_message = "endpoints_only: no NAT gateway and no default route out of the private subnets."
  }
  assert {
    condition     = toset(keys(aws_vpc_endpoint.interface)) == toset(["ecr.api", "ecr.dkr", "logs"])
    error_message = "endpoints_only: interface endpoints for ECR (api, dkr) and CloudWatch Logs."
  }
  assert {
    condition     = aws_vpc_endpoint.interface["ecr.dkr"].service_name == "com.amazonaws.us-east-1.ecr.dkr" && aws_vpc_endpoint.interface["logs"].private_dns_enabled
    error_message = "Interface endpoints use the region's service names with private DNS."
  }
  assert {
    condition     = aws_vpc_endpoint.s3[0].vpc_endpoint_type == "Gateway" && length(aws_vpc_endpoint.s3[0].route_table_ids) == 2
    error_message = "endpoints_only: an S3 gateway endpoint on both private route tables (ECR layers live in S3)."
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.endpoints_https[0].cidr_ipv4 == "10.0.0.0/16" && aws_vpc_security_group_ingress_rule.endpoints_https[0].from_port == 443
    error_message = "The endpoints admit HTTPS from the VPC only."
  }
}

run "nat_with_endpoints_three_zones_flow_logs" {
  command = apply
  module {
    source = "./modules/vpc"
  }
  variables {
    az_count             = 3
    enable_vpc_endpoints = true
    enable_flow_logs     = true
  }

  assert {
    condition     = length(aws_subnet.private) == 3 && length(aws_nat_gateway.this) == 3 && aws_subnet.private[2].availability_zone == "us-east-1c"
    error_message = "Three zones: three private subnets and three NAT gateways."
  }
  assert {
    condition     = length(aws_vpc_endpoint.interface) == 3 && length(aws_vpc_endpoint.s3) == 1
    error_message = "enable_vpc_endpoints adds the endpoints to a NAT profile."
  }
  assert {
    condition     = aws_flow_log.this[0].traffic_type == "ALL" && aws_cloudwatch_log_group.flow_logs[0].retention_in_days == 30
    error_message = "Flow logs record all traffic to a log group with retention."
  }
}

run "invalid_flow_logs_retention" {
  command = plan
  module {
    source = "./modules/vpc"
  }
  variables {
    flow_logs_retention_days = 0
  }
  expect_failures = [var.flow_logs_retention_days]
}

# Secure by default: the default security group has no rules; each subnet tier has its own
# network ACL, TCP only, with the return traffic on the ephemeral ports.
run "default_security_group_and_network_acls" {
  command = plan
  module {
    source = "./modules/vpc"
  }
  variables {
    public_ingress_ports = [80, 443, 8443]
  }

  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "The default security group is managed with no rules."
  }
  assert {
    condition = (toset([for r in aws_network_acl.public.ingress : "${r.protocol}:${r.from_port}-${r.to_port}:${r.cidr_block}"]) == toset([
      "tcp:80-80:0.0.0.0/0", "tcp:443-443:0.0.0.0/0", "tcp:8443-8443:0.0.0.0/0", "tcp:0-65535:10.0.0.0/16", "tcp:1024-65535:0.0.0.0/0",
    ]) && alltrue([for r in aws_network_acl.public.ingress : r.action == "allow"]))
    error_message = "Public tier in: the listener ports from anywhere, TCP from the VPC, responses on the ephemeral ports."
  }
  assert {
    condition = (toset([for r in aws_network_acl.private.ingress : "${r.protocol}:${r.from_port}-${r.to_port}:${r.cidr_block}"]) == toset([
      "tcp:0-65535:10.0.0.0/16", "tcp:1024-65535:0.0.0.0/0",
    ]))
    error_message = "Private tier in: TCP from the VPC and responses on the ephemeral ports only (nothing from the internet to a low port)."
  }
  assert {
    condition     = length([for r in concat(tolist(aws_network_acl.public.egress), tolist(aws_network_acl.private.egress)) : r if r.protocol != "tcp"]) == 0
    error_message = "The network ACLs allow TCP only."
  }
  assert {
    condition     = length(aws_network_acl.public.subnet_ids) == 2 && length(aws_network_acl.private.subnet_ids) == 2
    error_message = "Each tier's ACL covers that tier's subnets."
  }
}

run "invalid_public_ingress_ports" {
  command = plan
  module {
    source = "./modules/vpc"
  }
  variables {
    public_ingress_ports = [0]
  }
  expect_failures = [var.public_ingress_ports]
}
