# The stage list, queue settings and worker groups come from shared/names.py, through the JSON it
# generates (`make infra-settings`), so the local stack and this folder cannot drift apart.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  settings    = jsondecode(file("${path.module}/settings.json"))
  stages      = local.settings.stages
  queues      = concat(local.settings.stages, local.settings.consumers)
  groups      = local.settings.worker_groups
  account_id  = data.aws_caller_identity.current.account_id
  partition   = data.aws_partition.current.partition
  bucket_name = var.bucket_name != "" ? var.bucket_name : "${var.prefix}-data-${local.account_id}"
  image       = var.image != "" ? var.image : "${aws_ecr_repository.brandvis.repository_url}:${var.image_tag}"

  # Which group consumes each queue (every queue is in exactly one group; a test checks).
  queue_group = merge([for g, qs in local.groups : { for q in qs : q => g }]...)

  # What every process reads from its environment (shared/config.py).
  common_env = {
    BRANDVIS_MODE       = "aws"
    BRANDVIS_REGION     = var.region
    BRANDVIS_PREFIX     = var.prefix
    BRANDVIS_BUCKET     = local.bucket_name
    BRANDVIS_LOG_LEVEL  = var.log_level
    BRANDVIS_LOG_FORMAT = "json"
  }
}
