variable "name" {
  description = "Name of the load balancer (at most 32 characters, which the service module's service_name and environment rules ensure) and prefix of its security group and Name tags."
  type        = string
}

variable "vpc_id" {
  description = "ID of the VPC."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC: the ALB may open connections only into it, on the container port."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets to place the internet-facing ALB in (at least two zones)."
  type        = list(string)
}

variable "ingress_cidrs" {
  description = "IPv4 CIDR blocks allowed to reach the listeners."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = alltrue([for c in var.ingress_cidrs : can(cidrhost(c, 0))])
    error_message = "ingress_cidrs must be valid IPv4 CIDR blocks."
  }
}

variable "container_port" {
  description = "Port the service listens on in its container (target group port)."
  type        = number
  default     = 5000
}

variable "certificate_arn" {
  description = "ACM certificate ARN. Given: HTTPS on 443 with a TLS 1.2+ policy and HTTP redirected to HTTPS. null: plain HTTP on 80, for a demo only."
  type        = string
  default     = null
}

variable "https" {
  description = "Serve HTTPS with certificate_arn. null: HTTPS exactly when certificate_arn is set. Set it (true) when the certificate is made in the same apply, whose ARN a plan does not know yet."
  type        = bool
  default     = null
}

variable "ssl_policy" {
  description = "TLS security policy of the HTTPS listener; only the TLS 1.3 + 1.2 (or 1.3 only) ELB policies are accepted, and not the Ext1/Ext2 variants, which add older ciphers."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = can(regex("^ELBSecurityPolicy-TLS13-1-[23]-", var.ssl_policy)) && !can(regex("-Ext[0-9]-", var.ssl_policy))
    error_message = "ssl_policy must be an ELBSecurityPolicy-TLS13-1-2-* or ELBSecurityPolicy-TLS13-1-3-* policy (no TLS 1.0 or 1.1), other than the Ext1/Ext2 variants."
  }
}

variable "health_check" {
  description = "Target group health check timings (from the timing budget): interval_s, timeout_s, healthy_threshold, unhealthy_threshold."
  type = object({
    interval_s          = number
    timeout_s           = number
    healthy_threshold   = number
    unhealthy_threshold = number
  })
}

variable "health_check_path" {
  description = "Path the target group checks: the service's readiness endpoint, which answers 503 as soon as a task starts draining."
  type        = string
  default     = "/ready"
}

variable "deregistration_delay_s" {
  description = "Seconds the ALB keeps a deregistered target's connections open (from the timing budget)."
  type        = number
}

variable "idle_timeout_s" {
  description = "ALB idle timeout in seconds (from the timing budget; the service's own keep-alive must be longer)."
  type        = number
  default     = 60
}

variable "blocked_paths" {
  description = "Path patterns the listeners answer 404 to themselves, so they never reach a task from the internet."
  type        = list(string)
  default     = ["/metrics", "/metrics/*"]
}

variable "codedeploy" {
  description = "Set up for a CodeDeploy blue/green deployment: two target groups (blue and green) and a test listener; the listeners' forwarding then belongs to CodeDeploy."
  type        = bool
  default     = false
}

variable "test_listener_port" {
  description = "Port of the CodeDeploy test listener (it forwards to the replacement task set before traffic shifts)."
  type        = number
  default     = 8443

  validation {
    condition     = var.test_listener_port >= 1 && var.test_listener_port <= 65535 && !contains([80, 443], var.test_listener_port)
    error_message = "test_listener_port must be a TCP port other than 80 and 443."
  }
}

variable "test_listener_cidrs" {
  description = "IPv4 CIDR blocks allowed to reach the test listener (empty: none from outside the VPC)."
  type        = list(string)
  default     = []
}

variable "access_logs_bucket" {
  description = "S3 bucket for ALB access logs (it needs a bucket policy that lets the region's ELB service write); null disables access logs."
  type        = string
  default     = null
}

variable "deletion_protection" {
  description = "Protect the ALB from deletion (turn on for production)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
