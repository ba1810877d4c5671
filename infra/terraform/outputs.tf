output "bucket" {
  description = "Set BRANDVIS_BUCKET to this (with BRANDVIS_MODE=aws and BRANDVIS_PREFIX=var.prefix)."
  value       = aws_s3_bucket.data.bucket
}

output "jobs_table" {
  value = aws_dynamodb_table.jobs.name
}

output "queues" {
  value = { for k, q in aws_sqs_queue.stage : k => q.url }
}

output "worker_policy_arn" {
  value = aws_iam_policy.worker.arn
}

output "client_policy_arn" {
  value = aws_iam_policy.client.arn
}

output "groundtruth_role_arn" {
  description = "Set BRANDVIS_GROUNDTRUTH_ROLE_ARN to this to label on SageMaker Ground Truth (with a work team's ARN in BRANDVIS_GROUNDTRUTH_WORKTEAM_ARN)."
  value       = aws_iam_role.groundtruth.arn
}
