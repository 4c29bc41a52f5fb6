package main

import (
	"log/slog"

	"chatserver/app/conncap"
)

// fitConns raises the open-file limit as far as it goes and returns the
// connection cap per door that fits under it: maxConns, or less, with a
// warning, if doors doors at maxConns each would run out of descriptors,
// which stops every new login.
func fitConns(log *slog.Logger, doors, maxConns int) int {
	limit, err := raiseFileLimit()
	if err != nil {
		log.Warn("raise the open-file limit", "err", err)
	}
	fit := conncap.Fit(limit, doors, maxConns)
	if fit < maxConns {
		log.Warn("connection caps lowered to fit the open-file limit",
			"open_files", limit, "kept_for_the_rest", conncap.Headroom(doors), "doors", doors,
			"max_conns", fit, "asked", maxConns)
	}
	return fit
}

// doors counts the doors that listen.
func doors(addrs ...string) int {
	n := 0
	for _, a := range addrs {
		if a != "" {
			n++
		}
	}
	return n
}
