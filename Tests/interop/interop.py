"""Interop suite: the lab driven by real AWS clients that no one here wrote — aws-cli, boto3, and
AWS's own Python runtime interface client (awslambdaric) hosting a function inside the lab.

Run by .ci/run after `swift test`:  python3 Tests/interop/interop.py <path to the built lab binary>
"""
import base64
import concurrent.futures
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import unittest
import zipfile

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

LAB = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/lab"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON_FUNCTION = "python3 -m awslambdaric app.handler"
EXAMPLE = os.path.join(ROOT, "chapters", "examples", "python")
REPORT = re.compile(r"^REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
                    r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\t(Init Duration: \d+\.\d\d ms\t)?$")


def children(pid):
    """Direct children of a process, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as file:
                    stat = file.read()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                found.append(int(entry))
    return found


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as file:
            stat = file.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


class Lab:
    """The lab process: started with `--port 0`, ready when it prints the port it bound."""

    def __init__(self):
        functions = []
        for name in ("hello", "hello-fanout", "hello-reserved", "hello-hostile"):
            functions += ["--function", f"{name}={PYTHON_FUNCTION}", "--cwd", f"{name}={EXAMPLE}"]
        self.process = subprocess.Popen([LAB, "--port", "0", "--idle-timeout", "600"] + functions,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        first = self.process.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:(\d+))", first)
        assert match, f"the lab did not start: {first!r}"
        self.url, self.port = match.group(1), int(match.group(2))

    def client(self, retries=1):
        return boto3.client("lambda", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="lab", aws_secret_access_key="lab",
                            config=Config(retries={"total_max_attempts": retries}, read_timeout=30))

    def cli(self, *arguments):
        result = subprocess.run(["aws", "lambda", "--endpoint-url", self.url, "--region", "us-east-1", "--no-sign-request", *arguments],
                                capture_output=True, text=True, timeout=60)
        return result


LAB_PROCESS = None


def setUpModule():
    global LAB_PROCESS
    LAB_PROCESS = Lab()


class AwsCli(unittest.TestCase):
    def test_invoke_round_trip_error_and_tail(self):
        out = f"/tmp/interop-cli-{os.getpid()}.json"
        result = LAB_PROCESS.cli("invoke", "--function-name", "worker", "--payload", '{"key":"abc"}', "--log-type", "Tail", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        meta = json.loads(result.stdout)
        self.assertEqual(meta["StatusCode"], 200)
        self.assertEqual(meta["ExecutedVersion"], "$LATEST")
        self.assertNotIn("FunctionError", meta)
        self.assertIn("row", json.load(open(out)))
        log = base64.b64decode(meta["LogResult"]).decode()
        self.assertTrue(any(REPORT.match(line + "\t" if not line.endswith("\t") else line) or REPORT.match(line) for line in log.splitlines()), log)

        result = LAB_PROCESS.cli("invoke", "--function-name", "worker", "--payload", '{"fail":"from the cli"}', out)
        self.assertEqual(json.loads(result.stdout)["FunctionError"], "Unhandled")
        self.assertEqual(json.load(open(out)), {"errorMessage": "from the cli", "errorType": "WorkerError"})

    def test_control_plane_from_the_cli(self):
        result = LAB_PROCESS.cli("list-functions")
        self.assertEqual(result.returncode, 0, result.stderr)
        names = {f["FunctionName"] for f in json.loads(result.stdout)["Functions"]}
        self.assertTrue({"worker", "orchestrator", "hello"} <= names)
        result = LAB_PROCESS.cli("get-function", "--function-name", "nope")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("ResourceNotFoundException", result.stderr)


class Boto3(unittest.TestCase):
    def test_invoke_payload_error_and_tail(self):
        client = LAB_PROCESS.client()
        answer = client.invoke(FunctionName="worker", Payload=b'{"key":"k1"}', LogType="Tail")
        self.assertEqual(answer["StatusCode"], 200)
        self.assertIn("row", json.loads(answer["Payload"].read()))
        self.assertIn("REPORT RequestId: ", base64.b64decode(answer["LogResult"]).decode())
        failed = client.invoke(FunctionName="arn:aws:lambda:us-east-1:000000000000:function:worker", Payload=b'{"fail":"boto"}')
        self.assertEqual(failed["FunctionError"], "Unhandled")
        self.assertEqual(json.loads(failed["Payload"].read())["errorType"], "WorkerError")

    def test_event_invoke_config_and_async_retries(self):
        client = LAB_PROCESS.client()
        sink = "arn:aws:lambda:us-east-1:000000000000:function:orchestrator"
        put = client.put_function_event_invoke_config(
            FunctionName="worker", MaximumRetryAttempts=1, MaximumEventAgeInSeconds=120,
            DestinationConfig={"OnFailure": {"Destination": sink}})
        self.assertEqual(put["MaximumRetryAttempts"], 1)
        got = client.get_function_event_invoke_config(FunctionName="worker")
        self.assertEqual(got["MaximumEventAgeInSeconds"], 120)
        self.assertEqual(got["DestinationConfig"]["OnFailure"]["Destination"], sink)
        self.assertEqual(client.invoke(FunctionName="worker", InvocationType="Event", Payload=b'{"key":"e"}')["StatusCode"], 202)
        with self.assertRaises(client.exceptions.InvalidParameterValueException):
            client.put_function_event_invoke_config(FunctionName="worker",
                                                    DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:q"}})
        client.delete_function_event_invoke_config(FunctionName="worker")
        with self.assertRaises(client.exceptions.ResourceNotFoundException):
            client.get_function_event_invoke_config(FunctionName="worker")

    def test_errors_raise_the_right_exception_classes(self):
        client = LAB_PROCESS.client()
        with self.assertRaises(client.exceptions.ResourceNotFoundException):
            client.invoke(FunctionName="no-such-function")
        with self.assertRaises(client.exceptions.InvalidRequestContentException):
            client.invoke(FunctionName="worker", Payload=b"{not json")
        with self.assertRaises(client.exceptions.RequestTooLargeException):
            client.invoke(FunctionName="worker", Payload=b'"' + b"a" * (6 * 1024 * 1024) + b'"')
        with self.assertRaises(client.exceptions.InvalidParameterValueException) as raised:
            client.put_provisioned_concurrency_config(FunctionName="worker", Qualifier="$LATEST", ProvisionedConcurrentExecutions=1)
        self.assertEqual(raised.exception.response["Error"]["Message"],
                         "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
        with self.assertRaises(client.exceptions.ProvisionedConcurrencyConfigNotFoundException):
            client.get_provisioned_concurrency_config(FunctionName="orchestrator", Qualifier="1")
        self.assertEqual(client.invoke(FunctionName="worker", InvocationType="DryRun")["StatusCode"], 204)
        self.assertEqual(client.invoke(FunctionName="worker", InvocationType="Event", Payload=b"{}")["StatusCode"], 202)

    def test_fan_out_gets_one_environment_per_concurrent_request(self):
        client = LAB_PROCESS.client()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda i: json.loads(client.invoke(FunctionName="hello-fanout", Payload=b'{"sleepMs":300}')["Payload"].read()),
                                    range(8)))
        self.assertEqual(len({a["pid"] for a in answers}), 8)

    def test_provisioned_concurrency(self):
        client = LAB_PROCESS.client()
        self.assertEqual(client.publish_version(FunctionName="worker")["Version"], "1")
        alias = client.create_alias(FunctionName="worker", Name="live", FunctionVersion="1")
        self.assertTrue(alias["AliasArn"].endswith(":function:worker:live"))
        put = client.put_provisioned_concurrency_config(FunctionName="worker", Qualifier="live", ProvisionedConcurrentExecutions=3)
        self.assertEqual(put["Status"], "IN_PROGRESS")
        deadline = time.time() + 30
        while client.get_provisioned_concurrency_config(FunctionName="worker", Qualifier="live")["Status"] == "IN_PROGRESS":
            self.assertLess(time.time(), deadline)
            time.sleep(0.05)
        ready = client.get_provisioned_concurrency_config(FunctionName="worker", Qualifier="live")
        self.assertEqual((ready["Status"], ready["AllocatedProvisionedConcurrentExecutions"]), ("READY", 3))
        listed = client.list_provisioned_concurrency_configs(FunctionName="worker")["ProvisionedConcurrencyConfigs"]
        self.assertEqual([c["FunctionArn"].rsplit(":", 1)[1] for c in listed], ["live"])
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            answers = list(pool.map(lambda i: client.invoke(FunctionName="worker", Qualifier="live", LogType="Tail"), range(3)))
        for answer in answers:
            self.assertEqual(answer["ExecutedVersion"], "1")
            self.assertEqual(json.loads(answer["Payload"].read())["initializationType"], "provisioned-concurrency")
            self.assertNotIn("Init Duration", base64.b64decode(answer["LogResult"]).decode())
        client.delete_provisioned_concurrency_config(FunctionName="worker", Qualifier="live")
        with self.assertRaises(client.exceptions.ProvisionedConcurrencyConfigNotFoundException):
            client.get_provisioned_concurrency_config(FunctionName="worker", Qualifier="live")

    def test_reserved_concurrency_throttles(self):
        client = LAB_PROCESS.client()
        self.assertEqual(client.put_function_concurrency(FunctionName="hello-reserved", ReservedConcurrentExecutions=1)["ReservedConcurrentExecutions"], 1)
        self.assertEqual(client.get_function_concurrency(FunctionName="hello-reserved")["ReservedConcurrentExecutions"], 1)

        def call(i):
            try:
                client.invoke(FunctionName="hello-reserved", Payload=b'{"sleepMs":600}')
                return "ok"
            except client.exceptions.TooManyRequestsException as error:
                return error.response.get("Reason")
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            outcomes = sorted(pool.map(call, range(3)))
        self.assertEqual(outcomes.count("ok"), 1, outcomes)
        self.assertEqual(outcomes.count("ReservedFunctionConcurrentInvocationLimitExceeded"), 2, outcomes)
        client.delete_function_concurrency(FunctionName="hello-reserved")
        self.assertNotIn("ReservedConcurrentExecutions", client.get_function_concurrency(FunctionName="hello-reserved"))


class AwsLambdaRic(unittest.TestCase):
    """AWS's own Python runtime interface client, hosted in the lab."""

    def test_cold_start_warm_reuse_and_report_lines(self):
        client = LAB_PROCESS.client()
        first = client.invoke(FunctionName="hello", Payload=b"{}", LogType="Tail")
        second = client.invoke(FunctionName="hello", Payload=b"{}", LogType="Tail")
        a, b = json.loads(first["Payload"].read()), json.loads(second["Payload"].read())
        self.assertEqual((a["invocationCount"], b["invocationCount"]), (1, 2))   # module state survives
        self.assertEqual(a["pid"], b["pid"])                                    # the same environment
        self.assertEqual(a["initializationType"], "on-demand")
        self.assertGreater(a["remainingMs"], 2000)                              # from Lambda-Runtime-Deadline-Ms
        cold = base64.b64decode(first["LogResult"]).decode().splitlines()
        warm = base64.b64decode(second["LogResult"]).decode().splitlines()
        self.assertTrue(cold[0].startswith("START RequestId: ") and cold[0].endswith(" Version: $LATEST"), cold)
        self.assertIn(f"hello from pid {a['pid']}, invocation 1", cold)
        self.assertRegex(cold[-1], REPORT)
        self.assertIn("\tInit Duration: ", cold[-1])
        self.assertRegex(warm[-1], REPORT)
        self.assertNotIn("Init Duration", warm[-1])

    def test_handler_exception(self):
        client = LAB_PROCESS.client()
        answer = client.invoke(FunctionName="hello", Payload=b'{"fail":"python says no"}')
        self.assertEqual(answer["FunctionError"], "Unhandled")
        body = json.loads(answer["Payload"].read())
        self.assertEqual((body["errorType"], body["errorMessage"]), ("ValueError", "python says no"))
        self.assertIsInstance(body["stackTrace"], list)
        self.assertEqual(json.loads(client.invoke(FunctionName="hello", Payload=b"{}")["Payload"].read())["pid"] > 0, True)


class HostileHTTP(unittest.TestCase):
    def exchange(self, port, raw):
        """Sends raw bytes and returns what came back. The server may answer and close before it has
        read everything (a 431 for huge headers), so a failed send or shutdown is not an error."""
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            try:
                connection.sendall(raw)
                connection.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            try:
                return connection.recv(65536).decode(errors="replace")
            except OSError:
                return ""

    def test_invoke_api_survives_malformed_requests(self):
        for raw in [b"GARBAGE\r\n\r\n", b"POST /2015-03-31/functions/worker/invocations HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                    b"GET / HTTP/1.1\r\nX: " + b"a" * 100_000 + b"\r\n\r\n", b"\x00\xff\x13\r\n\r\n",
                    b"POST /2015-03-31/functions/worker/invocations HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"]:
            answer = self.exchange(LAB_PROCESS.port, raw)
            self.assertTrue(answer == "" or answer.startswith("HTTP/1.1 4"), answer[:80])
        self.assertEqual(LAB_PROCESS.client().invoke(FunctionName="worker")["StatusCode"], 200)

    def test_runtime_api_survives_malformed_requests(self):
        client = LAB_PROCESS.client()
        before = json.loads(client.invoke(FunctionName="hello-hostile")["Payload"].read())
        port = int(before["runtimeApi"].rsplit(":", 1)[1])
        self.assertTrue(self.exchange(port, b"NOT HTTP\r\n\r\n").startswith("HTTP/1.1 400"))
        bogus = self.exchange(port, b"POST /2018-06-01/runtime/invocation/not-a-request/response HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
        self.assertIn("InvalidRequestID", bogus)
        after = json.loads(client.invoke(FunctionName="hello-hostile")["Payload"].read())
        self.assertEqual(after["pid"], before["pid"])


class ManagedInstances(unittest.TestCase):
    def test_managed_instances_with_boto3_and_awslambdaric(self):
        """A capacity provider, a function on it from a zip (AWS's own Python runtime interface
        client, which reads AWS_LAMBDA_MAX_CONCURRENCY and runs that many worker processes), a
        published version, its scaling, and K invocations at once in one environment."""
        client = LAB_PROCESS.client()
        created = client.create_capacity_provider(
            CapacityProviderName="interop-cp", VpcConfig={"SubnetIds": ["subnet-0abc"], "SecurityGroupIds": ["sg-0abc"]},
            PermissionsConfig={"CapacityProviderOperatorRoleArn": "arn:aws:iam::000000000000:role/operator"})["CapacityProvider"]
        self.assertEqual(created["State"], "Pending")
        arn = created["CapacityProviderArn"]
        self.assertEqual(client.get_capacity_provider(CapacityProviderName="interop-cp")["CapacityProvider"]["State"], "Active")
        with self.assertRaises(ClientError) as refused:
            client.create_capacity_provider(CapacityProviderName="bad", VpcConfig={"SubnetIds": ["nope"], "SecurityGroupIds": []},
                                            PermissionsConfig={"CapacityProviderOperatorRoleArn": "arn:aws:iam::000000000000:role/x"})
        self.assertEqual(refused.exception.response["Error"]["Code"], "ValidationException")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            info = zipfile.ZipInfo("bootstrap")
            info.external_attr = 0o755 << 16
            archive.writestr(info, '#!/bin/sh\nexec "$PYTHON" -m awslambdaric app.handler\n')
            archive.writestr("app.py", "import os, time\n"
                             "def handler(event, context):\n"
                             "    time.sleep(event.get('sleepMs', 0) / 1000)\n"
                             "    return {'worker': os.getpid(), 'environment': os.getppid(),\n"
                             "            'type': os.environ.get('AWS_LAMBDA_INITIALIZATION_TYPE')}\n")
        client.create_function(FunctionName="mi-python", Runtime="provided.al2023", Handler="app.handler",
                               Role="arn:aws:iam::000000000000:role/lambda", Code={"ZipFile": buffer.getvalue()},
                               Environment={"Variables": {"PYTHON": sys.executable}},
                               CapacityProviderConfig={"LambdaManagedInstancesCapacityProviderConfig": {
                                   "CapacityProviderArn": arn, "PerExecutionEnvironmentMaxConcurrency": 4}})
        latest = client.get_function_configuration(FunctionName="mi-python")
        self.assertEqual((latest["State"], latest["MemorySize"]), ("ActiveNonInvocable", 2048))
        with self.assertRaises(client.exceptions.NoPublishedVersionException):
            client.invoke(FunctionName="mi-python", Payload=b"{}")
        version = client.publish_version(FunctionName="mi-python")
        self.assertEqual(version["Version"], "1")
        deadline = time.time() + 60
        while client.get_function_configuration(FunctionName="mi-python", Qualifier="1")["State"] == "Pending":
            self.assertLess(time.time(), deadline)
            time.sleep(0.1)
        self.assertEqual(client.get_function_configuration(FunctionName="mi-python", Qualifier="1")["State"], "Active")
        client.put_function_scaling_config(FunctionName="mi-python", Qualifier="1",
                                           FunctionScalingConfig={"MinExecutionEnvironments": 1, "MaxExecutionEnvironments": 1})
        scaling = client.get_function_scaling_config(FunctionName="mi-python", Qualifier="1")
        self.assertEqual(scaling["AppliedFunctionScalingConfig"], {"MinExecutionEnvironments": 1, "MaxExecutionEnvironments": 1})
        with self.assertRaises(client.exceptions.InvalidParameterValueException):
            client.invoke(FunctionName="mi-python", Qualifier="$LATEST", Payload=b"{}")
        versions = client.list_function_versions_by_capacity_provider(CapacityProviderName="interop-cp")["FunctionVersions"]
        self.assertEqual([v["FunctionArn"].rsplit(":", 1)[1] for v in versions], ["1"])
        with self.assertRaises(client.exceptions.ResourceConflictException):
            client.delete_capacity_provider(CapacityProviderName="interop-cp")

        def call(i):
            try:
                return json.loads(client.invoke(FunctionName="mi-python", Qualifier="1", Payload=b'{"sleepMs":800}')["Payload"].read())
            except client.exceptions.TooManyRequestsException:
                return "throttled"
        started = time.time()
        with concurrent.futures.ThreadPoolExecutor(5) as pool:
            answers = list(pool.map(call, range(5)))
        ran = [a for a in answers if a != "throttled"]
        # One environment, four of awslambdaric's worker processes at once, side by side; the fifth throttled.
        self.assertEqual(len(ran), 4, answers)
        self.assertEqual(answers.count("throttled"), 1)
        self.assertEqual(len({a["environment"] for a in ran}), 1)
        self.assertEqual(len({a["worker"] for a in ran}), 4)
        self.assertTrue(all(a["type"] == "lambda-managed-instances" for a in ran))
        self.assertLess(time.time() - started, 4 * 0.8)


class ZZShutdown(unittest.TestCase):
    """Last: Ctrl-C stops the lab cleanly, with a summary, and takes every environment with it."""

    def test_ctrl_c_leaves_no_child(self):
        process = LAB_PROCESS.process
        descendants = children(process.pid)
        self.assertGreaterEqual(len(descendants), 5)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
        self.assertEqual(process.returncode, 0)
        self.assertIn("Stopping: ", output)
        self.assertRegex(output, r"hello \d+ environments? / \d+ invocations?")
        deadline = time.time() + 10
        while any(alive(pid) for pid in descendants) and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual([pid for pid in descendants if alive(pid)], [])


if __name__ == "__main__":
    program = unittest.main(argv=[sys.argv[0], "-v"], exit=False)
    result = program.result
    failed = len(result.failures) + len(result.errors)
    print(f"interop: {result.testsRun - failed} passed, {failed} failed")
    if LAB_PROCESS and LAB_PROCESS.process.poll() is None:
        LAB_PROCESS.process.kill()
    sys.exit(1 if failed else 0)
