output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "azs" {
  description = "Availability zones the subnets are in, in subnet order."
  value       = local.azs
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (the ALB's), one per zone."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (the tasks'), one per zone."
  value       = aws_subnet.private[*].id
}

output "nat_gateway_ids" {
  description = "IDs of the NAT gateways (none with network_profile endpoints_only)."
  value       = aws_nat_gateway.this[*].id
}

output "vpc_endpoint_ids" {
  description = "IDs of the VPC endpoints by service (empty without endpoints)."
  value = merge(
    { for k, e in aws_vpc_endpoint.interface : k => e.id },
    { for e in aws_vpc_endpoint.s3 : "s3" => e.id },
  )
}

output "network_acl_ids" {
  description = "Network ACLs of the public and private subnets."
  value       = { public = aws_network_acl.public.id, private = aws_network_acl.private.id }
}

output "default_security_group_id" {
  description = "The VPC's default security group, managed with no rules."
  value       = aws_default_security_group.this.id
}
