package storetest

import (
	"os"
	"syscall"
	"unsafe"
)

// setImmutable sets or clears the immutable attribute of path (chattr +i),
// which stops even root from writing it.
func setImmutable(path string, on bool) error {
	const (
		getFlags  = 0x80086601 // FS_IOC_GETFLAGS
		setFlags  = 0x40086602 // FS_IOC_SETFLAGS
		immutable = 0x10       // FS_IMMUTABLE_FL
	)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var attr int
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), getFlags, uintptr(unsafe.Pointer(&attr))); e != 0 {
		return e
	}
	if on {
		attr |= immutable
	} else {
		attr &^= immutable
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), setFlags, uintptr(unsafe.Pointer(&attr))); e != 0 {
		return e
	}
	return nil
}
