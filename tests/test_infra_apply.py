"""infra/terraform applied to the emulator: what it creates matches local provisioning, workers
started from its task definitions run jobs on it, every AWS call the code makes is allowed by the
policies it renders (and nothing more is granted), and destroy leaves nothing.

One apply for the module (moto over real HTTP; Application Auto Scaling is switched off with its
variable: moto hangs terraform on it). Skipped where terraform or its AWS provider is absent.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest

from shared.aws import Clients, make_clients
from shared.config import Config
from shared.names import CONSUMERS, STAGES, WORKER_GROUPS, Names
from shared.stack.provision import labeling_event_pattern, provision
from shared.stack.server import LocalStack
from tests.conftest import ROOT, wait_for_job

TF = ROOT / "infra" / "terraform"
PLUGINS = Path("/opt/tf-plugins")
PREFIX = "bvtf"  # what terraform creates; local provisioning runs beside it as "bvlocal" for comparison
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's
SERVICES = ("sts", "iam", "s3", "sqs", "dynamodb", "events", "ecr", "ecs", "logs", "cloudwatch", "sns", "kms",
            "elbv2", "ec2", "cognitoidp", "acm")

pytestmark = [
    pytest.mark.skipif(shutil.which("terraform") is None or not PLUGINS.exists(),
                       reason="terraform or its local AWS provider (/opt/tf-plugins) is not installed"),
    pytest.mark.timeout(900),
]


@dataclass
class Applied:
    endpoint: str
    work: Path
    outputs: dict[str, Any]
    destroyed: bool = False

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION)

    def terraform(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["terraform", *args, "-no-color"], cwd=self.work, capture_output=True,
                              text=True, timeout=600, env={**os.environ, "TF_IN_AUTOMATION": "1"})


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Applied]:
    root = tmp_path_factory.mktemp("tf-apply")
    stack = LocalStack(Config(stack_port=0, data_dir=root / "data", poll_wait_s=1), persist=False).start()
    try:
        urllib.request.urlopen(urllib.request.Request(stack.endpoint + "/moto-api/reset", method="POST")).read()
        work = root / "tf"
        shutil.copytree(TF, work, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
        # Test only: the provider talks to the emulator (an override file merges into versions.tf's block).
        endpoints = "".join(f'    {s} = "{stack.endpoint}"\n' for s in SERVICES)
        (work / "emulator_override.tf").write_text(
            'provider "aws" {\n  access_key = "testing"\n  secret_key = "testing"\n'
            "  skip_credentials_validation = true\n  skip_metadata_api_check = true\n  s3_use_path_style = true\n"
            f"  endpoints {{\n{endpoints}  }}\n}}\n")
        ec2 = boto3.client("ec2", endpoint_url=stack.endpoint, region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")
                   ["Subnet"]["SubnetId"] for i, zone in enumerate("ab")]
        cert = boto3.client("acm", endpoint_url=stack.endpoint, region_name=REGION).request_certificate(
            DomainName="brandvis.example.com")["CertificateArn"]
        (work / "emulator.auto.tfvars.json").write_text(json.dumps({
            "prefix": PREFIX, "vpc_id": vpc, "task_subnet_ids": subnets, "alb_subnet_ids": subnets,
            "certificate_arn": cert, "image": "brandvis:test", "autoscaling_enabled": False, "force_destroy": True,
            "extra_read_buckets": ["customer-photos/brands/"]}))
        run = Applied(stack.endpoint, work, {})
        init = run.terraform("init", "-input=false", f"-plugin-dir={PLUGINS}")
        assert init.returncode == 0, init.stderr
        apply = run.terraform("apply", "-input=false", "-auto-approve", "-parallelism=20")
        assert apply.returncode == 0, apply.stderr[-4000:]
        out = run.terraform("output", "-json")
        run.outputs = {k: v["value"] for k, v in json.loads(out.stdout).items()}
        yield run
        if not run.destroyed:
            run.terraform("destroy", "-input=false", "-auto-approve", "-refresh=false", "-parallelism=20")
    finally:
        stack.stop()


def _queue_attrs(sqs: Any, name: str) -> dict[str, Any]:
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attrs.get("RedrivePolicy", "{}"))
    return {"retention": attrs["MessageRetentionPeriod"], "visibility": attrs["VisibilityTimeout"],
            "sse": attrs.get("SqsManagedSseEnabled"), "max_receives": int(redrive.get("maxReceiveCount", 0)),
            "dlq": redrive.get("deadLetterTargetArn", "").rsplit(":", 1)[-1].replace(name.split("-")[0], "*", 1)}


def test_terraform_creates_the_queues_table_bucket_and_rule_local_provisioning_creates(applied: Applied):
    # Given local provisioning run beside terraform's resources, under another prefix
    local_config = Config(mode="local", prefix="bvlocal", endpoint_url=applied.endpoint, region=REGION)
    provision(make_clients(local_config))
    sqs, ddb, s3 = applied.client("sqs"), applied.client("dynamodb"), applied.client("s3")
    tf_names, local_names = Names(prefix=PREFIX), Names(prefix="bvlocal")
    # Then every queue and dead-letter queue exists on both sides with the same attributes
    for queue in STAGES + CONSUMERS:
        for name_of in ("queue", "dlq"):
            tf_side = _queue_attrs(sqs, getattr(tf_names, name_of)(queue))
            assert tf_side == _queue_attrs(sqs, getattr(local_names, name_of)(queue)), (queue, name_of)
        assert _queue_attrs(sqs, tf_names.queue(queue))["max_receives"] == 3
    # the table: same keys and index, TTL on the ledger's attribute on both sides
    tf_table, local_table = (ddb.describe_table(TableName=n.jobs_table)["Table"] for n in (tf_names, local_names))
    for key in ("KeySchema", "AttributeDefinitions", "BillingModeSummary"):
        assert sorted(map(json.dumps, _listify(tf_table.get(key)))) == sorted(map(json.dumps, _listify(local_table.get(key))))
    assert [i["IndexName"] for i in tf_table["GlobalSecondaryIndexes"]] == ["by-kind"]
    for name in (tf_names.jobs_table, local_names.jobs_table):
        ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")
    # the bucket: private and encrypted, as locally
    bucket = applied.outputs["bucket"]
    assert bucket == f"{PREFIX}-data-{ACCOUNT}"
    for b in (bucket, local_names.bucket):
        assert all(s3.get_public_access_block(Bucket=b)["PublicAccessBlockConfiguration"].values())
        rule = s3.get_bucket_encryption(Bucket=b)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    # the rule: same pattern, same target
    events = applied.client("events")
    for names in (tf_names, local_names):
        rule = events.describe_rule(Name=names.labeling_rule)
        assert json.loads(rule["EventPattern"]) == labeling_event_pattern()
        target = events.list_targets_by_rule(Rule=names.labeling_rule)["Targets"][0]
        assert target["Arn"].endswith(f":{names.events_queue}")


def _listify(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_a_labeling_event_put_on_the_bus_reaches_the_events_queue(applied: Applied):
    events, sqs = applied.client("events"), applied.client("sqs")
    pattern = labeling_event_pattern()
    detail = {"LabelingJobStatus": "Completed", "LabelingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:labeling-job/x"}
    resp = events.put_events(Entries=[{"Source": "brandvis.labeler", "DetailType": pattern["detail-type"][0],
                                       "Detail": json.dumps(detail)}])
    assert resp["FailedEntryCount"] == 0
    url = applied.outputs["queues"]["events"]
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2, MaxNumberOfMessages=1).get("Messages", [])
    assert got and json.loads(got[0]["Body"])["detail"] == detail
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])


def test_storage_lifetimes_images_scaling_and_alarms_are_declared(applied: Applied):
    s3, bucket = applied.client("s3"), applied.outputs["bucket"]
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert rules["expire-media"]["Expiration"]["Days"] == 30
    assert rules["expire-media"]["Filter"]["Prefix"] == "media/"
    assert rules["keep-model-and-report-versions"]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90
    # a browser's direct upload that never got adopted is dropped after a day; nothing else expires
    assert rules["expire-abandoned-uploads"]["Filter"]["Prefix"] == "uploads/incoming/"
    assert rules["expire-abandoned-uploads"]["Expiration"]["Days"] == 1
    assert not any(r.get("Expiration", {}).get("Days") for r in rules.values()
                   if r["ID"] not in ("expire-media", "expire-abandoned-uploads"))
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    repo = applied.client("ecr").describe_repositories(repositoryNames=[PREFIX])["repositories"][0]
    assert repo["imageScanningConfiguration"]["scanOnPush"] is True
    assert applied.client("ecr").get_lifecycle_policy(repositoryName=PREFIX)["lifecyclePolicyText"]
    ecs = applied.client("ecs")
    cluster = ecs.describe_clusters(clusters=[PREFIX])["clusters"][0]
    assert set(cluster["capacityProviders"]) == {"FARGATE", "FARGATE_SPOT"}
    services = ecs.describe_services(cluster=PREFIX, services=[f"worker-{g}" for g in WORKER_GROUPS] + ["dashboard"])
    assert len(services["services"]) == len(WORKER_GROUPS) + 1 and not services["failures"]
    # every queue's dead letters and oldest message raise an alarm to the topic
    alarms = {a["AlarmName"]: a for a in applied.client("cloudwatch").describe_alarms(AlarmNamePrefix=PREFIX)["MetricAlarms"]}
    for queue in STAGES + CONSUMERS:
        dead, oldest = alarms[f"{PREFIX}-{queue}-dead-letters"], alarms[f"{PREFIX}-{queue}-oldest-message"]
        assert dead["Dimensions"] == [{"Name": "QueueName", "Value": f"{PREFIX}-{queue}-dlq"}]
        assert oldest["MetricName"] == "ApproximateAgeOfOldestMessage"
        assert dead["AlarmActions"] == oldest["AlarmActions"] == [applied.outputs["alarm_topic_arn"]]
    groups = applied.client("logs").describe_log_groups(logGroupNamePrefix=f"/brandvis/{PREFIX}/")["logGroups"]
    assert {g["logGroupName"].rsplit("/", 1)[1]: g["retentionInDays"] for g in groups} == {
        **{g: 30 for g in WORKER_GROUPS}, "dashboard": 30}
    # the dashboard: HTTPS with sign-in in front, port 80 only redirects
    elb = applied.client("elbv2")
    lb = elb.describe_load_balancers(Names=[f"{PREFIX}-dashboard"])["LoadBalancers"][0]
    listeners = {li["Port"]: li for li in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]}
    assert set(listeners) == {80, 443}
    assert [a["Type"] for a in sorted(listeners[443]["DefaultActions"], key=lambda a: a.get("Order", 0))] == [
        "authenticate-cognito", "forward"]
    assert [a["Type"] for a in listeners[80]["DefaultActions"]] == ["redirect"]


# -- end to end: workers from the task definitions, every AWS call recorded ------------------------
@dataclass
class Calls:
    """Every API call per process role, from botocore's hooks: (service, operation, params, status)."""
    by_role: dict[str, list[list[Any]]] = field(default_factory=lambda: defaultdict(list))

    def attach(self, clients: Clients, role: str) -> Clients:
        def before(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
            context["recorded"] = [model.service_model.service_name, model.name, dict(params), None]
            self.by_role[role].append(context["recorded"])

        def after(http_response: Any, context: dict[str, Any], **_: Any) -> None:
            if "recorded" in context:
                context["recorded"][3] = http_response.status_code

        # Clients made later (rekognition, sagemaker, sts) copy the session's hooks when made.
        for events in [clients._session.events] + [c.meta.events for c in (clients.s3, clients.sqs,
                                                                            clients.dynamodb, clients.events)]:
            events.register("before-parameter-build", before)
            events.register("after-call", after)
        return clients


def _task_env(applied: Applied, family: str) -> tuple[list[str], dict[str, str]]:
    task = applied.client("ecs").describe_task_definition(taskDefinition=family)["taskDefinition"]
    container = task["containerDefinitions"][0]
    return container["command"], {e["name"]: e["value"] for e in container["environment"]}


def test_workers_started_from_the_task_definitions_run_jobs_and_every_call_is_allowed(applied: Applied, tmp_path,
                                                                                       monkeypatch):
    from shared.jobs import JobStore
    from shared.queues import depths, peek_dead_letters
    from shared.submit import Submitter
    from tests import media_factory
    from workers.worker import Worker

    # The bucket refuses plain HTTP, which is all the emulator speaks: shown, then lifted for this test.
    s3, bucket = applied.client("s3"), applied.outputs["bucket"]
    with pytest.raises(s3.exceptions.ClientError, match="Forbidden|AccessDenied"):
        s3.put_object(Bucket=bucket, Key="media/plain-http", Body=b"x")
    s3.delete_bucket_policy(Bucket=bucket)

    calls = Calls()
    # Test-only settings beside the task's own: the emulator's endpoint, a scratch cache, short polls.
    overrides = {"BRANDVIS_ENDPOINT_URL": applied.endpoint, "BRANDVIS_CACHE_DIR": str(tmp_path / "cache"),
                 "BRANDVIS_POLL_WAIT_S": "1", "BRANDVIS_RETRY_BACKOFF_S": "0"}
    workers = []
    try:
        for group in WORKER_GROUPS:
            command, env = _task_env(applied, f"{PREFIX}-worker-{group}")
            # Given the task's command line, `brandvis worker --stages <group's queues> --concurrency N`
            assert command[:3] == ["brandvis", "worker", "--stages"] and command[4] == "--concurrency"
            assert env["BRANDVIS_MODE"] == "aws" and env["BRANDVIS_PREFIX"] == PREFIX
            config = Config.load(env={**env, **overrides}, path=Path(os.devnull))
            clients = calls.attach(make_clients(config), group)
            workers.append(Worker(clients, stages=command[3].split(","), concurrency=int(command[5])).start())
        _, dash_env = _task_env(applied, f"{PREFIX}-dashboard")
        client = calls.attach(make_clients(Config.load(env={**dash_env, **overrides}, path=Path(os.devnull))), "client")
        store = JobStore(client.dynamodb, client.names.jobs_table)
        submit = Submitter(client)

        # When a client trains a text model, analyses a video with it, and redrives a dead letter
        job, _ = submit.train_text("Voltix=VOLTIX,Kestrel", "brands")
        assert wait_for_job(store, job.job_id, timeout=120).status == "SUCCEEDED"
        video = media_factory.make_video(tmp_path / "clip.mp4", seconds=4, size=(320, 180))
        from shared.messages import Sampling
        done = wait_for_job(store, submit.analyze(video, Sampling.at_fps(1), segment_seconds=2, model="brands").job_id,
                            timeout=240)
        assert done.status == "SUCCEEDED", done.error
        assert client.s3.get_object(Bucket=client.names.bucket, Key=f"reports/{done.job_id}/report.json")
        dlq = applied.outputs["dead_letter_queues"]["sprite"]
        applied.client("sqs").send_message(QueueUrl=dlq, MessageBody=json.dumps({"kind": "not-a-message"}))
        assert [d.stage for d in peek_dead_letters(client, "sprite")] == ["sprite"]
        redrive = wait_for_job(store, submit.redrive("sprite").job_id, timeout=60)
        assert redrive.status == "SUCCEEDED" and redrive.result.get("moved") == 1, (redrive.error, redrive.result)
        assert [d.stage for d in depths(client)] == list(STAGES)  # what the Operations page reads
    finally:
        for w in workers:
            w.stop()

    # Then every call each role made is allowed by the policy terraform rendered for it
    policies = {g: json.loads(applied.outputs["worker_policies"][g]) for g in WORKER_GROUPS}
    policies["client"] = json.loads(applied.outputs["client_policy"])
    used: dict[str, set[str]] = defaultdict(set)
    for role, recorded in calls.by_role.items():
        denied = []
        for service, operation, params, status in recorded:
            for action, resource, context in _iam_requests(service, operation, params, status):
                used[role].add(action)
                if not _allowed(policies[role], action, resource, context):
                    denied.append(f"{action} on {resource} {context or ''}")
        assert not denied, f"{role} would be denied: {sorted(set(denied))}"
    # and nothing is granted that no code calls (calls the emulator cannot exercise are listed with their caller)
    for role, policy in policies.items():
        granted = {a for s in policy["Statement"] for a in _list(s["Action"])}
        unexercised = {a for a in granted - used[role] if a not in NOT_EXERCISED.get(role, {})}
        assert not unexercised, f"{role} is granted {sorted(unexercised)}, which no recorded call used"
        for action, caller in NOT_EXERCISED.get(role, {}).items():
            assert action in granted, (role, action)
            path, needle = caller.split(":", 1)
            assert needle in (ROOT / path).read_text(), f"{action}: {caller} no longer calls it"


#: Granted, called by the code, but not on the path above (the emulator lacks Rekognition Custom
#: Labels and Ground Truth): action -> "file:the call". The check above fails once the call is gone.
RUNTIME_NOT_EXERCISED = {
    "sqs:ChangeMessageVisibility": "workers/middleware/visibility.py:change_message_visibility(",  # long messages
    "dynamodb:BatchWriteItem": "shared/ledger.py:batch_write_item(",  # any stage with children
}
NOT_EXERCISED: dict[str, dict[str, str]] = {
    "media": RUNTIME_NOT_EXERCISED,
    "report": {**RUNTIME_NOT_EXERCISED, "s3:ListBucket": "workers/stages/collect.py:ctx.storage.exists("},
    "models": {
        **RUNTIME_NOT_EXERCISED,
        "dynamodb:PutItem": "shared/labeling/store.py:put_new(",
        "s3:ListBucket": "workers/stages/label.py:list_keys(",
        "rekognition:CreateProject": "shared/models/rekognition.py:create_project(",
        "rekognition:CreateProjectVersion": "shared/models/rekognition.py:create_project_version(",
        "rekognition:DescribeProjectVersions": "shared/models/rekognition.py:describe_project_versions(",
        "rekognition:DescribeProjects": "shared/models/rekognition.py:describe_projects(",
        "rekognition:StartProjectVersion": "shared/models/rekognition.py:start_project_version(",
        "rekognition:StopProjectVersion": "shared/models/rekognition.py:stop_project_version(",
        "rekognition:DetectCustomLabels": "shared/models/rekognition.py:detect_custom_labels(",
        "rekognition:DetectText": "shared/models/rekognition.py:detect_text(",
        "sagemaker:CreateLabelingJob": "shared/labeling/groundtruth.py:create_labeling_job(",
        "sagemaker:DescribeLabelingJob": "shared/labeling/groundtruth.py:describe_labeling_job(",
        "sagemaker:AddTags": "shared/labeling/groundtruth.py:\"Tags\"",
        "iam:PassRole": "shared/labeling/groundtruth.py:RoleArn",
    },
    "client": {
        "events:PutEvents": "shared/labeling/builtin.py:put_events(",
        "s3:ListBucket": "dashboard/data.py:list_keys(",
        "s3:DeleteObject": "shared/uploads.py:delete_object(",  # a browser's direct upload, once adopted
    },
}


def _list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def _queue_arn(params: dict[str, Any]) -> str:
    name = params.get("QueueName") or params["QueueUrl"].rstrip("/").rsplit("/", 1)[1]
    return _arn("sqs", name)


def _iam_requests(service: str, op: str, params: dict[str, Any],
                  status: int | None = None) -> list[tuple[str, str, dict[str, str]]]:
    """The IAM action(s), resource and condition keys AWS checks for one API call."""
    if service == "sqs":  # a batch call needs its single call's action
        return [(f"sqs:{op.removesuffix('Batch')}", _queue_arn(params), {})]
    if service == "dynamodb":
        if op in ("BatchWriteItem", "BatchGetItem"):
            return [(f"dynamodb:{op}", _arn("dynamodb", f"table/{t}"), {}) for t in params["RequestItems"]]
        if op == "TransactWriteItems":
            kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}
            return [(f"dynamodb:{kinds[k]}", _arn("dynamodb", f"table/{v['TableName']}"), {})
                    for item in params["TransactItems"] for k, v in item.items()]
        table = f"table/{params['TableName']}" + (f"/index/{params['IndexName']}" if params.get("IndexName") else "")
        return [(f"dynamodb:{op}", _arn("dynamodb", table), {})]
    if service == "s3":
        bucket = params.get("Bucket", "")
        obj = f"arn:aws:s3:::{bucket}/{params.get('Key', '')}"
        if op in ("ListObjectsV2", "ListObjects"):
            return [("s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": params.get("Prefix", "")})]
        if op == "HeadBucket":
            return [("s3:ListBucket", f"arn:aws:s3:::{bucket}", {})]
        if op in ("GetObject", "HeadObject"):
            # A missing key answers 404 only with s3:ListBucket; without it, 403, which the code reads as an error.
            missing = [("s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": params["Key"]})] if status == 404 else []
            return [("s3:GetObject", obj, {})] + missing
        if op in ("PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"):
            return [("s3:PutObject", obj, {})]
        if op == "CopyObject":
            src = params["CopySource"]
            src = f"{src['Bucket']}/{src['Key']}" if isinstance(src, dict) else src.lstrip("/")
            return [("s3:GetObject", f"arn:aws:s3:::{src}", {}), ("s3:PutObject", obj, {})]
        return [(f"s3:{op}", obj, {})]
    if service == "events" and op == "PutEvents":
        return [("events:PutEvents", _arn("events", "event-bus/default"), {"events:source": e["Source"]})
                for e in params["Entries"]]
    if service == "sts" and op == "GetCallerIdentity":
        return []  # needs no permission
    return [(f"{service}:{op}", "*", {})]


def _allowed(policy: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
    """Identity-policy evaluation for Allow statements with Action/Resource/Condition (what we render)."""
    for s in policy["Statement"]:
        if s.get("Effect") != "Allow":
            continue
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _list(s["Action"])):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in _list(s["Resource"])):
            continue
        if all(_condition(op, key, _list(values), context) for op, tests in s.get("Condition", {}).items()
               for key, values in tests.items()):
            return True
    return False


def _condition(op: str, key: str, values: list[str], context: dict[str, str]) -> bool:
    if key not in context:
        return False
    if op == "StringEquals":
        return context[key] in values
    if op in ("StringLike", "ArnLike"):
        return any(fnmatch.fnmatchcase(context[key], v) for v in values)
    raise AssertionError(f"the evaluator does not know {op}")


def test_autoscaling_plans_a_backlog_policy_per_group_and_a_wake_up_for_groups_that_sleep(applied: Applied):
    # Planned, not applied: moto hangs terraform on Application Auto Scaling. The plan evaluates
    # every expression against the applied services.
    plan = applied.terraform("plan", "-input=false", "-refresh=false", "-var", "autoscaling_enabled=true")
    assert plan.returncode == 0, plan.stderr[-4000:]
    created = lambda kind: sorted(re.findall(r'# aws_%s\.(\w+)\["(\w+)"\] will be created' % kind, plan.stdout))  # noqa: E731
    assert created("appautoscaling_target") == [("worker", g) for g in sorted(WORKER_GROUPS)]
    assert created("appautoscaling_policy") == sorted([("backlog", g) for g in WORKER_GROUPS] +
                                                      [("wake", "media"), ("wake", "report")])  # models keeps one
    assert created("cloudwatch_metric_alarm") == [("wake", "media"), ("wake", "report")]
    assert "/ IF(FILL(running, 0) > 0, running, 1)" in plan.stdout
    assert plan.stdout.count("ApproximateNumberOfMessagesNotVisible") >= len(STAGES + CONSUMERS)


def test_destroy_leaves_nothing(applied: Applied):
    destroy = applied.terraform("destroy", "-input=false", "-auto-approve", "-refresh=false", "-parallelism=20")
    applied.destroyed = True
    assert destroy.returncode == 0, destroy.stderr[-4000:]
    sqs, events, ddb, s3 = (applied.client(s) for s in ("sqs", "events", "dynamodb", "s3"))
    assert sqs.list_queues(QueueNamePrefix=f"{PREFIX}-").get("QueueUrls", []) == []
    assert not [t for t in ddb.list_tables()["TableNames"] if t.startswith(f"{PREFIX}-")]
    assert not [b for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(f"{PREFIX}-")]
    assert events.list_rules(NamePrefix=f"{PREFIX}-")["Rules"] == []
    assert not [r for r in applied.client("iam").list_roles()["Roles"] if r["RoleName"].startswith(f"{PREFIX}-")]
    assert not [p for p in applied.client("iam").list_policies(Scope="Local")["Policies"]
                if p["PolicyName"].startswith(f"{PREFIX}-")]
    assert [c for c in applied.client("ecs").describe_clusters(clusters=[PREFIX])["clusters"]
            if c["status"] == "ACTIVE"] == []
    assert applied.client("ecr").describe_repositories()["repositories"] == []
    assert applied.client("cloudwatch").describe_alarms(AlarmNamePrefix=PREFIX)["MetricAlarms"] == []
    assert applied.client("logs").describe_log_groups(logGroupNamePrefix=f"/brandvis/{PREFIX}/")["logGroups"] == []
    assert applied.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert [t for t in applied.client("sns").list_topics()["Topics"] if f":{PREFIX}-" in t["TopicArn"]] == []
    state = json.loads(applied.terraform("show", "-json").stdout or "{}")
    assert not state.get("values", {}).get("root_module", {}).get("resources"), "resources left in the state"
