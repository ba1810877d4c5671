# One cluster; one task definition and service per worker group (settings.json says which queues
# each consumes), and the dashboard (dashboard.tf). Every task runs the same image and command
# line as the Procfile, with its group's stages.

resource "aws_ecs_cluster" "brandvis" {
  name = var.prefix
  # Container Insights gives RunningTaskCount, the denominator of backlog per task.
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "brandvis" {
  cluster_name       = aws_ecs_cluster.brandvis.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]
  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

resource "aws_cloudwatch_log_group" "task" {
  #checkov:skip=CKV_AWS_338:operational logs; retention is the log_retention_days variable (30 by default)
  for_each          = toset(concat(keys(local.groups), ["dashboard"]))
  name              = "/brandvis/${var.prefix}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.brandvis.arn
}

resource "aws_security_group" "workers" {
  name        = "${var.prefix}-workers"
  description = "brandvis workers: nothing comes in; out to AWS APIs over HTTPS"
  vpc_id      = var.vpc_id
  egress {
    description = "AWS APIs and ECR (through NAT, endpoints or a public IP)"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"] #tfsec:ignore:aws-ec2-no-public-egress-sgr
  }
}

resource "aws_ecs_task_definition" "worker" {
  for_each                 = local.groups
  family                   = "${var.prefix}-worker-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.worker_groups[each.key].cpu
  memory                   = var.worker_groups[each.key].memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.worker[each.key].arn
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
  # Frames and models are cached on local disk (BRANDVIS_CACHE_DIR); 21 GiB, the cache 15 of them.
  ephemeral_storage {
    size_in_gib = 21
  }
  # The root filesystem is read-only; /tmp (cache, HOME) is the task's ephemeral storage.
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([{
    name      = "worker"
    image     = local.image
    essential = true
    command   = ["brandvis", "worker", "--stages", join(",", each.value), "--concurrency", tostring(var.worker_groups[each.key].concurrency)]
    environment = [for k, v in merge(local.common_env, {
      HOME                              = "/tmp"
      BRANDVIS_CACHE_DIR                = "/tmp/brandvis-cache"
      BRANDVIS_CACHE_MAX_GB             = "15"
      BRANDVIS_DECODE_THREADS           = tostring(max(1, floor(var.worker_groups[each.key].cpu / 1024)))
      BRANDVIS_GROUNDTRUTH_ROLE_ARN     = aws_iam_role.groundtruth.arn
      BRANDVIS_GROUNDTRUTH_WORKTEAM_ARN = var.groundtruth_workteam_arn
    }) : { name = k, value = v }]
    # SIGTERM lets running messages finish; what does not finish in 120 s is redelivered.
    stopTimeout            = 120
    readonlyRootFilesystem = true
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.task[each.key].name
        awslogs-region        = var.region
        awslogs-stream-prefix = each.key
      }
    }
  }])
}

resource "aws_ecs_service" "worker" {
  for_each        = local.groups
  name            = "worker-${each.key}"
  cluster         = aws_ecs_cluster.brandvis.id
  task_definition = aws_ecs_task_definition.worker[each.key].arn
  desired_count   = var.autoscaling_enabled ? var.worker_groups[each.key].min_tasks : max(1, var.worker_groups[each.key].min_tasks)

  capacity_provider_strategy {
    capacity_provider = var.worker_groups[each.key].spot ? "FARGATE_SPOT" : "FARGATE"
    weight            = 1
  }
  network_configuration {
    subnets          = var.task_subnet_ids
    security_groups  = [aws_security_group.workers.id]
    assign_public_ip = var.assign_public_ip
  }
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  # Autoscaling owns the count once the service exists.
  lifecycle {
    ignore_changes = [desired_count]
  }
  depends_on = [aws_ecs_cluster_capacity_providers.brandvis]
}
