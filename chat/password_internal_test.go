package chat

import (
	"strings"
	"testing"
)

// BenchmarkPasswordHash measures one check of a password at the default
// cost: what a login by password costs the server in CPU (goal: under
// ~50 ms; the figure is in BENCHMARKS.md).
func BenchmarkPasswordHash(b *testing.B) {
	hash, err := hashPassword("correct horse battery", defaultHash)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, err := matches(hash, "correct horse battery"); !ok || err != nil {
			b.Fatalf("matches = %v, %v", ok, err)
		}
	}
}

// TestHashRoundTrip: a hash is salted (two hashes of one password
// differ), reads back with the costs it was made with, and matches its
// password only.
func TestHashRoundTrip(t *testing.T) {
	t.Parallel()
	p := hashParams{memory: 64, time: 1, threads: 1}
	h1, err1 := hashPassword("hunter2hunter2", p)
	h2, err2 := hashPassword("hunter2hunter2", p)
	if err1 != nil || err2 != nil || h1 == h2 {
		t.Fatalf("two hashes of one password: %q, %q (%v, %v); want different", h1, h2, err1, err2)
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q, want the PHC form of argon2id", h1)
	}
	if got, _, _, err := parseHash(h1); err != nil || got != p {
		t.Errorf("parseHash(%q) = %+v, %v; want %+v", h1, got, err, p)
	}
	for pw, want := range map[string]bool{"hunter2hunter2": true, "hunter2hunter3": false, "": false} {
		if ok, err := matches(h1, pw); ok != want || err != nil {
			t.Errorf("matches(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	if got := hashOf(t, "hunter2hunter2"); strings.Contains(got, "hunter2") {
		t.Errorf("hash %q holds the password", got)
	}
}

func hashOf(t *testing.T, pw string) string {
	h, err := hashPassword(pw, hashParams{memory: 64, time: 1, threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// FuzzParseHash: parseHash never panics, and what it accepts stays
// within the bounds that keep a check's cost bounded, whatever the store
// holds.
func FuzzParseHash(f *testing.F) {
	for _, s := range []string{
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
		"$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"", "$", "$$$$$",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := parseHash(s)
		if err != nil {
			return
		}
		if p.memory > maxHashMemory || p.time < 1 || p.time > maxHashTime || p.threads < 1 || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
			t.Errorf("parseHash(%q) accepted %+v, salt %d, key %d bytes", s, p, len(salt), len(key))
		}
	})
}
