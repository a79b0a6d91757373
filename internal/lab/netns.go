//go:build linux

package lab

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// listenIn opens a TCP listener inside network namespace ns, for services
// the lab implements itself. A socket belongs to the namespace of the
// thread that created it, so a goroutine locks itself to a thread, moves
// the thread into ns, listens and moves it back. The thread must not exit:
// children started with Pdeathsig from a thread die with it, and the
// thread that runs this goroutine may have started some. Only if moving
// back fails is the thread left locked, to be discarded.
func listenIn(ns, addr string) (net.Listener, error) {
	type result struct {
		ln  net.Listener
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		ln, back, err := listenOnThisThread(ns, addr)
		if back {
			runtime.UnlockOSThread()
		}
		ch <- result{ln, err}
	}()
	r := <-ch
	return r.ln, r.err
}

// listenOnThisThread listens in ns and reports whether the thread is back
// in its own namespace.
func listenOnThisThread(ns, addr string) (net.Listener, bool, error) {
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, true, fmt.Errorf("lab: own namespace: %w", err)
	}
	defer self.Close()
	target, err := os.Open(filepath.Join("/run/netns", ns))
	if err != nil {
		return nil, true, fmt.Errorf("lab: open namespace %s: %w", ns, err)
	}
	defer target.Close()
	if err := setns(int(target.Fd()), syscall.CLONE_NEWNET); err != nil {
		return nil, true, fmt.Errorf("lab: enter namespace %s: %w", ns, err)
	}
	ln, lerr := net.Listen("tcp", addr)
	back := setns(int(self.Fd()), syscall.CLONE_NEWNET) == nil
	if lerr != nil {
		return nil, back, fmt.Errorf("lab: listen on %s in %s: %w", addr, ns, lerr)
	}
	return ln, back, nil
}

// setnsNumbers are setns(2)'s system call numbers (the syscall package
// does not name it on every architecture).
var setnsNumbers = map[string]uintptr{
	"amd64": 308, "arm64": 268, "riscv64": 268, "loong64": 268,
	"386": 346, "arm": 375, "ppc64le": 350, "ppc64": 350, "s390x": 339,
}

func setns(fd, nstype int) error {
	nr, ok := setnsNumbers[runtime.GOARCH]
	if !ok {
		return fmt.Errorf("setns: unknown system call number on %s", runtime.GOARCH)
	}
	_, _, errno := syscall.RawSyscall(nr, uintptr(fd), uintptr(nstype), 0)
	if errno != 0 {
		return errno
	}
	return nil
}
