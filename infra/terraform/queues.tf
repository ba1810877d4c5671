# One queue per stage and runtime consumer, each with its own dead-letter queue; names and
# attributes as shared/stack/provision.py creates them locally.

resource "aws_sqs_queue" "dlq" {
  for_each                  = toset(local.queues)
  name                      = "${var.prefix}-${each.key}-dlq"
  message_retention_seconds = local.settings.queue_retention_s
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "stage" {
  for_each                   = toset(local.queues)
  name                       = "${var.prefix}-${each.key}"
  message_retention_seconds  = local.settings.queue_retention_s
  visibility_timeout_seconds = local.settings.queue_visibility_s
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[each.key].arn
    maxReceiveCount     = local.settings.max_receives
  })
}

# -- labeling state changes (Ground Truth and the built-in labeler) -> events queue -----------
resource "aws_cloudwatch_event_rule" "labeling" {
  name        = "${var.prefix}-labeling-state-change"
  description = "Labeling job state changes resume waiting jobs"
  event_pattern = jsonencode({
    "detail-type" = [local.settings.labeling_detail_type]
    source        = local.settings.labeling_sources
    detail        = { LabelingJobStatus = local.settings.labeling_statuses }
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
