# The dashboard: one task behind an Application Load Balancer that terminates HTTPS and signs
# users in (Cognito or your OIDC provider) before any request reaches Streamlit. The task accepts
# traffic from the load balancer only; the load balancer from allowed_cidrs on 443 (80 redirects).

locals {
  dashboard_port = 8501
  dashboard      = var.dashboard_enabled ? { main = true } : {}
  cognito        = var.dashboard_enabled && var.auth == "cognito" ? { main = true } : {}
  cognito_domain = var.cognito_domain_prefix != "" ? var.cognito_domain_prefix : "${var.prefix}-${local.account_id}"
  dashboard_url  = "https://${var.dashboard_domain != "" ? var.dashboard_domain : try(aws_lb.dashboard["main"].dns_name, "")}"
}

resource "aws_security_group" "alb" {
  for_each    = local.dashboard
  name        = "${var.prefix}-dashboard-alb"
  description = "brandvis dashboard load balancer: HTTPS in from allowed_cidrs, out to the dashboard task"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "alb" {
  for_each          = { for pair in setproduct([443, 80], var.dashboard_enabled ? var.allowed_cidrs : []) : "${pair[0]}-${pair[1]}" => pair }
  security_group_id = aws_security_group.alb["main"].id
  description       = each.value[0] == 443 ? "HTTPS" : "HTTP, redirected to HTTPS"
  ip_protocol       = "tcp"
  from_port         = each.value[0]
  to_port           = each.value[0]
  cidr_ipv4         = each.value[1]
}

resource "aws_vpc_security_group_egress_rule" "alb_to_dashboard" {
  for_each                     = local.dashboard
  security_group_id            = aws_security_group.alb["main"].id
  description                  = "To the dashboard task"
  ip_protocol                  = "tcp"
  from_port                    = local.dashboard_port
  to_port                      = local.dashboard_port
  referenced_security_group_id = aws_security_group.dashboard["main"].id
}

# The ALB calls the identity provider's token and user-info endpoints itself.
resource "aws_vpc_security_group_egress_rule" "alb_to_idp" {
  for_each          = var.dashboard_enabled && var.auth != "none" ? { main = true } : {}
  security_group_id = aws_security_group.alb["main"].id
  description       = "Identity provider endpoints (authenticate-cognito / authenticate-oidc)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_security_group" "dashboard" {
  for_each    = local.dashboard
  name        = "${var.prefix}-dashboard"
  description = "brandvis dashboard task: in from its load balancer only, out to AWS APIs"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "dashboard" {
  for_each                     = local.dashboard
  security_group_id            = aws_security_group.dashboard["main"].id
  description                  = "From the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = local.dashboard_port
  to_port                      = local.dashboard_port
  referenced_security_group_id = aws_security_group.alb["main"].id
}

resource "aws_vpc_security_group_egress_rule" "dashboard" {
  for_each          = local.dashboard
  security_group_id = aws_security_group.dashboard["main"].id
  description       = "AWS APIs and ECR"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_lb" "dashboard" {
  #checkov:skip=CKV_AWS_91:access logs need a log bucket with an ELB bucket policy; the dashboard is one user-facing page
  #checkov:skip=CKV2_AWS_28:WAF costs more than the service; sign-in happens at the load balancer before Streamlit
  #checkov:skip=CKV2_AWS_20:port 80 only redirects to HTTPS (aws_lb_listener.http)
  #checkov:skip=CKV_AWS_150:deletion protection is on unless force_destroy (checkov cannot evaluate the expression)
  for_each                   = local.dashboard
  name                       = "${var.prefix}-dashboard"
  load_balancer_type         = "application"
  internal                   = var.dashboard_internal
  subnets                    = var.alb_subnet_ids
  security_groups            = [aws_security_group.alb["main"].id]
  drop_invalid_header_fields = true
  enable_deletion_protection = !var.force_destroy
  lifecycle {
    precondition {
      condition     = length(var.alb_subnet_ids) >= 2
      error_message = "dashboard_enabled needs alb_subnet_ids: two or more subnets in different zones."
    }
  }
}

resource "aws_lb_target_group" "dashboard" {
  for_each    = local.dashboard
  name        = "${var.prefix}-dashboard"
  port        = local.dashboard_port
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = var.vpc_id
  health_check {
    path    = "/_stcore/health"
    matcher = "200"
  }
  # Streamlit keeps a session per websocket; one browser stays on one task.
  stickiness {
    type    = "lb_cookie"
    enabled = true
  }
}

resource "aws_lb_listener" "http" {
  for_each          = local.dashboard
  load_balancer_arn = aws_lb.dashboard["main"].arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_lb_listener" "https" {
  for_each          = local.dashboard
  load_balancer_arn = aws_lb.dashboard["main"].arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  dynamic "default_action" {
    for_each = var.auth == "cognito" ? [1] : []
    content {
      type = "authenticate-cognito"
      authenticate_cognito {
        user_pool_arn       = aws_cognito_user_pool.dashboard["main"].arn
        user_pool_client_id = aws_cognito_user_pool_client.dashboard["main"].id
        user_pool_domain    = aws_cognito_user_pool_domain.dashboard["main"].domain
      }
    }
  }
  dynamic "default_action" {
    for_each = var.auth == "oidc" ? [1] : []
    content {
      type = "authenticate-oidc"
      authenticate_oidc {
        issuer                 = var.oidc.issuer
        authorization_endpoint = var.oidc.authorization_endpoint
        token_endpoint         = var.oidc.token_endpoint
        user_info_endpoint     = var.oidc.user_info_endpoint
        client_id              = var.oidc.client_id
        client_secret          = var.oidc.client_secret
      }
    }
  }
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.dashboard["main"].arn
  }

  lifecycle {
    precondition {
      condition     = var.certificate_arn != ""
      error_message = "dashboard_enabled needs certificate_arn (an ACM certificate for the dashboard's domain)."
    }
    precondition {
      condition     = var.auth != "oidc" || var.oidc != null
      error_message = "auth = \"oidc\" needs the oidc variable."
    }
  }
}

# -- sign-in with Cognito: users are added by an administrator (no self sign-up) --------------
resource "aws_cognito_user_pool" "dashboard" {
  for_each                 = local.cognito
  name                     = "${var.prefix}-dashboard"
  deletion_protection      = var.force_destroy ? "INACTIVE" : "ACTIVE"
  auto_verified_attributes = ["email"]
  username_attributes      = ["email"]
  mfa_configuration        = "OPTIONAL"
  software_token_mfa_configuration {
    enabled = true
  }
  admin_create_user_config {
    allow_admin_create_user_only = true
  }
  password_policy {
    minimum_length    = 12
    require_lowercase = true
    require_uppercase = true
    require_numbers   = true
    require_symbols   = false
  }
}

resource "aws_cognito_user_pool_domain" "dashboard" {
  for_each     = local.cognito
  domain       = local.cognito_domain
  user_pool_id = aws_cognito_user_pool.dashboard["main"].id
}

resource "aws_cognito_user_pool_client" "dashboard" {
  for_each                             = local.cognito
  name                                 = "${var.prefix}-dashboard-alb"
  user_pool_id                         = aws_cognito_user_pool.dashboard["main"].id
  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = ["openid", "email"]
  supported_identity_providers         = ["COGNITO"]
  callback_urls                        = ["${local.dashboard_url}/oauth2/idpresponse"]
}

# -- the dashboard task -----------------------------------------------------------------------
resource "aws_ecs_task_definition" "dashboard" {
  for_each                 = local.dashboard
  family                   = "${var.prefix}-dashboard"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 1024
  memory                   = 2048
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.dashboard.arn
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([{
    name         = "dashboard"
    image        = local.image
    essential    = true
    command      = ["brandvis", "dashboard"]
    portMappings = [{ containerPort = local.dashboard_port, protocol = "tcp" }]
    environment = [for k, v in merge(local.common_env, {
      HOME                       = "/tmp"
      BRANDVIS_DASHBOARD_ADDRESS = "0.0.0.0"
      BRANDVIS_DASHBOARD_PORT    = tostring(local.dashboard_port)
      BRANDVIS_UPLOAD_DIRECT     = var.dashboard_domain != "" ? "true" : "false" # the bucket's CORS names it
    }) : { name = k, value = v }]
    readonlyRootFilesystem = true
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    healthCheck = {
      command     = ["CMD", "brandvis-healthcheck"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 30
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.task["dashboard"].name
        awslogs-region        = var.region
        awslogs-stream-prefix = "dashboard"
      }
    }
  }])
}

resource "aws_ecs_service" "dashboard" {
  for_each        = local.dashboard
  name            = "dashboard"
  cluster         = aws_ecs_cluster.brandvis.id
  task_definition = aws_ecs_task_definition.dashboard["main"].arn
  desired_count   = 1
  launch_type     = "FARGATE"
  network_configuration {
    subnets          = var.task_subnet_ids
    security_groups  = [aws_security_group.dashboard["main"].id]
    assign_public_ip = var.assign_public_ip
  }
  load_balancer {
    target_group_arn = aws_lb_target_group.dashboard["main"].arn
    container_name   = "dashboard"
    container_port   = local.dashboard_port
  }
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  depends_on = [aws_lb_listener.https]
}
