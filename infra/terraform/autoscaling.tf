# Workers scale on their queues' backlog per running task, as AWS recommends for SQS consumers:
# (messages waiting + in flight, summed over the group's queues) / RunningTaskCount, held at
# backlog_per_task by target tracking. In-flight messages count too, so a group busy with a long
# message (train: up to an hour) does not look idle and scale in under it. Target tracking cannot
# leave zero tasks (0 x anything = 0), so a step policy starts the first task when work arrives.

locals {
  scaled_groups = var.autoscaling_enabled ? local.groups : {}
  # One metric query per queue and attribute: m_<i>_v (visible), m_<i>_f (in flight).
  backlog_expr = { for g, qs in local.groups : g => join(" + ", flatten([for i, q in qs : ["FILL(m${i}v, 0)", "FILL(m${i}f, 0)"]])) }
}

resource "aws_appautoscaling_target" "worker" {
  for_each           = local.scaled_groups
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.brandvis.name}/${aws_ecs_service.worker[each.key].name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.worker_groups[each.key].min_tasks
  max_capacity       = var.worker_groups[each.key].max_tasks
}

resource "aws_appautoscaling_policy" "backlog" {
  for_each           = local.scaled_groups
  name               = "${var.prefix}-${each.key}-backlog-per-task"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.worker[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.worker[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.worker[each.key].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.backlog_per_task
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    customized_metric_specification {
      metrics {
        id          = "backlog"
        label       = "messages per running task"
        expression  = "(${local.backlog_expr[each.key]}) / IF(FILL(running, 0) > 0, running, 1)"
        return_data = true
      }
      metrics {
        id          = "running"
        return_data = false
        metric_stat {
          stat = "Average"
          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"
            dimensions {
              name  = "ClusterName"
              value = aws_ecs_cluster.brandvis.name
            }
            dimensions {
              name  = "ServiceName"
              value = aws_ecs_service.worker[each.key].name
            }
          }
        }
      }
      dynamic "metrics" {
        for_each = { for pair in setproduct(range(length(each.value)), ["v", "f"]) : "m${pair[0]}${pair[1]}" => {
          queue = each.value[pair[0]]
          name  = pair[1] == "v" ? "ApproximateNumberOfMessagesVisible" : "ApproximateNumberOfMessagesNotVisible"
        } }
        content {
          id          = metrics.key
          return_data = false
          metric_stat {
            stat = "Sum"
            metric {
              namespace   = "AWS/SQS"
              metric_name = metrics.value.name
              dimensions {
                name  = "QueueName"
                value = aws_sqs_queue.stage[metrics.value.queue].name
              }
            }
          }
        }
      }
    }
  }
}

# -- from zero: one task as soon as a group with no task has a message waiting -----------------
resource "aws_appautoscaling_policy" "wake" {
  for_each           = { for g, qs in local.scaled_groups : g => qs if var.worker_groups[g].min_tasks == 0 }
  name               = "${var.prefix}-${each.key}-wake"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.worker[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.worker[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.worker[each.key].scalable_dimension

  step_scaling_policy_configuration {
    adjustment_type         = "ExactCapacity"
    cooldown                = 60
    metric_aggregation_type = "Maximum"
    step_adjustment {
      metric_interval_lower_bound = 0
      scaling_adjustment          = 1
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "wake" {
  for_each            = aws_appautoscaling_policy.wake
  alarm_name          = "${var.prefix}-${each.key}-work-waiting-no-task"
  alarm_description   = "Messages wait for the ${each.key} group and no task runs: start one"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [each.value.arn]

  metric_query {
    id          = "wake"
    expression  = "IF(FILL(running, 0) == 0 AND (${join(" + ", [for i, q in local.groups[each.key] : "FILL(m${i}, 0)"])}) > 0, 1, 0)"
    return_data = true
  }
  metric_query {
    id = "running"
    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "RunningTaskCount"
      period      = 60
      stat        = "Average"
      dimensions = {
        ClusterName = aws_ecs_cluster.brandvis.name
        ServiceName = aws_ecs_service.worker[each.key].name
      }
    }
  }
  dynamic "metric_query" {
    for_each = { for i, q in local.groups[each.key] : "m${i}" => q }
    content {
      id = metric_query.key
      metric {
        namespace   = "AWS/SQS"
        metric_name = "ApproximateNumberOfMessagesVisible"
        period      = 60
        stat        = "Maximum"
        dimensions  = { QueueName = aws_sqs_queue.stage[metric_query.value].name }
      }
    }
  }
}
