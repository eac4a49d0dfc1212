"""Two threads of a Python program that can never go on, for tests/doctor.sh.

locks:  main holds lock a, a thread takes lock b and then waits for a; main
        then waits for b.  threading.Lock is a semaphore underneath (sem_wait,
        an untimed futex wait with no owner to read): `threadstat doctor`
        must call it stuck.
socket: a thread reads a socket (another process could write to it) and
        main joins it: idle, something can still end the wait.

It prints "ready PID" once the thread is in its last wait (read from its own
/proc syscall file: futex with no timeout, or recvfrom), then makes its own
last wait; the test waits for that in /proc too.
"""
import os
import socket
import sys
import threading


def waiting_in(tid, want):
    """True when thread tid is in the system call `want` names."""
    try:
        with open(f"/proc/self/task/{tid}/syscall") as f:
            fields = f.read().split()
    except OSError:
        return False
    if want == "untimed futex":  # futex(uaddr, op, val, timeout = NULL)
        return len(fields) > 4 and fields[0] == "202" and fields[4] == "0x0"
    return len(fields) > 1 and fields[0] == want


def wait_for(thread, want):
    # A bounded poll of the thread's state (the caller's watchdog is the test's timeout).
    while not waiting_in(thread.native_id, want):
        os.sched_yield()


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "locks"
    if mode == "locks":
        a, b = threading.Lock(), threading.Lock()
        a.acquire()

        def taker():
            b.acquire()
            a.acquire()  # main holds a: waits for ever

        t = threading.Thread(target=taker, name="taker", daemon=True)
        t.start()
        wait_for(t, "untimed futex")
        print("ready", os.getpid(), flush=True)
        b.acquire()  # the thread holds b: waits for ever
    elif mode == "socket":
        mine, theirs = socket.socketpair()

        def reader():
            mine.recv(1)

        t = threading.Thread(target=reader, name="reader", daemon=True)
        t.start()
        wait_for(t, "45")  # recvfrom
        print("ready", os.getpid(), flush=True)
        t.join()
        theirs.close()
    else:
        sys.exit(f"doctor-locks.py: unknown mode {mode}")


main()
