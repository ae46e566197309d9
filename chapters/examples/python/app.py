"""A Python function for the lab, run by AWS's own runtime interface client:

    swift run lab --function hello='python3 -m awslambdaric app.handler' --cwd hello=chapters/examples/python

Module-level code runs once per execution environment (the Init phase); `handler` runs per invocation.
"""
import os
import time

# Init: state kept for the environment's lifetime.
INITIALISED_AT = time.time()
invocations = 0


def handler(event, context):
    global invocations
    invocations += 1
    if event.get("fail"):
        raise ValueError(event["fail"])
    if event.get("sleepMs"):
        time.sleep(event["sleepMs"] / 1000)
    print(f"hello from pid {os.getpid()}, invocation {invocations}")
    return {
        "invocationCount": invocations,
        "pid": os.getpid(),
        "requestId": context.aws_request_id,
        "remainingMs": context.get_remaining_time_in_millis(),
        "initializationType": os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE"),
        "runtimeApi": os.environ.get("AWS_LAMBDA_RUNTIME_API"),
    }
