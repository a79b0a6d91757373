//go:build unix

package detect

import (
	"errors"
	"os"
	"syscall"
)

// lockState takes the lock of the state file at path: an advisory lock
// (flock) on PATH.lock, held until release. It reports errInUse when
// another engine, in this process or another, holds it.
func lockState(path string) (release func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errInUse
		}
		return nil, err
	}
	return func() { f.Close() }, nil
}
