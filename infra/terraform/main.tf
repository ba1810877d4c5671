data "aws_caller_identity" "current" {}

locals {
  queues      = concat(var.stages, ["events", "control"])
  bucket_name = var.bucket_name != "" ? var.bucket_name : "${var.prefix}-data-${data.aws_caller_identity.current.account_id}"
  retention_s = 14 * 24 * 3600
}

# -- queues: one per stage, each with its own dead-letter queue ---------------------------------
resource "aws_sqs_queue" "dlq" {
  for_each                  = toset(local.queues)
  name                      = "${var.prefix}-${each.key}-dlq"
  message_retention_seconds = local.retention_s
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "stage" {
  for_each                   = toset(local.queues)
  name                       = "${var.prefix}-${each.key}"
  message_retention_seconds  = local.retention_s
  visibility_timeout_seconds = 60
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[each.key].arn
    maxReceiveCount     = var.max_receives
  })
}

# -- jobs, stage counters, message ledger ----------------------------------------------------
resource "aws_dynamodb_table" "jobs" {
  name         = "${var.prefix}-jobs"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"

  attribute {
    name = "pk"
    type = "S"
  }
  attribute {
    name = "sk"
    type = "S"
  }
  attribute {
    name = "gsi1pk"
    type = "S"
  }
  attribute {
    name = "gsi1sk"
    type = "S"
  }

  global_secondary_index {
    name            = "by-kind"
    hash_key        = "gsi1pk"
    range_key       = "gsi1sk"
    projection_type = "ALL"
  }

  server_side_encryption {
    enabled = true
  }
  point_in_time_recovery {
    enabled = true
  }
}

# -- media, frames, models, reports: private and encrypted ------------------------------------
resource "aws_s3_bucket" "data" {
  bucket = local.bucket_name
}

resource "aws_s3_bucket_public_access_block" "data" {
  bucket                  = aws_s3_bucket.data.id
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "data" {
  bucket = aws_s3_bucket.data.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_policy" "tls_only" {
  bucket = aws_s3_bucket.data.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.data.arn, "${aws_s3_bucket.data.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
  depends_on = [aws_s3_bucket_public_access_block.data]
}

# -- labeling state changes (Ground Truth and the built-in labeler) -> events queue -----------
resource "aws_cloudwatch_event_rule" "labeling" {
  name        = "${var.prefix}-labeling-state-change"
  description = "Labeling job state changes resume waiting jobs"
  event_pattern = jsonencode({
    "detail-type" = ["SageMaker Ground Truth Labeling Job State Change"]
    source        = ["aws.sagemaker", "brandvis.labeler"]
    detail        = { LabelingJobStatus = ["Completed", "Failed", "Stopped"] }
  })
}

resource "aws_cloudwatch_event_target" "labeling" {
  rule      = aws_cloudwatch_event_rule.labeling.name
  target_id = "events-queue"
  arn       = aws_sqs_queue.stage["events"].arn
}

resource "aws_sqs_queue_policy" "events" {
  queue_url = aws_sqs_queue.stage["events"].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "labeling-events"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.stage["events"].arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_cloudwatch_event_rule.labeling.arn } }
    }]
  })
}
