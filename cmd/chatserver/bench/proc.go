package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat:
// 100 on every Linux the Go runtime supports, whatever the kernel's HZ.
const clockTicks = 100

// procCPU returns the user and system CPU time process pid has used
// (utime and stime of /proc/PID/stat; 0 means this process).
func procCPU(pid int) (user, sys time.Duration, err error) {
	b, err := os.ReadFile(procPath(pid, "stat"))
	if err != nil {
		return 0, 0, fmt.Errorf("read cpu time: %w", err)
	}
	return parseStat(b)
}

func parseStat(b []byte) (user, sys time.Duration, err error) {
	// The command name, field 2, is in parentheses and may hold spaces and
	// parentheses itself: the fields that follow start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("parse /proc stat: no ')'")
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("parse /proc stat: %d fields", len(f)+2)
	}
	u, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	s, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("parse /proc stat: utime %q stime %q", f[11], f[12])
	}
	tick := time.Second / clockTicks
	return time.Duration(u) * tick, time.Duration(s) * tick, nil
}

// procRSS returns the resident set size of process pid in bytes (VmRSS of
// /proc/PID/status; 0 means this process).
func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile(procPath(pid, "status"))
	if err != nil {
		return 0, fmt.Errorf("read rss: %w", err)
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := bytes.Fields(rest)
			if len(f) == 2 && string(f[1]) == "kB" {
				kb, err := strconv.ParseInt(string(f[0]), 10, 64)
				if err == nil {
					return kb << 10, nil
				}
			}
			return 0, fmt.Errorf("parse VmRSS %q", bytes.TrimSpace(rest))
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

func procPath(pid int, file string) string {
	if pid == 0 {
		return "/proc/self/" + file
	}
	return "/proc/" + strconv.Itoa(pid) + "/" + file
}
