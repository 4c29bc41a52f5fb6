package main

import (
	"os"
	"syscall"
	"testing"
)

// TestSecondSignalExits: the first signal cancels the context, the second
// exits at once with status 1.
func TestSecondSignalExits(t *testing.T) {
	sigc := make(chan os.Signal)
	exited := make(chan int, 1)
	ctx, stop := stopOnSignal(t.Context(), sigc, func(code int) { exited <- code })
	defer stop()
	sigc <- os.Interrupt
	<-ctx.Done()
	select {
	case code := <-exited:
		t.Fatalf("exit(%d) after the first signal", code)
	default:
	}
	sigc <- syscall.SIGTERM
	if code := <-exited; code != 1 {
		t.Errorf("exit(%d) after the second signal, want exit(1)", code)
	}
}
