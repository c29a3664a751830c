"""In a real kernel, as a learner runs it: an endless loop or an interrupt never leaves a broken answer in place."""
from __future__ import annotations

import time

import pytest
from jupyter_client.manager import start_new_kernel

LOOPING_RELU = '''
from course_utils import check

def relu(z):
    while True:
        pass

relu = check("relu", relu)
'''
USES_THE_REFERENCE = '''
import course_utils.neurons as reference
assert relu is reference.relu
print("next cell uses:", relu.__module__, relu(-2.0))
'''


@pytest.fixture
def kernel(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_STRICT", "0")   # a lesson, as a learner has it
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run(client, code, timeout=60):
    """Execute ``code``; return (reply status, everything it printed)."""
    msg_id = client.execute(code)
    printed = []
    while True:
        msg = client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            printed.append("\n".join(msg["content"]["traceback"]))
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    return client.get_shell_msg(timeout=timeout)["content"]["status"], "".join(printed)


def test_an_endless_loop_returns_control_within_the_time_limit(kernel):
    _, client = kernel
    start = time.perf_counter()
    status, printed = run(client, LOOPING_RELU)
    seconds = time.perf_counter() - start
    assert status == "ok", printed
    assert "⏱️ relu: stopped after 5 s" in printed and "endless loop" in printed
    assert seconds < 20, f"the check took {seconds:.1f} s"
    status, printed = run(client, USES_THE_REFERENCE)
    assert status == "ok" and "next cell uses: course_utils.neurons 0.0" in printed, printed


def test_an_interrupt_during_a_check_leaves_the_reference_in_place(kernel):
    manager, client = kernel
    assert run(client, "import course_utils.exercises")[0] == "ok"   # imports done: the loop starts at once
    msg_id = client.execute('print("checking", flush=True)\n' + LOOPING_RELU)
    printed, interrupted = [], False
    while True:
        msg = client.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])
            if not interrupted and "checking" in msg["content"]["text"]:
                time.sleep(1.0)            # inside the endless loop, well before the 5 s limit
                manager.interrupt_kernel()
                interrupted = True
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    assert "⏹️ relu: the check was interrupted" in "".join(printed), printed
    status, printed = run(client, USES_THE_REFERENCE)
    assert status == "ok", printed
