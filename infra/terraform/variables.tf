# Names follow shared/names.py exactly: "<prefix>-<stage>", "<prefix>-<stage>-dlq",
# "<prefix>-events", "<prefix>-jobs", "<prefix>-labeling-state-change". tests/test_terraform.py
# checks these defaults against that module.

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "prefix" {
  type    = string
  default = "brandvis"
}

variable "stages" {
  description = "One SQS queue (and DLQ) per stage, in workflow order."
  type        = list(string)
  default     = ["probe", "extract", "label", "collect", "train", "start-model", "stop-model", "detect", "sprite", "aggregate"]
}

variable "max_receives" {
  description = "Receives before SQS moves a message to its stage's dead-letter queue."
  type        = number
  default     = 3
}

variable "bucket_name" {
  description = "Globally unique bucket; empty means <prefix>-data-<account id>."
  type        = string
  default     = ""
}
