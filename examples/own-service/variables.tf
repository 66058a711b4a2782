variable "aws_region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "environment" {
  description = "Environment name (part of every resource name)."
  type        = string
  default     = "staging"
}

variable "container_image" {
  description = "The orders image Terraform's first task definition revision runs (the pipeline deploys later versions)."
  type        = string
  default     = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders:1.0.0"
}

variable "database_url_parameter_arn" {
  description = "ARN of the SSM parameter (SecureString) holding the database URL."
  type        = string
  default     = "arn:aws:ssm:eu-west-1:123456789012:parameter/orders/staging/database-url"
}

variable "domain_name" {
  description = "The service's name; null for the plain-HTTP demo on the load balancer's name."
  type        = string
  default     = null
}

variable "route53_zone_id" {
  description = "The hosted zone of domain_name (the module makes the certificate and the alias record)."
  type        = string
  default     = null
}
