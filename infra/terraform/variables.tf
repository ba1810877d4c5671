# The stage list and queue settings are not variables: they come from settings.json, generated
# from shared/names.py (`make infra-settings`). Names: "<prefix>-<queue>", "<prefix>-<queue>-dlq",
# "<prefix>-jobs", "<prefix>-labeling-state-change", as the local stack names them.

# -- where and what ---------------------------------------------------------------------------
variable "region" {
  description = "AWS region for everything (Rekognition Custom Labels exists in a subset of regions)."
  type        = string
  default     = "us-east-1"
  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must look like us-east-1."
  }
}

variable "prefix" {
  description = "Prefix of every name; set BRANDVIS_PREFIX to the same value for the CLI."
  type        = string
  default     = "brandvis"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}$", var.prefix))
    error_message = "prefix: 2-20 lowercase letters, digits or dashes, starting with a letter (it ends up in bucket and role names)."
  }
}

variable "bucket_name" {
  description = "Globally unique bucket; empty means <prefix>-data-<account id>."
  type        = string
  default     = ""
  validation {
    condition     = var.bucket_name == "" || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete a bucket that still holds objects (tests; a deliberate teardown)."
  type        = bool
  default     = false
}

# -- data lifetime ----------------------------------------------------------------------------
variable "media_expiry_days" {
  description = "Days before anything under media/ (uploads, frames, sprites, detections) expires. Reports keep their figures; a report's thumbnails and frame previews go with the media."
  type        = number
  default     = 30
  validation {
    condition     = var.media_expiry_days >= 1 && floor(var.media_expiry_days) == var.media_expiry_days
    error_message = "media_expiry_days must be a whole number of days, at least 1."
  }
}

variable "noncurrent_version_days" {
  description = "Days an overwritten model, report or labeling file is kept as an earlier version."
  type        = number
  default     = 90
  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1."
  }
}

variable "extra_read_buckets" {
  description = "Buckets (or bucket/prefix) outside ours whose images Ground Truth manifests point at, e.g. [\"my-photos/brands/\"]. Read access goes to the groups that read manifests' images (collect, train: the report and models groups) and to the Ground Truth role."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for b in var.extra_read_buckets : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^*]*)?$", b))])
    error_message = "extra_read_buckets entries are bucket or bucket/prefix/ (no wildcards, no s3://)."
  }
}

# -- image and tasks --------------------------------------------------------------------------
variable "image" {
  description = "Full image reference; empty means this stack's ECR repository at image_tag."
  type        = string
  default     = ""
}

variable "image_tag" {
  description = "Tag pushed by `make push` (the git commit by default there)."
  type        = string
  default     = "latest"
  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a valid Docker tag."
  }
}

variable "vpc_id" {
  description = "VPC for the tasks and the dashboard's load balancer."
  type        = string
  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC id (vpc-...)."
  }
}

variable "task_subnet_ids" {
  description = "Subnets the tasks run in. They need a route to AWS APIs and ECR: a NAT gateway, VPC endpoints, or public subnets with assign_public_ip."
  type        = list(string)
  validation {
    condition     = length(var.task_subnet_ids) > 0 && alltrue([for s in var.task_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "task_subnet_ids: at least one subnet id."
  }
}

variable "assign_public_ip" {
  description = "Give tasks a public IP (public subnets without NAT). Inbound stays closed by the security groups."
  type        = bool
  default     = false
}

variable "worker_groups" {
  description = <<-EOT
    Size and scale of each worker group (which queues a group consumes is in settings.json).
    Sized from the bench (2 cores): a media worker peaks at 738-746 MiB RSS on a 720p hour (544-599 MiB at
    1080p) and uses one core per concurrent message; a models worker reaches ~835 MiB after training plus
    analyses (training in a child process adds its own); report work is JSON and table bookkeeping.
    min_tasks = 0 lets a group sleep while its queues are empty: the step policy in autoscaling.tf wakes it
    when a message arrives (EventBridge and clients both reach the report group through queues). models keeps
    one task by default: the idle-stop check for started Rekognition models (US$4 per inference-unit hour)
    runs in start-model workers, so a sleeping group would leave a model billing; set 0 with only local models.
  EOT
  type = map(object({
    cpu         = number
    memory      = number
    concurrency = number
    min_tasks   = number
    max_tasks   = number
    spot        = bool
  }))
  default = {
    media  = { cpu = 1024, memory = 2048, concurrency = 1, min_tasks = 0, max_tasks = 8, spot = true }
    models = { cpu = 1024, memory = 3072, concurrency = 1, min_tasks = 1, max_tasks = 4, spot = false }
    report = { cpu = 512, memory = 1024, concurrency = 2, min_tasks = 0, max_tasks = 2, spot = true }
  }
  validation {
    condition = alltrue([for g in values(var.worker_groups) : contains([256, 512, 1024, 2048, 4096, 8192, 16384], g.cpu)
    && g.memory >= 512 && g.memory <= 122880 && g.memory >= g.cpu])
    error_message = "worker_groups: cpu must be a Fargate size (256..16384) and memory (MiB) at least cpu units."
  }
  validation {
    condition     = alltrue([for g in values(var.worker_groups) : g.min_tasks >= 0 && g.max_tasks >= g.min_tasks && g.max_tasks >= 1 && g.concurrency >= 1])
    error_message = "worker_groups: 0 <= min_tasks <= max_tasks, max_tasks >= 1, concurrency >= 1."
  }
}

variable "autoscaling_enabled" {
  description = "Scale worker groups on queue depth. Off, each group runs min_tasks (at least 1). The test turns it off: moto's Application Auto Scaling hangs terraform."
  type        = bool
  default     = true
}

variable "backlog_per_task" {
  description = "Target messages (waiting + in flight) per running task for target tracking. One message is a video segment or a stage of one video; a media task finishes a 30 s segment in a few seconds."
  type        = number
  default     = 4
  validation {
    condition     = var.backlog_per_task >= 1
    error_message = "backlog_per_task must be at least 1."
  }
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention for every task's log group."
  type        = number
  default     = 30
  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "log_level" {
  description = "BRANDVIS_LOG_LEVEL for every process."
  type        = string
  default     = "INFO"
  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level: DEBUG, INFO, WARNING or ERROR."
  }
}

# -- alarms -----------------------------------------------------------------------------------
variable "alarm_email" {
  description = "Address subscribed to the alarm topic (confirm the mail AWS sends); empty: subscribe yourself."
  type        = string
  default     = ""
  validation {
    condition     = var.alarm_email == "" || can(regex("^[^@ ]+@[^@ ]+\\.[^@ ]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address or empty."
  }
}

variable "oldest_message_alarm_s" {
  description = "Alarm when a queue's oldest message is older than this (work is stuck or the group cannot scale)."
  type        = number
  default     = 1800
  validation {
    condition     = var.oldest_message_alarm_s >= 60
    error_message = "oldest_message_alarm_s must be at least 60."
  }
}

# -- labeling ---------------------------------------------------------------------------------
variable "groundtruth_workteam_arn" {
  description = "A private or vendor SageMaker work team for Ground Truth labeling; empty: the built-in labeler only."
  type        = string
  default     = ""
  validation {
    condition     = var.groundtruth_workteam_arn == "" || can(regex("^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:workteam/", var.groundtruth_workteam_arn))
    error_message = "groundtruth_workteam_arn must be a SageMaker workteam ARN or empty."
  }
}

# -- dashboard --------------------------------------------------------------------------------
variable "dashboard_enabled" {
  description = "Run the dashboard as a service behind an Application Load Balancer."
  type        = bool
  default     = true
}

variable "dashboard_internal" {
  description = "Make the load balancer internal (reachable from the VPC or a VPN only). Only then may auth be \"none\"."
  type        = bool
  default     = false
}

variable "alb_subnet_ids" {
  description = "Subnets of the load balancer (two or more, in different zones; public unless dashboard_internal)."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for s in var.alb_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "alb_subnet_ids must be subnet ids."
  }
}

variable "dashboard_domain" {
  description = "The dashboard's host name (the certificate's, CNAME'd to the load balancer); Cognito redirects back to it after sign-in. Empty: the load balancer's own name (the certificate will not match it)."
  type        = string
  default     = ""
  validation {
    condition     = var.dashboard_domain == "" || can(regex("^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$", var.dashboard_domain))
    error_message = "dashboard_domain is a host name, e.g. brandvis.example.com (no scheme, no path)."
  }
}

variable "certificate_arn" {
  description = "ACM certificate for the dashboard's HTTPS listener (its domain pointed at the load balancer)."
  type        = string
  default     = ""
}

variable "allowed_cidrs" {
  description = "Who may reach the load balancer on 443 (and 80, which only redirects)."
  type        = list(string)
  default     = ["0.0.0.0/0"]
  validation {
    condition     = alltrue([for c in var.allowed_cidrs : can(cidrhost(c, 0))])
    error_message = "allowed_cidrs must be CIDR blocks."
  }
}

variable "auth" {
  description = "Who may open the dashboard: \"cognito\" (a user pool this stack creates; add users in the console), \"oidc\" (your identity provider, see oidc), or \"none\" (only with dashboard_internal)."
  type        = string
  default     = "cognito"
  validation {
    condition     = contains(["cognito", "oidc", "none"], var.auth)
    error_message = "auth must be cognito, oidc or none."
  }
  validation {
    condition     = var.auth != "none" || var.dashboard_internal
    error_message = "auth = \"none\" is allowed only with dashboard_internal = true: a public dashboard submits paid work."
  }
}

variable "oidc" {
  description = "The identity provider for auth = \"oidc\" (issuer and endpoints from its discovery document)."
  type = object({
    issuer                 = string
    authorization_endpoint = string
    token_endpoint         = string
    user_info_endpoint     = string
    client_id              = string
    client_secret          = string
  })
  default   = null
  sensitive = true
}

variable "cognito_domain_prefix" {
  description = "Hosted UI domain prefix for auth = \"cognito\"; empty means <prefix>-<account id>."
  type        = string
  default     = ""
}
