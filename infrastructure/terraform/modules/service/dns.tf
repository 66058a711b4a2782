# HTTPS as one input: given domain_name and the Route 53 hosted zone that holds it, the
# module requests an ACM certificate for the name, validates it with a DNS record in that
# zone, serves HTTPS with it (HTTP then redirects) and points the name at the load
# balancer with an alias record. With certificate_arn instead of a zone, the certificate
# and the DNS record are the caller's (docs/SETUP.md).

locals {
  managed_dns         = var.domain_name != null && var.route53_zone_id != null
  managed_certificate = local.managed_dns && var.certificate_arn == null
  certificate_arn     = local.managed_certificate ? aws_acm_certificate_validation.this[0].certificate_arn : var.certificate_arn
}

resource "aws_acm_certificate" "this" {
  count = local.managed_certificate ? 1 : 0

  domain_name       = var.domain_name
  validation_method = "DNS"

  # A new name gets its certificate before the listener lets go of the old one.
  lifecycle {
    create_before_destroy = true
  }
}

# The one validation record of a certificate for one name (ACM gives a CNAME record).
resource "aws_route53_record" "certificate_validation" {
  count = local.managed_certificate ? 1 : 0

  zone_id         = var.route53_zone_id
  name            = tolist(aws_acm_certificate.this[0].domain_validation_options)[0].resource_record_name
  type            = tolist(aws_acm_certificate.this[0].domain_validation_options)[0].resource_record_type
  records         = [tolist(aws_acm_certificate.this[0].domain_validation_options)[0].resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

# Waits until ACM has issued the certificate (the listener cannot use it before).
resource "aws_acm_certificate_validation" "this" {
  count = local.managed_certificate ? 1 : 0

  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = [aws_route53_record.certificate_validation[0].fqdn]
}

resource "aws_route53_record" "alias" {
  count = local.managed_dns ? 1 : 0

  zone_id = var.route53_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = module.alb.dns_name
    zone_id                = module.alb.zone_id
    evaluate_target_health = true
  }
}
