# Jobs, stage counters, worker presence and the message ledger share one table (shared/table.py).

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

  # Only ledger items carry the attribute (shared/ledger.py): they expire once no queue can hold
  # their message any more; jobs, counters and presence stay.
  ttl {
    attribute_name = local.settings.ledger_ttl_attribute
    enabled        = true
  }

  # The AWS managed key: with a customer key every caller would need kms rights no code asks for.
  #checkov:skip=CKV_AWS_119:AWS managed key on purpose (least privilege: no KMS grants to every task role)
  server_side_encryption {
    enabled = true
  }
  point_in_time_recovery {
    enabled = true
  }
}
