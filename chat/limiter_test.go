package chat_test

import (
	"testing"
	"time"

	"chatserver/chat"
)

var t0 = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

func TestLimiterBurstThenNotice(t *testing.T) {
	t.Parallel()
	l := chat.NewLimiter(chat.DefaultFloodBurst, chat.DefaultFloodRate)
	for i := range chat.DefaultFloodBurst {
		if ok, notify := l.Allow(t0); !ok || notify {
			t.Fatalf("line %d of the burst: Allow = %v, %v, want true, false", i+1, ok, notify)
		}
	}
	if ok, notify := l.Allow(t0); ok || !notify {
		t.Fatalf("first line past the burst: Allow = %v, %v, want false, true", ok, notify)
	}
	// Further lines within the second are dropped silently.
	for i := range 100 {
		now := t0.Add(time.Duration(i) * time.Millisecond)
		if ok, notify := l.Allow(now); ok || notify {
			t.Fatalf("line %d past the burst at +%v: Allow = %v, %v, want false, false", i, now.Sub(t0), ok, notify)
		}
	}
}

func TestLimiterNoticeAtMostOnceASecond(t *testing.T) {
	t.Parallel()
	l := chat.NewLimiter(20, 5)
	notices := 0
	// 10 000 lines over 3 s: a line every 300 µs.
	for i := range 10000 {
		if _, notify := l.Allow(t0.Add(time.Duration(i) * 300 * time.Microsecond)); notify {
			notices++
		}
	}
	if notices < 1 || notices > 3 {
		t.Errorf("%d notices over 3 s of flooding, want 1 to 3", notices)
	}
}

func TestLimiterSteadyRate(t *testing.T) {
	t.Parallel()
	l := chat.NewLimiter(20, 5)
	now := t0
	for range 20 {
		l.Allow(now)
	}
	// After the burst, one line every 200 ms is always allowed.
	for i := range 100 {
		now = now.Add(200 * time.Millisecond)
		if ok, notify := l.Allow(now); !ok || notify {
			t.Fatalf("steady line %d: Allow = %v, %v, want true, false", i, ok, notify)
		}
	}
	// Faster than that is not.
	if ok, _ := l.Allow(now.Add(10 * time.Millisecond)); ok {
		t.Fatalf("a line 10 ms after a steady one was allowed")
	}
}

func TestLimiterRefillsUpToBurstOnly(t *testing.T) {
	t.Parallel()
	l := chat.NewLimiter(20, 5)
	l.Allow(t0)
	later := t0.Add(time.Hour)
	allowed := 0
	for range 100 {
		if ok, _ := l.Allow(later); ok {
			allowed++
		}
	}
	if allowed != 20 {
		t.Errorf("after an idle hour %d lines allowed at once, want the burst of 20", allowed)
	}
}

func TestLimiterOff(t *testing.T) {
	t.Parallel()
	for _, l := range []*chat.Limiter{chat.NewLimiter(20, 0), chat.NewLimiter(0, -1), nil} {
		for i := range 1000 {
			if ok, notify := l.Allow(t0); !ok || notify {
				t.Fatalf("limiter off, line %d: Allow = %v, %v", i, ok, notify)
			}
		}
	}
}
