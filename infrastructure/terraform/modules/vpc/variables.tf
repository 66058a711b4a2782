variable "name" {
  description = "Name prefix of every resource (for example hello-service-staging)."
  type        = string
}

variable "cidr" {
  description = "IPv4 CIDR block of the VPC; the subnets are /24 blocks carved from it."
  type        = string
  default     = "10.0.0.0/16"
}

variable "az_count" {
  description = "Number of availability zones to spread the subnets over (2 or 3)."
  type        = number
  default     = 2
}

variable "network_profile" {
  description = "How private subnets reach AWS and the internet, by cost: ha_nat (a NAT gateway per zone: production), single_nat (one NAT gateway: staging), endpoints_only (no NAT; VPC endpoints for ECR, S3 and CloudWatch Logs only)."
  type        = string
  default     = "ha_nat"
}

variable "enable_vpc_endpoints" {
  description = "Add VPC endpoints (ECR api and dkr, CloudWatch Logs interface endpoints; S3 gateway) so image pulls and logs stay off the NAT. Always on with network_profile endpoints_only."
  type        = bool
  default     = false
}

variable "enable_flow_logs" {
  description = "Record VPC flow logs to a CloudWatch log group."
  type        = bool
  default     = false
}

variable "flow_logs_retention_days" {
  description = "Retention of the flow log group, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_logs_retention_days)
    error_message = "flow_logs_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ... 3653)."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "public_ingress_ports" {
  description = "TCP ports the public subnets' network ACL admits from anywhere: the load balancer's listeners (HTTP, HTTPS and a CodeDeploy test listener). Responses on the ephemeral ports and traffic from inside the VPC are admitted besides."
  type        = list(number)
  default     = [80, 443]

  validation {
    condition     = length(var.public_ingress_ports) > 0 && length(var.public_ingress_ports) <= 10 && alltrue([for p in var.public_ingress_ports : p >= 1 && p <= 65535 && floor(p) == p])
    error_message = "public_ingress_ports must hold 1 to 10 TCP port numbers."
  }
}
