output "bucket" {
  description = "BRANDVIS_BUCKET for the CLI (with BRANDVIS_MODE=aws, BRANDVIS_PREFIX=var.prefix, BRANDVIS_REGION=var.region)."
  value       = aws_s3_bucket.data.bucket
}

output "prefix" {
  description = "BRANDVIS_PREFIX for the CLI."
  value       = var.prefix
}

output "region" {
  description = "BRANDVIS_REGION for the CLI."
  value       = var.region
}

output "jobs_table" {
  description = "The DynamoDB table (jobs, counters, ledger, presence)."
  value       = aws_dynamodb_table.jobs.name
}

output "queues" {
  description = "Queue name -> URL, stages and runtime queues."
  value       = { for k, q in aws_sqs_queue.stage : k => q.url }
}

output "dead_letter_queues" {
  description = "Queue name -> its dead-letter queue's URL."
  value       = { for k, q in aws_sqs_queue.dlq : k => q.url }
}

output "ecr_repository_url" {
  description = "Where `make push` pushes the image (make push ECR=$(terraform output -raw ecr_repository_url))."
  value       = aws_ecr_repository.brandvis.repository_url
}

output "cluster" {
  description = "The ECS cluster."
  value       = aws_ecs_cluster.brandvis.name
}

output "worker_services" {
  description = "Worker group -> ECS service name."
  value       = { for g, s in aws_ecs_service.worker : g => s.name }
}

output "worker_task_definitions" {
  description = "Worker group -> task definition ARN."
  value       = { for g, t in aws_ecs_task_definition.worker : g => t.arn }
}

output "worker_role_arns" {
  description = "Worker group -> task role ARN."
  value       = { for g, r in aws_iam_role.worker : g => r.arn }
}

output "worker_policies" {
  description = "Worker group -> the policy document its task role holds (tests replay the code's calls against these)."
  value       = { for g, d in data.aws_iam_policy_document.worker : g => d.json }
}

output "client_policy" {
  description = "The client policy document."
  value       = data.aws_iam_policy_document.client.json
}

output "client_policy_arn" {
  description = "Attach to the people or CI roles that run the CLI against AWS."
  value       = aws_iam_policy.client.arn
}

output "groundtruth_role_arn" {
  description = "The role Ground Truth assumes (the workers get it as BRANDVIS_GROUNDTRUTH_ROLE_ARN)."
  value       = aws_iam_role.groundtruth.arn
}

output "alarm_topic_arn" {
  description = "SNS topic of the dead-letter and queue-age alarms; subscribe to it."
  value       = aws_sns_topic.alarms.arn
}

output "dashboard_url" {
  description = "Where the dashboard answers (dashboard_domain, once its CNAME points at load_balancer_dns_name)."
  value       = var.dashboard_enabled ? local.dashboard_url : null
}

output "load_balancer_dns_name" {
  description = "CNAME dashboard_domain to this."
  value       = var.dashboard_enabled ? aws_lb.dashboard["main"].dns_name : null
}

output "cognito_user_pool_id" {
  description = "Add dashboard users here (aws cognito-idp admin-create-user --user-pool-id ...)."
  value       = var.dashboard_enabled && var.auth == "cognito" ? aws_cognito_user_pool.dashboard["main"].id : null
}
